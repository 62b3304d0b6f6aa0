// One shard: an event-loop thread with its own io_context, its own pipeline
// instance (LookupService, with its cache), its own client directory (store
// handle) and its own metrics, hosting the front ends that answer clients
// from that pipeline (front_end.hpp: the HTTP API today, DNS next). Sessions
// live on one shard for their whole life; nothing on the request path is
// shared with other shards except the rate limiter's buckets and the TLS
// context.
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>

#include "resolver/pipeline/result.hpp"
#include "resolver/service/client_directory.hpp"
#include "resolver/service/front_end.hpp"
#include "resolver/service/metrics.hpp"
#include "resolver/service/rate_limiter.hpp"
#include "resolver/service/settings.hpp"

namespace speerd::service {

// What a reload swaps as a whole: the configuration and the TLS context
// built from it. New connections take the current one; established
// connections keep the TLS context they were accepted with.
struct Generation {
  std::uint64_t number = 0;
  std::shared_ptr<const ServerConfig> config;
  std::shared_ptr<boost::asio::ssl::context> tls;      // the HTTP API's
  std::shared_ptr<boost::asio::ssl::context> dot_tls;  // DNS over TLS's; null when not served
};

class Shard {
 public:
  Shard(std::size_t index, RateLimiter& limiter);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  std::size_t index() const { return index_; }
  boost::asio::io_context& io() { return *io_; }
  void start();          // runs the event loop on a new thread
  void stop_and_join();  // stops the loop; pending handlers are dropped

  // Runs f on the shard's thread and waits for its result. Not from the
  // shard's own thread.
  template <typename F>
  auto call(F f) -> std::invoke_result_t<F> {
    using R = std::invoke_result_t<F>;
    std::packaged_task<R()> task(std::move(f));
    auto fut = task.get_future();
    boost::asio::post(*io_, [&task] { task(); });
    return fut.get();
  }

  // --- shard thread only ------------------------------------------------
  // Front ends are added before the first set_service().
  void add_front_end(std::unique_ptr<FrontEnd> f) { front_ends_.push_back(std::move(f)); }
  // Switches to `g`; each front end closes the sessions whose client
  // certificate g's CRLs revoke.
  void set_generation(std::shared_ptr<const Generation> g);
  void set_service(std::shared_ptr<pipeline::LookupService> s);  // starts every front end on it
  void set_directory(std::unique_ptr<ClientDirectory> d) { directory_ = std::move(d); }
  void drain();      // every front end: idle sessions close now, busy ones after their answer
  void abort_all();  // every front end: every session closes now

  const Generation& generation() const { return *generation_; }
  ClientDirectory& directory() { return *directory_; }
  RateLimiter& limiter() { return limiter_; }
  Metrics& metrics() { return metrics_; }
  bool draining() const { return draining_; }
  // A front end's session (an HTTP connection, a DNS TCP session) opened or
  // closed; a session handed over by the acceptor was adopted.
  void session_opened();
  void session_closed();
  void adopted() { incoming_.fetch_sub(1, std::memory_order_relaxed); }

  // --- any thread -------------------------------------------------------
  std::int64_t open_connections() const { return open_.load(std::memory_order_relaxed); }
  // Open connections plus those handed over but not yet adopted: what the
  // acceptor balances on.
  std::int64_t load() const {
    return open_connections() + incoming_.load(std::memory_order_relaxed);
  }
  void note_incoming() { incoming_.fetch_add(1, std::memory_order_relaxed); }
  const Metrics& metrics() const { return metrics_; }

 private:
  std::size_t index_;
  RateLimiter& limiter_;
  Metrics metrics_;
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::shared_ptr<const Generation> generation_;
  std::unique_ptr<ClientDirectory> directory_;
  std::vector<std::unique_ptr<FrontEnd>> front_ends_;
  std::atomic<std::int64_t> open_{0};
  std::atomic<std::int64_t> incoming_{0};
  bool draining_ = false;
};

}  // namespace speerd::service
