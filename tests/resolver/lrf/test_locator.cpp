// The RFC 3263 locator on the in-memory fake DNS: every branch of RFC 3263 section 4,
// SRV ordering, parallelism, bounds, validation outcomes and TTLs.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "resolver/lrf/locator.hpp"
#include "tests/resolver/fake_dns.hpp"

using namespace speerd::lrf;
using speerd::dns::Outcome;
using speerd::dns::Security;
using speerd::testing::FakeDns;
namespace rrtype = speerd::dns::rrtype;
namespace reason = speerd::pipeline::reason;

namespace {

const std::string kTampered =
    "validation failure <host.example.net. A IN>: ECDSA signature verification failed from "
    "127.0.0.1";

LocatorOptions seeded(std::uint64_t seed = 42) {
  LocatorOptions o;
  o.seed = seed;
  return o;
}

struct Harness {
  boost::asio::io_context io;
  FakeDns dns{io};

  LocateResult run(const std::string& uri, LocatorOptions opt = seeded()) {
    Locator loc(dns, io.get_executor(), std::move(opt));
    bool called = false;
    LocateResult out;
    loc.locate(uri, [&](LocateResult r) {
      CHECK_FALSE(called);
      called = true;
      out = std::move(r);
    });
    CHECK_FALSE(called);  // never from inside locate()
    io.run();
    io.restart();
    REQUIRE(called);
    return out;
  }
};

// "transport host address port"
std::vector<std::string> hops(const LocateResult& r) {
  std::vector<std::string> v;
  for (const auto& t : r.targets) {
    v.push_back(t.transport + " " + t.host + " " + t.address + " " + std::to_string(t.port));
  }
  return v;
}

std::vector<std::string> steps(const LocateResult& r) {
  std::vector<std::string> v;
  for (const auto& s : r.steps) v.push_back(s.name + " " + s.type + " " + s.result);
  return v;
}

bool notes_contain(const LocateResult& r, const std::string& what) {
  for (const auto& n : r.notes) {
    if (n.find(what) != std::string::npos) return true;
  }
  return false;
}

std::string all_notes(const LocateResult& r) {
  std::string s;
  for (const auto& n : r.notes) s += n + "\n";
  return s;
}

// A peer domain like the testbed's good.peers.example.
void good_domain(FakeDns& dns, const std::string& d = "example.net.",
                 Outcome o = Outcome::secure()) {
  dns.answer(
      d, rrtype::NAPTR,
      {R"(50 50 "s" "SIPS+D2T" "" _sips._tcp.)" + d, R"(90 50 "s" "SIP+D2T" "" _sip._tcp.)" + d,
       R"(100 50 "s" "SIP+D2U" "" _sip._udp.)" + d},
      3600, o);
  dns.answer("_sips._tcp." + d, rrtype::SRV,
             {"10 60 5061 sip1." + d, "10 40 5061 sip2." + d, "20 0 5061 sip3." + d}, 600, o);
  dns.answer("_sip._tcp." + d, rrtype::SRV, {"10 0 5060 sip1." + d}, 600, o);
  dns.answer("_sip._udp." + d, rrtype::SRV, {"10 0 5060 sip1." + d}, 600, o);
  dns.answer("sip1." + d, rrtype::A, {"192.0.2.11"}, 300, o);
  dns.answer("sip1." + d, rrtype::AAAA, {"2001:db8::11"}, 300, o);
  dns.answer("sip2." + d, rrtype::A, {"192.0.2.12"}, 300, o);
  dns.nodata("sip2." + d, rrtype::AAAA, 300, o);
  dns.answer("sip3." + d, rrtype::A, {"192.0.2.13"}, 300, o);
  dns.nodata("sip3." + d, rrtype::AAAA, 300, o);
}

}  // namespace

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
  CHECK(r.outcome.state == Security::secure);
  CHECK(r.ttl == kNoDnsTtl);
}

TEST_CASE("numeric host: sips: means TLS on 5061; port and transport from the URI") {
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

// --- SRV priority and weight -------------------------------------------------------

TEST_CASE("SRV weighted order is reproducible by seed and follows the weights") {
  int sip1_first = 0;
  const int runs = 300;
  for (int seed = 0; seed < runs; ++seed) {
    Harness a;
    Harness b;
    good_domain(a.dns);
    good_domain(b.dns);
    auto ra = a.run("sips:example.net", seeded(static_cast<std::uint64_t>(seed)));
    auto rb = b.run("sips:example.net", seeded(static_cast<std::uint64_t>(seed)));
    REQUIRE(hops(ra) == hops(rb));
    if (ra.targets.front().host == "sip1.example.net") ++sip1_first;
    CHECK(ra.targets.back().host == "sip3.example.net");
  }
  // Deterministic for these seeds; weights 60/40.
  CHECK(sip1_first > runs * 45 / 100);
  CHECK(sip1_first < runs * 75 / 100);
}

TEST_CASE("one Locator: successive locates draw different orders") {
  Harness h;
  good_domain(h.dns);
  boost::asio::io_context& io = h.io;
  Locator loc(h.dns, io.get_executor(), seeded(5));
  std::set<std::string> firsts;
  for (int i = 0; i < 40; ++i) {
    loc.locate("sips:example.net", [&](LocateResult r) { firsts.insert(r.targets.front().host); });
  }
  io.run();
  CHECK(firsts == std::set<std::string>{"sip1.example.net", "sip2.example.net"});
}

TEST_CASE("the result does not depend on the order the answers arrive in") {
  auto run_with = [](bool reversed) {
    Harness h;
    good_domain(h.dns);
    Locator loc(h.dns, h.io.get_executor(), seeded(9));
    LocateResult out;
    bool called = false;
    h.dns.hold();
    loc.locate("sip:example.net", [&](LocateResult r) {
      called = true;
      out = std::move(r);
    });
    // Deliver each round of answers in the chosen order; the handlers of one round
    // ask the next round's questions, which are held again.
    while (h.dns.held() > 0) {
      if (reversed) {
        h.dns.release_reversed();
      } else {
        h.dns.release_all();
      }
      h.dns.hold();
      h.io.restart();
      h.io.poll();
    }
    h.io.restart();
    h.io.run();
    REQUIRE(called);
    return out;
  };
  auto a = run_with(false);
  auto b = run_with(true);
  REQUIRE(a.routable());
  CHECK(hops(a) == hops(b));
  CHECK(steps(a) == steps(b));
  CHECK(a.ttl == b.ttl);
}

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

TEST_CASE("expired signatures: EDE 7; missing signatures: EDE 10") {
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

TEST_CASE("NAPTR SERVFAIL: upstream failure, no fallback; NXDOMAIN: not found") {
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

TEST_CASE("insecure steps are marked, not dropped; the policy helper applies the setting") {
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

// --- bounds --------------------------------------------------------------------

TEST_CASE("bound: NAPTR records followed") {
  Harness h;
  std::vector<std::string> naptrs;
  for (int i = 0; i < 20; ++i) {
    naptrs.push_back(std::to_string(i) + R"( 10 "s" "SIP+D2T" "" _sip._tcp.n)" + std::to_string(i) +
                     ".example.net.");
  }
  h.dns.answer("example.net.", rrtype::NAPTR, naptrs);
  auto r = h.run("sip:example.net");
  int srv = 0;
  for (const auto& q : h.dns.log()) srv += q.second == rrtype::SRV ? 1 : 0;
  CHECK(srv == static_cast<int>(kMaxNaptrRecords));
  CHECK(notes_contain(r, "NAPTR record limit"));
}

TEST_CASE("bound: SRV records used, lowest priorities first") {
  Harness h;
  std::vector<std::string> srvs;
  for (int i = 0; i < 30; ++i) {
    srvs.push_back(std::to_string(100 - i) + " 0 5060 h" + std::to_string(i) + ".example.net.");
    h.dns.answer("h" + std::to_string(i) + ".example.net.", rrtype::A,
                 {"192.0.2." + std::to_string(i + 1)});
  }
  h.dns.answer("_sip._tcp.example.net.", rrtype::SRV, srvs);
  auto r = h.run("sip:example.net;transport=tcp");
  CHECK(r.targets.size() == kMaxSrvRecords);
  CHECK(r.targets.front().host == "h29.example.net");  // priority 71
  CHECK(notes_contain(r, "past the SRV record limit"));
}

TEST_CASE("bound: target hosts, addresses per family, targets, queries") {
  Harness h;
  std::vector<std::string> srvs;
  for (int i = 0; i < 6; ++i) {
    srvs.push_back("10 0 5060 h" + std::to_string(i) + ".example.net.");
    std::vector<std::string> addrs;
    for (int j = 0; j < 10; ++j)
      addrs.push_back("192.0." + std::to_string(i) + "." + std::to_string(j + 1));
    h.dns.answer("h" + std::to_string(i) + ".example.net.", rrtype::A, addrs);
  }
  h.dns.answer("_sip._tcp.example.net.", rrtype::SRV, srvs);

  LocatorOptions opt = seeded();
  opt.limits.max_target_hosts = 3;
  opt.limits.max_addresses_per_family = 2;
  auto r = h.run("sip:example.net;transport=tcp", opt);
  CHECK(r.targets.size() == 6);
  CHECK(notes_contain(r, "target host limit (3)"));
  CHECK(notes_contain(r, "per-family limit (2)"));
  CHECK(h.dns.total() == 1 + 3 * 2);

  opt = seeded();
  opt.limits.max_targets = 4;
  auto t = h.run("sip:example.net;transport=tcp", opt);
  CHECK(t.targets.size() == 4);
  CHECK(notes_contain(t, "past the target limit (4)"));

  opt = seeded();
  opt.limits.max_queries = 5;
  h.dns.reset_counters();
  auto q = h.run("sip:example.net;transport=tcp", opt);
  CHECK(h.dns.total() == 5);
  CHECK(q.queries == 5);
  CHECK(notes_contain(q, "query limit (5) reached"));
  CHECK(q.routable());
}

TEST_CASE("bound: the query limit during the SRV fallback ends the lookup cleanly") {
  Harness h;
  h.dns.nodata("example.net.", rrtype::NAPTR);
  LocatorOptions opt = seeded();
  opt.limits.max_queries = 2;
  auto r = h.run("sip:example.net", opt);
  CHECK_FALSE(r.routable());
  CHECK(h.dns.total() == 2);
  CHECK(notes_contain(r, "query limit (2) reached"));
}

TEST_CASE("bound: a query limit of 0 or 1 gives a clean reject") {
  Harness h;
  good_domain(h.dns);
  LocatorOptions opt = seeded();
  opt.limits.max_queries = 0;
  auto z = h.run("sip:example.net", opt);
  CHECK(z.code == reason::kUpstreamFailure);
  CHECK(h.dns.total() == 0);
  opt.limits.max_queries = 1;
  auto one = h.run("sip:example.net", opt);
  CHECK_FALSE(one.routable());
  CHECK(one.code == reason::kUpstreamFailure);
  CHECK_THAT(one.reason, Catch::Contains("query limit"));
  CHECK(h.dns.total() == 1);
  CHECK(notes_contain(one, "query limit (1) reached"));
}

TEST_CASE("the same next hop from two SRV records is listed once") {
  Harness h;
  h.dns.answer("_sip._tcp.example.net.", rrtype::SRV,
               {"10 0 5060 a.example.net.", "20 0 5060 alias.example.net."});
  h.dns.answer("a.example.net.", rrtype::A, {"192.0.2.1"});
  h.dns.answer("alias.example.net.", rrtype::A, {"192.0.2.1"});
  auto r = h.run("sip:example.net;transport=tcp");
  CHECK(hops(r) == std::vector<std::string>{"tcp a.example.net 192.0.2.1 5060"});
}

TEST_CASE("address order option: IPv6 first") {
  Harness h;
  h.dns.answer("pbx.example.net.", rrtype::A, {"192.0.2.20"});
  h.dns.answer("pbx.example.net.", rrtype::AAAA, {"2001:db8::20"});
  auto opt = seeded();
  opt.address_order = AddressOrder::ipv6_first;
  auto r = h.run("sip:pbx.example.net:5060", opt);
  CHECK(hops(r) == std::vector<std::string>{"udp pbx.example.net 2001:db8::20 5060",
                                            "udp pbx.example.net 192.0.2.20 5060"});
}

// --- input -----------------------------------------------------------------------

TEST_CASE("malformed URIs: bad-input with the reason, no DNS") {
  Harness h;
  for (const std::string uri :
       {"tel:+12155551234", "sip:", "sip:a b@example.net", "sip:a@example.net\r\n",
        "http://example.net/", "sip:a@example.net:99999", "sips:a@example.net;transport=udp",
        "sip:a@example.net;transport=foo"}) {
    INFO(uri);
    auto r = h.run(uri);
    CHECK_FALSE(r.routable());
    CHECK(r.code == reason::kBadInput);
    CHECK_FALSE(r.reason.empty());
    CHECK(r.ttl == 0);
  }
  CHECK(h.dns.total() == 0);
}

TEST_CASE("a transport that is not enabled: reject without DNS") {
  Harness h;
  auto opt = seeded();
  opt.transports = {Transport::tls};
  auto r = h.run("sip:192.0.2.1", opt);
  CHECK(r.code == reason::kNoUsableRecord);
  auto s = h.run("sip:example.net;transport=tcp", opt);
  CHECK(s.code == reason::kNoUsableRecord);
  CHECK(h.dns.total() == 0);
}

TEST_CASE("maddr is noted and ignored") {
  Harness h;
  h.dns.answer("pbx.example.net.", rrtype::A, {"192.0.2.20"});
  auto r = h.run("sip:pbx.example.net:5060;maddr=198.51.100.1");
  CHECK(hops(r) == std::vector<std::string>{"udp pbx.example.net 192.0.2.20 5060"});
  CHECK(notes_contain(r, "maddr=198.51.100.1 ignored"));
}

TEST_CASE("the Locator may go away while lookups are in flight") {
  Harness h;
  good_domain(h.dns);
  bool called = false;
  {
    Locator loc(h.dns, h.io.get_executor(), seeded());
    loc.locate("sip:example.net", [&](LocateResult r) {
      called = true;
      CHECK(r.routable());
    });
  }
  h.io.run();
  CHECK(called);
}
