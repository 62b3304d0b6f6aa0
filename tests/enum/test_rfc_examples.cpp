// The NAPTR examples of RFC 3402, RFC 3403, RFC 3761 and RFC 6116, run through the
// parser, the substitution and the selection. Records are given in zone-file
// presentation form where the RFC shows one; note that RFC zone snippets write single
// backslashes ("\1") which a master-file parser would eat, so the regexps below are
// either given raw to Substitution or with the backslash doubled as a zone needs.
#include <catch2/catch.hpp>

#include "enum/e164.hpp"
#include "enum/naptr.hpp"
#include "enum/select.hpp"
#include "enum/substitution.hpp"

using namespace speerd::luf;

namespace {

std::vector<Naptr> records(std::initializer_list<const char*> texts) {
  std::vector<Naptr> out;
  for (const char* t : texts) {
    auto n = parse_naptr_text(t);
    INFO(t);
    REQUIRE(n);
    out.push_back(*n);
  }
  return out;
}

std::string rewrite(std::string_view expression, std::string_view input) {
  auto s = Substitution::parse(expression);
  INFO(expression);
  REQUIRE(s);
  auto out = s->apply(input);
  REQUIRE(out);
  return *out;
}

}  // namespace

TEST_CASE("RFC 3402 section 3.2: backref numbering of (A(B(C)DE)(F)G)", "[rfc]") {
  auto s = Substitution::parse("!(A(B(C)DE)(F)G)!\\1|\\2|\\3|\\4!");
  REQUIRE(s);
  CHECK(s->capture_groups() == 4);
  CHECK(*s->apply("ABCDEFG") == "ABCDEFG|BCDE|C|F");
  CHECK_FALSE(Substitution::parse("!(A(B(C)DE)(F)G)!\\5!"));
}

TEST_CASE("RFC 3402 section 3.2: delimiter rules", "[rfc]") {
  // Digits cannot delimit (backrefs would be ambiguous), nor can the flag character.
  CHECK_FALSE(Substitution::parse("1a1b1"));
  CHECK_FALSE(Substitution::parse("iaibi"));
  // Exactly three unescaped delimiters; escaped ones are the character itself.
  CHECK(rewrite("/^a\\/b$/c\\/d/", "a/b") == "c/d");
}

TEST_CASE("RFC 3403 section 6.1 (example 1): URN CID rule", "[rfc]") {
  // cid.urn.arpa. NAPTR 100 10 "" "" "!^urn:cid:.+@([^\.]+\.)(.*)$!\2!i" .
  CHECK(rewrite("!^urn:cid:.+@([^\\.]+\\.)(.*)$!\\2!i",
                "urn:cid:39CB83F7.A8450130@fake.gatech.edu") == "gatech.edu");
  // The same record in zone-file form, backslashes doubled.
  auto n = parse_naptr_text(R"(100 10 "" "" "!^urn:cid:.+@([^\\.]+\\.)(.*)$!\\2!i" .)");
  REQUIRE(n);
  CHECK(n->regexp == "!^urn:cid:.+@([^\\.]+\\.)(.*)$!\\2!i");
  // Its non-terminal output is made with a regexp, which ENUM does not use: the ENUM
  // selection step skips it.
  const auto r = select_rules(std::vector<Naptr>{*n}, "+1", *parse_enumservice("E2U+sip"));
  CHECK(r[0].kind == RuleKind::skipped);
}

TEST_CASE("RFC 3403 section 6.1 (example 1): gatech.edu records use s/a flags", "[rfc]") {
  // gatech.edu. NAPTR 100 50 "a" "z3950+N2L+N2C" "" cidserver.gatech.edu.
  //             NAPTR 100 50 "a" "rcds+N2C"      "" cidserver.gatech.edu.
  //             NAPTR 100 50 "s" "http+N2L+N2C+N2R" "" www.gatech.edu.
  const auto set = records({
      R"(100 50 "a" "z3950+N2L+N2C" "" cidserver.gatech.edu.)",
      R"(100 50 "a" "rcds+N2C" "" cidserver.gatech.edu.)",
      R"(100 50 "s" "http+N2L+N2C+N2R" "" www.gatech.edu.)",
  });
  CHECK(set[2].replacement == "www.gatech.edu.");
  const auto r = select_rules(set, "+1", *parse_enumservice("E2U+sip"));
  for (const auto& x : r) {
    CHECK(x.kind == RuleKind::skipped);
    CHECK(x.reason.find("unsupported flags") == 0);
  }
}

TEST_CASE("RFC 3403 section 6.2 (example 2): URI resolution, unanchored ERE", "[rfc]") {
  // http.uri.arpa. NAPTR 100 90 "" "" "!^http://([^/:]+)!\1!i" .
  // The result is the host alone: the replacement, not the input with the match
  // replaced in place.
  CHECK(rewrite("!^http://([^/:]+)!\\1!i", "http://www.example.com/a/b") == "www.example.com");
  CHECK(rewrite("!^http://([^/:]+)!\\1!i", "HTTP://Www.Example.Com:8080/") == "Www.Example.Com");
}

TEST_CASE("RFC 3403 section 6.3 (example 3): telephone number", "[rfc]") {
  // $ORIGIN 2.1.2.1.5.5.5.0.7.7.1.e164.arpa.
  //   IN NAPTR 100 10 "u" "E2U+sip"    "!^.*$!sip:information@foo.se!i" .
  //   IN NAPTR 102 10 "u" "E2U+email"  "!^.*$!mailto:information@foo.se!i" .
  auto number = parse_e164("+1-770-555-1212");
  REQUIRE(number);
  CHECK(enum_domain(*number, "e164.arpa") == "2.1.2.1.5.5.5.0.7.7.1.e164.arpa.");
  const auto set = records({
      R"(100 10 "u" "E2U+sip" "!^.*$!sip:information@foo.se!i" .)",
      R"(102 10 "u" "E2U+email" "!^.*$!mailto:information@foo.se!i" .)",
  });
  const auto sip = select_rules(set, number->aus(), *parse_enumservice("E2U+sip"));
  REQUIRE(sip[0].kind == RuleKind::terminal_uri);
  CHECK(sip[0].uri_or_next == "sip:information@foo.se");
  CHECK(sip[1].kind == RuleKind::skipped);
  const auto mail = select_rules(set, number->aus(), *parse_enumservice("E2U+email"));
  CHECK(mail[0].kind == RuleKind::skipped);
  REQUIRE(mail[1].kind == RuleKind::skipped);  // "email" has no subtype: scheme email:
  CHECK(mail[1].reason.find("uri: URI scheme 'mailto:'") == 0);
  // RFC 2915 wrote the same records with the legacy services "sip+E2U": refused.
  const auto legacy = records({R"(100 10 "u" "sip+E2U" "!^.*$!sip:information@foo.se!i" .)"});
  CHECK(select_rules(legacy, number->aus(), *parse_enumservice("E2U+sip"))[0].reason.find(
            "service: legacy RFC 2916") == 0);
}

TEST_CASE("RFC 3761 section 4.1 / RFC 6116 example: +441632960083", "[rfc]") {
  // $ORIGIN 3.8.0.0.6.9.2.3.6.1.4.4.e164.arpa.
  //   NAPTR 10 100 "u" "E2U+sip"  "!^.*$!sip:info@example.com!" .
  //   NAPTR 10 101 "u" "E2U+h323" "!^.*$!h323:info@example.com!" .
  //   NAPTR 10 102 "u" "E2U+msg"  "!^.*$!mailto:info@example.com!" .
  auto number = parse_e164("+44 1632 960083");
  REQUIRE(number);
  CHECK(number->aus() == "+441632960083");
  CHECK(enum_domain(*number, "e164.arpa") == "3.8.0.0.6.9.2.3.6.1.4.4.e164.arpa.");
  const auto set = records({
      R"(10 100 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .)",
      R"(10 101 "u" "E2U+h323" "!^.*$!h323:info@example.com!" .)",
      R"(10 102 "u" "E2U+msg" "!^.*$!mailto:info@example.com!" .)",
  });
  const auto sip = select_rules(set, number->aus(), *parse_enumservice("E2U+sip"));
  CHECK(sip[0].kind == RuleKind::terminal_uri);
  CHECK(sip[0].uri_or_next == "sip:info@example.com");
  CHECK(sip[1].reason == "service E2U+h323 does not match requested E2U+sip");
  CHECK(sip[2].reason == "service E2U+msg does not match requested E2U+sip");
  const auto h323 = select_rules(set, number->aus(), *parse_enumservice("E2U+h323"));
  CHECK(h323[1].uri_or_next == "h323:info@example.com");
  // "E2U+msg" without a subtype names no URI scheme; RFC 3761 says these example
  // services are "theoretical". With the registered "E2U+email:mailto" it works,
  // asked for by type and subtype (RFC 6117: both name the Enumservice):
  const auto mail =
      records({R"(10 102 "u" "E2U+email:mailto" "!^.*$!mailto:info@example.com!" .)"});
  CHECK(select_rules(mail, number->aus(), *parse_enumservice("E2U+email:mailto"))[0].uri_or_next ==
        "mailto:info@example.com");
  CHECK(select_rules(mail, number->aus(), *parse_enumservice("E2U+email"))[0].uri_or_next.empty());
}

TEST_CASE("RFC 6116 section 2.1: AUS and domain of +44-116-496-0348", "[rfc]") {
  auto number = parse_e164("+44-116-496-0348");
  REQUIRE(number);
  CHECK(number->aus() == "+441164960348");
  CHECK(enum_domain(*number, "e164.arpa") == "8.4.3.0.6.9.4.6.1.1.4.4.e164.arpa.");
}

TEST_CASE("RFC 6116 section 2.4.1: flags 'u' terminal, empty non-terminal", "[rfc]") {
  const auto set = records({
      R"(100 10 "" "E2U+sip" "" 8.4.3.0.6.9.4.6.1.1.4.4.e164.example.net.)",
      R"(100 20 "U" "E2U+sip" "!^.*$!sip:alice@example.net!" .)",
  });
  const auto r = select_rules(set, "+441164960348", *parse_enumservice("E2U+sip"));
  CHECK(r[0].kind == RuleKind::nonterminal);
  CHECK(r[0].uri_or_next == "8.4.3.0.6.9.4.6.1.1.4.4.e164.example.net.");
  CHECK(r[1].kind == RuleKind::terminal_uri);
}

TEST_CASE("RFC 3764 / RFC 3824: SIP record with a backreference to the number", "[rfc]") {
  // Typical carrier record: keep the number, point at the carrier's SBC.
  const auto set = records({
      R"(10 100 "u" "E2U+sip" "!^\\+(.*)$!sip:+\\1@sbc.example.com;user=phone!" .)",
      R"(10 101 "u" "E2U+sip" "!^\\+(.*)$!sips:+\\1@sbc2.example.com;user=phone!" .)",
  });
  const auto r = select_rules(set, "+12155551234", *parse_enumservice("e2u+SIP"));
  CHECK(r[0].uri_or_next == "sip:+12155551234@sbc.example.com;user=phone");
  CHECK(r[1].uri_or_next == "sips:+12155551234@sbc2.example.com;user=phone");
}
