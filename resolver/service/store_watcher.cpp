#include "resolver/service/store_watcher.hpp"

#include <algorithm>

#include "resolver/service/log.hpp"
#include "sed-store/store.hpp"

namespace speerd::service {

StoreWatcher::StoreWatcher(Opener open, StoreWatcherSettings settings,
                           std::shared_ptr<ClientSnapshot> snapshot, OnChange on_change)
    : open_(std::move(open)),
      settings_(std::move(settings)),
      snapshot_(std::move(snapshot)),
      on_change_(std::move(on_change)),
      backoff_(settings_.backoff_min) {}

StoreWatcher::~StoreWatcher() {
  stop();
}

bool StoreWatcher::poll_now() {
  return poll();
}

void StoreWatcher::start() {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      const bool ok = poll();
      lock.lock();
      // Down: the next try waits out the backoff, never less than the interval.
      auto wait = settings_.interval;
      if (!ok)
        wait = std::max(
            wait, std::chrono::duration_cast<std::chrono::milliseconds>(retry_at_ - Clock::now()));
      wake_.wait_for(lock, wait, [this] { return stopping_; });
    }
  });
}

void StoreWatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StoreWatcher::set_tree_names(std::map<std::string, std::string> names) {
  std::lock_guard<std::mutex> lock(mutex_);
  settings_.tree_names = std::move(names);
  trees_changed_ = true;
}

StoreHealth StoreWatcher::health() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return health_;
}

void StoreWatcher::failed(const std::string& why) {
  store_.reset();
  retry_at_ = Clock::now() + backoff_;
  backoff_ = std::min(backoff_ * 2, settings_.backoff_max);
  bool was_up = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    was_up = health_.up || health_.failures == 0;
    health_.up = false;
    health_.problem = why;
    ++health_.failures;
  }
  snapshot_->set_problem(why);
  if (was_up) {
    log::event(spdlog::level::err, "store-down",
               {{"error", why},
                {"snapshot", snapshot_->current() ? "serving the last one" : "none loaded"}});
  }
}

bool StoreWatcher::poll() {
  if (!store_) {
    if (Clock::now() < retry_at_) return false;
    auto s = open_();
    if (!s) {
      failed(s.error());
      return false;
    }
    store_ = std::move(*s);
    std::lock_guard<std::mutex> lock(mutex_);
    if (opened_once_) ++health_.reconnects;
    opened_once_ = true;
  }
  auto counter = store_->change_counter();
  if (!counter) {
    failed(counter.error());
    return false;
  }
  std::map<std::string, std::string> trees;
  bool trees_changed = false;
  bool loaded = false;
  std::uint64_t known = 0;
  bool was_down = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    trees = settings_.tree_names;
    trees_changed = trees_changed_;
    loaded = health_.loaded;
    known = health_.counter;
    was_down = !health_.up && health_.failures > 0;
  }
  if (!loaded || trees_changed || *counter != known) {
    auto clients = store_->list_clients();
    if (!clients) {
      failed("listing clients: " + clients.error().message);
      return false;
    }
    auto anchors = store_->trust_anchors();
    if (!anchors) {
      failed("trust anchors: " + anchors.error());
      return false;
    }
    snapshot_->publish(std::make_shared<const ClientTable>(std::move(*clients), trees, *counter));
    StoreChange change;
    change.counter = *counter;
    change.previous = loaded ? known : 0;
    change.first = !loaded;
    for (const auto& a : *anchors) change.anchors.push_back(a.rr);
    if (loaded && *counter > known) {
      // What changed, from the change log: complete when every counter in
      // (known, counter] has its rows and the limit was not reached.
      auto log = store_->changes_since(known, StoreWatcherSettings::kChangeLogLimit);
      if (log && log->size() < StoreWatcherSettings::kChangeLogLimit) {
        std::uint64_t seen = 0;
        std::uint64_t expect = known + 1;
        bool gap = false;
        // Rows of writes after the counter read belong to the next poll.
        std::erase_if(*log,
                      [&](const store::ChangeLogEntry& e) { return e.change_counter > *counter; });
        for (const auto& e : *log) {
          if (e.change_counter != seen) {
            gap = gap || e.change_counter != expect;
            seen = e.change_counter;
            expect = seen + 1;
          }
        }
        change.complete = !gap && seen == *counter;
        if (change.complete) change.changes = std::move(*log);
      }
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      health_.loaded = true;
      health_.counter = *counter;
      if (trees == settings_.tree_names) trees_changed_ = false;
      ++health_.loads;
    }
    if (on_change_) on_change_(std::move(change));
  }
  backoff_ = settings_.backoff_min;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    health_.up = true;
    health_.problem.clear();
    health_.last_ok = Clock::now();
  }
  snapshot_->set_problem({});
  if (was_down) log::event(spdlog::level::info, "store-up", {{"counter", *counter}});
  return true;
}

}  // namespace speerd::service
