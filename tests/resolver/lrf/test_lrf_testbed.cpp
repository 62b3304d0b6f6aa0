// The RFC 3263 locator against the real testbed: NSD serving zones really signed
// with ldns-signzone, validated by libunbound against the testbed's trust anchors
// (tools/testbed/ZONES.md lists every name used here and its expected state).
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "resolver/dns/unbound_client.hpp"
#include "resolver/lrf/locator.hpp"
#include "tests/resolver/testbed.hpp"

using namespace speerd::lrf;
using speerd::dns::Security;
using speerd::testing::testbed_config;
namespace reason = speerd::model::reason;
namespace ede = speerd::dns::ede;

namespace {

LocatorOptions seeded(std::uint64_t seed = 42) {
  LocatorOptions o;
  o.seed = seed;
  return o;
}

struct Testbed {
  boost::asio::io_context io;
  std::unique_ptr<speerd::dns::UnboundClient> client;

  Testbed() {
    auto c = speerd::dns::UnboundClient::create(io, testbed_config().dns);
    REQUIRE(c);
    client = std::move(*c);
  }

  std::vector<LocateResult> run_many(const std::vector<std::string>& uris,
                                     LocatorOptions opt = seeded()) {
    Locator loc(*client, io.get_executor(), std::move(opt));
    std::vector<LocateResult> out(uris.size());
    std::size_t done = 0;
    for (std::size_t i = 0; i < uris.size(); ++i) {
      loc.locate(uris[i], [&out, &done, i](LocateResult r) {
        out[i] = std::move(r);
        ++done;
      });
    }
    io.run();
    io.restart();
    REQUIRE(done == uris.size());
    return out;
  }

  LocateResult run(const std::string& uri, LocatorOptions opt = seeded()) {
    return run_many({uri}, std::move(opt)).front();
  }
};

LocateResult locate(const std::string& uri, LocatorOptions opt = seeded()) {
  Testbed tb;
  return tb.run(uri, std::move(opt));
}

std::vector<std::string> hops(const LocateResult& r) {
  std::vector<std::string> v;
  for (const auto& t : r.targets) {
    v.push_back(t.transport + " " + t.host + " " + t.address + " " + std::to_string(t.port));
  }
  return v;
}

bool notes_contain(const LocateResult& r, const std::string& what) {
  for (const auto& n : r.notes) {
    if (n.find(what) != std::string::npos) return true;
  }
  return false;
}

std::string describe(const LocateResult& r) {
  std::string s = std::string(speerd::model::to_string(r.code)) + ": " + r.reason + "\n";
  for (const auto& st : r.steps) {
    s += "  step " + st.name + " " + st.type + " " + st.result + " ttl " + std::to_string(st.ttl) +
         " " + std::string(speerd::dns::to_string(st.outcome.state)) + " " + st.outcome.reason +
         " [" + st.detail + "]\n";
  }
  for (const auto& n : r.notes) s += "  note " + n + "\n";
  for (const auto& h : hops(r)) s += "  hop " + h + "\n";
  return s;
}

const speerd::model::Step* find_step(const LocateResult& r, const std::string& name,
                                     const std::string& type) {
  for (const auto& s : r.steps) {
    if (s.name == name && s.type == type) return &s;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("LRF testbed: good.peers.example NAPTR -> SRV -> A/AAAA for every transport") {
  auto r = locate("sip:alice@good.peers.example");
  INFO(describe(r));
  REQUIRE(r.routable());
  const auto v = hops(r);
  REQUIRE(v.size() == 8);
  const std::set<std::string> first3{v[0], v[1], v[2]};
  CHECK(first3 == std::set<std::string>{"tls sip1.good.peers.example 127.0.0.11 5061",
                                        "tls sip1.good.peers.example ::1 5061",
                                        "tls sip2.good.peers.example 127.0.0.12 5061"});
  CHECK(v[3] == "tls sip3.good.peers.example 127.0.0.13 5061");
  CHECK(v[4] == "tcp sip1.good.peers.example 127.0.0.11 5060");
  CHECK(v[5] == "tcp sip1.good.peers.example ::1 5060");
  CHECK(v[6] == "udp sip1.good.peers.example 127.0.0.11 5060");
  CHECK(v[7] == "udp sip1.good.peers.example ::1 5060");
  CHECK(r.outcome.state == Security::secure);
  for (const auto& t : r.targets) CHECK(t.outcome.state == Security::secure);
  for (const auto& s : r.steps) CHECK(s.outcome.state == Security::secure);
  REQUIRE_FALSE(r.steps.empty());
  CHECK(r.steps[0].name == "good.peers.example.");
  CHECK(r.steps[0].type == "NAPTR");
  CHECK(r.steps[0].ttl <= 3600);
  // NAPTR 3600, SRV 600, A/AAAA 300 (ZONES.md): the smallest on the path.
  CHECK(r.ttl <= 300);
  CHECK(r.ttl > 0);
  CHECK(r.targets[3].priority == 20);
}

TEST_CASE("LRF testbed: one transport at a time through the transport= parameter") {
  Testbed tb;
  auto tcp = tb.run("sip:good.peers.example;transport=tcp");
  CHECK(hops(tcp) == std::vector<std::string>{"tcp sip1.good.peers.example 127.0.0.11 5060",
                                              "tcp sip1.good.peers.example ::1 5060"});
  CHECK(find_step(tcp, "good.peers.example.", "NAPTR") == nullptr);
  auto udp = tb.run("sip:good.peers.example;transport=udp");
  CHECK(hops(udp) == std::vector<std::string>{"udp sip1.good.peers.example 127.0.0.11 5060",
                                              "udp sip1.good.peers.example ::1 5060"});
  auto tls = tb.run("sip:good.peers.example;transport=tls");
  CHECK(tls.targets.size() == 4);
  for (const auto& t : tls.targets) CHECK(t.transport == "tls");
}

TEST_CASE("LRF testbed: sips: keeps the TLS transport only") {
  auto r = locate("sips:alice@good.peers.example");
  INFO(describe(r));
  REQUIRE(r.routable());
  CHECK(r.targets.size() == 4);
  for (const auto& t : r.targets) {
    CHECK(t.transport == "tls");
    CHECK(t.port == 5061);
  }
  CHECK(notes_contain(r, "TLS transports only"));
  CHECK(find_step(r, "_sip._tcp.good.peers.example.", "SRV") == nullptr);
}

TEST_CASE("LRF testbed: SCTP and WebSocket transports (RFC 3263, RFC 7118)") {
  Testbed tb;
  auto r = tb.run("sip:more.good.peers.example");
  INFO(describe(r));
  CHECK(hops(r) == std::vector<std::string>{"wss sip1.good.peers.example 127.0.0.11 443",
                                            "wss sip1.good.peers.example ::1 443",
                                            "sctp sip2.good.peers.example 127.0.0.12 5060",
                                            "ws sip3.good.peers.example 127.0.0.13 80"});
  CHECK(r.outcome.state == Security::secure);
  auto s = tb.run("sips:more.good.peers.example");
  CHECK(hops(s) == std::vector<std::string>{"wss sip1.good.peers.example 127.0.0.11 443",
                                            "wss sip1.good.peers.example ::1 443"});
}

TEST_CASE("LRF testbed: sips: at a domain without TLS is rejected with the reason") {
  Testbed tb;
  auto naptr = tb.run("sips:alice@notls.good.peers.example");
  INFO(describe(naptr));
  CHECK_FALSE(naptr.routable());
  CHECK(naptr.code == reason::kNoUsableRecord);
  CHECK_THAT(naptr.reason, Catch::Contains("no usable TLS transport"));
  CHECK(naptr.outcome.state == Security::secure);
  // The same domain is fine for sip:.
  auto sip = tb.run("sip:alice@notls.good.peers.example");
  CHECK(sip.routable());
  CHECK(sip.targets.front().transport == "tcp");
  // Without NAPTR: only _sip._tcp exists at bad-a.
  auto srv = tb.run("sips:bad-a.good.peers.example");
  INFO(describe(srv));
  CHECK(srv.code == reason::kNoUsableRecord);
  CHECK_THAT(srv.reason, Catch::Contains("offers SIP without TLS only"));
}

TEST_CASE("LRF testbed: SRV priorities and weights (reproducible by seed)") {
  Testbed tb;
  const std::vector<std::string> uris(200, "sips:good.peers.example");
  auto a = tb.run_many(uris, seeded(7));
  auto b = tb.run_many(uris, seeded(7));
  int sip1_first = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].routable());
    CHECK(hops(a[i]) == hops(b[i]));
    CHECK(a[i].targets.back().host == "sip3.good.peers.example");
    CHECK(a[i].targets.back().priority == 20);
    if (a[i].targets.front().host == "sip1.good.peers.example") ++sip1_first;
  }
  // Weights 60/40; deterministic for seed 7, the bounds only say "weighted".
  CHECK(sip1_first > 90);
  CHECK(sip1_first < 150);
}

TEST_CASE("LRF testbed: explicit port -> A/AAAA only, numeric host -> no DNS") {
  Testbed tb;
  auto r = tb.run("sip:sip1.good.peers.example:5080;transport=tcp");
  INFO(describe(r));
  CHECK(hops(r) == std::vector<std::string>{"tcp sip1.good.peers.example 127.0.0.11 5080",
                                            "tcp sip1.good.peers.example ::1 5080"});
  REQUIRE(r.steps.size() == 2);
  CHECK(r.steps[0].type == "A");
  CHECK(r.steps[1].type == "AAAA");
  CHECK(r.outcome.state == Security::secure);
  CHECK(r.ttl <= 300);
  const auto before = tb.client->queries_sent();
  auto n = tb.run("sips:127.0.0.1:5071");
  CHECK(hops(n) == std::vector<std::string>{"tls 127.0.0.1 127.0.0.1 5071"});
  CHECK(tb.client->queries_sent() == before);
}

TEST_CASE("LRF testbed: secure SRV whose only target's A is bogus -> reject with reason") {
  Testbed tb;
  for (const std::string uri :
       {"sip:bad-a.good.peers.example;transport=tcp", "sip:bad-a.good.peers.example"}) {
    auto r = tb.run(uri);
    INFO(uri << "\n" << describe(r));
    CHECK_FALSE(r.routable());
    CHECK(r.code == reason::kDnssecBogus);
    CHECK_THAT(r.reason, Catch::Contains("host.tampered.peers.example. A is bogus"));
    CHECK(r.outcome.state == Security::bogus);
    CHECK(r.outcome.ede == ede::kDnssecBogus);
    const auto* srv = find_step(r, "_sip._tcp.bad-a.good.peers.example.", "SRV");
    REQUIRE(srv != nullptr);
    CHECK(srv->outcome.state == Security::secure);
    CHECK(notes_contain(r, "host.tampered.peers.example. A dropped"));
  }
}

TEST_CASE("LRF testbed: one bogus and one secure SRV target -> the bogus one dropped") {
  auto r = locate("sip:mixed-a.good.peers.example;transport=tcp");
  INFO(describe(r));
  REQUIRE(r.routable());
  CHECK(hops(r) == std::vector<std::string>{"tcp sip2.good.peers.example 127.0.0.12 5060"});
  CHECK(r.outcome.state == Security::secure);
  CHECK(notes_contain(r, "host.tampered.peers.example. A dropped: answer, bogus"));
  const auto* a = find_step(r, "host.tampered.peers.example.", "A");
  REQUIRE(a != nullptr);
  CHECK(a->outcome.state == Security::bogus);
  CHECK(a->outcome.ede == ede::kDnssecBogus);
}

TEST_CASE("LRF testbed: SRV target \".\" -> service not available") {
  auto r = locate("sip:unavailable.good.peers.example;transport=udp");
  INFO(describe(r));
  CHECK_FALSE(r.routable());
  CHECK(r.code == reason::kNoUsableRecord);
  CHECK_THAT(r.reason, Catch::Contains("decidedly not available"));
  CHECK(r.outcome.state == Security::secure);
}

TEST_CASE("LRF testbed: insecure peer domain -> insecure targets, policy decides") {
  auto r = locate("sip:x@insecure.peers.example");
  INFO(describe(r));
  REQUIRE(r.routable());
  CHECK(r.outcome.state == Security::insecure);
  CHECK(r.targets.front().address == "127.0.0.21");
  CHECK(r.targets.front().transport == "tls");
  for (const auto& t : r.targets) CHECK(t.outcome.state == Security::insecure);
  auto allowed = r;
  apply_insecure_policy(allowed, true);
  CHECK(allowed.routable());
  auto strict = r;
  apply_insecure_policy(strict, false);
  CHECK_FALSE(strict.routable());
  CHECK(strict.code == reason::kInsecureNotAllowed);
}

TEST_CASE("LRF testbed: tampered / expired / stripped peer domains -> reject, reason, EDE") {
  Testbed tb;
  struct Case {
    std::string uri;
    std::uint16_t ede;
    std::string phrase;
  };
  for (const auto& c :
       {Case{"sip:x@tampered.peers.example", ede::kDnssecBogus, "signature"},
        Case{"sip:x@expired.peers.example", ede::kSignatureExpired, "signature expired"},
        Case{"sip:x@stripped.peers.example", ede::kRrsigsMissing, "no signatures"}}) {
    auto r = tb.run(c.uri);
    INFO(c.uri << "\n" << describe(r));
    CHECK_FALSE(r.routable());
    CHECK(r.code == reason::kDnssecBogus);
    CHECK(r.outcome.state == Security::bogus);
    CHECK(r.outcome.ede == c.ede);
    CHECK_THAT(r.reason, Catch::Contains(c.phrase));
    // A bogus NAPTR stops the lookup: no SRV fallback, no targets.
    CHECK(r.targets.empty());
    CHECK(r.steps.size() == 1);
  }
}

TEST_CASE("LRF testbed: srvonly -> SRV fallback (no NAPTR)") {
  Testbed tb;
  auto r = tb.run("sip:srvonly.peers.example");
  INFO(describe(r));
  CHECK(hops(r) == std::vector<std::string>{"tls sip1.srvonly.peers.example 127.0.0.31 5061",
                                            "tcp sip1.srvonly.peers.example 127.0.0.31 5060"});
  const auto* naptr = find_step(r, "srvonly.peers.example.", "NAPTR");
  REQUIRE(naptr != nullptr);
  CHECK(naptr->result == "nodata");
  CHECK(naptr->outcome.state == Security::secure);
  const auto* udp = find_step(r, "_sip._udp.srvonly.peers.example.", "SRV");
  REQUIRE(udp != nullptr);
  CHECK(udp->result == "nxdomain");
  CHECK(r.outcome.state == Security::secure);
  auto s = tb.run("sips:srvonly.peers.example");
  CHECK(hops(s) == std::vector<std::string>{"tls sip1.srvonly.peers.example 127.0.0.31 5061"});
}

TEST_CASE("LRF testbed: aonly -> A/AAAA at the default port (no NAPTR, no SRV)") {
  Testbed tb;
  auto r = tb.run("sip:aonly.peers.example");
  INFO(describe(r));
  CHECK(hops(r) == std::vector<std::string>{"udp aonly.peers.example 127.0.0.41 5060",
                                            "udp aonly.peers.example ::1 5060"});
  CHECK(r.outcome.state == Security::secure);
  CHECK(r.ttl <= 300);
  auto s = tb.run("sips:aonly.peers.example");
  CHECK(hops(s) == std::vector<std::string>{"tls aonly.peers.example 127.0.0.41 5061",
                                            "tls aonly.peers.example ::1 5061"});
}

TEST_CASE("LRF testbed: a nonexistent peer domain is not found") {
  auto r = locate("sip:x@nothere.peers.example");
  INFO(describe(r));
  CHECK(r.code == reason::kNotFound);
  CHECK(r.outcome.state == Security::secure);
}

TEST_CASE("LRF testbed: the weakest step decides the outcome") {
  Testbed tb;
  // Every step secure -> secure; an insecure domain -> insecure; a bogus NAPTR whose
  // SRV records are secure -> bogus.
  CHECK(tb.run("sip:good.peers.example").outcome.state == Security::secure);
  CHECK(tb.run("sip:insecure.peers.example").outcome.state == Security::insecure);
  auto t = tb.run("sip:tampered.peers.example");
  CHECK(t.outcome.state == Security::bogus);
}

TEST_CASE("LRF testbed: addresses from the additional section of a secure SRV answer") {
  // NSD adds the in-zone A/AAAA of the SRV targets; libunbound validates them with
  // the zone's key and keeps them (val-clean-additional), so no query is needed.
  Testbed tb;
  auto r = tb.run("sips:good.peers.example");
  INFO(describe(r));
  REQUIRE(r.routable());
  const auto* a = find_step(r, "sip1.good.peers.example.", "A");
  REQUIRE(a != nullptr);
  CHECK_THAT(a->detail, Catch::Contains("from the additional section"));
  CHECK(a->outcome.state == Security::secure);
  // NAPTR + SRV + the AAAA of sip2 and sip3 (absent from the additional section).
  CHECK(r.queries == 4);
}

TEST_CASE("LRF testbed: a tampered A in the additional section of a secure SRV is not used") {
  // NSD serves sip1.tampered.peers.example A 127.0.0.99 (tampered) in the additional
  // section of the secure _sip._tcp.tampered SRV answer; libunbound strips it, the
  // locator asks for it and gets it bogus.
  Testbed tb;
  auto r = tb.run("sip:tampered.peers.example;transport=tcp");
  INFO(describe(r));
  CHECK_FALSE(r.routable());
  CHECK(r.code == reason::kDnssecBogus);
  const auto* a = find_step(r, "sip1.tampered.peers.example.", "A");
  REQUIRE(a != nullptr);
  CHECK(a->outcome.state == Security::bogus);
  CHECK_THAT(a->detail, !Catch::Contains("additional"));
  for (const auto& t : r.targets) CHECK(t.address != "127.0.0.99");
}
