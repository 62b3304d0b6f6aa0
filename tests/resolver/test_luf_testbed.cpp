// The LUF against the real testbed: NSD serving zones really signed with
// ldns-signzone, validated by libunbound against the testbed's trust anchors.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "enum/e164.hpp"
#include "enum/enumservice.hpp"
#include "resolver/dns/unbound_client.hpp"
#include "resolver/luf/enum_resolver.hpp"
#include "tests/resolver/testbed.hpp"

using speerd::dns::Security;
using speerd::luf::LufResult;
using speerd::luf::LufStatus;
using speerd::testing::testbed_config;
using speerd::testing::tree;

namespace {

LufResult run(const speerd::config::ResolverConfig& cfg, const std::string& number,
              const std::string& service = "E2U+sip") {
  boost::asio::io_context io;
  auto client = speerd::dns::UnboundClient::create(io, cfg.dns);
  REQUIRE(client);
  auto shared = std::make_shared<const speerd::config::ResolverConfig>(cfg);
  speerd::luf::EnumResolver luf(**client, shared);
  auto n = speerd::luf::parse_e164(number);
  REQUIRE(n);
  auto svc = speerd::luf::parse_enumservice(service);
  REQUIRE(svc);
  LufResult out;
  bool called = false;
  luf.lookup(*n, *svc, {}, [&](LufResult r) {
    called = true;
    out = std::move(r);
  });
  io.run();
  REQUIRE(called);
  return out;
}

LufResult run(const std::string& number, const std::string& service = "E2U+sip") {
  return run(testbed_config(), number, service);
}

std::vector<std::string> uris(const LufResult& r) {
  std::vector<std::string> v;
  for (const auto& u : r.uris) v.push_back(u.uri);
  return v;
}

bool notes_contain(const LufResult& r, const std::string& what) {
  for (const auto& n : r.notes) {
    if (n.find(what) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("LUF testbed: secure plain rewrite with its fallback in preference order") {
  auto r = run("+12155551234");
  CHECK(r.status == LufStatus::found);
  CHECK(r.outcome.state == Security::secure);
  CHECK(r.tree == "private-a");
  CHECK(uris(r) == std::vector<std::string>{"sip:alice@good.peers.example",
                                            "sip:alice-backup@good.peers.example"});
  REQUIRE(r.steps.size() == 1);
  CHECK(r.steps[0].name == "4.3.2.1.5.5.5.5.1.2.1.e164.example.");
  CHECK(r.ttl > 0);
  // The non-SIP record of the same set was seen and skipped for its service.
  CHECK(notes_contain(r, "mailto"));
}

TEST_CASE("LUF testbed: back-reference rewrite") {
  auto r = run("+1 215 555 1235");
  CHECK(r.status == LufStatus::found);
  CHECK(r.outcome.state == Security::secure);
  CHECK(uris(r) == std::vector<std::string>{"sip:2155551235@good.peers.example"});
}

TEST_CASE("LUF testbed: order then preference, a higher order is superseded") {
  auto r = run("+12155551236");
  CHECK(r.status == LufStatus::found);
  CHECK(uris(r) ==
        std::vector<std::string>{"sip:a@good.peers.example", "sip:b@good.peers.example"});
  CHECK(notes_contain(r, "sip:c@good.peers.example"));  // seen, and said why not used
}

TEST_CASE("LUF testbed: a number with only non-SIP services has no SIP URI") {
  auto r = run("+12155551237");
  CHECK(r.status == LufStatus::no_usable);
  CHECK(r.uris.empty());
  auto mail = run("+12155551237", "E2U+email:mailto");
  CHECK(mail.status == LufStatus::found);
  REQUIRE_FALSE(mail.uris.empty());
  CHECK(mail.uris[0].uri.rfind("mailto:", 0) == 0);
}

TEST_CASE("LUF testbed: non-terminal rule followed to the chained record") {
  auto r = run("+12155551238");
  CHECK(r.status == LufStatus::found);
  CHECK(r.outcome.state == Security::secure);
  CHECK(uris(r) == std::vector<std::string>{"sip:chained@good.peers.example"});
  REQUIRE(r.steps.size() == 2);
  CHECK(r.steps[1].name == "chain.e164.example.");
}

TEST_CASE("LUF testbed: a non-terminal loop is stopped") {
  auto r = run("+12155551239");
  CHECK(r.status == LufStatus::no_usable);
  CHECK(r.uris.empty());
  CHECK(notes_contain(r, "loop"));
  CHECK(r.steps.size() <= 4);
}

TEST_CASE("LUF testbed: the hop limit stops a chain before it is followed") {
  auto cfg = testbed_config();
  cfg.lookup.max_nonterminal_hops = 0;
  auto r = run(cfg, "+12155551238");
  CHECK(r.status == LufStatus::no_usable);
  CHECK(notes_contain(r, "hop limit"));
  for (const auto& s : r.steps) CHECK(s.name != "chain.e164.example.");  // never queried
}

TEST_CASE("LUF testbed: a separately signed child zone validates through its DS") {
  auto r = run("+442071234567");
  CHECK(r.status == LufStatus::found);
  CHECK(r.outcome.state == Security::secure);
  CHECK(uris(r) == std::vector<std::string>{"sip:bob@good.peers.example"});
  CHECK(r.steps[0].name == "7.6.5.4.3.2.1.7.0.2.4.4.e164.example.");
}

TEST_CASE("LUF testbed: a number that does not exist is a secure NXDOMAIN") {
  auto r = run("+12155550000");
  CHECK(r.status == LufStatus::not_found);
  CHECK(r.outcome.state == Security::secure);
  CHECK(r.negative);
  CHECK(r.ttl > 0);              // from the SOA of the signed denial
  REQUIRE(r.steps.size() == 2);  // both trees asked
  CHECK(r.steps[0].result == "nxdomain");
  CHECK(r.steps[1].result == "nxdomain");
}

TEST_CASE("LUF testbed: the second tree is used after NXDOMAIN in the first") {
  auto r = run("+12155559999");
  CHECK(r.status == LufStatus::found);
  CHECK(r.tree == "private-b");
  CHECK(r.outcome.state == Security::secure);
  CHECK(uris(r) == std::vector<std::string>{"sip:treeb@good.peers.example"});
  REQUIRE(r.steps.size() == 2);
  CHECK(r.steps[0].result == "nxdomain");
}

TEST_CASE("LUF testbed: a tampered NAPTR is bogus and does not fall through to the next tree") {
  auto r = run("+12155551299");
  CHECK(r.status == LufStatus::bogus);
  CHECK(r.outcome.state == Security::bogus);
  CHECK(r.uris.empty());
  CHECK(r.reason.find("signature") != std::string::npos);
  REQUIRE(r.outcome.ede.has_value());
  CHECK(*r.outcome.ede == speerd::dns::ede::kDnssecBogus);
  CHECK(r.steps.size() == 1);  // tree B (which has this number) was never asked
}

TEST_CASE("LUF testbed: an unsigned tree under require-secure is refused") {
  auto cfg = testbed_config();
  cfg.trees = {
      tree("unsigned", "e164.unsigned.example.", speerd::config::TreePolicy::require_secure)};
  auto r = run(cfg, "+12155551234");
  CHECK(r.status == LufStatus::insecure_refused);
  CHECK(r.outcome.state == Security::insecure);
  CHECK(r.uris.empty());
}

TEST_CASE("LUF testbed: an unsigned tree under allow-insecure routes, marked insecure") {
  auto cfg = testbed_config();
  cfg.trees = {
      tree("unsigned", "e164.unsigned.example.", speerd::config::TreePolicy::allow_insecure)};
  auto r = run(cfg, "+12155551234");
  CHECK(r.status == LufStatus::found);
  CHECK(r.outcome.state == Security::insecure);
  CHECK(uris(r) == std::vector<std::string>{"sip:alice@insecure.peers.example"});
}

TEST_CASE("LUF testbed: without the trust anchor the private tree is not secure") {
  // The same zones, with no anchor configured: nothing can validate, so the
  // require-secure tree refuses what it gets. (Guards against a silently
  // unvalidated resolver: this must never come back secure.)
  auto cfg = testbed_config();
  cfg.dns.trust_anchor_files.clear();
  cfg.dns.trust_anchors.clear();
  auto r = run(cfg, "+12155551234");
  CHECK(r.outcome.state != Security::secure);
  CHECK(r.status != LufStatus::found);
}

TEST_CASE("LUF testbed: a wrong trust anchor makes every answer bogus") {
  auto cfg = testbed_config();
  cfg.dns.trust_anchor_files.clear();
  cfg.dns.trust_anchors = {
      "e164.example. 3600 IN DS 11111 13 2 "
      "0000000000000000000000000000000000000000000000000000000000000000"};
  cfg.trees = {tree("private-a", "e164.example.")};
  auto r = run(cfg, "+12155551234");
  CHECK(r.status == LufStatus::bogus);
  CHECK(r.outcome.state == Security::bogus);
}

TEST_CASE("LUF testbed: a tree whose signatures have expired is bogus with EDE 7") {
  auto cfg = testbed_config();
  cfg.trees = {tree("expired", "expired.peers.example.")};
  auto r = run(cfg, "+12155551234");
  CHECK(r.status == LufStatus::bogus);
  CHECK(r.outcome.state == Security::bogus);
  CHECK(r.reason.find("expired") != std::string::npos);
  REQUIRE(r.outcome.ede.has_value());
  CHECK(*r.outcome.ede == speerd::dns::ede::kSignatureExpired);
}

TEST_CASE(
    "LUF testbed: a trust-anchor change swaps the context, queries in flight finish on the old "
    "one") {
  auto cfg = testbed_config();
  boost::asio::io_context io;
  auto client = speerd::dns::UnboundClient::create(io, cfg.dns);
  REQUIRE(client);
  auto shared = std::make_shared<const speerd::config::ResolverConfig>(cfg);
  speerd::luf::EnumResolver luf(**client, shared);
  auto svc = speerd::luf::parse_enumservice("E2U+sip");
  REQUIRE(svc);
  // Single-query lookups: each finishes on the context it started on. (A
  // non-terminal chain's later queries go to the new context, so a lookup
  // never uses anchors older than the swap for the steps after it.)
  const std::vector<std::string> numbers{"+12155551234", "+12155551235", "+12155551236",
                                         "+12155551250", "+442071234567"};
  std::vector<LufResult> before;
  for (const auto& n : numbers) {
    luf.lookup(*speerd::luf::parse_e164(n), *svc, {},
               [&](LufResult r) { before.push_back(std::move(r)); });
  }
  // New anchors: a wrong DS for e164.example. Lookups started from now on use
  // the new context; the five above are already in flight on the old one.
  auto wrong = cfg.dns;
  wrong.trust_anchor_files.clear();
  wrong.trust_anchors = {
      "e164.example. 3600 IN DS 11111 13 2 "
      "0000000000000000000000000000000000000000000000000000000000000000"};
  REQUIRE((*client)->reconfigure(wrong));
  LufResult after;
  luf.lookup(*speerd::luf::parse_e164("+12155551234"), *svc, {},
             [&](LufResult r) { after = std::move(r); });
  io.run();
  REQUIRE(before.size() == numbers.size());
  REQUIRE((*client)->queries_sent() >= numbers.size() + 1);
  for (const auto& r : before) {
    CHECK(r.status == LufStatus::found);
    CHECK(r.outcome.state == Security::secure);
  }
  CHECK(after.status == LufStatus::bogus);

  // A refused configuration keeps the current context.
  auto broken = cfg.dns;
  broken.trust_anchors = {"this is not a trust anchor"};
  auto refused = (*client)->reconfigure(broken);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error(), Catch::Contains("not a DS or DNSKEY"));
  auto missing = cfg.dns;
  missing.trust_anchor_files = {"/nonexistent/anchors.ds"};
  CHECK_FALSE((*client)->reconfigure(missing));
}
