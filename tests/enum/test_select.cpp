#include <catch2/catch.hpp>

#include "enum/limits.hpp"
#include "enum/select.hpp"
#include "tests/enum/wire_builder.hpp"

using speerd::luf::EnumService;
using speerd::luf::Naptr;
using speerd::luf::OrderPolicy;
using speerd::luf::parse_enumservice;
using speerd::luf::RuleKind;
using speerd::luf::RuleResult;
using speerd::luf::select_rules;
using speerd::luf::select_rules_wire;
using speerd::luf::SelectOptions;

namespace {

constexpr std::string_view kAus = "+12155551234";

EnumService want(std::string_view s = "E2U+sip") {
  return *parse_enumservice(s);
}

Naptr rule(std::uint16_t order, std::uint16_t pref, std::string uri,
           std::string services = "E2U+sip") {
  return Naptr{order, pref, "u", std::move(services), "!^.*$!" + std::move(uri) + "!", "."};
}

std::vector<std::string> uris(const std::vector<RuleResult>& results) {
  std::vector<std::string> out;
  for (const auto& r : results) {
    if (r.kind == RuleKind::terminal_uri) out.push_back(r.uri_or_next);
  }
  return out;
}

const SelectOptions kAllOrders{OrderPolicy::all_orders};

}  // namespace

TEST_CASE("select: sorted by order, then preference", "[select]") {
  const std::vector<Naptr> set = {rule(10, 30, "sip:c@x"), rule(10, 10, "sip:a@x"),
                                  rule(10, 20, "sip:b@x")};
  const auto r = select_rules(set, kAus, want());
  REQUIRE(r.size() == 3);
  CHECK(uris(r) == std::vector<std::string>{"sip:a@x", "sip:b@x", "sip:c@x"});
  CHECK(r[0].input_index == 1);
  CHECK(r[1].input_index == 2);
  CHECK(r[2].input_index == 0);
}

TEST_CASE("select: equal order and preference keep input order (stable)", "[select]") {
  const std::vector<Naptr> set = {rule(10, 10, "sip:first@x"), rule(10, 10, "sip:second@x"),
                                  rule(10, 10, "sip:third@x"), rule(5, 10, "sip:zero@x")};
  CHECK(uris(select_rules(set, kAus, want())) ==
        std::vector<std::string>{"sip:zero@x"});  // order 5 wins (RFC 3403)
  CHECK(uris(select_rules(set, kAus, want(), kAllOrders)) ==
        std::vector<std::string>{"sip:zero@x", "sip:first@x", "sip:second@x", "sip:third@x"});
}

TEST_CASE("select: order values across 16 bits sort numerically", "[select]") {
  const std::vector<Naptr> set = {rule(65535, 0, "sip:max@x"), rule(256, 0, "sip:256@x"),
                                  rule(0, 65535, "sip:zero@x"), rule(1, 0, "sip:one@x")};
  CHECK(uris(select_rules(set, kAus, want(), kAllOrders)) ==
        std::vector<std::string>{"sip:zero@x", "sip:one@x", "sip:256@x", "sip:max@x"});
}

TEST_CASE("select: RFC 3403 order rule, fallbacks within the first matching order", "[select]") {
  const std::vector<Naptr> set = {rule(100, 10, "sip:primary@x"), rule(100, 20, "sip:backup@x"),
                                  rule(200, 10, "sip:later@x")};
  const auto r = select_rules(set, kAus, want());
  CHECK(uris(r) == std::vector<std::string>{"sip:primary@x", "sip:backup@x"});
  REQUIRE(r.size() == 3);
  CHECK(r[2].kind == RuleKind::skipped);
  CHECK(r[2].reason == "superseded by order 100 (RFC 3403 4.1)");
}

TEST_CASE("select: an order value without a usable record falls through to the next", "[select]") {
  const std::vector<Naptr> set = {rule(100, 10, "mailto:a@x", "E2U+email:mailto"),
                                  rule(100, 20, "!bad", "E2U+sip"),  // regexp error
                                  rule(200, 10, "sip:next@x"), rule(300, 10, "sip:last@x")};
  const auto r = select_rules(set, kAus, want());
  CHECK(uris(r) == std::vector<std::string>{"sip:next@x"});
  CHECK(r[0].reason.find("service") == 0);
  CHECK(r[1].reason.find("regexp") == 0);
  CHECK(r[3].reason == "superseded by order 200 (RFC 3403 4.1)");
}

TEST_CASE("select: all_orders policy returns usable records of every order", "[select]") {
  const std::vector<Naptr> set = {rule(100, 10, "sip:a@x"), rule(200, 10, "sip:b@x")};
  CHECK(uris(select_rules(set, kAus, want(), kAllOrders)) ==
        std::vector<std::string>{"sip:a@x", "sip:b@x"});
}

TEST_CASE("select: service filtering with reasons", "[select]") {
  const std::vector<Naptr> set = {
      rule(10, 10, "sip:a@x"),
      rule(10, 20, "h323:a@x", "E2U+h323"),
      rule(10, 30, "mailto:a@x", "E2U+email:mailto"),
      rule(10, 40, "sip:voice@x", "E2U+voice:sip"),
      rule(10, 50, "sip:both@x", "E2U+pres+sip"),
      rule(10, 60, "sip:legacy@x", "sip+E2U"),
      rule(10, 70, "sip:upper@x", "E2U+SIP"),
  };
  const auto r = select_rules(set, kAus, want());
  CHECK(uris(r) == std::vector<std::string>{"sip:a@x", "sip:both@x", "sip:upper@x"});
  CHECK(r[1].reason == "service E2U+h323 does not match requested E2U+sip");
  CHECK(r[2].reason == "service E2U+email:mailto does not match requested E2U+sip");
  CHECK(r[3].reason == "service E2U+voice:sip does not match requested E2U+sip");
  CHECK(r[5].reason.find("service: legacy RFC 2916") == 0);
  // Asking for voice:sip finds the voice record only; a bare voice finds none
  // (type and subtype together name the Enumservice, RFC 6117).
  CHECK(uris(select_rules(set, kAus, want("E2U+voice:sip"))) ==
        std::vector<std::string>{"sip:voice@x"});
  CHECK(uris(select_rules(set, kAus, want("E2U+voice"))).empty());
  // Asking for several services at once.
  CHECK(uris(select_rules(set, kAus, want("E2U+sip+voice:sip"))).size() == 4);
}

TEST_CASE("select: URI scheme must fit the matched service", "[select]") {
  const std::vector<Naptr> set = {rule(10, 10, "tel:+12155551234"), rule(10, 20, "sips:a@x"),
                                  rule(10, 30, "http://a/", "E2U+pres+sip")};
  const auto r = select_rules(set, kAus, want());
  CHECK(uris(r) == std::vector<std::string>{"sips:a@x"});
  CHECK(r[0].reason ==
        "uri: URI scheme 'tel:' does not fit enumservice 'sip' (expected sip:, sips:)");
  CHECK(r[2].reason.find("uri: URI scheme 'http:'") == 0);
}

TEST_CASE("select: non-terminal rule gives the next domain", "[select]") {
  const std::vector<Naptr> set = {Naptr{10, 10, "", "E2U+sip", "", "next.example.org."},
                                  Naptr{10, 20, "", "", "", "any.example.org."}};
  const auto r = select_rules(set, kAus, want());
  REQUIRE(r.size() == 2);
  CHECK(r[0].kind == RuleKind::nonterminal);
  CHECK(r[0].uri_or_next == "next.example.org.");
  CHECK(r[1].kind == RuleKind::nonterminal);  // empty services: applies to any service
  CHECK(r[1].uri_or_next == "any.example.org.");
  // A non-terminal for another service is filtered like any other record.
  const std::vector<Naptr> other = {Naptr{10, 10, "", "E2U+h323", "", "next.example.org."}};
  CHECK(select_rules(other, kAus, want())[0].kind == RuleKind::skipped);
}

TEST_CASE("select: non-terminal with a regexp is skipped", "[select]") {
  const std::vector<Naptr> set = {Naptr{10, 10, "", "E2U+sip", "!^.*$!sip:a@b!", "."}};
  const auto r = select_rules(set, kAus, want());
  CHECK(r[0].kind == RuleKind::skipped);
  CHECK(r[0].reason ==
        "non-terminal rule with a regexp (ENUM non-terminal rules use the replacement)");
}

TEST_CASE("select: unknown and non-ENUM flags are skipped", "[select]") {
  std::vector<Naptr> set;
  for (const char* flags : {"s", "a", "p", "x", "us", "uu", "U"}) {
    Naptr n = rule(10, 10, "sip:a@x");
    n.flags = flags;
    set.push_back(n);
  }
  const auto r = select_rules(set, kAus, want(), kAllOrders);
  for (std::size_t i = 0; i + 1 < r.size(); ++i) {
    CHECK(r[i].kind == RuleKind::skipped);
    CHECK(r[i].reason == "unsupported flags \"" + set[i].flags + "\"");
  }
  CHECK(r.back().kind == RuleKind::terminal_uri);  // "U": flags are case-insensitive
  Naptr ctl = rule(10, 10, "sip:a@x");
  ctl.flags = "\n";
  CHECK(select_rules(std::vector<Naptr>{ctl}, kAus, want())[0].reason ==
        "unsupported flags \"\\x0a\"");
}

TEST_CASE("select: both regexp and replacement, or neither, are skipped", "[select]") {
  const std::vector<Naptr> set = {Naptr{10, 10, "u", "E2U+sip", "!^.*$!sip:a@b!", "x.example."},
                                  Naptr{10, 20, "u", "E2U+sip", "", "."},
                                  Naptr{10, 30, "", "E2U+sip", "", "."},
                                  Naptr{10, 40, "u", "E2U+sip", "", "x.example."}};
  const auto r = select_rules(set, kAus, want());
  CHECK(r[0].reason == "both regexp and replacement are set (RFC 3403 4.1: mutually exclusive)");
  CHECK(r[1].reason == "neither regexp nor replacement is set");
  CHECK(r[2].reason == "neither regexp nor replacement is set");
  CHECK(r[3].reason == "terminal 'u' rule without a regexp");
  CHECK_FALSE(speerd::luf::has_usable(r));
}

TEST_CASE("select: regexp that does not match the AUS is skipped", "[select]") {
  const std::vector<Naptr> set = {
      Naptr{10, 10, "u", "E2U+sip", "!^\\+44(.*)$!sip:\\1@uk.example!", "."},
      Naptr{10, 20, "u", "E2U+sip", "!^\\+1(.*)$!sip:\\1@us.example!", "."}};
  const auto r = select_rules(set, kAus, want());
  CHECK(r[0].reason == "regexp: regexp does not match '+12155551234'");
  CHECK(uris(r) == std::vector<std::string>{"sip:2155551234@us.example"});
}

TEST_CASE("select: injected CRLF or spaces in the result are skipped", "[select]") {
  const std::vector<Naptr> set = {
      Naptr{10, 10, "u", "E2U+sip", "!^.*$!sip:a@b\r\nContact: <sip:evil@x>!", "."},
      Naptr{10, 20, "u", "E2U+sip", "!^.*$!sip:a b@c!", "."},
      Naptr{10, 30, "u", "E2U+sip", "!^.*$!sip:a@b>;x!", "."},
      Naptr{10, 40, "u", "E2U+sip", "!^(.*)$!sip:\\1@ok.example!", "."}};
  const auto r = select_rules(set, kAus, want());
  CHECK(r[0].reason == "uri: control character '\\x0d' at position 8 is not allowed in a URI");
  CHECK(r[1].reason == "uri: space ' ' at position 6 is not allowed in a URI");
  CHECK(r[2].reason == "uri: character '>' at position 8 is not allowed in a URI");
  CHECK(uris(r) == std::vector<std::string>{"sip:+12155551234@ok.example"});
}

TEST_CASE("select: record limit per answer", "[select]") {
  std::vector<Naptr> set;
  set.reserve(100);
  for (int i = 0; i < 100; ++i) {
    set.push_back(rule(10, static_cast<std::uint16_t>(i), "sip:n" + std::to_string(i) + "@x"));
  }
  const auto r = select_rules(set, kAus, want());
  REQUIRE(r.size() == 100);
  CHECK(uris(r).size() == speerd::luf::kMaxNaptrPerSet);
  CHECK(r[64].kind == RuleKind::skipped);
  CHECK(r[64].reason == "record limit (64 per answer) reached");
  CHECK(r[99].reason == "record limit (64 per answer) reached");
}

TEST_CASE("select: empty answer", "[select]") {
  CHECK(select_rules(std::vector<Naptr>{}, kAus, want()).empty());
  CHECK(select_rules_wire(std::vector<std::string>{}, kAus, want()).empty());
}

TEST_CASE("select: wire input, malformed rdata last with reason", "[select]") {
  using namespace speerd::luf::test;
  const std::vector<std::string> rdatas = {
      std::string("\x00\x0a", 2),  // truncated
      naptr_rdata(20, 10, "u", "E2U+sip", "!^.*$!sip:b@x!"),
      naptr_rdata(10, 10, "u", "E2U+sip", "!^.*$!sip:a@x!"),
      naptr_rdata(10, 5, "", "", "", {"next", "example"}),
  };
  const auto r = select_rules_wire(rdatas, kAus, want(), kAllOrders);
  REQUIRE(r.size() == 4);
  CHECK(r[0].kind == RuleKind::nonterminal);
  CHECK(r[0].uri_or_next == "next.example.");
  CHECK(r[0].input_index == 3);
  CHECK(r[1].uri_or_next == "sip:a@x");
  CHECK(r[2].uri_or_next == "sip:b@x");
  CHECK(r[3].kind == RuleKind::skipped);
  CHECK(r[3].input_index == 0);
  CHECK(r[3].reason == "malformed rdata: rdata truncated: 2 bytes, order and preference need 4");
}

TEST_CASE("select: RuleKind names", "[select]") {
  CHECK(std::string(to_string(RuleKind::terminal_uri)) == "terminal_uri");
  CHECK(std::string(to_string(RuleKind::nonterminal)) == "nonterminal");
  CHECK(std::string(to_string(RuleKind::skipped)) == "skipped");
}
