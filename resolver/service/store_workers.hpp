// The store threads: a small pool, each thread with its own Store
// connection, that runs the SED store reads the shards' event loops need
// (issue 12). A shard's loop only posts a read and receives its answer: the
// answer (or a timeout error at the deadline, `[store] timeout_ms`) comes
// back on the caller's executor exactly once, so a store that hangs (a
// lock, a failover, a network stall) never stalls a loop.
//
// Reconnection: a thread whose store read failed drops its connection and
// opens a new one for its next read; while opening fails, it retries no
// sooner than its backoff (doubling from backoff_min up to backoff_max) and
// answers the reads in between at once with an `unavailable` error.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "enum/expected.hpp"
#include "resolver/pipeline/store_access.hpp"

namespace speerd::store {
class Store;
}

namespace speerd::service {

struct StoreWorkerSettings {
  std::size_t threads = 2;
  std::chrono::milliseconds timeout{250};  // deadline of one read, queueing included
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{5000};
  std::size_t max_queue = 4096;  // reads waiting beyond it are refused (overload)
};

class StoreWorkers {
 public:
  using Clock = std::chrono::steady_clock;
  using Opener = std::function<Expected<std::unique_ptr<store::Store>>()>;
  template <typename T>
  using Job = std::function<Expected<T>(store::Store&)>;

  StoreWorkers(Opener open, StoreWorkerSettings settings);
  ~StoreWorkers();
  StoreWorkers(const StoreWorkers&) = delete;
  StoreWorkers& operator=(const StoreWorkers&) = delete;

  // Joins the threads; reads still queued are dropped unanswered. Call it
  // before the executors that reads answer on go away.
  void stop();

  const StoreWorkerSettings& settings() const { return settings_; }

  // Runs job(store) on a store thread; done(answer) runs on `ex`, once.
  template <typename T>
  void run(boost::asio::any_io_executor ex, Job<T> job, pipeline::StoreAccess::Done<T> done);

 private:
  // A queued read: its deadline and the type-erased call. `store` is null
  // when the read is answered without the store (`refused` says why); the
  // call returns false when the store itself failed.
  struct Work {
    Clock::time_point deadline;
    std::function<bool(store::Store* store, const pipeline::StoreError* refused)> call;
  };
  bool enqueue(Work w);
  void loop();

  Opener open_;
  StoreWorkerSettings settings_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Work> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

template <typename T>
void StoreWorkers::run(boost::asio::any_io_executor ex, Job<T> job,
                       pipeline::StoreAccess::Done<T> done) {
  using Answer = pipeline::StoreAnswer<T>;
  // Lives on `ex`: the timer and whichever of (answer, deadline) comes first.
  struct Call {
    Call(const boost::asio::any_io_executor& e, pipeline::StoreAccess::Done<T> d)
        : timer(e), done(std::move(d)) {}
    boost::asio::steady_timer timer;
    pipeline::StoreAccess::Done<T> done;
    bool finished = false;
    void deliver(Answer a) {
      if (finished) return;
      finished = true;
      timer.cancel();
      auto d = std::move(done);
      d(std::move(a));
    }
  };
  auto call = std::make_shared<Call>(ex, std::move(done));
  const auto timeout = settings_.timeout;
  call->timer.expires_after(timeout);
  call->timer.async_wait([call, timeout](const boost::system::error_code& ec) {
    if (ec) return;
    call->deliver(unexpected(pipeline::StoreError{pipeline::StoreFailure::timeout,
                                                  "the SED store did not answer within " +
                                                      std::to_string(timeout.count()) +
                                                      " ms ([store] timeout_ms)"}));
  });
  Work w;
  w.deadline = Clock::now() + timeout;
  w.call = [ex, call, job = std::move(job)](store::Store* s,
                                            const pipeline::StoreError* refused) -> bool {
    bool ok = true;
    std::optional<Answer> a;
    if (s == nullptr) {
      a.emplace(unexpected(*refused));
    } else {
      auto r = job(*s);
      if (r) {
        a.emplace(std::move(*r));
      } else {
        ok = false;
        a.emplace(unexpected(pipeline::StoreError{pipeline::StoreFailure::error, r.error()}));
      }
    }
    boost::asio::post(ex, [call, a = std::move(*a)]() mutable { call->deliver(std::move(a)); });
    return ok;
  };
  if (!enqueue(std::move(w))) {
    boost::asio::post(ex, [call, n = settings_.max_queue] {
      call->deliver(unexpected(pipeline::StoreError{
          pipeline::StoreFailure::overload,
          "the SED store is overloaded: " + std::to_string(n) + " reads already wait for it"}));
    });
  }
}

// The pipeline's StoreAccess on the pool, for one event loop: answers come
// back on `ex`; `observe` (optional) sees each read's latency and failure
// kind there too (the shard's store metrics).
class PooledStoreAccess final : public pipeline::StoreAccess {
 public:
  using Observer =
      std::function<void(std::chrono::nanoseconds, std::optional<pipeline::StoreFailure>)>;
  PooledStoreAccess(StoreWorkers& workers, boost::asio::any_io_executor ex, Observer observe = {})
      : workers_(workers), ex_(std::move(ex)), observe_(std::move(observe)) {}

  void find_destination(std::string digits, store::ClientRef client,
                        Done<std::optional<store::Destination>> done) override;
  void find_routing_number(std::string digits, store::ClientRef client,
                           Done<std::optional<store::Destination>> done) override;
  void find_routes_to_host(std::string host, store::ClientRef client,
                           Done<std::vector<store::SedRecord>> done) override;

 private:
  template <typename T>
  Done<T> observed(Done<T> done);

  StoreWorkers& workers_;
  boost::asio::any_io_executor ex_;
  Observer observe_;
};

}  // namespace speerd::service
