#include "enum/substitution_cache.hpp"

#include <optional>

namespace speerd::luf {

SubstitutionCache::SubstitutionCache(std::size_t capacity)
    : capacity_(capacity == 0 ? 1 : capacity) {}

Expected<std::shared_ptr<const Substitution>> SubstitutionCache::get(std::string_view expression) {
  using Result = Expected<std::shared_ptr<const Substitution>>;
  std::optional<Result> cached = state_.with([&](State& s) -> std::optional<Result> {
    auto it = s.index.find(expression);
    if (it == s.index.end()) {
      ++s.stats.misses;
      return std::nullopt;
    }
    s.lru.splice(s.lru.begin(), s.lru, it->second);
    ++s.stats.hits;
    const Entry& e = *it->second;
    if (e.value) return Result(e.value);
    return Result(fail(e.error));
  });
  if (cached) return std::move(*cached);

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
    state_.with([&](State& s) {
      if (s.index.find(expression) == s.index.end()) {
        s.lru.push_front(std::move(entry));
        s.index.emplace(s.lru.front().expression, s.lru.begin());
        while (s.lru.size() > capacity_) {
          s.index.erase(s.lru.back().expression);
          s.lru.pop_back();
        }
      }
      s.stats.entries = s.lru.size();
    });
  }
  if (value) return value;
  return fail(error);
}

SubstitutionCache::Stats SubstitutionCache::stats() const {
  return state_.with([](const State& s) { return s.stats; });
}

}  // namespace speerd::luf
