#include "enum/substitution_cache.hpp"

namespace speerd::luf {

SubstitutionCache::SubstitutionCache(std::size_t capacity)
    : capacity_(capacity == 0 ? 1 : capacity) {}

Expected<std::shared_ptr<const Substitution>> SubstitutionCache::get(std::string_view expression) {
  {
    const std::lock_guard<std::mutex> lock(mu_);
    if (auto it = index_.find(expression); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      ++stats_.hits;
      const Entry& e = *it->second;
      if (e.value) return e.value;
      return fail(e.error);
    }
    ++stats_.misses;
  }

  // Parse outside the lock: RE2 compiles take microseconds. Two threads may parse the
  // same new expression at once; the second insert below is then dropped.
  Entry entry;
  entry.expression = std::string(expression);
  auto parsed = Substitution::parse(expression);
  if (parsed) {
    entry.value = std::make_shared<const Substitution>(std::move(*parsed));
  } else {
    entry.error = parsed.error();
  }
  auto value = entry.value;
  std::string error = entry.error;

  // Over-long expressions fail in constant time; caching them would only let a hostile
  // zone push useful entries out.
  if (expression.size() <= kMaxSubstitutionLength) {
    const std::lock_guard<std::mutex> lock(mu_);
    if (index_.find(expression) == index_.end()) {
      lru_.push_front(std::move(entry));
      index_.emplace(lru_.front().expression, lru_.begin());
      while (lru_.size() > capacity_) {
        index_.erase(lru_.back().expression);
        lru_.pop_back();
      }
    }
    stats_.entries = lru_.size();
  }
  if (value) return value;
  return fail(error);
}

SubstitutionCache::Stats SubstitutionCache::stats() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace speerd::luf
