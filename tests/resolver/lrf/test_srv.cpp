// SRV rdata decoding and the RFC 2782 ordering.
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "resolver/dns/client.hpp"
#include "resolver/lrf/srv.hpp"
#include "tests/resolver/fake_dns.hpp"

using namespace speerd::lrf;
using speerd::testing::FakeDns;

namespace {

std::string wire(const std::string& text) {
  return FakeDns::rdata_wire(speerd::dns::rrtype::SRV, text);
}

SrvRecord rec(std::uint16_t prio, std::uint16_t weight, std::string target,
              std::uint16_t port = 5060) {
  return SrvRecord{prio, weight, port, std::move(target)};
}

std::vector<std::string> targets(const std::vector<SrvRecord>& v) {
  std::vector<std::string> out;
  for (const auto& r : v) out.push_back(r.target);
  return out;
}

}  // namespace

TEST_CASE("SRV rdata: decodes, lower-cases the target") {
  auto r = parse_srv_rdata(wire("10 60 5061 SIP1.Example.COM."));
  REQUIRE(r);
  CHECK(r->priority == 10);
  CHECK(r->weight == 60);
  CHECK(r->port == 5061);
  CHECK(r->target == "sip1.example.com.");
  CHECK(to_text(*r) == "10 60 5061 sip1.example.com.");
  CHECK_FALSE(r->no_service());
}

TEST_CASE("SRV rdata: target \".\" means no service") {
  auto r = parse_srv_rdata(wire("0 0 0 ."));
  REQUIRE(r);
  CHECK(r->no_service());
}

TEST_CASE("SRV rdata: hostile input is refused") {
  CHECK_FALSE(parse_srv_rdata(""));
  CHECK_FALSE(parse_srv_rdata(std::string("\0\1\0\2\0\3", 6)));
  // Truncated name.
  CHECK_FALSE(parse_srv_rdata(std::string("\0\1\0\2\0\3\5ab", 9)));
  // Compression pointer.
  CHECK_FALSE(parse_srv_rdata(std::string("\0\1\0\2\0\3\xc0\x0c", 8)));
  // Trailing bytes.
  CHECK_FALSE(parse_srv_rdata(wire("1 2 3 a.example.") + "x"));
  // A label byte that is not a host name character.
  auto bad =
      parse_srv_rdata(std::string("\0\1\0\2\0\3\3a\x01"
                                  "b\0",
                                  12));
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error(), Catch::Contains("not a host name"));
  // Names longer than 255 bytes.
  std::string longname("\0\1\0\2\0\3", 6);
  for (int i = 0; i < 5; ++i) longname += std::string(1, '\x3f') + std::string(63, 'a');
  longname.push_back('\0');
  CHECK_FALSE(parse_srv_rdata(longname));
}

TEST_CASE("srv_uniform stays in range and is reproducible") {
  Random a(7);
  Random b(7);
  for (int i = 0; i < 1000; ++i) {
    const auto x = srv_uniform(a, 9);
    CHECK(x <= 9);
    CHECK(x == srv_uniform(b, 9));
  }
  Random c(1);
  CHECK(srv_uniform(c, 0) == 0);
}

TEST_CASE("order_srv: lower priority first, whatever the input order") {
  Random rng(1);
  auto out =
      order_srv({rec(20, 0, "c."), rec(10, 5, "a."), rec(30, 100, "d."), rec(10, 5, "b.")}, rng);
  REQUIRE(out.size() == 4);
  CHECK(out[0].priority == 10);
  CHECK(out[1].priority == 10);
  CHECK(out[2].target == "c.");
  CHECK(out[3].target == "d.");
}

TEST_CASE("order_srv: the same seed gives the same order, whatever the input order") {
  const std::vector<SrvRecord> in{rec(10, 60, "sip1."), rec(10, 40, "sip2."), rec(10, 10, "sip4."),
                                  rec(20, 0, "sip3.")};
  std::vector<SrvRecord> reversed(in.rbegin(), in.rend());
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    Random a(seed);
    Random b(seed);
    CHECK(order_srv(in, a) == order_srv(reversed, b));
  }
}

TEST_CASE("order_srv: weights 60/40 put the heavier record first about 60% of the time") {
  std::map<std::string, int> first;
  const int runs = 4000;
  for (int seed = 0; seed < runs; ++seed) {
    Random rng(static_cast<std::uint64_t>(seed));
    auto out = order_srv({rec(10, 60, "sip1."), rec(10, 40, "sip2."), rec(20, 0, "sip3.")}, rng);
    REQUIRE(out.size() == 3);
    CHECK(out[2].target == "sip3.");
    ++first[out[0].target];
  }
  // Deterministic (fixed seeds); the bounds only say "weighted, not uniform, not fixed".
  // The exact share is 60/101 + 0 for sip1 (RFC 2782 picks from [0, sum]).
  const double share = static_cast<double>(first["sip1."]) / runs;
  CHECK(share > 0.55);
  CHECK(share < 0.65);
  CHECK(first["sip1."] + first["sip2."] == runs);
}

TEST_CASE("order_srv: weight 0 records can still be picked, but rarely") {
  int zero_first = 0;
  const int runs = 2000;
  for (int seed = 0; seed < runs; ++seed) {
    Random rng(static_cast<std::uint64_t>(seed));
    auto out = order_srv({rec(10, 0, "zero."), rec(10, 99, "heavy.")}, rng);
    if (out[0].target == "zero.") ++zero_first;
  }
  // P(zero first) = 1/100 (the random number 0 out of [0, 99]).
  CHECK(zero_first > 0);
  CHECK(zero_first < runs / 20);
}

TEST_CASE("order_srv: all weights 0 is a uniform choice") {
  std::map<std::string, int> first;
  for (int seed = 0; seed < 3000; ++seed) {
    Random rng(static_cast<std::uint64_t>(seed));
    ++first[order_srv({rec(1, 0, "a."), rec(1, 0, "b."), rec(1, 0, "c.")}, rng)[0].target];
  }
  for (const auto& t : {"a.", "b.", "c."}) {
    CHECK(first[t] > 800);
    CHECK(first[t] < 1200);
  }
}

TEST_CASE("order_srv: empty and single inputs") {
  Random rng(3);
  CHECK(order_srv({}, rng).empty());
  CHECK(targets(order_srv({rec(1, 1, "x.")}, rng)) == std::vector<std::string>{"x."});
}
