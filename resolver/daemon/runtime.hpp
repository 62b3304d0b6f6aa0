// The running daemon: the server with its shards wired to the real pipeline
// and the SED store, trust anchors from the store, and what happens on
// SIGHUP (reload), on a store change, and on SIGTERM (drain).
//
// The store (issue 12): no event loop touches it. The store watcher (its
// own thread) keeps the client snapshot and the store's trust anchors and
// reports changes to the main loop; the shards' lookups read through the
// store threads with a deadline. A node whose store is down starts anyway
// (not ready until the store has answered once), serves known clients from
// the snapshot through an outage, and picks up what changed when the store
// is back.
//
// Reload (SIGHUP): the file is read and checked whole, then applied: the
// store's active trust anchors are added; if the resolver sections or the
// anchors changed, every shard gets a new pipeline (libunbound takes anchors
// only before its first query), otherwise pipelines and their caches stay.
// TLS certificates, CA and CRLs are always reloaded. Anything that fails
// leaves the old configuration serving, and says why in the log.
//
// A store trust anchor change (issue 13) applies the same way to the base
// configuration as last loaded, without reading any file (the configuration
// file, the certificates): new pipelines, connections kept. One that fails
// keeps the anchors active now, shows on /readyz (check trust_anchors) and
// /metrics (speerd_trust_anchors_pending), is logged, and is retried (1 s,
// doubling to 10 s) until it applies or the store is back at the active
// set. Priming runs again after it, keeping a passed verdict meanwhile.
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
#include "resolver/daemon/priming.hpp"
#include "resolver/daemon/shard_pipeline.hpp"
#include "resolver/dns/health.hpp"
#include "resolver/server/server.hpp"
#include "resolver/service/client_snapshot.hpp"
#include "resolver/service/store_watcher.hpp"
#include "resolver/service/store_workers.hpp"
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
  explicit Runtime(boost::asio::io_context& io) : io_(io), health_timer_(io) {}
  // `cfg` plus the store's anchors as the watcher last saw them.
  std::shared_ptr<const Config> with_anchors(const std::shared_ptr<const Config>& cfg) const;
  server::ServerHooks::ServiceFactory service_factory(std::shared_ptr<const Config> cfg);
  // Makes `base` (a configuration as loaded, without store anchors) with
  // the store's latest anchors the running one; on error nothing changed.
  // `reload_tls`: SIGHUP reloads the certificates, a store change does not.
  Expected<std::vector<std::string>> apply(std::shared_ptr<const Config> base, bool reload_tls);
  void on_store_change(service::StoreChange change);  // main thread
  void apply_store_anchors();                         // an attempt (main thread)
  void anchors_settled();                             // applied, or the store went back
  void publish_anchors();
  void start_prober();
  void publish_health();
  void publish_store_health();

  boost::asio::io_context& io_;
  boost::asio::steady_timer health_timer_;
  std::shared_ptr<dns::HealthProber> prober_;  // main thread
  std::shared_ptr<Priming> priming_;           // main thread
  // The priming check's verdict ("" = passed), read by /readyz.
  std::shared_ptr<Guarded<std::string>> primed_ = std::make_shared<Guarded<std::string>>();
  std::shared_ptr<service::ClientSnapshot> snapshot_;
  std::unique_ptr<service::StoreWatcher> watcher_;
  std::shared_ptr<service::StoreWorkers> workers_;
  // The store threads' and the watcher's figures (any thread), beside the
  // server's (ServerHooks::metrics).
  service::Metrics store_metrics_;
  bool starting_ = true;                       // Runtime::start has not returned yet
  std::optional<service::StoreChange> first_;  // the first poll's, during start
  std::uint64_t store_counter_ = 0;
  std::shared_ptr<const Config> base_;       // as last loaded from the file
  std::shared_ptr<const Config> current_;    // base_ with the store's anchors
  std::vector<std::string> store_anchors_;   // the anchors in current_
  std::vector<std::string> latest_anchors_;  // the store's, as last seen
  // A store anchor change that could not be applied is retried, backing off.
  static constexpr std::chrono::seconds kAnchorRetryMin{1};
  static constexpr std::chrono::seconds kAnchorRetryMax{10};
  bool anchors_pending_ = false;
  std::uint64_t anchor_attempts_ = 0;  // failed attempts at the pending change
  std::chrono::milliseconds anchor_retry_delay_{kAnchorRetryMin};
  std::chrono::steady_clock::time_point anchor_retry_at_;
  // Why the store's anchors are not applied ("" = they are), for /readyz.
  std::shared_ptr<Guarded<std::string>> anchors_problem_ = std::make_shared<Guarded<std::string>>();
  // Shared with the admin thread's readiness checks: the prober's verdict,
  // published by the main thread ("" = reachable, else why not).
  std::shared_ptr<Guarded<std::string>> upstream_;
  // The prober's per-server view as last published, for /metrics' per-server
  // rows (the admin thread renders them).
  std::shared_ptr<Guarded<std::vector<dns::ServerHealth>>> servers_ =
      std::make_shared<Guarded<std::vector<dns::ServerHealth>>>();
  std::shared_ptr<Guarded<std::shared_ptr<const Config>>> ready_cfg_;
  // Each shard's pipeline, to drop its cache when the store changes.
  std::shared_ptr<Guarded<std::vector<std::weak_ptr<ShardPipeline>>>> pipelines_;
  std::unique_ptr<server::Server> server_;
};

// Every DS/DNSKEY the configuration makes libunbound trust, counted: lines
// given inline plus files named (files count as one each).
std::size_t anchor_count(const config::ResolverConfig& r);

}  // namespace speerd::daemon
