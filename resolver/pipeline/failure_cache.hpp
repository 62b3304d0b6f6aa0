// The failure cache: bogus and indeterminate outcomes, kept per cache key
// (client scope, input, service) for a bounded time that grows while the
// failure persists (RFC 9520: resolution failures, DNSSEC validation
// failures among them, are cached for a bounded time; cf. Unbound's
// val-bogus-ttl). A repeated lookup of a failing name is then answered
// without DNS work: a flood of bogus lookups (RFC 6404 section 4) costs what
// a cached answer costs.
//
// The k-th failure in a row of one key (each within failure_max_ttl of the
// end of the one before) is kept for
//   min([cache] failure_min_ttl * 2^(k-1), [cache] failure_max_ttl)
// seconds. A result that is not a failure drops the key's entry (and its
// count). Entries are also dropped by drop_cache (every store change, and
// `speerctl cache flush`); a trust-anchor change builds new pipelines, and
// with them new caches. A cached failure is a reject: it never routes.
//
// Not thread-safe: one per pipeline (event loop). Time is injected.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "resolver/config/config.hpp"
#include "resolver/pipeline/cache_index.hpp"
#include "resolver/pipeline/result.hpp"

namespace speerd::pipeline {

struct FailureCacheStats {
  std::uint64_t entries = 0;   // keys held (live, or expired but keeping their count)
  std::uint64_t hits = 0;      // lookups answered from it
  std::uint64_t inserts = 0;   // failures stored
  std::uint64_t expiries = 0;  // entries found expired (the next lookup resolved again)
  std::uint64_t dropped = 0;   // entries dropped by a success, a flush or a store change
};

class FailureCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  FailureCache(config::CacheSettings settings, Clock clock);

  // Is `r` a failure this cache keeps (a reject that is bogus or
  // indeterminate, not bad input, not served stale)?
  static bool is_failure(const LookupResult& r);

  // The live failure for `key` (failure_cached set, age in seconds), or null.
  ResultPtr get(const std::string& key);
  // Stores a failure (is_failure(r)); the k-th in a row is kept longer.
  void put(const std::string& key, const LookupResult& r);
  // A result that is not a failure: the key starts over.
  void forget(const std::string& key);
  std::size_t erase_if(const std::function<bool(const std::string&)>& pred);
  // The same for the entries the index queries `sels` yield (cache_index.hpp;
  // entries are indexed by key only, as affects() asks them): each is dropped
  // when pred(key) is true, the others are not asked.
  std::size_t erase_selected(const std::vector<CacheSelect>& sels,
                             const std::function<bool(const std::string&)>& pred);
  void clear();

  FailureCacheStats stats() const;
  bool enabled() const {
    return settings_.failure_min_ttl > 0 && settings_.failure_max_entries > 0;
  }

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<LookupResult> result;
    std::chrono::steady_clock::time_point stored;
    std::chrono::steady_clock::time_point expires;
    std::uint32_t strikes = 0;  // failures in a row
    bool expiry_counted = false;
    CacheIndex<std::list<Entry>::iterator>::Slot slot;
  };
  using List = std::list<Entry>;
  void remove(List::iterator it);

  config::CacheSettings settings_;
  Clock clock_;
  List lru_;  // front: most recently stored or hit
  std::unordered_map<std::string, List::iterator> index_;
  // By number and route answers (no results: see erase_selected), kept by
  // put and remove. Its cost per entry: cache_index.hpp (~104 bytes for a
  // lookup of a number); the failure cache is bounded by entries only.
  CacheIndex<List::iterator> by_;
  FailureCacheStats stats_;
};

}  // namespace speerd::pipeline
