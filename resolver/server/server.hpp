// speerd's API server: one acceptor, N shards.
//
// Threads: N shard threads (one per core by default; each an io_context
// with its own LookupService, client directory and metrics), one control
// thread (the API acceptor, periodic housekeeping), one admin thread.
//
// Acceptor: a single listening socket on the control thread accepts, applies
// the connection caps (before any TLS work), and hands the socket to the
// shard with the fewest open connections. Chosen over SO_REUSEPORT per
// shard because keep-alive SBE connections are few and long-lived (one per
// Kamailio worker): kernel hashing could put several on one core while
// another idles, whereas least-loaded hand-off balances them; the caps are
// also enforced in one place, and port 0 works for tests. The cost is one
// cross-thread post per new connection, which is small next to a handshake.
//
// Reload: reload() builds the new TLS context and, when given a new service
// factory, a new LookupService on every shard first; only when all of that
// succeeded does every shard switch to the new Generation. Established
// connections keep their TLS session and finish requests in flight on the
// pipeline they started with; new requests use the new configuration.
//
// Shutdown: stop accepting, close idle connections, let requests in
// progress answer (with `Connection: close`) for up to drain_timeout_ms,
// then close the rest.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "enum/expected.hpp"
#include "enum/guarded.hpp"
#include "resolver/pipeline/result.hpp"
#include "resolver/server/admin.hpp"
#include "resolver/server/http_front_end.hpp"
#include "resolver/service/admission.hpp"
#include "resolver/service/client_directory.hpp"
#include "resolver/service/metrics.hpp"
#include "resolver/service/rate_limiter.hpp"
#include "resolver/service/settings.hpp"
#include "resolver/service/shard.hpp"

namespace speerd::server {

struct ReadinessCheck {
  std::string name;
  std::function<Expected<bool>()> check;  // runs on the admin thread
};

struct ServerHooks {
  // Builds shard `index`'s pipeline; called on that shard's thread.
  using ServiceFactory = std::function<Expected<std::shared_ptr<pipeline::LookupService>>(
      boost::asio::io_context& io, std::size_t index)>;
  // Opens one client directory (store handle); one per shard, one for the
  // admin listener's readiness check.
  using DirectoryFactory = std::function<Expected<std::unique_ptr<service::ClientDirectory>>()>;

  // A further front end of one shard (the DNS front end, resolver/dnsfront/):
  // called on that shard's thread, before its first pipeline.
  using FrontEndFactory =
      std::function<Expected<std::unique_ptr<service::FrontEnd>>(service::Shard& shard)>;
  ServiceFactory make_service;
  DirectoryFactory make_directory;
  std::vector<ReadinessCheck> readiness;    // beyond the built-in ones
  std::vector<FrontEndFactory> front_ends;  // beside HTTP, on every shard
  // More figures for /metrics (written from any thread; they must outlive
  // the server): the daemon's store threads and store watcher.
  std::vector<const service::Metrics*> metrics;
  // More families in exposition text, rendered at each scrape on the admin
  // thread (service::render_family): those whose label values are known only
  // at run time, e.g. one row per configured upstream server.
  std::function<std::string()> more_metrics;
};

class Server {
 public:
  // Binds the listeners, builds the shards and starts all threads.
  static Expected<std::unique_ptr<Server>> start(
      std::shared_ptr<const service::ServerConfig> config, ServerHooks hooks);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t api_port() const { return api_port_; }
  std::uint16_t admin_port() const { return admin_ ? admin_->port() : 0; }
  std::size_t shard_count() const { return shards_.size(); }

  // Swaps in a new configuration (and pipeline, when make_service is set).
  // On error nothing changed. The value lists settings that changed but
  // need a restart to take effect. `reload_tls` false keeps the TLS context
  // serving now (a store trust anchor change reads no file).
  Expected<std::vector<std::string>> reload(std::shared_ptr<const service::ServerConfig> config,
                                            ServerHooks::ServiceFactory make_service = {},
                                            bool reload_tls = true);

  // Counts and logs a reload that failed before reaching reload() (the file
  // did not parse).
  void reload_failed(const std::string& why);

  // Runs f on shard `index`'s thread, later.
  void post_to_shard(std::size_t index, std::function<void()> f);

  // Drains and stops; blocks. Idempotent.
  void shutdown();

  std::string metrics_text() const;
  // Process-wide metrics (not per shard): accept refusals, reloads, gauges
  // the daemon sets. Relaxed atomics: any thread.
  service::Metrics& control_metrics() { return control_metrics_; }
  std::pair<bool, nlohmann::json> readiness();
  std::int64_t open_connections() const { return admission_.open(); }
  std::shared_ptr<const service::Generation> generation();

 private:
  Server() = default;
  Expected<bool> listen(const std::string& address);
  void accept();
  void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);
  void dispatch(boost::asio::ip::tcp::socket socket, service::Admission::Ticket ticket,
                std::string peer, std::size_t index);
  void housekeeping();
  bool wait_for_close(std::chrono::milliseconds limit);

  ServerHooks hooks_;
  service::Admission admission_;
  service::RateLimiter limiter_;
  service::Metrics control_metrics_;  // accept-time refusals and reload counts
  Guarded<std::shared_ptr<const service::Generation>> current_;
  std::vector<std::unique_ptr<service::Shard>> shards_;
  std::vector<HttpFrontEnd*> http_;  // shard i's HTTP front end, owned by the shard
  std::unique_ptr<service::ClientDirectory> admin_directory_;  // used on the admin thread only
  std::unique_ptr<AdminServer> admin_;

  boost::asio::io_context control_{1};
  boost::asio::ip::tcp::acceptor acceptor_{control_};
  boost::asio::steady_timer accept_pause_{control_};
  boost::asio::steady_timer housekeeping_timer_{control_};
  std::uint64_t housekeeping_rounds_ = 0;  // control thread
  std::thread control_thread_;
  std::uint16_t api_port_ = 0;
  std::size_t next_shard_ = 0;
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopped_{false};
  std::mutex reload_mutex_;
};

}  // namespace speerd::server
