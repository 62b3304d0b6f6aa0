// The per-client rate limiter (resolver/service/rate_limiter.hpp), with
// injected time.
#include <catch2/catch.hpp>

#include "resolver/service/rate_limiter.hpp"

using namespace speerd::service;
using namespace std::chrono_literals;

TEST_CASE("rate limiter: burst, refill, Retry-After, one bucket per client") {
  RateLimiter rl;
  const auto t0 = RateLimiter::Clock::time_point{} + 1000s;
  const RateLimit limit{10, 5};
  for (int i = 0; i < 5; ++i) CHECK(rl.acquire("a", limit, 1, t0).allowed);
  auto d = rl.acquire("a", limit, 1, t0);
  CHECK_FALSE(d.allowed);
  CHECK(d.retry_after == 1s);
  CHECK(rl.acquire("b", limit, 1, t0).allowed);          // another client
  CHECK(rl.acquire("a", limit, 1, t0 + 100ms).allowed);  // one token back after 0.1 s
  CHECK_FALSE(rl.acquire("a", limit, 1, t0 + 100ms).allowed);
  CHECK(rl.acquire("a", limit, 5, t0 + 10s).allowed);  // refilled to the burst, not beyond
  CHECK_FALSE(rl.acquire("a", limit, 1, t0 + 10s).allowed);
  // More than the burst never passes, and is not charged.
  const auto big = rl.acquire("c", limit, 50, t0);
  CHECK_FALSE(big.allowed);
  CHECK(big.over_burst);
  CHECK(rl.acquire("c", limit, 5, t0).allowed);  // the bucket was left full
  // A slow rate gives a longer Retry-After.
  const RateLimit slow{1, 1};
  CHECK(rl.acquire("d", slow, 1, t0).allowed);
  CHECK(rl.acquire("d", slow, 1, t0).retry_after == 1s);
  // Full buckets are forgotten.
  CHECK(rl.size() == 4);
  rl.forget_idle(t0 + 1h, 60s);
  CHECK(rl.size() == 0);
}
