#include <catch2/catch.hpp>

#include "enum/enumservice.hpp"

using speerd::luf::EnumService;
using speerd::luf::EnumserviceSpec;
using speerd::luf::find_match;
using speerd::luf::matches;
using speerd::luf::parse_enumservice;

namespace {

EnumService svc(std::string_view text) {
  auto s = parse_enumservice(text);
  INFO(text);
  REQUIRE(s);
  return *s;
}

std::string error_of(std::string_view text) {
  auto s = parse_enumservice(text);
  REQUIRE_FALSE(s);
  return s.error();
}

}  // namespace

TEST_CASE("enumservice: single type", "[enumservice]") {
  const auto s = svc("E2U+sip");
  REQUIRE(s.specs.size() == 1);
  CHECK(s.specs[0].type == "sip");
  CHECK(s.specs[0].subtypes.empty());
  CHECK(to_string(s) == "E2U+sip");
}

TEST_CASE("enumservice: type and subtype", "[enumservice]") {
  const auto s = svc("E2U+voice:sip");
  REQUIRE(s.specs.size() == 1);
  CHECK(s.specs[0].type == "voice");
  CHECK(s.specs[0].subtypes == std::vector<std::string>{"sip"});
  CHECK(to_string(s) == "E2U+voice:sip");
}

TEST_CASE("enumservice: several enumservices in one field", "[enumservice]") {
  const auto s = svc("E2U+sip+pres");
  REQUIRE(s.specs.size() == 2);
  CHECK(s.specs[0].type == "sip");
  CHECK(s.specs[1].type == "pres");
  const auto t = svc("E2U+voice:sip+video:sip+pres");
  REQUIRE(t.specs.size() == 3);
  CHECK(t.specs[1] == EnumserviceSpec{"video", {"sip"}});
  // RFC 6116 ABNF allows 0*(subtypespec): more than one subtype parses.
  const auto u = svc("E2U+msg:sip:mailto");
  CHECK(u.specs[0].subtypes == std::vector<std::string>{"sip", "mailto"});
}

TEST_CASE("enumservice: case-insensitive, stored lower case", "[enumservice]") {
  CHECK(svc("e2u+SIP") == svc("E2U+sip"));
  CHECK(svc("E2u+Voice:SIP") == svc("e2u+voice:sip"));
  CHECK(to_string(svc("e2u+VOICE:Tel")) == "E2U+voice:tel");
}

TEST_CASE("enumservice: tokens with digits and '-' (RFC 6116)", "[enumservice]") {
  CHECK(svc("E2U+h323").specs[0].type == "h323");
  CHECK(svc("E2U+x-crnd:sip").specs[0].type == "x-crnd");
  CHECK(svc("E2U+" + std::string(32, 'a')).specs[0].type.size() == 32);
  CHECK(error_of("E2U+" + std::string(33, 'a')) ==
        "enumservice type longer than 32 characters at position 5");
  CHECK(error_of("E2U+voice:" + std::string(33, 's')).find("enumservice subtype longer than 32") ==
        0);
}

TEST_CASE("enumservice: legacy RFC 2916 form is rejected with its own reason", "[enumservice]") {
  CHECK(error_of("sip+E2U") ==
        "legacy RFC 2916 services field 'sip+E2U' is not supported (RFC 6116 form is "
        "'E2U+<type>')");
  CHECK(error_of("SMTP+e2u").find("legacy RFC 2916") == 0);
  CHECK(error_of("tel+E2U").find("legacy RFC 2916") == 0);
}

TEST_CASE("enumservice: malformed fields", "[enumservice]") {
  CHECK(error_of("") == "empty services field");
  CHECK(error_of("E2U") == "services field 'E2U' names no enumservice");
  CHECK(error_of("E2U+") == "empty enumservice type at position 5");
  CHECK(error_of("E2U+sip+") == "empty enumservice type at position 9");
  CHECK(error_of("E2U++sip") == "empty enumservice type at position 5");
  CHECK(error_of("E2U+:sip") == "empty enumservice type at position 5");
  CHECK(error_of("E2U+voice:") == "empty enumservice subtype at position 11");
  CHECK(error_of("E2U+voice::sip") == "empty enumservice subtype at position 11");
  CHECK(error_of("E2Usip") == "expected '+' after 'E2U' in 'E2Usip'");
  CHECK(error_of("sip") == "services field 'sip' lacks the 'E2U' prefix");
  CHECK(error_of("SIP+D2U") == "services field 'SIP+D2U' lacks the 'E2U' prefix");
  CHECK(error_of("E2U+s ip") == "invalid character ' ' in enumservice type at position 6");
  CHECK(error_of("E2U+si_p") == "invalid character '_' in enumservice type at position 7");
  CHECK(error_of("E2U+sip\n") == "invalid character '\\x0a' in enumservice type at position 8");
  CHECK(error_of(std::string_view("E2U+s\0p", 7)) ==
        "invalid character '\\x00' in enumservice type at position 6");
  CHECK(error_of("E2U+s\xc3\xadp") == "invalid character U+00ED in enumservice type at position 6");
  CHECK(error_of("E2U+voice:s.p") == "invalid character '.' in enumservice subtype at position 12");
}

TEST_CASE("enumservice: matching rules (RFC 6116, RFC 3764, RFC 4415)", "[enumservice]") {
  // Same type, no subtypes.
  CHECK(matches(svc("E2U+sip"), svc("E2U+sip")));
  CHECK(matches(svc("E2U+SIP"), svc("e2u+sip")));
  // One of several offered.
  CHECK(matches(svc("E2U+sip+pres"), svc("E2U+sip")));
  CHECK(matches(svc("E2U+pres+sip"), svc("E2U+sip")));
  CHECK(matches(svc("E2U+sip+pres"), svc("E2U+pres")));
  // Type differs: "sip" and "voice:sip" are different Enumservices.
  CHECK_FALSE(matches(svc("E2U+voice:sip"), svc("E2U+sip")));
  CHECK_FALSE(matches(svc("E2U+sip"), svc("E2U+voice:sip")));
  CHECK_FALSE(matches(svc("E2U+h323"), svc("E2U+sip")));
  CHECK_FALSE(matches(svc("E2U+sips"), svc("E2U+sip")));
  // Type and subtype identify the Enumservice together (RFC 6117): a bare
  // type matches only the bare type, as deployed SBC ENUM modules match.
  CHECK_FALSE(matches(svc("E2U+voice:sip"), svc("E2U+voice")));
  CHECK_FALSE(matches(svc("E2U+voice:tel"), svc("E2U+voice")));
  CHECK(matches(svc("E2U+voice"), svc("E2U+voice")));
  // RFC 4769.
  CHECK(matches(svc("E2U+pstn:sip"), svc("E2U+pstn:sip")));
  CHECK_FALSE(matches(svc("E2U+pstn:tel"), svc("E2U+pstn:sip")));
  CHECK_FALSE(matches(svc("E2U+pstn:sip"), svc("E2U+sip+voice:sip")));
  // Requested subtype must be offered.
  CHECK(matches(svc("E2U+voice:sip"), svc("E2U+voice:sip")));
  CHECK(matches(svc("E2U+voice:SIP"), svc("E2U+Voice:sip")));
  CHECK_FALSE(matches(svc("E2U+voice:tel"), svc("E2U+voice:sip")));
  CHECK_FALSE(matches(svc("E2U+voice"), svc("E2U+voice:sip")));
  // Several requested: any of them.
  CHECK(matches(svc("E2U+voice:sip"), svc("E2U+sip+voice:sip")));
  CHECK(matches(svc("E2U+sip"), svc("E2U+sip+voice:sip")));
  CHECK_FALSE(matches(svc("E2U+email:mailto"), svc("E2U+sip+voice:sip")));
}

TEST_CASE("enumservice: find_match returns the offered spec that matched", "[enumservice]") {
  const auto offered = svc("E2U+pres+voice:sip");
  const auto* m = find_match(offered, svc("E2U+voice:sip"));
  REQUIRE(m != nullptr);
  CHECK(m->type == "voice");
  CHECK(m->subtypes == std::vector<std::string>{"sip"});
  CHECK(find_match(offered, svc("E2U+sip")) == nullptr);
}
