// The pipeline with an in-memory DNS (unit level): verdicts, cache, single
// flight, serve-stale. The same behaviour against real signed zones is in
// test_pipeline_testbed.cpp.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "resolver/pipeline/pipeline.hpp"
#include "tests/resolver/fake_dns.hpp"

using namespace speerd;
using namespace speerd::pipeline;
using namespace speerd::model;
using namespace std::chrono_literals;
using speerd::dns::rrtype::A;
using speerd::dns::rrtype::NAPTR;
using speerd::testing::FakeDns;

namespace {

struct Fixture {
  boost::asio::io_context io;
  FakeDns dns{io};
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
  std::shared_ptr<config::ResolverConfig> cfg = std::make_shared<config::ResolverConfig>();
  std::unique_ptr<Pipeline> p;

  Fixture() {
    config::TreeConfig t;
    t.name = "a";
    t.suffix = "e164.test.";
    cfg->trees.push_back(t);
    cfg->cache.stale_window = 60;
    // +1234 -> sip:x@peer.example -> peer.example A 192.0.2.1 (no NAPTR, no SRV).
    dns.answer("4.3.2.1.e164.test.", NAPTR,
               {R"(100 10 "u" "E2U+sip" "!^.*$!sip:x@peer.example!" .)"}, 600);
    dns.answer("peer.example.", A, {"192.0.2.1"}, 120);
  }
  Pipeline& pipeline() {
    if (!p) {
      PipelineOptions o;
      o.clock = [this] { return now; };
      o.locator.seed = 1;
      p = std::make_unique<Pipeline>(io, dns, cfg, o);
    }
    return *p;
  }
  LookupResult lookup(const std::string& number) {
    LookupResult out;
    int calls = 0;
    pipeline().lookup({number, "", {}}, [&](ResultPtr r) {
      ++calls;
      out = *r;
    });
    io.restart();
    io.run();
    REQUIRE(calls == 1);
    return out;
  }
};

}  // namespace

TEST_CASE("pipeline: a lookup routes with the LRF's targets and the smallest TTL") {
  Fixture f;
  auto r = f.lookup("+1234");
  CHECK(r.verdict == Verdict::route);
  CHECK(r.code == reason::kRouted);
  CHECK(r.uri == "sip:x@peer.example");
  REQUIRE_FALSE(r.targets.empty());
  CHECK(r.targets[0].address == "192.0.2.1");
  CHECK(r.targets[0].port == 5060);
  CHECK(r.ttl == 120);
  CHECK(r.outcome.state == dns::Security::secure);
  CHECK_FALSE(r.cached);
}

TEST_CASE("pipeline: bad input is rejected before any DNS query") {
  Fixture f;
  auto r = f.lookup("+12x4");
  CHECK(r.verdict == Verdict::reject);
  CHECK(r.code == reason::kBadNumber);
  CHECK_THAT(r.reason, Catch::Contains("position"));
  CHECK(f.dns.total() == 0);
}

TEST_CASE("pipeline: a cached answer is served until its TTL, then resolved again") {
  Fixture f;
  f.lookup("+1234");
  const int queries = f.dns.total();
  auto hit = f.lookup("+1234");
  CHECK(hit.cached);
  CHECK(hit.verdict == Verdict::route);
  CHECK(f.dns.total() == queries);
  f.now += 121s;
  auto again = f.lookup("+1234");
  CHECK_FALSE(again.cached);
  CHECK(f.dns.total() == 2 * queries);
}

TEST_CASE("pipeline: a secure NXDOMAIN is cached with its negative TTL") {
  Fixture f;
  f.dns.set_negative_default(dns::Outcome::secure(), 30);
  auto r = f.lookup("+9999");
  CHECK(r.code == reason::kNotFound);
  CHECK(r.outcome.state == dns::Security::secure);
  CHECK(r.ttl == 30);
  CHECK(f.lookup("+9999").cached);
  f.now += 31s;
  CHECK_FALSE(f.lookup("+9999").cached);
}

TEST_CASE("pipeline: bogus answers never enter the result cache, only the bounded failure cache") {
  Fixture f;
  f.dns.bogus("4.3.2.1.e164.test.", NAPTR,
              {R"(100 10 "u" "E2U+sip" "!^.*$!sip:evil@x.example!" .)"},
              "validation failure: signature crypto failed");
  auto r = f.lookup("+1234");
  CHECK(r.code == reason::kDnssecBogus);
  CHECK(r.verdict == Verdict::reject);
  CHECK(r.uri.empty());
  CHECK(f.pipeline().cache().size() == 0);
  CHECK(f.pipeline().cache().stats().refused >= 1);
  // Repeated: answered from the failure cache (issue 20), still a reject.
  const auto again = f.lookup("+1234");
  CHECK(again.failure_cached);
  CHECK(again.verdict == Verdict::reject);
  CHECK(f.dns.count("4.3.2.1.e164.test.", NAPTR) == 1);
  // Past its bound (failure_min_ttl), DNS is asked again.
  f.now += std::chrono::seconds(f.pipeline().config().cache.failure_min_ttl);
  CHECK_FALSE(f.lookup("+1234").failure_cached);
  CHECK(f.dns.count("4.3.2.1.e164.test.", NAPTR) == 2);
}

TEST_CASE("pipeline: identical concurrent lookups share one resolution") {
  Fixture f;
  auto& p = f.pipeline();
  int done = 0;
  for (int i = 0; i < 50; ++i) {
    p.lookup({"+1234", "", {}}, [&](ResultPtr r) {
      CHECK(r->verdict == Verdict::route);
      ++done;
    });
  }
  f.io.run();
  CHECK(done == 50);
  CHECK(f.dns.count("4.3.2.1.e164.test.", NAPTR) == 1);
  CHECK(f.dns.count("peer.example.", A) == 1);
  CHECK(p.stats().resolutions == 1);
  CHECK(p.stats().joined == 49);
}

TEST_CASE("pipeline: different clients do not share cache entries") {
  Fixture f;
  auto& p = f.pipeline();
  LookupResult a, b;
  p.lookup({"+1234", "", {"client-a", {"a"}}}, [&](ResultPtr r) { a = *r; });
  f.io.run();
  f.io.restart();
  p.lookup({"+1234", "", {"client-b", {"a"}}}, [&](ResultPtr r) { b = *r; });
  f.io.run();
  CHECK_FALSE(b.cached);
  CHECK(p.stats().resolutions == 2);
}

TEST_CASE("pipeline: serve-stale only after upstream failure and only inside the window") {
  Fixture f;
  REQUIRE(f.lookup("+1234").verdict == Verdict::route);
  // The upstreams die.
  f.dns.servfail("4.3.2.1.e164.test.", NAPTR);
  f.now += 130s;  // expired 10 s ago: inside the 60 s window
  auto stale = f.lookup("+1234");
  CHECK(stale.verdict == Verdict::route);
  CHECK(stale.stale);
  CHECK(stale.uri == "sip:x@peer.example");
  f.now += 60s;  // 70 s after expiry: outside the window
  auto gone = f.lookup("+1234");
  CHECK(gone.verdict == Verdict::reject);
  CHECK(gone.code == reason::kUpstreamFailure);
  CHECK_FALSE(gone.stale);
}

TEST_CASE("pipeline: a bogus answer is never replaced by a stale one") {
  Fixture f;
  REQUIRE(f.lookup("+1234").verdict == Verdict::route);
  f.dns.bogus("4.3.2.1.e164.test.", NAPTR,
              {R"(100 10 "u" "E2U+sip" "!^.*$!sip:evil@x.example!" .)"},
              "validation failure: signature crypto failed");
  f.now += 130s;
  auto r = f.lookup("+1234");
  CHECK(r.code == reason::kDnssecBogus);
  CHECK_FALSE(r.stale);
  CHECK(r.verdict == Verdict::reject);
}

TEST_CASE("pipeline: a URI whose location fails falls back to the next URI") {
  Fixture f;
  f.dns.answer("4.3.2.1.e164.test.", NAPTR,
               {R"(100 10 "u" "E2U+sip" "!^.*$!sip:x@broken.example!" .)",
                R"(100 20 "u" "E2U+sip" "!^.*$!sip:x@peer.example!" .)"},
               600);
  f.dns.bogus("broken.example.", NAPTR, {R"(10 10 "s" "SIP+D2U" "" _sip._udp.evil.example.)"},
              "validation failure: signature crypto failed");
  auto r = f.lookup("+1234");
  CHECK(r.verdict == Verdict::route);
  CHECK(r.uri == "sip:x@peer.example");
  REQUIRE(r.uris.size() == 2);
  CHECK_THAT(r.uris[0].status, Catch::StartsWith("dnssec-bogus"));
  CHECK(r.uris[1].status == "used");
  // The route's own path is secure; the bogus step is still reported.
  CHECK(r.outcome.state == dns::Security::secure);
  bool saw_bogus = false;
  for (const auto& s : r.dnssec) saw_bogus |= s.outcome.state == dns::Security::bogus;
  CHECK(saw_bogus);
}

TEST_CASE("pipeline: insecure targets route only where policy allows") {
  Fixture f;
  f.dns.answer("peer.example.", A, {"192.0.2.1"}, 120, dns::Outcome::insecure());
  auto refused = f.lookup("+1234");
  CHECK(refused.verdict == Verdict::reject);
  CHECK(refused.code == reason::kInsecureNotAllowed);

  Fixture g;
  g.cfg->lookup.allow_insecure_targets = true;
  g.dns.answer("peer.example.", A, {"192.0.2.1"}, 120, dns::Outcome::insecure());
  auto allowed = g.lookup("+1234");
  CHECK(allowed.verdict == Verdict::route);
  CHECK(allowed.outcome.state == dns::Security::insecure);
}

TEST_CASE("pipeline: route() locates a URI alone") {
  Fixture f;
  LookupResult out;
  f.pipeline().route({"sip:x@peer.example", {}}, [&](ResultPtr r) { out = *r; });
  f.io.run();
  CHECK(out.verdict == Verdict::route);
  CHECK(out.targets.at(0).address == "192.0.2.1");
  CHECK(f.dns.count("4.3.2.1.e164.test.", NAPTR) == 0);
}
