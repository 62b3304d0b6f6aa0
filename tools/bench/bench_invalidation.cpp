// Issue 12, item 4: the hit rate of a shard's result cache before and after
// a one-row store change, with N cached answers (default 1,000,000). The
// cache is the pipeline's ResultCache, filled with lookup answers for N
// numbers spread over 1000 destination groups; the change is one change log
// entry ("number" for one number, or one destination group), applied the
// way Pipeline::invalidate applies it: pipeline::invalidate_caches, through
// the caches' indexes (--mode indexed, the default), or as before the
// indexes, a scan of every entry asking pipeline::affects (--mode scan).
// invalidation_ms is the time of that one change on the shard's event loop
// (wall clock; invalidation_cpu_ms: the thread's CPU time, which leaves out
// time the machine did not run it). --repeat R: R more such changes (other
// numbers or groups), their mean and max.
// The failure cache is empty. For comparison: before issue 12 any write
// dropped the whole cache (hit rate 0 after). A benchmark, not a test.
//
//   bench_invalidation [--entries N] [--change number|destination_group]
//                      [--mode indexed|scan] [--repeat R]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "resolver/pipeline/cache.hpp"
#include "resolver/pipeline/failure_cache.hpp"
#include "resolver/pipeline/invalidation.hpp"

using namespace speerd::pipeline;

int main(int argc, char** argv) {
  CLI::App app("hit rate before/after a one-row store change (issue 12)");
  std::size_t entries = 1'000'000;
  std::string change = "number";
  app.add_option("--entries", entries, "cached answers")->capture_default_str();
  app.add_option("--change", change, "number | destination_group")
      ->check(CLI::IsMember({"number", "destination_group"}))
      ->capture_default_str();
  std::string mode = "indexed";
  app.add_option("--mode", mode, "indexed | scan")
      ->check(CLI::IsMember({"indexed", "scan"}))
      ->capture_default_str();
  std::size_t repeat = 0;
  app.add_option("--repeat", repeat,
                 "then as many more changes (other numbers, other groups): their mean and max")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  speerd::config::CacheSettings settings;
  settings.max_entries = entries + 1;
  settings.max_bytes = std::size_t{64} << 30;
  ResultCache cache(settings);
  FailureCache failures(settings, nullptr);
  ClientScope scope;
  scope.client_id = "bench";
  scope.trees = {"e164"};
  std::vector<std::string> keys;
  keys.reserve(entries);
  LookupResult r;
  r.verdict = speerd::model::Verdict::route;
  r.code = speerd::model::reason::kRouted;
  r.ttl = 3600;
  r.outcome = speerd::dns::Outcome::secure();
  r.uri = "sip:peer.example";
  for (std::size_t i = 0; i < entries; ++i) {
    const std::string number = "+1215" + std::to_string(1000000 + i);
    r.number = number;
    r.store.destination_group = "dg-" + std::to_string(i % 1000);
    keys.push_back(cache_key(scope, "lookup", number, "(default)"));
    cache.put(keys.back(), r, false);
  }
  auto hit_rate = [&] {
    std::size_t hits = 0;
    for (const auto& k : keys) hits += cache.get(k).has_value() ? 1 : 0;
    return static_cast<double>(hits) / static_cast<double>(keys.size());
  };
  const double before = hit_rate();
  // The one row: a number identifier (one cached answer), or a destination
  // group (1/1000 of them).
  const std::vector<Invalidation> inv = {change == "number"
                                             ? invalidation_of("number", "12151000042", "")
                                             : invalidation_of("destination_group", "dg-42", "")};
  const std::vector<std::string> suffixes = {"e164.example."};
  // One change's time on the event loop (wall clock, and this thread's CPU
  // time: on a loaded machine the wall clock includes time not run), and
  // what it dropped.
  struct Took {
    double wall_ms = 0, cpu_ms = 0;
  };
  const auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  };
  const auto apply = [&](const std::vector<Invalidation>& changes, std::size_t& dropped) {
    const double c0 = cpu_now();
    const auto t0 = std::chrono::steady_clock::now();
    dropped = mode == "indexed"
                  ? invalidate_caches(cache, failures, changes, suffixes)
                  : cache.erase_if([&](const std::string& key, const LookupResult& res) {
                      for (const auto& c : changes) {
                        if (affects(c, key, &res, suffixes)) return true;
                      }
                      return false;
                    });
    Took t;
    t.wall_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    t.cpu_ms = cpu_now() - c0;
    return t;
  };
  std::size_t dropped = 0;
  const Took took = apply(inv, dropped);
  const double after = hit_rate();
  const std::size_t held = cache.size() + dropped;
  Took sum, max;
  for (std::size_t j = 1; j <= repeat; ++j) {
    const auto more =
        change == "number"
            ? invalidation_of("number", "1215" + std::to_string(1000042 + j * 997), "")
            : invalidation_of("destination_group", "dg-" + std::to_string((42 + j) % 1000), "");
    std::size_t n = 0;
    const Took t = apply({more}, n);
    sum.wall_ms += t.wall_ms;
    sum.cpu_ms += t.cpu_ms;
    max.wall_ms = std::max(max.wall_ms, t.wall_ms);
    max.cpu_ms = std::max(max.cpu_ms, t.cpu_ms);
  }
  std::printf(
      "entries=%zu change=%s mode=%s hit_rate_before=%.6f hit_rate_after=%.6f dropped=%zu "
      "invalidation_ms=%.3f invalidation_cpu_ms=%.3f hit_rate_after_whole_cache_drop=0",
      held, change.c_str(), mode.c_str(), before, after, dropped, took.wall_ms, took.cpu_ms);
  if (repeat > 0) {
    const auto r = static_cast<double>(repeat);
    std::printf(
        " repeat=%zu repeat_mean_ms=%.3f repeat_max_ms=%.3f repeat_mean_cpu_ms=%.3f "
        "repeat_max_cpu_ms=%.3f",
        repeat, sum.wall_ms / r, max.wall_ms, sum.cpu_ms / r, max.cpu_ms);
  }
  std::printf("\n");
  return 0;
}
