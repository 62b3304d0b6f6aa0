// The RFC 3263 locator on the in-memory fake DNS: DNSSEC validation outcomes (bogus,
// insecure, lookup failures) and the insecure policy, TTLs, and the use of the
// additional section.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "resolver/lrf/locator.hpp"
#include "tests/resolver/fake_dns.hpp"
#include "tests/resolver/lrf/locator_fixture.hpp"

using namespace speerd::lrf;
using namespace speerd::testing::locator;
using speerd::dns::Outcome;
using speerd::dns::Security;
using speerd::testing::FakeDns;
namespace rrtype = speerd::dns::rrtype;
namespace reason = speerd::model::reason;

// --- validation outcomes -------------------------------------------------------

TEST_CASE("bogus NAPTR: reject with the reason and EDE, no SRV fallback") {
  Harness h;
  good_domain(h.dns);
  h.dns.bogus("example.net.", rrtype::NAPTR, {R"(10 50 "s" "SIP+D2T" "" _sip._tcp.evil.example.)"},
              kTampered);
  auto r = h.run("sip:alice@example.net");
  CHECK_FALSE(r.routable());
  CHECK(r.code == reason::kDnssecBogus);
  CHECK_THAT(r.reason, Catch::Contains("ECDSA signature verification failed"));
  CHECK(r.outcome.state == Security::bogus);
  CHECK(r.outcome.ede == speerd::dns::ede::kDnssecBogus);
  CHECK(h.dns.total() == 1);
  REQUIRE(r.steps.size() == 1);
  CHECK(r.steps[0].outcome.state == Security::bogus);
}

TEST_CASE("expired signatures: EDE 7, missing signatures: EDE 10") {
  Harness h;
  h.dns.bogus("expired.example.", rrtype::NAPTR, {R"(10 50 "s" "SIP+D2T" "" _sip._tcp.x.)"},
              "validation failure <expired.example. NAPTR IN>: signature expired from 127.0.0.1");
  h.dns.bogus("stripped.example.", rrtype::NAPTR, {R"(10 50 "s" "SIP+D2T" "" _sip._tcp.x.)"},
              "validation failure <stripped.example. NAPTR IN>: no signatures from 127.0.0.1");
  auto e = h.run("sip:x@expired.example");
  CHECK(e.code == reason::kDnssecBogus);
  CHECK(e.outcome.ede == speerd::dns::ede::kSignatureExpired);
  auto s = h.run("sip:x@stripped.example");
  CHECK(s.code == reason::kDnssecBogus);
  CHECK(s.outcome.ede == speerd::dns::ede::kRrsigsMissing);
}

TEST_CASE("NAPTR SERVFAIL: upstream failure, no fallback, NXDOMAIN: not found") {
  Harness h;
  h.dns.servfail("down.example.", rrtype::NAPTR);
  auto r = h.run("sip:x@down.example");
  CHECK(r.code == reason::kUpstreamFailure);
  CHECK(r.outcome.state == Security::indeterminate);
  CHECK(r.ttl == 0);
  CHECK(h.dns.total() == 1);
  h.dns.nxdomain("nothere.example.", 120);
  auto n = h.run("sip:x@nothere.example");
  CHECK(n.code == reason::kNotFound);
  CHECK_THAT(n.reason, Catch::Contains("does not exist"));
  CHECK(n.ttl == 120);
  CHECK(n.outcome.state == Security::secure);
}

TEST_CASE("bogus A of one SRV target: that target is dropped with the reason, others stay") {
  Harness h;
  h.dns.answer("_sip._tcp.example.net.", rrtype::SRV,
               {"10 0 5060 host.example.org.", "20 0 5060 b.example.net."});
  h.dns.bogus("host.example.org.", rrtype::A, {"192.0.2.98"}, kTampered);
  h.dns.nodata("host.example.org.", rrtype::AAAA);
  h.dns.answer("b.example.net.", rrtype::A, {"192.0.2.2"});
  auto r = h.run("sip:example.net;transport=tcp");
  CHECK(hops(r) == std::vector<std::string>{"tcp b.example.net 192.0.2.2 5060"});
  CHECK(r.outcome.state == Security::secure);
  CHECK(notes_contain(r, "addresses of host.example.org. A dropped: answer, bogus"));
  // The bogus step is still reported.
  bool seen = false;
  for (const auto& s : r.steps) {
    if (s.name == "host.example.org." && s.type == "A") {
      seen = true;
      CHECK(s.outcome.state == Security::bogus);
    }
  }
  CHECK(seen);
}

TEST_CASE("bogus A of the only SRV target: reject, dnssec-bogus, with the reason") {
  Harness h;
  h.dns.answer("_sip._tcp.bad-a.example.net.", rrtype::SRV, {"10 0 5060 host.example.org."});
  h.dns.bogus("host.example.org.", rrtype::A, {"192.0.2.98"}, kTampered);
  h.dns.nodata("host.example.org.", rrtype::AAAA);
  auto r = h.run("sip:bad-a.example.net;transport=tcp");
  CHECK_FALSE(r.routable());
  CHECK(r.code == reason::kDnssecBogus);
  CHECK_THAT(r.reason, Catch::Contains("host.example.org. A is bogus"));
  CHECK(r.outcome.state == Security::bogus);
  CHECK(r.outcome.ede == speerd::dns::ede::kDnssecBogus);
}

TEST_CASE("address lookup fails (SERVFAIL) for the only target: upstream failure") {
  Harness h;
  h.dns.answer("_sip._tcp.example.net.", rrtype::SRV, {"10 0 5060 a.example.net."});
  h.dns.servfail("a.example.net.", rrtype::A);
  h.dns.servfail("a.example.net.", rrtype::AAAA);
  auto r = h.run("sip:example.net;transport=tcp");
  CHECK(r.code == reason::kUpstreamFailure);
  CHECK(notes_contain(r, "a.example.net. A dropped: servfail"));
}

TEST_CASE("insecure steps are marked, not dropped, the policy helper applies the setting") {
  Harness h;
  good_domain(h.dns, "example.net.", Outcome::insecure());
  auto r = h.run("sip:alice@example.net");
  REQUIRE(r.routable());
  CHECK(r.outcome.state == Security::insecure);
  for (const auto& t : r.targets) CHECK(t.outcome.state == Security::insecure);

  auto allowed = r;
  apply_insecure_policy(allowed, true);
  CHECK(allowed.routable());
  CHECK(allowed.targets.size() == r.targets.size());

  auto strict = r;
  apply_insecure_policy(strict, false);
  CHECK_FALSE(strict.routable());
  CHECK(strict.code == reason::kInsecureNotAllowed);
  CHECK(strict.targets.empty());
  CHECK(strict.steps.size() == r.steps.size());
  CHECK(notes_contain(strict, "removed by policy"));
}

TEST_CASE("the weakest step decides: one insecure address makes that target insecure") {
  Harness h;
  good_domain(h.dns);
  h.dns.answer("sip3.example.net.", rrtype::A, {"192.0.2.13"}, 300, Outcome::insecure());
  auto r = h.run("sips:example.net");
  REQUIRE(r.routable());
  for (const auto& t : r.targets) {
    CHECK(t.outcome.state ==
          (t.host == "sip3.example.net" ? Security::insecure : Security::secure));
  }
  CHECK(r.outcome.state == Security::insecure);
  auto strict = r;
  apply_insecure_policy(strict, false);
  REQUIRE(strict.routable());
  CHECK(strict.outcome.state == Security::secure);
  for (const auto& t : strict.targets) CHECK(t.host != "sip3.example.net");
}

TEST_CASE("an insecure NAPTR denial makes the SRV-fallback targets insecure") {
  Harness h;
  h.dns.nodata("example.net.", rrtype::NAPTR, 300, Outcome::insecure());
  h.dns.answer("_sip._udp.example.net.", rrtype::SRV, {"10 0 5060 a.example.net."});
  h.dns.answer("a.example.net.", rrtype::A, {"192.0.2.1"});
  auto r = h.run("sip:example.net");
  REQUIRE(r.routable());
  CHECK(r.targets.front().outcome.state == Security::insecure);
}

TEST_CASE("TTL: the smallest TTL of the steps") {
  Harness h;
  good_domain(h.dns);
  auto r = h.run("sip:example.net");
  CHECK(r.ttl == 300);
  h.dns.nodata("sip2.example.net.", rrtype::AAAA, 45);
  auto s = h.run("sip:example.net");
  CHECK(s.ttl == 45);
  h.dns.answer("_sip._udp.example.net.", rrtype::SRV, {"10 0 5060 sip1.example.net."}, 30);
  auto t = h.run("sip:example.net");
  CHECK(t.ttl == 30);
}

// --- additional section ------------------------------------------------------------

TEST_CASE("secure SRV answer: A/AAAA taken from the additional section, the rest asked") {
  Harness h;
  FakeDns::Response srv;
  srv.rdata = {"10 0 5060 a.example.net.", "20 0 5060 b.example.net."};
  srv.ttl = 600;
  srv.additional = {"a.example.net. 120 IN A 192.0.2.1", "a.example.net. 100 IN A 192.0.2.3",
                    "unrelated.example.net. 300 IN A 192.0.2.77",
                    "b.example.net. 300 IN TXT \"x\""};
  h.dns.set("_sip._tcp.example.net.", rrtype::SRV, srv);
  h.dns.answer("a.example.net.", rrtype::A, {"192.0.2.66"});
  h.dns.nodata("a.example.net.", rrtype::AAAA);
  h.dns.answer("b.example.net.", rrtype::A, {"192.0.2.2"});
  auto r = h.run("sip:example.net;transport=tcp");
  CHECK(hops(r) == std::vector<std::string>{"tcp a.example.net 192.0.2.1 5060",
                                            "tcp a.example.net 192.0.2.3 5060",
                                            "tcp b.example.net 192.0.2.2 5060"});
  CHECK(h.dns.count("a.example.net.", rrtype::A) == 0);
  CHECK(h.dns.count("a.example.net.", rrtype::AAAA) == 1);
  CHECK(h.dns.count("b.example.net.", rrtype::A) == 1);
  CHECK(r.ttl == 100);
  bool seen = false;
  for (const auto& s : r.steps) {
    if (s.name == "a.example.net." && s.type == "A") {
      seen = true;
      CHECK_THAT(s.detail, Catch::Contains("from the additional section"));
      CHECK(s.ttl == 100);
      CHECK(s.outcome.state == Security::secure);
    }
  }
  CHECK(seen);
}

TEST_CASE("insecure SRV answer or option off: the additional section is not used") {
  Harness h;
  FakeDns::Response srv;
  srv.rdata = {"10 0 5060 a.example.net."};
  srv.outcome = Outcome::insecure();
  srv.additional = {"a.example.net. 120 IN A 192.0.2.1"};
  h.dns.set("_sip._tcp.example.net.", rrtype::SRV, srv);
  h.dns.answer("a.example.net.", rrtype::A, {"192.0.2.66"}, 300, Outcome::insecure());
  auto r = h.run("sip:example.net;transport=tcp");
  CHECK(hops(r) == std::vector<std::string>{"tcp a.example.net 192.0.2.66 5060"});
  CHECK(h.dns.count("a.example.net.", rrtype::A) == 1);

  srv.outcome = Outcome::secure();
  h.dns.set("_sip._tcp.example.net.", rrtype::SRV, srv);
  auto opt = seeded();
  opt.use_additional_section = false;
  auto s = h.run("sip:example.net;transport=tcp", opt);
  CHECK(hops(s) == std::vector<std::string>{"tcp a.example.net 192.0.2.66 5060"});
  CHECK(h.dns.count("a.example.net.", rrtype::A) == 2);
}
