// Issue 12, item 4: a store change reaches its cached answers through the
// caches' indexes (cache_index.hpp) and drops exactly what a scan of every
// entry asking affects() drops. Each test keeps twin caches that see the same
// puts, gets, erases and clock: one invalidated through the indexes
// (invalidate_caches), the other by the scan below, the oracle (what
// Pipeline::invalidate did before the indexes). Random, from fixed seeds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>

#include "resolver/pipeline/cache.hpp"
#include "resolver/pipeline/failure_cache.hpp"
#include "resolver/pipeline/invalidation.hpp"

using namespace speerd;
using namespace speerd::pipeline;
using namespace speerd::model;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> kTrees = {"e164.example.", "e164.arpa."};

// The oracle: every entry asked, as before the indexes.
std::size_t scan(ResultCache& cache, FailureCache& failures, const std::vector<Invalidation>& cs) {
  const auto reached = [&](const std::string& key, const LookupResult* r) {
    for (const auto& c : cs) {
      if (affects(c, key, r, kTrees)) return true;
    }
    return false;
  };
  return cache.erase_if([&](const std::string& k, const LookupResult& r) {
    return reached(k, &r);
  }) + failures.erase_if([&](const std::string& k) { return reached(k, nullptr); });
}

struct Clock {
  std::chrono::steady_clock::time_point now{std::chrono::seconds(1000)};
  std::function<std::chrono::steady_clock::time_point()> fn() {
    return [this] { return now; };
  }
};

config::CacheSettings settings(std::size_t entries) {
  config::CacheSettings s;
  s.max_entries = entries;
  s.max_bytes = std::size_t{256} << 20;
  s.max_ttl = 600;
  s.negative_max_ttl = 600;
  s.stale_window = 30;
  s.failure_min_ttl = 60;
  s.failure_max_ttl = 600;
  s.failure_max_entries = entries;
  return s;
}

// Random keys, results and changes over small sets of values, so that
// numbers share prefixes and ranges, and rns and groups repeat.
struct Gen {
  std::mt19937 rng;
  explicit Gen(unsigned seed) : rng(seed) {}

  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  }
  template <class T>
  const T& one(const std::vector<T>& v) {
    return v[pick(v.size())];
  }

  std::string digits() {
    static const std::vector<std::string> bases = {"1", "1215", "12155", "1216", "44", "4420", "9"};
    std::string d = one(bases);
    const std::size_t more = pick(9);
    for (std::size_t i = 0; i < more; ++i) d.push_back(static_cast<char>('0' + pick(3)));
    return d;
  }

  std::string key() {
    ClientScope scope;
    scope.client_id = one(std::vector<std::string>{"sbc-a", "sbc-b", "c"});
    scope.trees =
        one(std::vector<std::vector<std::string>>{{}, {"private-a"}, {"private-a", "arpa"}});
    const std::string service = one(std::vector<std::string>{"(default)", "E2U+sip", ""});
    switch (pick(10)) {
      case 0:
      case 1:
        return cache_key(scope, "route", "sip:" + digits() + "@peer.example", service);
      case 2:  // lookups of something that is not a +number, and another kind
        return cache_key(scope, pick(2) ? "lookup" : "other", pick(2) ? digits() : "+", service);
      default:
        return cache_key(scope, "lookup", "+" + digits(), service);
    }
  }

  LookupResult result() {
    LookupResult r;
    r.verdict = Verdict::route;
    r.code = reason::kRouted;
    r.uri = "sip:peer.example";
    r.ttl = 300;
    r.outcome = dns::Outcome::secure();
    r.store.routing_number = one(std::vector<std::string>{"", "", "19999", "1888"});
    r.store.destination_group =
        one(std::vector<std::string>{"", "dg-east", "dg-west", "dg-a-name-longer-than-sso"});
    return r;
  }

  static LookupResult failure() {
    LookupResult r;
    r.verdict = Verdict::reject;
    r.code = reason::kDnssecBogus;
    r.outcome = dns::Outcome::bogus("signature crypto failed");
    r.ttl = 3600;
    return r;
  }

  std::string zone_of(const std::string& d) {
    std::string z;
    for (auto it = d.rbegin(); it != d.rend(); ++it) z += std::string(1, *it) + ".";
    return z + one(kTrees);
  }

  Invalidation change() {
    std::string d = digits();
    switch (pick(16)) {
      case 0:
        return invalidation_of("none", "", "");
      case 1:
        return invalidation_of(one(std::vector<std::string>{"client", "anchor", "newer-kind"}), "x",
                               "");
      case 2:
        return invalidation_of("prefix", pick(4) ? d.substr(0, 1 + pick(d.size())) : "", "");
      case 3: {
        std::string end = d;
        end.back() = static_cast<char>('0' + pick(10));
        std::string lo = std::min(d, end), hi = std::max(d, end);
        if (pick(4) == 0) std::swap(lo, hi);  // an empty range, at times
        return invalidation_of("range", lo, hi);
      }
      case 4:
        return invalidation_of("range", d, d + "9");  // bounds of different lengths
      case 5:
      case 6:
        return invalidation_of("rn", one(std::vector<std::string>{"", "19999", "1888", "7"}), "");
      case 7:
      case 8:
        return invalidation_of("destination_group",
                               one(std::vector<std::string>{"", "dg-east", "dg-west",
                                                            "dg-a-name-longer-than-sso", "x"}),
                               "");
      case 9:
        return invalidation_of("flush", "+" + d, "");
      case 10:
        return invalidation_of("flush", zone_of(d.substr(0, 1 + pick(d.size()))), "");
      case 11:
        // A tree's apex, a zone under no tree, a zone that is not digits.
        return invalidation_of(
            "flush",
            one(std::vector<std::string>{"e164.arpa.", "peer.example", "x.1.e164.example."}), "");
      case 12:
        if (pick(8) == 0) return invalidation_of("all", "", "");
        [[fallthrough]];
      default:
        return invalidation_of("number", d, "");
    }
  }
};

// Twin caches: `idx` invalidated through the indexes, `ref` by the scan.
struct Twins {
  Clock clock;
  ResultCache idx, ref;
  FailureCache fidx, fref;
  std::vector<std::string> keys;  // every key put, in either cache, once
  std::set<std::string> seen;

  explicit Twins(std::size_t entries)
      : idx(settings(entries), clock.fn()),
        ref(settings(entries), clock.fn()),
        fidx(settings(entries), clock.fn()),
        fref(settings(entries), clock.fn()) {}

  void put(const std::string& key, const LookupResult& r) {
    const bool a = idx.put(key, r, false);
    const bool b = ref.put(key, r, false);
    REQUIRE(a == b);
    if (seen.insert(key).second) keys.push_back(key);
  }
  void put_failure(const std::string& key) {
    fidx.put(key, Gen::failure());
    fref.put(key, Gen::failure());
    if (seen.insert(key).second) keys.push_back(key);
  }
  void erase(const std::string& key) {
    idx.erase(key);
    ref.erase(key);
    fidx.forget(key);
    fref.forget(key);
  }

  // Both invalidated; what each dropped and what each still holds agree.
  void invalidate(const std::vector<Invalidation>& cs) {
    const auto inv_before = idx.stats().invalidated;
    const auto dropped_before = fidx.stats().dropped;
    const std::size_t got = invalidate_caches(idx, fidx, cs, kTrees);
    const std::size_t want = scan(ref, fref, cs);
    REQUIRE(got == want);
    REQUIRE(idx.stats().invalidated == ref.stats().invalidated);
    REQUIRE(fidx.stats().dropped == fref.stats().dropped);
    REQUIRE(got ==
            (idx.stats().invalidated - inv_before) + (fidx.stats().dropped - dropped_before));
    same();
  }

  void same() {
    REQUIRE(idx.size() == ref.size());
    REQUIRE(idx.bytes() == ref.bytes());
    REQUIRE(fidx.stats().entries == fref.stats().entries);
    // Same count, and every key in one is in the other: the same entries.
    // (get moves a fresh hit to the front in both alike.)
    std::vector<std::string> differ;
    for (const auto& k : keys) {
      if (idx.get(k, true).has_value() != ref.get(k, true).has_value() ||
          (fidx.get(k) != nullptr) != (fref.get(k) != nullptr)) {
        differ.push_back(k);
      }
    }
    INFO("keys held by one twin only: " << differ.size());
    REQUIRE(differ.empty());
  }
};

std::string describe(const std::vector<Invalidation>& cs) {
  std::string s;
  for (const auto& c : cs) {
    s += std::to_string(static_cast<int>(c.kind)) + ":" + c.value +
         (c.end.empty() ? "" : "-" + c.end) + " ";
  }
  return s;
}

}  // namespace

TEST_CASE(
    "cache index: a change drops through the indexes exactly what a scan with affects drops") {
  for (const unsigned seed : {1u, 2u, 3u}) {
    INFO("seed " << seed);
    Gen g(seed);
    Twins t(100'000);  // no eviction here (the next test has it)
    for (int round = 0; round < 30; ++round) {
      // New entries, some of them again under a key already held (with
      // another result: another rn and group to index).
      for (int i = 0; i < 40; ++i) {
        const std::string key = (!t.keys.empty() && g.pick(5) == 0) ? g.one(t.keys) : g.key();
        if (g.pick(3) == 0) {
          t.put_failure(key);
        } else {
          t.put(key, g.result());
        }
      }
      std::vector<Invalidation> cs;
      const std::size_t n = 1 + g.pick(3);
      for (std::size_t i = 0; i < n; ++i) cs.push_back(g.change());
      INFO("round " << round << ": " << describe(cs));
      t.invalidate(cs);
    }
    // Every kind was dropped at some point, not only kept.
    CHECK(t.idx.stats().invalidated > 0);
    CHECK(t.fidx.stats().dropped > 0);
  }
}

TEST_CASE(
    "cache index: eviction, expiry, erase, forget and clear leave no entry behind in the index") {
  Gen g(7);
  Twins t(150);  // both caches evict: the index must follow
  for (int round = 0; round < 30; ++round) {
    for (int i = 0; i < 80; ++i) {
      const std::string key = (!t.keys.empty() && g.pick(4) == 0) ? g.one(t.keys) : g.key();
      switch (g.pick(6)) {
        case 0:
          t.put_failure(key);
          break;
        case 1:
          t.erase(key);
          break;
        default:
          t.put(key, g.result());
      }
    }
    // Time passes: at times past some entries' stale window (a get drops a
    // result found past it; an expired failure stays until dropped).
    t.clock.now += std::chrono::seconds(g.pick(4) == 0 ? 400 : 20);
    if (round % 10 == 5) {
      t.idx.clear();
      t.ref.clear();
      t.fidx.clear();
      t.fref.clear();
    }
    std::vector<Invalidation> cs = {g.change(), g.change()};
    INFO("round " << round << ": " << describe(cs));
    t.invalidate(cs);
  }
  CHECK(t.idx.stats().evictions > 0);
  CHECK(t.idx.stats().evictions == t.ref.stats().evictions);

  // Fresh entries of each sort, after the last jump of the clock.
  const ClientScope scope{"sbc-a", {"private-a"}};
  t.put(cache_key(scope, "lookup", "x12155", ""), g.result());
  t.put(cache_key(scope, "lookup", "+12155", ""), g.result());
  t.put(cache_key(scope, "route", "sip:a@peer.example", ""), g.result());
  t.put_failure(cache_key(scope, "lookup", "+12156", ""));
  t.put_failure(cache_key(scope, "route", "sip:b@peer.example", ""));

  // Whatever the index still holds is live: every number (prefix ""), rn,
  // group and route answer, reached through it, is what the scan finds.
  t.invalidate({invalidation_of("prefix", "", ""), invalidation_of("rn", "19999", ""),
                invalidation_of("rn", "1888", ""),
                invalidation_of("destination_group", "dg-east", ""),
                invalidation_of("destination_group", "dg-a-name-longer-than-sso", "")});
  // Left: only what no index holds (keys of no +number and no route).
  std::size_t left = 0, wrong = 0;
  for (const auto& k : t.keys) {
    const auto parsed = parse_cache_key(k);
    const bool indexed = !parsed.number.empty() || parsed.kind == "route";
    const bool held = t.idx.get(k, true).has_value() || t.fidx.get(k) != nullptr;
    left += held ? 1 : 0;
    wrong += held && indexed ? 1 : 0;
  }
  CHECK(left > 0);
  CHECK(wrong == 0);
}

TEST_CASE("cache index: the byte bound counts the index") {
  ClientScope scope{"sbc-a", {"private-a"}};
  LookupResult r = Gen(1).result();
  r.store.destination_group = "dg-east";
  r.store.routing_number.clear();
  const auto number = cache_key(scope, "lookup", "+12155551234", "(default)");
  const auto other = cache_key(scope, "lookup", "x12155551234", "(default)");  // same length
  // The number's entry has a numbers node and a groups node the other has not.
  CHECK(ResultCache::footprint(number, r) > ResultCache::footprint(other, r) + 100);
  ResultCache c(settings(10));
  REQUIRE(c.put(number, r, false));
  CHECK(c.bytes() == ResultCache::footprint(number, *c.get(number)->result));
}
