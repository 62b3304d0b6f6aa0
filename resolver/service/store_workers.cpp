#include "resolver/service/store_workers.hpp"

#include <algorithm>

#include "sed-store/store.hpp"

namespace speerd::service {

StoreWorkers::StoreWorkers(Opener open, StoreWorkerSettings settings)
    : open_(std::move(open)), settings_(settings) {
  settings_.threads = std::max<std::size_t>(1, settings_.threads);
  for (std::size_t i = 0; i < settings_.threads; ++i) threads_.emplace_back([this] { loop(); });
}

StoreWorkers::~StoreWorkers() {
  stop();
}

void StoreWorkers::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

bool StoreWorkers::enqueue(Work w) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || queue_.size() >= settings_.max_queue) return false;
    queue_.push_back(std::move(w));
  }
  wake_.notify_one();
  return true;
}

void StoreWorkers::loop() {
  std::unique_ptr<store::Store> store;
  auto backoff = settings_.backoff_min;
  Clock::time_point retry_at{};
  std::string down;  // why the last open failed
  for (;;) {
    Work w;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      w = std::move(queue_.front());
      queue_.pop_front();
    }
    const auto now = Clock::now();
    if (now >= w.deadline) {
      // Its caller has had its timeout already: do not add to the load.
      const pipeline::StoreError late{pipeline::StoreFailure::timeout,
                                      "waited past its deadline for a store thread"};
      w.call(nullptr, &late);
      continue;
    }
    if (!store) {
      if (now < retry_at) {
        const auto in =
            std::chrono::duration_cast<std::chrono::milliseconds>(retry_at - now).count();
        const pipeline::StoreError refused{pipeline::StoreFailure::unavailable,
                                           "the SED store is unreachable (reconnecting in " +
                                               std::to_string(in) + " ms): " + down};
        w.call(nullptr, &refused);
        continue;
      }
      auto s = open_();
      if (!s) {
        down = s.error();
        retry_at = Clock::now() + backoff;
        backoff = std::min(backoff * 2, settings_.backoff_max);
        const pipeline::StoreError refused{pipeline::StoreFailure::unavailable,
                                           "the SED store is unreachable: " + down};
        w.call(nullptr, &refused);
        continue;
      }
      store = std::move(*s);
      backoff = settings_.backoff_min;
    }
    // A failed read drops the connection: the next read opens a new one
    // (after a restart or a promotion, to whichever host answers now).
    if (!w.call(store.get(), nullptr)) store.reset();
  }
}

template <typename T>
pipeline::StoreAccess::Done<T> PooledStoreAccess::observed(Done<T> done) {
  if (!observe_) return done;
  return [observe = observe_, start = StoreWorkers::Clock::now(),
          done = std::move(done)](pipeline::StoreAnswer<T> a) {
    observe(StoreWorkers::Clock::now() - start,
            a ? std::nullopt : std::optional<pipeline::StoreFailure>(a.error().kind));
    done(std::move(a));
  };
}

void PooledStoreAccess::find_destination(std::string digits, store::ClientRef client,
                                         Done<std::optional<store::Destination>> done) {
  workers_.run<std::optional<store::Destination>>(
      ex_,
      [digits = std::move(digits), client](store::Store& s) {
        return s.find_destination(digits, client);
      },
      observed(std::move(done)));
}

void PooledStoreAccess::find_routing_number(std::string digits, store::ClientRef client,
                                            Done<std::optional<store::Destination>> done) {
  workers_.run<std::optional<store::Destination>>(
      ex_,
      [digits = std::move(digits), client](store::Store& s) {
        return s.find_routing_number(digits, client);
      },
      observed(std::move(done)));
}

void PooledStoreAccess::find_routes_to_host(std::string host, store::ClientRef client,
                                            Done<std::vector<store::SedRecord>> done) {
  workers_.run<std::vector<store::SedRecord>>(
      ex_,
      [host = std::move(host), client](store::Store& s) {
        return s.find_routes_to_host(host, client);
      },
      observed(std::move(done)));
}

}  // namespace speerd::service
