// Response-rate limiting (resolver/dnsfront/rrl.hpp): the decision for each
// UDP answer, on a clock the test moves.
#include <catch2/catch.hpp>

#include "resolver/dnsfront/rrl.hpp"

using speerd::dnsfront::ResponseRateLimiter;
using speerd::dnsfront::RrlAction;
using speerd::dnsfront::RrlSettings;
using Clock = ResponseRateLimiter::Clock;
namespace ip = boost::asio::ip;

namespace {

struct Counts {
  int send = 0, slip = 0, drop = 0;
};

Counts burst(ResponseRateLimiter& l, const char* source, int n, Clock::time_point at) {
  Counts c;
  for (int i = 0; i < n; ++i) {
    switch (l.decide(ip::make_address(source), at)) {
      case RrlAction::send:
        ++c.send;
        break;
      case RrlAction::slip:
        ++c.slip;
        break;
      case RrlAction::drop:
        ++c.drop;
        break;
    }
  }
  return c;
}

}  // namespace

TEST_CASE("rrl: off (rate 0) sends every answer and keeps no state") {
  ResponseRateLimiter l(RrlSettings{});
  const auto c = burst(l, "192.0.2.1", 10000, Clock::now());
  CHECK(c.send == 10000);
  CHECK(l.prefixes() == 0);
}

TEST_CASE("rrl: beyond the rate, answers are dropped and every slip-th goes out truncated") {
  RrlSettings s;
  s.rate = 10;
  s.slip = 2;
  ResponseRateLimiter l(s);
  const auto t0 = Clock::now();
  const auto c = burst(l, "192.0.2.1", 30, t0);
  CHECK(c.send == 10);  // the bucket: one second's worth
  CHECK(c.slip == 10);  // every second answer over the rate
  CHECK(c.drop == 10);
  // Half a second refills half the bucket.
  const auto later = burst(l, "192.0.2.1", 10, t0 + std::chrono::milliseconds(500));
  CHECK(later.send == 5);
  CHECK(later.send + later.slip + later.drop == 10);
}

TEST_CASE("rrl: slip 0 never sends a truncated answer, slip 1 always does") {
  for (std::uint32_t slip : {0u, 1u}) {
    RrlSettings s;
    s.rate = 5;
    s.slip = slip;
    ResponseRateLimiter l(s);
    const auto c = burst(l, "2001:db8::1", 25, Clock::now());
    INFO("slip " << slip);
    CHECK(c.send == 5);
    CHECK(c.slip == (slip == 1 ? 20 : 0));
    CHECK(c.drop == (slip == 1 ? 0 : 20));
  }
}

TEST_CASE("rrl: a prefix shares one budget, another prefix has its own") {
  RrlSettings s;
  s.rate = 4;
  ResponseRateLimiter l(s);
  const auto t = Clock::now();
  CHECK(burst(l, "198.51.100.1", 4, t).send == 4);
  CHECK(burst(l, "198.51.100.200", 4, t).send == 0);       // same /24
  CHECK(burst(l, "198.51.101.1", 4, t).send == 4);         // the next /24
  CHECK(burst(l, "::ffff:198.51.100.7", 1, t).send == 0);  // the same IPv4 source, mapped
  // IPv6 /56: 2001:db8:0:ff00::/56 holds both; 2001:db8:0:100:: is another.
  CHECK(burst(l, "2001:db8:0:ff01::1", 4, t).send == 4);
  CHECK(burst(l, "2001:db8:0:ffaa::9", 1, t).send == 0);
  CHECK(burst(l, "2001:db8:0:100::1", 1, t).send == 1);
  CHECK(l.prefixes() == 4);
}

TEST_CASE("rrl: a full table limits newcomers together instead of forgetting the busy prefixes") {
  RrlSettings s;
  s.rate = 2;
  s.max_prefixes = 3;
  ResponseRateLimiter l(s);
  const auto t = Clock::now();
  // The victim's prefix spends its budget.
  CHECK(burst(l, "203.0.113.1", 2, t).send == 2);
  CHECK(burst(l, "203.0.113.1", 1, t).send == 0);
  // Forged sources fill the table, then share one bucket of 2.
  int sent = 0;
  for (int i = 0; i < 50; ++i) {
    const std::string src = "10." + std::to_string(i) + ".0.1";
    sent += burst(l, src.c_str(), 1, t).send;
  }
  CHECK(l.prefixes() == 3);
  CHECK(sent == 2 + 2);    // two prefixes fit the table; the rest shared one bucket
  CHECK(l.sweeps() == 1);  // 48 newcomers to a full table, one scan of it
  // The victim's prefix was not forgotten: still over its rate.
  CHECK(burst(l, "203.0.113.1", 1, t).send == 0);
  // A second later every bucket has refilled: the sweep makes room again.
  const auto later = t + std::chrono::seconds(1);
  CHECK(burst(l, "10.200.0.1", 1, later).send == 1);
  CHECK(l.sweeps() == 2);
  CHECK(burst(l, "203.0.113.1", 2, later).send == 2);
}
