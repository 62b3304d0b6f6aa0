#include <catch2/catch.hpp>

#include "enum/limits.hpp"
#include "enum/uri_check.hpp"

using speerd::luf::allowed_schemes;
using speerd::luf::check_uri;
using speerd::luf::check_uri_syntax;
using speerd::luf::EnumserviceSpec;

namespace {

EnumserviceSpec sip() {
  return EnumserviceSpec{"sip", {}};
}

std::string error_of(std::string_view uri, const EnumserviceSpec& spec = sip()) {
  auto r = check_uri(uri, spec);
  INFO(uri);
  REQUIRE_FALSE(r);
  return r.error();
}

}  // namespace

TEST_CASE("uri_check: SIP URIs for E2U+sip", "[uri]") {
  CHECK(*check_uri("sip:info@example.com", sip()) == "sip");
  CHECK(*check_uri("sips:info@example.com", sip()) == "sips");
  CHECK(*check_uri("SIP:info@example.com", sip()) == "sip");
  CHECK(check_uri("sip:+12155551234@gw.example.com;user=phone", sip()));
  CHECK(check_uri("sip:alice@[2001:db8::1]:5061;transport=tls", sip()));
  CHECK(check_uri("sip:alice%20smith@example.com", sip()));
  CHECK(check_uri("sip:a@b?subject=hi&priority=urgent", sip()));
}

TEST_CASE("uri_check: scheme must fit the enumservice", "[uri]") {
  CHECK(error_of("tel:+12155551234") ==
        "URI scheme 'tel:' does not fit enumservice 'sip' (expected sip:, sips:)");
  CHECK(error_of("mailto:a@b").find("does not fit") != std::string::npos);
  CHECK(error_of("http://evil.example/").find("does not fit") != std::string::npos);
  const EnumserviceSpec voice_tel{"voice", {"tel"}};
  CHECK(check_uri("tel:+12155551234", voice_tel));
  CHECK(error_of("sip:a@b", voice_tel) ==
        "URI scheme 'sip:' does not fit enumservice 'voice:tel' (expected tel:)");
  CHECK(check_uri("mailto:info@example.com", EnumserviceSpec{"email", {"mailto"}}));
  CHECK(check_uri("pres:info@example.com", EnumserviceSpec{"pres", {}}));
  CHECK(check_uri("h323:info@example.com", EnumserviceSpec{"h323", {}}));
  CHECK(check_uri("https://example.com/card.vcf", EnumserviceSpec{"vcard", {}}));
}

TEST_CASE("uri_check: allowed schemes per enumservice", "[uri]") {
  CHECK(allowed_schemes(sip()) == std::vector<std::string>{"sip", "sips"});
  CHECK(allowed_schemes({"voice", {"sip"}}) == std::vector<std::string>{"sip"});
  CHECK(allowed_schemes({"pstn", {"tel"}}) == std::vector<std::string>{"tel"});
  CHECK(allowed_schemes({"xmpp", {}}) == std::vector<std::string>{"xmpp"});
  CHECK(allowed_schemes({"vcard", {}}) == std::vector<std::string>{"http", "https"});
}

TEST_CASE("uri_check: SIP header injection is refused", "[uri]") {
  CHECK(error_of("sip:a@b\r\nVia: SIP/2.0/UDP evil") ==
        "control character '\\x0d' at position 8 is not allowed in a URI");
  CHECK(error_of("sip:a@b\nX: y") ==
        "control character '\\x0a' at position 8 is not allowed in a URI");
  CHECK(error_of(std::string_view("sip:a@b\0c", 9)) ==
        "control character '\\x00' at position 8 is not allowed in a URI");
  CHECK(error_of("sip:a b@c") == "space ' ' at position 6 is not allowed in a URI");
  CHECK(error_of("sip:a@b\t") == "control character '\\x09' at position 8 is not allowed in a URI");
  CHECK(error_of("sip:a@b\x7f") ==
        "control character '\\x7f' at position 8 is not allowed in a URI");
  CHECK(error_of("sip:a@b>;tag=x") == "character '>' at position 8 is not allowed in a URI");
  CHECK(error_of("sip:a@b\"") == "character '\"' at position 8 is not allowed in a URI");
  CHECK(error_of("sip:<a@b") == "character '<' at position 5 is not allowed in a URI");
  CHECK(error_of("sip:a\\b@c") == "character '\\\\' at position 6 is not allowed in a URI");
  CHECK(error_of("sip:a@b\xc3\xa9") ==
        "non-ASCII character U+00E9 at position 8 is not allowed in a URI");
  for (const char c : std::string("{}|^`")) {
    std::string uri = "sip:a@b";
    uri += c;
    CHECK(error_of(uri).find("is not allowed in a URI") != std::string::npos);
  }
}

TEST_CASE("uri_check: percent escapes must be complete", "[uri]") {
  CHECK(error_of("sip:a%2@b") == "'%' at position 6 is not followed by two hex digits");
  CHECK(error_of("sip:a@b%") == "'%' at position 8 is not followed by two hex digits");
  CHECK(error_of("sip:a@b%0") == "'%' at position 8 is not followed by two hex digits");
  CHECK(error_of("sip:a%zz@b") == "'%' at position 6 is not followed by two hex digits");
  CHECK(check_uri("sip:a%0D%0a@b", sip()));  // escaped CR/LF are inert text
}

TEST_CASE("uri_check: scheme syntax", "[uri]") {
  CHECK(check_uri_syntax("").error() == "empty URI");
  CHECK(check_uri_syntax("example.com").error() == "URI has no scheme ('example.com')");
  CHECK(check_uri_syntax(":a@b").error() == "URI has an empty scheme");
  CHECK(check_uri_syntax("1sip:a@b").error() == "URI scheme must start with a letter");
  CHECK(check_uri_syntax("s_p:a@b").error() == "invalid character '_' in URI scheme at position 2");
  CHECK(check_uri_syntax("sip:").error() == "URI 'sip:' is only a scheme");
  CHECK(*check_uri_syntax("Vnd.Foo+Bar-1:x") == "vnd.foo+bar-1");
}

TEST_CASE("uri_check: length limit", "[uri]") {
  const std::string base = "sip:a@";
  const std::string ok =
      base + std::string(speerd::luf::kMaxRewriteOutputLength - base.size(), 'b');
  CHECK(check_uri(ok, sip()));
  CHECK(error_of(ok + "b") == "URI too long (1025 > 1024 bytes)");
}
