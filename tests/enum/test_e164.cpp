#include <catch2/catch.hpp>

#include "enum/e164.hpp"

using speerd::luf::E164Number;
using speerd::luf::enum_domain;
using speerd::luf::parse_e164;
using speerd::luf::parse_enum_suffix;

namespace {

std::string digits_of(std::string_view input) {
  auto n = parse_e164(input);
  REQUIRE(n);
  return n->digits;
}

std::string error_of(std::string_view input) {
  auto n = parse_e164(input);
  REQUIRE_FALSE(n);
  return n.error();
}

}  // namespace

TEST_CASE("e164: plain number gives digits and AUS", "[e164]") {
  auto n = parse_e164("+12155551234");
  REQUIRE(n);
  CHECK(n->digits == "12155551234");
  CHECK(n->aus() == "+12155551234");
}

TEST_CASE("e164: visual separators are removed", "[e164]") {
  CHECK(digits_of("+1 215 555 1234") == "12155551234");
  CHECK(digits_of("+1-215-555-1234") == "12155551234");
  CHECK(digits_of("+1.215.555.1234") == "12155551234");
  CHECK(digits_of("+1 (215) 555-1234") == "12155551234");
  CHECK(digits_of("+(1)215.555 12-34") == "12155551234");
  CHECK(digits_of("+ 1 2 1 5") == "1215");
  CHECK(digits_of("+1215 ") == "1215");
  // RFC 6116 section 2.1: "+44-116-496-0348" -> "+441164960348".
  CHECK(parse_e164("+44-116-496-0348")->aus() == "+441164960348");
}

TEST_CASE("e164: 1 and 15 digits accepted, 16 refused", "[e164]") {
  CHECK(digits_of("+1") == "1");
  CHECK(digits_of("+123456789012345") == "123456789012345");
  CHECK(digits_of("+1 234 567 890 123 45") == "123456789012345");
  CHECK(error_of("+1234567890123456") == "too many digits (16 > 15)");
  CHECK(error_of("+1 234 567 890 123 456") == "too many digits (16 > 15)");
  CHECK(error_of("+12345678901234567890") == "too many digits (20 > 15)");
}

TEST_CASE("e164: leading '+' is required", "[e164]") {
  CHECK(error_of("12155551234") == "number must start with '+' (found '1')");
  CHECK(error_of(" +12155551234") == "number must start with '+' (found ' ')");
  CHECK(error_of("00 1 215 555 1234").find("must start with '+'") != std::string::npos);
  CHECK(error_of("++1215") == "'+' is only allowed as the first character (found at position 2)");
  CHECK(error_of("+1215+1") == "'+' is only allowed as the first character (found at position 6)");
}

TEST_CASE("e164: empty and digit-less input", "[e164]") {
  CHECK(error_of("") == "empty number");
  CHECK(error_of("+") == "no digits after '+'");
  CHECK(error_of("+ - ( ) .") == "no digits after '+'");
}

TEST_CASE("e164: country code cannot start with 0", "[e164]") {
  CHECK(error_of("+0123") == "country code cannot start with 0");
  CHECK(error_of("+ (0) 123") == "country code cannot start with 0");
}

TEST_CASE("e164: letters and punctuation are refused with position", "[e164]") {
  CHECK(error_of("+1215555ABCD") == "invalid character 'A' at position 9");
  CHECK(error_of("+1-800-FLOWERS") == "invalid character 'F' at position 8");
  CHECK(error_of("+1215%20555") == "invalid character '%' at position 6");
  CHECK(error_of("+1215\"555") == "invalid character '\"' at position 6");
  CHECK(error_of("+1215'555") == "invalid character ''' at position 6");
  CHECK(error_of("+1215;555") == "invalid character ';' at position 6");
  CHECK(error_of("+1215/555") == "invalid character '/' at position 6");
  CHECK(error_of("+1215*5") == "invalid character '*' at position 6");
  CHECK(error_of("+1215#5") == "invalid character '#' at position 6");
  CHECK(error_of("+1215\\5") == "invalid character '\\\\' at position 6");
  CHECK(error_of("+1215_5") == "invalid character '_' at position 6");
}

TEST_CASE("e164: control characters are refused and escaped in the message", "[e164]") {
  CHECK(error_of(std::string_view("+1215\0"
                                  "555",
                                  9)) == "control character '\\x00' at position 6");
  CHECK(error_of("+1215\n555") == "control character '\\x0a' at position 6");
  CHECK(error_of("+1215\r\n555") == "control character '\\x0d' at position 6");
  CHECK(error_of("+1215\t555") == "control character '\\x09' at position 6");
  CHECK(error_of("+1215\x7f") == "control character '\\x7f' at position 6");
  CHECK(error_of("+1215\x1b[31m") == "control character '\\x1b' at position 6");
  // No raw control byte survives into any message.
  for (int c = 0; c < 0x20; ++c) {
    std::string input = "+12";
    input += static_cast<char>(c);
    const std::string e = error_of(input);
    for (const char m : e) CHECK(static_cast<unsigned char>(m) >= 0x20);
  }
}

TEST_CASE("e164: Unicode digits and other non-ASCII are refused", "[e164]") {
  // FULLWIDTH DIGIT ONE U+FF11 (EF BC 91).
  CHECK(error_of("+\xef\xbc\x91\x32\x31\x35") ==
        "non-ASCII character U+FF11 at position 2 (only ASCII digits are allowed)");
  // ARABIC-INDIC DIGIT ONE U+0661 (D9 A1).
  CHECK(error_of("+12\xd9\xa1") ==
        "non-ASCII character U+0661 at position 4 (only ASCII digits are allowed)");
  // DEVANAGARI DIGIT ONE U+0967.
  CHECK(error_of("+1\xe0\xa5\xa7").find("U+0967") != std::string::npos);
  // NO-BREAK SPACE U+00A0 is not a separator.
  CHECK(error_of("+1\xc2\xa0"
                 "215")
            .find("U+00A0") != std::string::npos);
  // FULLWIDTH PLUS SIGN U+FF0B instead of '+'.
  CHECK(error_of("\xef\xbc\x8b"
                 "1215") == "number must start with '+' (found U+FF0B)");
  // Invalid UTF-8 is named by its byte.
  CHECK(error_of("+12\xff") ==
        "non-ASCII character byte \\xff at position 4 (only ASCII digits are allowed)");
  CHECK(error_of("+12\xc0\xb1").find("byte \\xc0") != std::string::npos);  // overlong '1'
}

TEST_CASE("e164: over-long input is refused before scanning", "[e164]") {
  const std::string spaced = "+1" + std::string(100, ' ');
  CHECK(error_of(spaced) == "number too long (102 > 64 bytes)");
  const std::string huge(1 << 20, '1');
  CHECK(error_of("+" + huge).find("number too long") == 0);
}

TEST_CASE("e164: enum_domain reverses the digits under the suffix", "[e164]") {
  const E164Number n{"12155551234"};
  CHECK(enum_domain(n, "e164.arpa") == "4.3.2.1.5.5.5.5.1.2.1.e164.arpa.");
  CHECK(enum_domain(n, "e164.arpa.") == "4.3.2.1.5.5.5.5.1.2.1.e164.arpa.");
  CHECK(enum_domain(n, "E164.ARPA") == "4.3.2.1.5.5.5.5.1.2.1.e164.arpa.");
  CHECK(enum_domain(n, "e164.arpa..") == "4.3.2.1.5.5.5.5.1.2.1.e164.arpa.");
  CHECK(enum_domain(E164Number{"441164960348"}, "e164.arpa") ==
        "8.4.3.0.6.9.4.6.1.1.4.4.e164.arpa.");
}

TEST_CASE("e164: enum_domain has one label per digit", "[e164]") {
  for (const char* input : {"+1", "+44", "+12155551234", "+123456789012345"}) {
    auto n = parse_e164(input);
    REQUIRE(n);
    const std::string name = enum_domain(*n, "e164.arpa");
    std::size_t labels = 0;
    for (const char c : name) labels += c == '.' ? 1 : 0;
    CHECK(labels == n->digits.size() + 2);  // digits + "e164" + "arpa"
  }
  CHECK(enum_domain(*parse_e164("+123456789012345"), "e164.arpa") ==
        "5.4.3.2.1.0.9.8.7.6.5.4.3.2.1.e164.arpa.");
}

TEST_CASE("e164: ENUM suffix validation and canonical form", "[e164]") {
  CHECK(*parse_enum_suffix("e164.arpa") == "e164.arpa.");
  CHECK(*parse_enum_suffix("E164.Arpa.") == "e164.arpa.");
  CHECK(*parse_enum_suffix("nrenum.net") == "nrenum.net.");
  CHECK(*parse_enum_suffix("e164enum.carrier-a.example") == "e164enum.carrier-a.example.");
  CHECK(*parse_enum_suffix("_enum.example") == "_enum.example.");
  CHECK(*parse_enum_suffix("arpa") == "arpa.");

  CHECK(parse_enum_suffix("").error() == "empty ENUM suffix");
  CHECK(parse_enum_suffix(".").error() == "ENUM suffix cannot be the root");
  CHECK(parse_enum_suffix(".e164.arpa").error().find("empty label") == 0);
  CHECK(parse_enum_suffix("e164..arpa").error().find("empty label") == 0);
  CHECK(parse_enum_suffix("e164.arpa..").error().find("empty label") == 0);
  CHECK(parse_enum_suffix("-e164.arpa").error().find("starts or ends with '-'") !=
        std::string::npos);
  CHECK(parse_enum_suffix("e164-.arpa").error().find("starts or ends with '-'") !=
        std::string::npos);
  CHECK(parse_enum_suffix("e164 .arpa").error() ==
        "invalid character ' ' at position 5 in ENUM suffix");
  CHECK(parse_enum_suffix("e164.arpa\n").error() ==
        "control character '\\x0a' at position 10 in ENUM suffix");
  CHECK(parse_enum_suffix("e164.\xc3\xa4rpa").error().find("U+00E4") != std::string::npos);
  CHECK(parse_enum_suffix(std::string(64, 'a') + ".arpa").error().find("label longer than 63") ==
        0);
  CHECK(parse_enum_suffix(std::string(63, 'a') + ".arpa"));
}

TEST_CASE("e164: ENUM suffix leaves room for 15 digit labels", "[e164]") {
  // 15 digits cost 30 bytes of wire form; the suffix may use the other 225.
  std::string ok;
  while (ok.size() + 10 <= 222) ok += "abcdefghi.";
  ok += "ab";  // presentation length 222 -> wire 224 (+ root) = fits with 30
  REQUIRE(parse_enum_suffix(ok));
  const std::string name = enum_domain(E164Number{"123456789012345"}, ok);
  CHECK(name.size() <= 254);  // presentation form of a 255-byte wire name
  CHECK(parse_enum_suffix(ok + "abc").error().find("exceeds 255 bytes") != std::string::npos);
}
