// The running daemon: the server with its shards wired to the real pipeline
// and the SED store, trust anchors from the store, and what happens on
// SIGHUP (reload), on a store change, and on SIGTERM (drain).
//
// Reload: the file is read and checked whole; the store's active trust
// anchors are added; if the resolver sections or the anchors changed, every
// shard gets a new pipeline (libunbound takes anchors only before its first
// query), otherwise pipelines and their caches stay. TLS certificates, CA and
// CRLs are always reloaded. Anything that fails leaves the old configuration
// serving, and says why in the log.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "enum/expected.hpp"
#include "enum/guarded.hpp"
#include "resolver/daemon/config.hpp"
#include "resolver/daemon/shard_pipeline.hpp"
#include "resolver/dns/health.hpp"
#include "resolver/server/server.hpp"
#include "sed-store/store.hpp"

namespace speerd::daemon {

class Runtime {
 public:
  // `io` is the main thread's loop (signals, store polling).
  static Expected<std::unique_ptr<Runtime>> start(boost::asio::io_context& io,
                                                  std::shared_ptr<const Config> cfg);
  ~Runtime();

  Expected<std::vector<std::string>> reload();  // SIGHUP
  void shutdown();                              // SIGTERM: drain, then stop

  server::Server& server() { return *server_; }
  std::shared_ptr<const Config> config() const { return current_; }

 private:
  explicit Runtime(boost::asio::io_context& io) : io_(io), poll_timer_(io), health_timer_(io) {}
  Expected<std::shared_ptr<const Config>> with_anchors(std::shared_ptr<const Config> cfg);
  server::ServerHooks::ServiceFactory service_factory(std::shared_ptr<const Config> cfg);
  void poll_store();
  void start_prober();
  void publish_health();

  boost::asio::io_context& io_;
  boost::asio::steady_timer poll_timer_;
  boost::asio::steady_timer health_timer_;
  std::shared_ptr<dns::HealthProber> prober_;  // main thread
  std::unique_ptr<store::Store> store_;        // main thread: anchors and change polling
  std::uint64_t store_counter_ = 0;
  std::shared_ptr<const Config> current_;  // with the store's anchors
  std::vector<std::string> store_anchors_;
  // A store anchor change that could not be applied is retried.
  static constexpr std::chrono::seconds kAnchorRetry{10};
  bool anchors_pending_ = false;
  std::chrono::steady_clock::time_point anchor_retry_at_;
  // Shared with the admin thread's readiness checks: the prober's verdict,
  // published by the main thread ("" = reachable, else why not).
  std::shared_ptr<Guarded<std::string>> upstream_;
  std::shared_ptr<Guarded<std::shared_ptr<const Config>>> ready_cfg_;
  // Each shard's pipeline, to drop its cache when the store changes.
  std::shared_ptr<Guarded<std::vector<std::weak_ptr<ShardPipeline>>>> pipelines_;
  std::unique_ptr<server::Server> server_;
};

// Every DS/DNSKEY the configuration makes libunbound trust, counted: lines
// given inline plus files named (files count as one each).
std::size_t anchor_count(const config::ResolverConfig& r);

}  // namespace speerd::daemon
