#include <catch2/catch.hpp>

#include "resolver/pipeline/cache.hpp"

using namespace speerd;
using namespace speerd::pipeline;
using namespace speerd::model;
using namespace std::chrono_literals;

namespace {

struct FakeClock {
  std::chrono::steady_clock::time_point now{std::chrono::seconds(1000)};
  ResultCache::Clock fn() {
    return [this] { return now; };
  }
};

LookupResult result(std::uint32_t ttl, dns::Outcome o = dns::Outcome::secure(),
                    std::string uri = "sip:a@b.example") {
  LookupResult r;
  r.verdict = Verdict::route;
  r.code = reason::kRouted;
  r.uri = std::move(uri);
  r.ttl = ttl;
  r.outcome = std::move(o);
  return r;
}

config::CacheSettings settings() {
  config::CacheSettings s;
  s.max_entries = 100;
  s.max_bytes = 1 << 20;
  s.max_ttl = 600;
  s.negative_max_ttl = 60;
  s.stale_window = 30;
  return s;
}

}  // namespace

TEST_CASE("cache: an entry lives for its TTL, then expires") {
  FakeClock clk;
  ResultCache c(settings(), clk.fn());
  REQUIRE(c.put("k", result(100), false));
  auto h = c.get("k");
  REQUIRE(h);
  CHECK_FALSE(h->stale);
  CHECK(h->result->cached);
  CHECK(h->remaining_ttl == 100);
  clk.now += 99s;
  CHECK(c.get("k"));
  clk.now += 1s;
  CHECK_FALSE(c.get("k"));
}

TEST_CASE("cache: a hit is the cached result itself, its TTL counting down, holders keep theirs") {
  FakeClock clk;
  ResultCache c(settings(), clk.fn());
  REQUIRE(c.put("k", result(100), false));
  auto first = c.get("k");
  auto second = c.get("k");
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->result == second->result);  // no copy within the same second
  CHECK(first->result->ttl == 100);
  CHECK(first->result->uri == "sip:a@b.example");

  clk.now += 30s;
  auto later = c.get("k");
  REQUIRE(later);
  CHECK(later->result->ttl == 70);
  CHECK(later->result->uri == "sip:a@b.example");
  CHECK(first->result->ttl == 100);  // held by first and second: copied, not changed
  CHECK(later->result != first->result);

  // Nobody holds the result any more: updated in place.
  const LookupResult* before = later->result.get();
  first.reset();
  second.reset();
  later.reset();
  clk.now += 10s;
  auto again = c.get("k");
  REQUIRE(again);
  CHECK(again->result.get() == before);
  CHECK(again->result->ttl == 60);
}

TEST_CASE("cache: TTLs are capped, negative answers by their own cap") {
  FakeClock clk;
  ResultCache c(settings(), clk.fn());
  REQUIRE(c.put("pos", result(86400), false));
  REQUIRE(c.put("neg", result(3600), true));
  clk.now += 61s;
  CHECK_FALSE(c.get("neg"));
  CHECK(c.get("pos"));
  clk.now += 540s;
  CHECK_FALSE(c.get("pos"));
}

TEST_CASE("cache: bogus and indeterminate results are never cached") {
  ResultCache c(settings());
  CHECK_FALSE(c.put("b", result(100, dns::Outcome::bogus("tampered")), false));
  CHECK_FALSE(c.put("i", result(100, dns::Outcome::indeterminate("timeout")), false));
  CHECK_FALSE(c.put("z", result(0), false));
  CHECK(c.size() == 0);
  CHECK(c.stats().refused == 3);
  CHECK(c.put("ins", result(100, dns::Outcome::insecure()), false));
}

TEST_CASE("cache: serve-stale only when asked and only inside the window") {
  FakeClock clk;
  ResultCache c(settings(), clk.fn());
  REQUIRE(c.put("k", result(10), false));
  clk.now += 15s;
  CHECK_FALSE(c.get("k", false));  // expired: no fresh answer
  auto s = c.get("k", true);
  REQUIRE(s);
  CHECK(s->stale);
  CHECK(s->result->uri == "sip:a@b.example");
  clk.now += 25s;  // 40 s after insertion: past TTL (10) + window (30)
  CHECK_FALSE(c.get("k", true));
  CHECK(c.size() == 0);
}

TEST_CASE("cache: least recently used entries are evicted at the entry bound") {
  auto s = settings();
  s.max_entries = 3;
  ResultCache c(s);
  for (const char* k : {"a", "b", "c"}) REQUIRE(c.put(k, result(100), false));
  REQUIRE(c.get("a"));  // a is now the most recent
  REQUIRE(c.put("d", result(100), false));
  CHECK(c.size() == 3);
  CHECK_FALSE(c.get("b"));
  CHECK(c.get("a"));
  CHECK(c.get("c"));
  CHECK(c.get("d"));
  CHECK(c.stats().evictions == 1);
}

TEST_CASE("cache: the memory bound is respected") {
  auto s = settings();
  s.max_entries = 1'000'000;
  s.max_bytes = 64 * 1024;
  ResultCache c(s);
  const std::string big(2000, 'x');
  for (int i = 0; i < 1000; ++i)
    c.put("k" + std::to_string(i), result(100, dns::Outcome::secure(), "sip:" + big), false);
  CHECK(c.bytes() <= s.max_bytes);
  CHECK(c.size() < 1000);
  CHECK(c.size() > 0);
  CHECK(c.get("k999"));  // the newest survives
}

TEST_CASE("cache: erase and erase_if drop entries") {
  ResultCache c(settings());
  c.put("client1\x1fx", result(100), false);
  c.put("client2\x1fx", result(100), false);
  c.put("client1\x1fy", result(100), false);
  CHECK(c.erase_if([](const std::string& k) { return k.rfind("client1", 0) == 0; }) == 2);
  CHECK(c.size() == 1);
  c.erase("client2\x1fx");
  CHECK(c.size() == 0);
  CHECK(c.bytes() == 0);
}

TEST_CASE("cache: keys separate clients, inputs and services") {
  ClientScope a{"a", {}};
  ClientScope b{"b", {}};
  ClientScope a_tree{"a", {"private-a"}};
  CHECK(cache_key(a, "lookup", "+1", "E2U+sip") != cache_key(b, "lookup", "+1", "E2U+sip"));
  CHECK(cache_key(a, "lookup", "+1", "E2U+sip") != cache_key(a, "lookup", "+1", "E2U+sips"));
  CHECK(cache_key(a, "lookup", "+1", "E2U+sip") != cache_key(a_tree, "lookup", "+1", "E2U+sip"));
  CHECK(cache_key(a, "lookup", "+1", "E2U+sip") != cache_key(a, "route", "+1", "E2U+sip"));
}
