#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "enum/enumservice.hpp"
#include "enum/select.hpp"
#include "enum/substitution_cache.hpp"

using speerd::luf::Naptr;
using speerd::luf::SubstitutionCache;

TEST_CASE("substitution cache: second get is a hit and returns the same object",
          "[substitution][cache]") {
  SubstitutionCache cache(8);
  auto a = cache.get("!^\\+1(.*)$!sip:\\1@x!");
  auto b = cache.get("!^\\+1(.*)$!sip:\\1@x!");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->get() == b->get());
  CHECK(*(*a)->apply("+12155551234") == "sip:2155551234@x");
  const auto s = cache.stats();
  CHECK(s.hits == 1);
  CHECK(s.misses == 1);
  CHECK(s.entries == 1);
}

TEST_CASE("substitution cache: parse errors are cached with their message",
          "[substitution][cache]") {
  SubstitutionCache cache(8);
  auto a = cache.get("!^(.*)$!\\7!");
  auto b = cache.get("!^(.*)$!\\7!");
  REQUIRE_FALSE(a);
  REQUIRE_FALSE(b);
  CHECK(b.error() == "backreference \\7 but the expression has 1 group");
  CHECK(cache.stats().hits == 1);
}

TEST_CASE("substitution cache: least recently used entry is evicted", "[substitution][cache]") {
  SubstitutionCache cache(2);
  REQUIRE(cache.get("!a!1!"));
  REQUIRE(cache.get("!b!2!"));
  REQUIRE(cache.get("!a!1!"));  // a is now the most recent
  REQUIRE(cache.get("!c!3!"));  // evicts b
  CHECK(cache.stats().entries == 2);
  const auto hits = cache.stats().hits;
  REQUIRE(cache.get("!a!1!"));
  CHECK(cache.stats().hits == hits + 1);
  REQUIRE(cache.get("!b!2!"));  // miss: was evicted
  CHECK(cache.stats().hits == hits + 1);
}

TEST_CASE("substitution cache: evicted entries stay valid for their holders",
          "[substitution][cache]") {
  SubstitutionCache cache(1);
  auto held = cache.get("!^(.*)$!sip:\\1@held!");
  REQUIRE(held);
  REQUIRE(cache.get("!x!y!"));  // evicts the held one
  CHECK(*(*held)->apply("+1") == "sip:+1@held");
}

TEST_CASE("substitution cache: over-long expressions are refused and not cached",
          "[substitution][cache]") {
  SubstitutionCache cache(4);
  const std::string big = "!" + std::string(5000, 'a') + "!x!";
  CHECK_FALSE(cache.get(big));
  CHECK(cache.stats().entries == 0);
}

TEST_CASE("substitution cache: concurrent use from several threads", "[substitution][cache]") {
  SubstitutionCache cache(4);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, &wrong, t] {
      for (int i = 0; i < 500; ++i) {
        const int k = (i + t) % 8;  // 8 expressions through 4 slots: constant eviction
        const std::string expr = "!^\\+(.*)$!sip:\\1@h" + std::to_string(k) + "!";
        auto s = cache.get(expr);
        if (!s || *(*s)->apply("+1") != "sip:1@h" + std::to_string(k)) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
  CHECK(cache.stats().entries <= 4);
  CHECK(cache.stats().hits + cache.stats().misses == 2000);
}

TEST_CASE("substitution cache: select gives the same results with and without it",
          "[select][cache]") {
  const std::vector<Naptr> set = {
      Naptr{10, 10, "u", "E2U+sip", "!^\\+1(.*)$!sip:\\1@a!", "."},
      Naptr{10, 20, "u", "E2U+sip", "!^(.*)$!\\2!", "."},
      Naptr{10, 30, "u", "E2U+sip", "!^\\+1(.*)$!sip:\\1@a!", "."},
  };
  const auto sip = *speerd::luf::parse_enumservice("E2U+sip");
  SubstitutionCache cache;
  speerd::luf::SelectOptions with;
  with.cache = &cache;
  for (int round = 0; round < 2; ++round) {
    const auto a = speerd::luf::select_rules(set, "+12155551234", sip);
    const auto b = speerd::luf::select_rules(set, "+12155551234", sip, with);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      CHECK(a[i].kind == b[i].kind);
      CHECK(a[i].uri_or_next == b[i].uri_or_next);
      CHECK(a[i].reason == b[i].reason);
    }
  }
  CHECK(cache.stats().misses == 2);  // two distinct expressions
  CHECK(cache.stats().hits == 4);
}
