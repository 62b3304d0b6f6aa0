// The pipeline's result cache: validated results only, LRU-bounded by entries
// and approximate bytes, TTL from the result (capped), bounded serve-stale.
//
// Not thread-safe: one cache per event-loop thread (see ARCHITECTURE.md).
// Time is injected so tests control expiry without sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "resolver/config/config.hpp"
#include "resolver/pipeline/cache_index.hpp"
#include "resolver/pipeline/result.hpp"

namespace speerd::pipeline {

class ResultCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  struct Hit {
    // A fresh hit's result has `cached` set and `ttl` = the seconds left; a
    // stale hit's keeps the TTL it was cached with.
    std::shared_ptr<const LookupResult> result;
    bool stale = false;
    std::uint32_t remaining_ttl = 0;  // seconds left before expiry (0 when stale)
  };

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t stale_hits = 0;
    std::uint64_t inserts = 0;
    std::uint64_t evictions = 0;
    std::uint64_t refused = 0;      // results that may not be cached (bogus, indeterminate)
    std::uint64_t invalidated = 0;  // entries dropped because a store change reached them
  };

  explicit ResultCache(config::CacheSettings settings, Clock clock = nullptr);

  // A fresh entry, or (allow_stale) one expired no longer ago than the stale
  // window. Fresh hits move the entry to the front of the LRU list. A hit
  // costs no copy of the result while its remaining TTL stays the same
  // second; when it changes, the result is updated in place if nobody holds
  // it any more, or else copied once (holders keep what they were given).
  std::optional<Hit> get(const std::string& key, bool allow_stale = false);

  // Caches `result` under `key` for min(result.ttl, cap) seconds, where cap is
  // max_ttl, or negative_max_ttl when `negative`. Returns false (and caches
  // nothing) for results that are not validated: bogus or indeterminate
  // outcomes, and anything with a zero TTL.
  bool put(const std::string& key, const LookupResult& result, bool negative);

  void erase(const std::string& key);
  // Drops every entry for which pred(key) is true (store changes).
  std::size_t erase_if(const std::function<bool(const std::string&)>& pred);
  // The same, asking the cached result too (a store change names the
  // destination group an answer matched). Counted in Stats::invalidated.
  std::size_t erase_if(const std::function<bool(const std::string&, const LookupResult&)>& pred);
  // The same for the entries the index queries `sels` yield (cache_index.hpp):
  // each is dropped when pred(key, result) is true; the others are not asked.
  // Counted in Stats::invalidated.
  std::size_t erase_selected(
      const std::vector<CacheSelect>& sels,
      const std::function<bool(const std::string&, const LookupResult&)>& pred);
  void clear();

  std::size_t size() const { return index_.size(); }
  std::size_t bytes() const { return bytes_; }
  const Stats& stats() const { return stats_; }
  const config::CacheSettings& settings() const { return settings_; }

  // Approximate memory held by one cached result (strings, vectors, overhead,
  // and its part of the index: CacheIndex::index_bytes).
  static std::size_t footprint(const std::string& key, const LookupResult& r);

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<LookupResult> result;  // handed out as const
    std::chrono::steady_clock::time_point expires;
    std::chrono::steady_clock::time_point stale_until;
    std::size_t bytes = 0;
    std::uint32_t ttl = 0;  // seconds it was cached for (age = ttl - seconds left)
    CacheIndex<std::list<Entry>::iterator>::Slot slot;
  };
  using List = std::list<Entry>;

  void remove(List::iterator it);
  void evict_to_fit();

  config::CacheSettings settings_;
  Clock clock_;
  List lru_;  // front: most recently used
  std::unordered_map<std::string, List::iterator> index_;
  // By number, rn, group and route answers: kept by put, remove (erase,
  // expiry, eviction, invalidation) and clear.
  CacheIndex<List::iterator> by_;
  std::size_t bytes_ = 0;
  Stats stats_;
};

// The cache key of a lookup: client scope, input and service.
std::string cache_key(const ClientScope& scope, std::string_view kind, std::string_view input,
                      std::string_view service);

}  // namespace speerd::pipeline
