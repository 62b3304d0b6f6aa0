#include "resolver/pipeline/failure_cache.hpp"

#include <algorithm>

namespace speerd::pipeline {

using model::Verdict;
namespace reason = model::reason;

FailureCache::FailureCache(config::CacheSettings settings, Clock clock)
    : settings_(settings), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

bool FailureCache::is_failure(const LookupResult& r) {
  const auto s = r.outcome.state;
  return r.verdict == Verdict::reject && !r.stale && r.code != reason::kBadInput &&
         r.code != reason::kBadNumber &&
         (s == dns::Security::bogus || s == dns::Security::indeterminate);
}

ResultPtr FailureCache::get(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  Entry& e = *it->second;
  const auto now = clock_();
  if (now >= e.expires) {
    if (!e.expiry_counted) {
      e.expiry_counted = true;
      ++stats_.expiries;
    }
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  ++stats_.hits;
  const auto age = static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(now - e.stored).count());
  const auto left = static_cast<std::uint32_t>(std::max<long long>(
      1, std::chrono::duration_cast<std::chrono::seconds>(e.expires - now).count()));
  if (e.result->age != age || e.result->ttl != left) {
    // Holders keep what they were given (results are immutable once out).
    if (e.result.use_count() != 1) e.result = std::make_shared<LookupResult>(*e.result);
    e.result->age = age;
    e.result->ttl = left;
  }
  return e.result;
}

void FailureCache::put(const std::string& key, const LookupResult& r) {
  if (!enabled() || !is_failure(r)) return;
  const auto now = clock_();
  std::uint32_t strikes = 1;
  if (auto it = index_.find(key); it != index_.end()) {
    // The failure persists when it comes back within failure_max_ttl of the
    // last one's end; a failure long after starts over.
    const auto persisting = it->second->expires + std::chrono::seconds(settings_.failure_max_ttl);
    if (now < persisting) strikes = it->second->strikes + 1;
    remove(it->second);
  }
  // min_ttl * 2^(strikes-1), capped (the shift is bounded before it overflows).
  const std::uint64_t grown = std::uint64_t{settings_.failure_min_ttl}
                              << std::min<std::uint32_t>(strikes - 1, 20);
  const auto ttl = static_cast<std::uint32_t>(std::min<std::uint64_t>(
      grown, std::max(settings_.failure_max_ttl, settings_.failure_min_ttl)));
  Entry e;
  e.key = key;
  auto stored = std::make_shared<LookupResult>(r);
  stored->failure_cached = true;
  stored->cached = true;
  stored->ttl = ttl;
  stored->age = 0;
  stored->notes.clear();
  stored->notes.shrink_to_fit();
  e.result = std::move(stored);
  e.stored = now;
  e.expires = now + std::chrono::seconds(ttl);
  e.strikes = strikes;
  lru_.push_front(std::move(e));
  index_.emplace(key, lru_.begin());
  by_.add(lru_.begin(), lru_.front().key, nullptr, lru_.front().slot);
  ++stats_.inserts;
  while (index_.size() > settings_.failure_max_entries) {
    remove(std::prev(lru_.end()));
    ++stats_.dropped;
  }
}

void FailureCache::forget(const std::string& key) {
  if (auto it = index_.find(key); it != index_.end()) {
    remove(it->second);
    ++stats_.dropped;
  }
}

std::size_t FailureCache::erase_if(const std::function<bool(const std::string&)>& pred) {
  std::size_t n = 0;
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (!pred || pred(it->key)) {
      remove(it);
      ++n;
    }
    it = next;
  }
  stats_.dropped += n;
  return n;
}

std::size_t FailureCache::erase_selected(const std::vector<CacheSelect>& sels,
                                         const std::function<bool(const std::string&)>& pred) {
  std::size_t n = 0;
  for (const auto it : by_.candidates(sels)) {
    if (pred(it->key)) {
      remove(it);
      ++n;
    }
  }
  stats_.dropped += n;
  return n;
}

void FailureCache::clear() {
  erase_if(nullptr);
}

FailureCacheStats FailureCache::stats() const {
  FailureCacheStats s = stats_;
  s.entries = index_.size();
  return s;
}

void FailureCache::remove(List::iterator it) {
  by_.remove(it->slot);
  index_.erase(it->key);
  lru_.erase(it);
}

}  // namespace speerd::pipeline
