// The RFC 3263 locator on the in-memory fake DNS: the branches of RFC 3263 section 4
// (numeric host, explicit port, transport parameter, NAPTR, the SRV fallback without
// NAPTR, A/AAAA without SRV) and the SRV target ".".
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <set>
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

// --- RFC 3263 4.1/4.2: numeric host, explicit port, transport parameter ----------

TEST_CASE("numeric IPv4 host: used as is, no DNS, UDP on 5060 for sip:") {
  Harness h;
  auto r = h.run("sip:alice@192.0.2.7");
  CHECK(r.routable());
  CHECK(r.code == reason::kRouted);
  CHECK(hops(r) == std::vector<std::string>{"udp 192.0.2.7 192.0.2.7 5060"});
  CHECK(h.dns.total() == 0);
  CHECK(r.steps.empty());
  CHECK(r.queries == 0);
  CHECK(r.outcome.state == Security::not_applicable);  // no DNS: nothing was validated
  CHECK(r.ttl == kNoDnsTtl);
}

TEST_CASE("numeric host: sips: means TLS on 5061, port and transport from the URI") {
  Harness h;
  CHECK(hops(h.run("sips:192.0.2.7")) == std::vector<std::string>{"tls 192.0.2.7 192.0.2.7 5061"});
  CHECK(hops(h.run("sip:192.0.2.7:5070;transport=tcp")) ==
        std::vector<std::string>{"tcp 192.0.2.7 192.0.2.7 5070"});
  CHECK(hops(h.run("sips:[2001:db8::7]:5071")) ==
        std::vector<std::string>{"tls 2001:db8::7 2001:db8::7 5071"});
  CHECK(hops(h.run("sip:[2001:db8::7];transport=tls")) ==
        std::vector<std::string>{"tls 2001:db8::7 2001:db8::7 5061"});
  CHECK(h.dns.total() == 0);
}

TEST_CASE("explicit port: A and AAAA only, in parallel, default transport UDP / TLS") {
  Harness h;
  h.dns.answer("pbx.example.net.", rrtype::A, {"192.0.2.20", "192.0.2.21"}, 120);
  h.dns.answer("pbx.example.net.", rrtype::AAAA, {"2001:db8::20"}, 200);
  auto r = h.run("sip:bob@pbx.example.net:5080");
  CHECK(hops(r) == std::vector<std::string>{"udp pbx.example.net 192.0.2.20 5080",
                                            "udp pbx.example.net 192.0.2.21 5080",
                                            "udp pbx.example.net 2001:db8::20 5080"});
  CHECK(h.dns.count("pbx.example.net.", rrtype::NAPTR) == 0);
  CHECK(h.dns.total() == 2);
  CHECK(h.dns.max_in_flight() == 2);
  CHECK(r.ttl == 120);
  CHECK(steps(r) ==
        std::vector<std::string>{"pbx.example.net. A answer", "pbx.example.net. AAAA answer"});
  auto s = h.run("sips:bob@pbx.example.net:5081");
  CHECK(hops(s).front() == "tls pbx.example.net 192.0.2.20 5081");
  auto t = h.run("sip:bob@pbx.example.net:5082;transport=tcp");
  CHECK(hops(t).front() == "tcp pbx.example.net 192.0.2.20 5082");
}

TEST_CASE("transport parameter without port: SRV for that transport only, no NAPTR") {
  Harness h;
  good_domain(h.dns);
  auto r = h.run("sip:alice@example.net;transport=tcp");
  CHECK(hops(r) == std::vector<std::string>{"tcp sip1.example.net 192.0.2.11 5060",
                                            "tcp sip1.example.net 2001:db8::11 5060"});
  CHECK(h.dns.count("example.net.", rrtype::NAPTR) == 0);
  CHECK(h.dns.count("_sip._tcp.example.net.", rrtype::SRV) == 1);
  CHECK(h.dns.count("_sips._tcp.example.net.", rrtype::SRV) == 0);
  // sips: + transport=tcp is TLS over TCP: _sips._tcp.
  auto s = h.run("sips:alice@example.net;transport=tcp");
  CHECK(h.dns.count("_sips._tcp.example.net.", rrtype::SRV) == 1);
  REQUIRE_FALSE(s.targets.empty());
  CHECK(s.targets.front().transport == "tls");
  CHECK(s.targets.front().port == 5061);
  // sip: + transport=tls also uses _sips (RFC 3263 4.2).
  auto t = h.run("sip:alice@example.net;transport=tls");
  CHECK(h.dns.count("_sips._tcp.example.net.", rrtype::SRV) == 2);
  CHECK(t.targets.front().transport == "tls");
}

TEST_CASE("transport parameter, no SRV: A/AAAA at the transport's default port") {
  Harness h;
  h.dns.answer("pbx.example.net.", rrtype::A, {"192.0.2.20"});
  auto r = h.run("sip:bob@pbx.example.net;transport=tcp");
  CHECK(hops(r) == std::vector<std::string>{"tcp pbx.example.net 192.0.2.20 5060"});
  CHECK(h.dns.count("_sip._tcp.pbx.example.net.", rrtype::SRV) == 1);
  auto s = h.run("sip:bob@pbx.example.net;transport=tls");
  CHECK(hops(s) == std::vector<std::string>{"tls pbx.example.net 192.0.2.20 5061"});
  // ws/wss have no SRV name: straight to A/AAAA on 80 / 443.
  auto w = h.run("sips:bob@pbx.example.net;transport=ws");
  CHECK(hops(w) == std::vector<std::string>{"wss pbx.example.net 192.0.2.20 443"});
  CHECK(notes_contain(w, "no SRV name"));
}

// --- RFC 3263 4.1: NAPTR ----------------------------------------------------------

TEST_CASE("NAPTR -> SRV -> A/AAAA: every transport in NAPTR order, SRV by priority") {
  Harness h;
  good_domain(h.dns);
  auto r = h.run("sip:alice@example.net");
  REQUIRE(r.routable());
  const auto v = hops(r);
  REQUIRE(v.size() == 8);
  // TLS: sip1 and sip2 (priority 10, weighted order), then sip3 (priority 20).
  const std::set<std::string> first3{v[0], v[1], v[2]};
  CHECK(first3 == std::set<std::string>{"tls sip1.example.net 192.0.2.11 5061",
                                        "tls sip1.example.net 2001:db8::11 5061",
                                        "tls sip2.example.net 192.0.2.12 5061"});
  CHECK(v[3] == "tls sip3.example.net 192.0.2.13 5061");
  CHECK(v[4] == "tcp sip1.example.net 192.0.2.11 5060");
  CHECK(v[5] == "tcp sip1.example.net 2001:db8::11 5060");
  CHECK(v[6] == "udp sip1.example.net 192.0.2.11 5060");
  CHECK(v[7] == "udp sip1.example.net 2001:db8::11 5060");
  CHECK(r.targets[3].priority == 20);
  CHECK(r.targets[3].weight == 0);
  CHECK(r.outcome.state == Security::secure);
  CHECK(r.ttl == 300);
  // Each host's addresses are asked once, though sip1 serves three transports.
  CHECK(h.dns.count("sip1.example.net.", rrtype::A) == 1);
  CHECK(h.dns.count("sip1.example.net.", rrtype::AAAA) == 1);
  CHECK(h.dns.total() == 1 + 3 + 6);
  CHECK(h.dns.unregistered().empty());
  // Steps: NAPTR, the three SRV names, then the hosts in target order.
  REQUIRE(r.steps.size() == 10);
  CHECK(r.steps[0].name == "example.net.");
  CHECK(r.steps[0].type == "NAPTR");
  CHECK(r.steps[0].ttl == 3600);
  CHECK_THAT(r.steps[0].detail, Catch::Contains("SIPS+D2T"));
  CHECK(r.steps[1].name == "_sips._tcp.example.net.");
  CHECK(r.steps[2].name == "_sip._tcp.example.net.");
  CHECK(r.steps[3].name == "_sip._udp.example.net.");
  CHECK(r.steps[1].type == "SRV");
  CHECK_THAT(r.steps[1].detail, Catch::Contains("10 60 5061 sip1.example.net."));
  CHECK(r.steps[9].name == "sip3.example.net.");
  CHECK(r.steps[9].result == "nodata");
}

TEST_CASE("NAPTR: the SRV lookups run in parallel, then the address lookups") {
  Harness h;
  good_domain(h.dns);
  h.run("sip:alice@example.net");
  // The three SRV queries are outstanding together; after the TLS SRV answer, the
  // A/AAAA of sip1..sip3 (6) are asked while the other two SRVs are still out.
  CHECK(h.dns.max_in_flight() >= 6);
  const auto& log = h.dns.log();
  REQUIRE(log.size() == 10);
  CHECK(log[0].second == rrtype::NAPTR);
  CHECK(log[1].second == rrtype::SRV);
  CHECK(log[2].second == rrtype::SRV);
  CHECK(log[3].second == rrtype::SRV);
}

TEST_CASE("NAPTR: records are sorted by order, then preference") {
  Harness h;
  h.dns.answer("example.net.", rrtype::NAPTR,
               {R"(20 10 "s" "SIP+D2U" "" _sip._udp.example.net.)",
                R"(10 20 "s" "SIP+D2T" "" _sip._tcp.example.net.)",
                R"(10 10 "S" "SIPS+D2T" "" _sips._tcp.example.net.)"});
  h.dns.answer("_sips._tcp.example.net.", rrtype::SRV, {"0 0 5061 a.example.net."});
  h.dns.answer("_sip._tcp.example.net.", rrtype::SRV, {"0 0 5060 b.example.net."});
  h.dns.answer("_sip._udp.example.net.", rrtype::SRV, {"0 0 5060 c.example.net."});
  h.dns.answer("a.example.net.", rrtype::A, {"192.0.2.1"});
  h.dns.answer("b.example.net.", rrtype::A, {"192.0.2.2"});
  h.dns.answer("c.example.net.", rrtype::A, {"192.0.2.3"});
  auto r = h.run("sip:example.net");
  CHECK(hops(r) == std::vector<std::string>{"tls a.example.net 192.0.2.1 5061",
                                            "tcp b.example.net 192.0.2.2 5060",
                                            "udp c.example.net 192.0.2.3 5060"});
}

TEST_CASE("NAPTR: SCTP and WebSocket services (RFC 3263, RFC 4168, RFC 7118)") {
  Harness h;
  h.dns.answer("example.net.", rrtype::NAPTR,
               {R"(10 50 "s" "SIPS+D2W" "" _sips._ws.example.net.)",
                R"(20 50 "s" "SIP+D2S" "" _sip._sctp.example.net.)",
                R"(30 50 "s" "SIP+D2W" "" _sip._ws.example.net.)",
                R"(40 50 "s" "SIPS+D2S" "" _sips._sctp.example.net.)"});
  h.dns.answer("_sips._ws.example.net.", rrtype::SRV, {"0 0 443 a.example.net."});
  h.dns.answer("_sip._sctp.example.net.", rrtype::SRV, {"0 0 5060 a.example.net."});
  h.dns.answer("_sip._ws.example.net.", rrtype::SRV, {"0 0 80 a.example.net."});
  h.dns.answer("_sips._sctp.example.net.", rrtype::SRV, {"0 0 5061 a.example.net."});
  h.dns.answer("a.example.net.", rrtype::A, {"192.0.2.1"});
  auto r = h.run("sip:example.net");
  CHECK(hops(r) == std::vector<std::string>{
                       "wss a.example.net 192.0.2.1 443", "sctp a.example.net 192.0.2.1 5060",
                       "ws a.example.net 192.0.2.1 80", "tls-sctp a.example.net 192.0.2.1 5061"});
  // sips: keeps the TLS ones only.
  auto s = h.run("sips:example.net");
  CHECK(hops(s) == std::vector<std::string>{"wss a.example.net 192.0.2.1 443",
                                            "tls-sctp a.example.net 192.0.2.1 5061"});
  CHECK(notes_contain(s, "TLS transports only"));
}

TEST_CASE("sips: with a domain that offers only UDP/TCP in NAPTR -> reject with the reason") {
  Harness h;
  h.dns.answer("example.net.", rrtype::NAPTR,
               {R"(10 50 "s" "SIP+D2T" "" _sip._tcp.example.net.)",
                R"(20 50 "s" "SIP+D2U" "" _sip._udp.example.net.)"});
  auto r = h.run("sips:alice@example.net");
  CHECK_FALSE(r.routable());
  CHECK(r.code == reason::kNoUsableRecord);
  CHECK_THAT(r.reason, Catch::Contains("no usable TLS transport"));
  CHECK(h.dns.count("_sip._tcp.example.net.", rrtype::SRV) == 0);
  CHECK(h.dns.count("_sips._tcp.example.net.", rrtype::SRV) == 0);
  CHECK(r.outcome.state == Security::secure);
  CHECK(r.ttl == 300);
}

TEST_CASE("sip: keeps SIPS records (TLS is fine for a sip: URI, RFC 3263 4.1)") {
  Harness h;
  good_domain(h.dns);
  auto r = h.run("sip:example.net");
  CHECK(r.targets.front().transport == "tls");
}

TEST_CASE("NAPTR records that are not for RFC 3263 are skipped with the reason") {
  Harness h;
  h.dns.answer(
      "example.net.", rrtype::NAPTR,
      {R"(10 10 "u" "E2U+sip" "!^.*$!sip:x@example.net!" .)",
       R"(10 20 "u" "SIP+D2T" "" _sip._tcp.example.net.)", R"(10 30 "s" "SIP+D2T" "!^.*$!x!" .)",
       R"(10 40 "s" "SIP+D2X" "" _sip._x.example.net.)",
       R"(10 50 "s" "SIPS+D2U" "" _sips._udp.example.net.)", R"(10 60 "s" "SIP+D2U" "" .)",
       R"(10 70 "s" "SIP+D2U" "" _sip._udp.example.net.)"});
  h.dns.answer("_sip._udp.example.net.", rrtype::SRV, {"0 0 5060 a.example.net."});
  h.dns.answer("a.example.net.", rrtype::A, {"192.0.2.1"});
  auto r = h.run("sip:example.net");
  CHECK(hops(r) == std::vector<std::string>{"udp a.example.net 192.0.2.1 5060"});
  INFO(all_notes(r));
  CHECK(notes_contain(r, "not a SIP service"));
  CHECK(notes_contain(r, "flags must be \"s\""));
  CHECK(notes_contain(r, "regexp field must be empty"));
  CHECK(notes_contain(r, "unknown SIP resolution service"));
  CHECK(notes_contain(r, "replacement is not a plain domain name"));
  CHECK(h.dns.total() == 1 + 1 + 2);
}

TEST_CASE("NAPTR records that are all for other services: SRV fallback") {
  Harness h;
  h.dns.answer("example.net.", rrtype::NAPTR,
               {R"(10 10 "u" "E2U+sip" "!^.*$!sip:x@example.net!" .)"});
  h.dns.answer("_sip._tcp.example.net.", rrtype::SRV, {"0 0 5060 a.example.net."});
  h.dns.answer("a.example.net.", rrtype::A, {"192.0.2.1"});
  auto r = h.run("sip:example.net");
  CHECK(hops(r) == std::vector<std::string>{"tcp a.example.net 192.0.2.1 5060"});
  CHECK(notes_contain(r, "are not for SIP"));
}

TEST_CASE("SIP NAPTR records that are all unusable: reject, no SRV fallback") {
  Harness h;
  h.dns.answer("example.net.", rrtype::NAPTR, {R"(10 10 "u" "SIP+D2T" "" _sip._tcp.example.net.)"});
  h.dns.answer("_sip._tcp.example.net.", rrtype::SRV, {"0 0 5060 a.example.net."});
  auto r = h.run("sip:example.net");
  CHECK_FALSE(r.routable());
  CHECK(r.code == reason::kNoUsableRecord);
  CHECK(h.dns.count("_sip._tcp.example.net.", rrtype::SRV) == 0);
}

TEST_CASE("NAPTR: transports not enabled for next hops are skipped") {
  Harness h;
  good_domain(h.dns);
  auto opt = seeded();
  opt.transports = {Transport::udp, Transport::tcp};
  auto r = h.run("sip:example.net", opt);
  CHECK(r.targets.front().transport == "tcp");
  CHECK(notes_contain(r, "transport tls is not enabled"));
  CHECK(h.dns.count("_sips._tcp.example.net.", rrtype::SRV) == 0);
}

// --- no NAPTR: SRV, then A/AAAA --------------------------------------------------

TEST_CASE("no NAPTR: _sips._tcp, _sip._tcp, _sip._udp in parallel") {
  Harness h;
  h.dns.nodata("example.net.", rrtype::NAPTR);
  h.dns.answer("_sips._tcp.example.net.", rrtype::SRV, {"10 0 5061 a.example.net."});
  h.dns.answer("_sip._tcp.example.net.", rrtype::SRV, {"10 0 5060 a.example.net."});
  h.dns.nxdomain("_sip._udp.example.net.");
  h.dns.answer("a.example.net.", rrtype::A, {"192.0.2.1"});
  auto r = h.run("sip:alice@example.net");
  CHECK(hops(r) == std::vector<std::string>{"tls a.example.net 192.0.2.1 5061",
                                            "tcp a.example.net 192.0.2.1 5060"});
  CHECK(h.dns.max_in_flight() >= 3);
  CHECK(steps(r) == std::vector<std::string>{
                        "example.net. NAPTR nodata", "_sips._tcp.example.net. SRV answer",
                        "_sip._tcp.example.net. SRV answer", "_sip._udp.example.net. SRV nxdomain",
                        "a.example.net. A answer", "a.example.net. AAAA nodata"});
}

TEST_CASE("no NAPTR, sips: only _sips._tcp is used") {
  Harness h;
  h.dns.nodata("example.net.", rrtype::NAPTR);
  h.dns.answer("_sips._tcp.example.net.", rrtype::SRV, {"10 0 5061 a.example.net."});
  h.dns.answer("_sip._tcp.example.net.", rrtype::SRV, {"10 0 5060 b.example.net."});
  h.dns.answer("a.example.net.", rrtype::A, {"192.0.2.1"});
  h.dns.answer("b.example.net.", rrtype::A, {"192.0.2.2"});
  auto r = h.run("sips:alice@example.net");
  CHECK(hops(r) == std::vector<std::string>{"tls a.example.net 192.0.2.1 5061"});
  CHECK(h.dns.count("b.example.net.", rrtype::A) == 0);
}

TEST_CASE("no NAPTR, sips:, SRV for SIP without TLS only -> reject with the reason") {
  Harness h;
  h.dns.nodata("example.net.", rrtype::NAPTR);
  h.dns.answer("_sip._tcp.example.net.", rrtype::SRV, {"10 0 5060 b.example.net."});
  h.dns.answer("example.net.", rrtype::A, {"192.0.2.9"});
  auto r = h.run("sips:alice@example.net");
  CHECK_FALSE(r.routable());
  CHECK(r.code == reason::kNoUsableRecord);
  CHECK_THAT(r.reason, Catch::Contains("offers SIP without TLS only"));
  CHECK_THAT(r.reason, Catch::Contains("_sip._tcp.example.net."));
  CHECK(h.dns.count("example.net.", rrtype::A) == 0);
}

TEST_CASE("no NAPTR, no SRV: A/AAAA on the default port, UDP for sip:, TLS for sips:") {
  Harness h;
  h.dns.nodata("example.net.", rrtype::NAPTR, 250);
  h.dns.answer("example.net.", rrtype::A, {"192.0.2.9"}, 400);
  h.dns.answer("example.net.", rrtype::AAAA, {"2001:db8::9"}, 400);
  auto r = h.run("sip:alice@example.net");
  CHECK(hops(r) == std::vector<std::string>{"udp example.net 192.0.2.9 5060",
                                            "udp example.net 2001:db8::9 5060"});
  CHECK(notes_contain(r, "no SRV records"));
  CHECK(r.ttl == 250);
  auto s = h.run("sips:alice@example.net");
  CHECK(hops(s) == std::vector<std::string>{"tls example.net 192.0.2.9 5061",
                                            "tls example.net 2001:db8::9 5061"});
}

TEST_CASE("no NAPTR, an SRV lookup fails: no A/AAAA fallback (cannot prove there is no SRV)") {
  Harness h;
  h.dns.nodata("example.net.", rrtype::NAPTR);
  h.dns.servfail("_sip._tcp.example.net.", rrtype::SRV);
  h.dns.answer("example.net.", rrtype::A, {"192.0.2.9"});
  auto r = h.run("sip:alice@example.net");
  CHECK_FALSE(r.routable());
  CHECK(r.code == reason::kUpstreamFailure);
  CHECK_THAT(r.reason, Catch::Contains("_sip._tcp.example.net."));
  CHECK(h.dns.count("example.net.", rrtype::A) == 0);
}

TEST_CASE("no NAPTR, one SRV bogus, another fine: the bogus transport is dropped") {
  Harness h;
  h.dns.nodata("example.net.", rrtype::NAPTR);
  h.dns.bogus("_sips._tcp.example.net.", rrtype::SRV, {"10 0 5061 evil.example.net."}, kTampered);
  h.dns.answer("_sip._tcp.example.net.", rrtype::SRV, {"10 0 5060 a.example.net."});
  h.dns.answer("a.example.net.", rrtype::A, {"192.0.2.1"});
  auto r = h.run("sip:alice@example.net");
  CHECK(hops(r) == std::vector<std::string>{"tcp a.example.net 192.0.2.1 5060"});
  CHECK(h.dns.count("evil.example.net.", rrtype::A) == 0);
  CHECK(notes_contain(r, "_sips._tcp.example.net.: answer, bogus"));
  CHECK(r.outcome.state == Security::secure);
}

// --- SRV target "." ---------------------------------------------------------------

TEST_CASE("SRV target \".\": the service is decidedly not available") {
  Harness h;
  h.dns.answer("_sip._udp.example.net.", rrtype::SRV, {"0 0 0 ."});
  h.dns.answer("example.net.", rrtype::A, {"192.0.2.9"});
  auto r = h.run("sip:example.net;transport=udp");
  CHECK_FALSE(r.routable());
  CHECK(r.code == reason::kNoUsableRecord);
  CHECK_THAT(r.reason, Catch::Contains("decidedly not available"));
  CHECK(h.dns.count("example.net.", rrtype::A) == 0);
}

TEST_CASE("SRV target \".\" for one NAPTR transport: the others are used") {
  Harness h;
  good_domain(h.dns);
  h.dns.answer("_sips._tcp.example.net.", rrtype::SRV, {"0 0 0 ."});
  auto r = h.run("sip:example.net");
  REQUIRE(r.routable());
  CHECK(r.targets.front().transport == "tcp");
  CHECK(notes_contain(r, "decidedly not available"));
}

TEST_CASE("SRV target \".\" for every NAPTR transport: reject") {
  Harness h;
  h.dns.answer("example.net.", rrtype::NAPTR, {R"(10 50 "s" "SIP+D2T" "" _sip._tcp.example.net.)"});
  h.dns.answer("_sip._tcp.example.net.", rrtype::SRV, {"0 0 0 ."});
  auto r = h.run("sip:example.net");
  CHECK_FALSE(r.routable());
  CHECK(r.code == reason::kNoUsableRecord);
  CHECK_THAT(r.reason, Catch::Contains("decidedly not available"));
}

TEST_CASE("SRV \".\" among other records is ignored") {
  Harness h;
  h.dns.answer("_sip._tcp.example.net.", rrtype::SRV, {"0 0 0 .", "10 0 5060 a.example.net."});
  h.dns.answer("a.example.net.", rrtype::A, {"192.0.2.1"});
  auto r = h.run("sip:example.net;transport=tcp");
  CHECK(hops(r) == std::vector<std::string>{"tcp a.example.net 192.0.2.1 5060"});
  CHECK(notes_contain(r, "must be the only record"));
}
