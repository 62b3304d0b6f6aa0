// Per-client token buckets (RFC 6404 4.9), shared by all shards: a client's
// connections may land on different shards but draw from one bucket.
// Time is passed in, so tests need no clock.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "enum/guarded.hpp"
#include "resolver/service/client_directory.hpp"

namespace speerd::service {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  struct Decision {
    bool allowed = true;
    std::chrono::seconds retry_after{0};  // when refused: whole seconds, at least 1
    bool over_burst = false;  // refused because `tokens` exceeds the burst: never passes
  };

  // Takes `tokens` from `client`'s bucket (refilled at limit.per_second up to
  // limit.burst): one token per looked-up number. A request for more tokens
  // than the burst can never pass and is refused (over_burst) without
  // touching the bucket.
  Decision acquire(const std::string& client, RateLimit limit, std::int64_t tokens,
                   Clock::time_point now);

  // Drops buckets that have been full for `idle` (they carry no state).
  void forget_idle(Clock::time_point now, std::chrono::seconds idle);

  std::size_t size();

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point last;
    RateLimit limit;
  };
  using Map = std::unordered_map<std::string, Bucket>;
  static constexpr std::size_t kStripes = 16;  // lock stripes: shards rarely contend
  Guarded<Map>& stripe(const std::string& client);
  std::array<Guarded<Map>, kStripes> stripes_;
};

}  // namespace speerd::service
