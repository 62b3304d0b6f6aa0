// Shared helpers for the RFC 3263 locator tests on the in-memory fake DNS
// (test_locator_*.cpp): a Harness that runs one locate() to completion, views of a
// LocateResult as text, and a peer domain like the testbed's good.peers.example.
#pragma once

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "resolver/lrf/locator.hpp"
#include "tests/resolver/fake_dns.hpp"

namespace speerd::testing::locator {

inline const std::string kTampered =
    "validation failure <host.example.net. A IN>: ECDSA signature verification failed from "
    "127.0.0.1";

inline speerd::lrf::LocatorOptions seeded(std::uint64_t seed = 42) {
  speerd::lrf::LocatorOptions o;
  o.seed = seed;
  return o;
}

struct Harness {
  boost::asio::io_context io;
  FakeDns dns{io};

  speerd::lrf::LocateResult run(const std::string& uri,
                                speerd::lrf::LocatorOptions opt = seeded()) {
    speerd::lrf::Locator loc(dns, io.get_executor(), std::move(opt));
    bool called = false;
    speerd::lrf::LocateResult out;
    loc.locate(uri, [&](speerd::lrf::LocateResult r) {
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
inline std::vector<std::string> hops(const speerd::lrf::LocateResult& r) {
  std::vector<std::string> v;
  for (const auto& t : r.targets) {
    v.push_back(t.transport + " " + t.host + " " + t.address + " " + std::to_string(t.port));
  }
  return v;
}

inline std::vector<std::string> steps(const speerd::lrf::LocateResult& r) {
  std::vector<std::string> v;
  for (const auto& s : r.steps) v.push_back(s.name + " " + s.type + " " + s.result);
  return v;
}

inline bool notes_contain(const speerd::lrf::LocateResult& r, const std::string& what) {
  for (const auto& n : r.notes) {
    if (n.find(what) != std::string::npos) return true;
  }
  return false;
}

inline std::string all_notes(const speerd::lrf::LocateResult& r) {
  std::string s;
  for (const auto& n : r.notes) s += n + "\n";
  return s;
}

// A peer domain like the testbed's good.peers.example.
inline void good_domain(FakeDns& dns, const std::string& d = "example.net.",
                        speerd::dns::Outcome o = speerd::dns::Outcome::secure()) {
  namespace rrtype = speerd::dns::rrtype;
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

}  // namespace speerd::testing::locator
