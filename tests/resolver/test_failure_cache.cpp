// resolver/pipeline/failure_cache: bounded, growing, capped, dropped on
// demand; asserted on its counters, time injected (issue 20).
#include <catch2/catch.hpp>

#include "resolver/pipeline/failure_cache.hpp"

using namespace speerd;
using namespace speerd::pipeline;
using namespace speerd::model;
using namespace std::chrono_literals;

namespace {

LookupResult bogus() {
  LookupResult r;
  r.verdict = Verdict::reject;
  r.code = reason::kDnssecBogus;
  r.reason = "NAPTR signature does not verify";
  r.outcome = dns::Outcome::bogus("signature crypto failed");
  r.ttl = 3600;
  r.notes = {"a note for traces"};
  return r;
}

struct Fixture {
  std::chrono::steady_clock::time_point now{};
  config::CacheSettings settings;
  Fixture() {
    settings.failure_min_ttl = 5;
    settings.failure_max_ttl = 30;
    settings.failure_max_entries = 3;
  }
  FailureCache make() {
    return FailureCache(settings, [this] { return now; });
  }
};

}  // namespace

TEST_CASE("failure cache: a failure is answered from it, with its age, and never routes") {
  Fixture f;
  auto c = f.make();
  CHECK(c.get("k") == nullptr);
  c.put("k", bogus());
  f.now += 2s;
  auto hit = c.get("k");
  REQUIRE(hit);
  CHECK(hit->failure_cached);
  CHECK(hit->cached);
  CHECK(hit->verdict == Verdict::reject);
  CHECK(hit->code == reason::kDnssecBogus);
  CHECK(hit->age == 2);
  CHECK(hit->ttl == 3);  // kept 5 s, not the record's 3600
  CHECK(hit->notes.empty());
  CHECK(c.stats().hits == 1);
  CHECK(c.stats().inserts == 1);
  CHECK(c.stats().entries == 1);

  // Only failures: a route, a secure reject, bad input and stale answers are not kept.
  LookupResult routed = bogus();
  routed.verdict = Verdict::route;
  CHECK_FALSE(FailureCache::is_failure(routed));
  LookupResult not_found;
  not_found.outcome = dns::Outcome::secure();
  CHECK_FALSE(FailureCache::is_failure(not_found));
  LookupResult bad = bogus();
  bad.code = reason::kBadNumber;
  CHECK_FALSE(FailureCache::is_failure(bad));
  LookupResult stale = bogus();
  stale.stale = true;
  CHECK_FALSE(FailureCache::is_failure(stale));
  LookupResult indeterminate = bogus();
  indeterminate.outcome = dns::Outcome::indeterminate("timeout");
  CHECK(FailureCache::is_failure(indeterminate));
  c.put("other", routed);
  CHECK(c.stats().inserts == 1);
}

TEST_CASE("failure cache: the time kept doubles while the failure persists, up to the cap") {
  Fixture f;
  auto c = f.make();
  const std::uint32_t want[] = {5, 10, 20, 30, 30};
  for (std::uint32_t ttl : want) {
    c.put("k", bogus());
    auto hit = c.get("k");
    REQUIRE(hit);
    CHECK(hit->ttl == ttl);
    f.now += std::chrono::seconds(ttl - 1);
    CHECK(c.get("k"));  // still held one second before the end
    f.now += 1s;
    CHECK(c.get("k") == nullptr);  // expired: the next lookup resolves again
  }
  CHECK(c.stats().expiries == 5);
  CHECK(c.stats().inserts == 5);
  // An expired entry counts its expiry once, however often it is asked for.
  CHECK(c.get("k") == nullptr);
  CHECK(c.stats().expiries == 5);

  // A failure long after the last one ended starts over.
  f.now += std::chrono::seconds(f.settings.failure_max_ttl);
  c.put("k", bogus());
  CHECK(c.get("k")->ttl == 5);

  // A success starts the key over.
  c.forget("k");
  CHECK(c.stats().entries == 0);
  c.put("k", bogus());
  CHECK(c.get("k")->ttl == 5);
}

TEST_CASE("failure cache: bounded by entries, dropped by a flush or a store change") {
  Fixture f;
  auto c = f.make();
  for (const char* k : {"a", "b", "c", "d"}) c.put(k, bogus());
  CHECK(c.stats().entries == 3);  // failure_max_entries
  CHECK(c.get("a") == nullptr);   // the oldest went
  CHECK(c.stats().dropped == 1);
  CHECK(c.erase_if([](const std::string& k) { return k == "b"; }) == 1);
  CHECK(c.get("b") == nullptr);
  CHECK(c.get("c"));
  c.clear();
  CHECK(c.stats().entries == 0);
  CHECK(c.stats().dropped == 4);

  // failure_min_ttl = 0 turns it off.
  f.settings.failure_min_ttl = 0;
  auto off = f.make();
  off.put("k", bogus());
  CHECK(off.get("k") == nullptr);
  CHECK(off.stats().inserts == 0);
}
