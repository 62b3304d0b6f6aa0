// The node's link to the SED store outside the event loops (issue 12): one
// thread, with its own Store connection, that polls the store's change
// counter every `interval` and, when it moved (or nothing is loaded yet),
// reloads the client snapshot and the active trust anchors and reports the
// change. A store that is down leaves the last snapshot serving; the thread
// reconnects with capped backoff (backoff_min doubling to backoff_max) and
// reloads as soon as the store answers again, so a client added during an
// outage appears when the store returns.
//
// Staleness: a change committed to the store is in effect on this node at
// most one interval plus one load after the commit (tools/bench/store-resilience
// measures it).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "enum/expected.hpp"
#include "resolver/service/client_snapshot.hpp"
#include "sed-store/store.hpp"

namespace speerd::service {

struct StoreWatcherSettings {
  // Change log rows read per poll; more than that is a bulk change (the
  // caches start over).
  static constexpr std::size_t kChangeLogLimit = 5000;
  std::chrono::milliseconds interval{500};
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{5000};
  std::map<std::string, std::string> tree_names;  // tree suffix -> tree name
};

// What the store said at a poll whose counter moved (or the first one).
struct StoreChange {
  std::uint64_t counter = 0;
  std::uint64_t previous = 0;        // the counter before (0 at the first load)
  bool first = false;                // the first load since the node started
  std::vector<std::string> anchors;  // active trust anchors (presentation format)
  // What the writes in (previous, counter] touched (the store's change
  // log); `complete` false: the log does not cover them all (a gap, a
  // bulk write, a store without a log), so assume everything changed.
  std::vector<store::ChangeLogEntry> changes;
  bool complete = false;
};

// The link's state, for /readyz and /metrics.
struct StoreHealth {
  bool up = false;                                  // the last poll reached the store
  bool loaded = false;                              // a snapshot has been loaded since start
  std::string problem;                              // why not up ("" when up)
  std::chrono::steady_clock::time_point last_ok{};  // the last poll that reached the store
  std::uint64_t counter = 0;
  std::uint64_t failures = 0;    // polls that failed
  std::uint64_t reconnects = 0;  // connections opened after the first
  std::uint64_t loads = 0;       // snapshots loaded
};

class StoreWatcher {
 public:
  using Clock = std::chrono::steady_clock;
  using Opener = std::function<Expected<std::unique_ptr<store::Store>>()>;
  // Runs on the watcher's thread (post it to where it belongs).
  using OnChange = std::function<void(StoreChange)>;

  StoreWatcher(Opener open, StoreWatcherSettings settings, std::shared_ptr<ClientSnapshot> snapshot,
               OnChange on_change);
  ~StoreWatcher();
  StoreWatcher(const StoreWatcher&) = delete;
  StoreWatcher& operator=(const StoreWatcher&) = delete;

  // One poll on the caller's thread (the daemon's start, before the
  // thread): true when the store answered.
  bool poll_now();
  void start();  // polls every interval on its own thread until stop()
  void stop();

  // A reload changed the configured trees: the next poll rebuilds the table.
  void set_tree_names(std::map<std::string, std::string> names);
  StoreHealth health() const;
  const std::shared_ptr<ClientSnapshot>& snapshot() const { return snapshot_; }

 private:
  bool poll();  // watcher thread (or poll_now before start)
  void failed(const std::string& why);

  Opener open_;
  StoreWatcherSettings settings_;
  std::shared_ptr<ClientSnapshot> snapshot_;
  OnChange on_change_;

  // Only the polling thread touches these.
  std::unique_ptr<store::Store> store_;
  bool opened_once_ = false;
  std::chrono::milliseconds backoff_;
  Clock::time_point retry_at_{};

  mutable std::mutex mutex_;  // guards what follows
  std::condition_variable wake_;
  bool stopping_ = false;
  bool trees_changed_ = false;
  StoreHealth health_;
  std::thread thread_;
};

}  // namespace speerd::service
