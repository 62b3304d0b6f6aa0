#include "resolver/service/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace speerd::service {

Guarded<RateLimiter::Map>& RateLimiter::stripe(const std::string& client) {
  return stripes_[std::hash<std::string>{}(client) % kStripes];
}

RateLimiter::Decision RateLimiter::acquire(const std::string& client, RateLimit limit,
                                           std::int64_t tokens, Clock::time_point now) {
  limit.per_second = std::max<std::int64_t>(limit.per_second, 1);
  limit.burst = std::max<std::int64_t>(limit.burst, 1);
  if (tokens > limit.burst) {
    Decision refused;
    refused.allowed = false;
    refused.over_burst = true;
    refused.retry_after = std::chrono::seconds(1);
    return refused;
  }
  const double need = static_cast<double>(std::max<std::int64_t>(tokens, 1));
  return stripe(client).with([&](Map& m) {
    auto [it, fresh] = m.try_emplace(client);
    Bucket& b = it->second;
    if (fresh) {
      b.tokens = static_cast<double>(limit.burst);
      b.last = now;
    } else if (now > b.last) {
      const double elapsed = std::chrono::duration<double>(now - b.last).count();
      b.tokens += elapsed * static_cast<double>(limit.per_second);
      b.last = now;
    }
    b.limit = limit;
    b.tokens = std::min(b.tokens, static_cast<double>(limit.burst));
    Decision d;
    if (b.tokens >= need) {
      b.tokens -= need;
      return d;
    }
    d.allowed = false;
    const double wait = (need - b.tokens) / static_cast<double>(limit.per_second);
    d.retry_after = std::chrono::seconds(std::max<std::int64_t>(1, std::llround(std::ceil(wait))));
    return d;
  });
}

void RateLimiter::forget_idle(Clock::time_point now, std::chrono::seconds idle) {
  for (auto& s : stripes_) {
    s.with([&](Map& m) {
      std::erase_if(m, [&](const auto& kv) {
        const Bucket& b = kv.second;
        const double elapsed = std::chrono::duration<double>(now - b.last).count();
        const bool full = b.tokens + elapsed * static_cast<double>(b.limit.per_second) >=
                          static_cast<double>(b.limit.burst);
        return full && now - b.last >= idle;
      });
    });
  }
}

std::size_t RateLimiter::size() {
  std::size_t n = 0;
  for (auto& s : stripes_) n += s.with([](Map& m) { return m.size(); });
  return n;
}

}  // namespace speerd::service
