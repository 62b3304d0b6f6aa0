// The RFC 3263 locator on the in-memory fake DNS: SRV priority/weight order and its
// reproducibility, bounds on the work done, input checks, and the Locator's lifetime.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
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
