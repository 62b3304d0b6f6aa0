#include <catch2/catch.hpp>

#include "enum/naptr.hpp"
#include "tests/enum/wire_builder.hpp"

using speerd::luf::Naptr;
using speerd::luf::naptr_text_to_wire;
using speerd::luf::parse_naptr_rdata;
using speerd::luf::parse_naptr_text;
using namespace speerd::luf::test;

TEST_CASE("naptr: wire rdata of a terminal ENUM rule", "[naptr]") {
  const auto wire = naptr_rdata(100, 10, "u", "E2U+sip", "!^.*$!sip:info@example.com!");
  auto n = parse_naptr_rdata(wire);
  REQUIRE(n);
  CHECK(n->order == 100);
  CHECK(n->preference == 10);
  CHECK(n->flags == "u");
  CHECK(n->services == "E2U+sip");
  CHECK(n->regexp == "!^.*$!sip:info@example.com!");
  CHECK(n->replacement == ".");
}

TEST_CASE("naptr: wire rdata of a non-terminal rule", "[naptr]") {
  const auto wire = naptr_rdata(65535, 0, "", "", "", {"next", "example", "org"});
  auto n = parse_naptr_rdata(wire);
  REQUIRE(n);
  CHECK(n->order == 65535);
  CHECK(n->preference == 0);
  CHECK(n->flags.empty());
  CHECK(n->services.empty());
  CHECK(n->regexp.empty());
  CHECK(n->replacement == "next.example.org.");
}

TEST_CASE("naptr: presentation text round trip", "[naptr]") {
  auto n = parse_naptr_text(R"(100 10 "u" "E2U+sip" "!^.*$!sip:a@b!" .)");
  REQUIRE(n);
  CHECK(*n == Naptr{100, 10, "u", "E2U+sip", "!^.*$!sip:a@b!", "."});
  CHECK(to_text(*n) == R"(100 10 "u" "E2U+sip" "!^.*$!sip:a@b!" .)");
  auto again = parse_naptr_text(to_text(*n));
  REQUIRE(again);
  CHECK(*again == *n);
}

TEST_CASE("naptr: text uses master-file escapes", "[naptr]") {
  // In a zone file a backslash inside quotes escapes the next character: "\\1" is \1.
  auto n = parse_naptr_text(R"(10 100 "u" "E2U+sip" "!^\\+1(.*)$!sip:\\1@example.com!" .)");
  REQUIRE(n);
  CHECK(n->regexp == R"(!^\+1(.*)$!sip:\1@example.com!)");
  CHECK(to_text(*n) == R"(10 100 "u" "E2U+sip" "!^\\+1(.*)$!sip:\\1@example.com!" .)");
  auto q = parse_naptr_text(R"(1 1 "u" "E2U+sip" "!^.*$!sip:\"q\"@b!" .)");
  REQUIRE(q);
  CHECK(q->regexp == "!^.*$!sip:\"q\"@b!");
  auto d = parse_naptr_text(R"(1 1 "u" "E2U+sip" "!^.*$!sip:\013@b!" .)");
  REQUIRE(d);
  CHECK(d->regexp == "!^.*$!sip:\r@b!");
  CHECK(to_text(*d) == R"(1 1 "u" "E2U+sip" "!^.*$!sip:\013@b!" .)");
}

TEST_CASE("naptr: text replacement names are absolute", "[naptr]") {
  auto n = parse_naptr_text(R"(100 10 "" "E2U+sip" "" sub.example.com.)");
  REQUIRE(n);
  CHECK(n->replacement == "sub.example.com.");
  auto rel = parse_naptr_text(R"(100 10 "" "E2U+sip" "" sub.example.com)");
  REQUIRE(rel);
  CHECK(rel->replacement == "sub.example.com.");
}

TEST_CASE("naptr: text with semicolons inside quotes", "[naptr]") {
  auto n = parse_naptr_text(R"(100 10 "u" "E2U+sip" "!^.*$!sip:a@b;transport=tcp!" .)");
  REQUIRE(n);
  CHECK(n->regexp == "!^.*$!sip:a@b;transport=tcp!");
}

TEST_CASE("naptr: malformed text", "[naptr]") {
  CHECK_FALSE(parse_naptr_text(""));
  CHECK_FALSE(parse_naptr_text("100 10 \"u\" \"E2U+sip\""));
  CHECK_FALSE(parse_naptr_text("x 10 \"u\" \"E2U+sip\" \"\" ."));
  CHECK_FALSE(parse_naptr_text("70000 10 \"u\" \"E2U+sip\" \"\" ."));
  CHECK(parse_naptr_text("100 10 \"u\" \"E2U+sip\" \"\" .\nevil. 0 IN A 1.2.3.4").error() ==
        "control character '\\x0a' at position 26 in NAPTR text");
  CHECK(parse_naptr_text(std::string(300000, '1')).error() == "NAPTR text too long");
}

TEST_CASE("naptr: text order and preference are 16-bit numbers", "[naptr]") {
  auto max = parse_naptr_text(R"(65535 65535 "u" "E2U+sip" "!^.*$!sip:a@b!" .)");
  REQUIRE(max);
  CHECK(max->order == 65535);
  CHECK(max->preference == 65535);
  // ldns alone would wrap 70000 to 4464; the text parser refuses it.
  CHECK(parse_naptr_text(R"(65536 1 "u" "E2U+sip" "" .)").error() ==
        "invalid NAPTR text: order must be a number 0-65535");
  CHECK(parse_naptr_text(R"(1 99999999999 "u" "E2U+sip" "" .)").error() ==
        "invalid NAPTR text: preference must be a number 0-65535");
  CHECK(parse_naptr_text(R"(-1 1 "u" "E2U+sip" "" .)").error() ==
        "invalid NAPTR text: order must be a number 0-65535");
  CHECK(parse_naptr_text(R"(1x 1 "u" "E2U+sip" "" .)").error() ==
        "invalid NAPTR text: order must be a number 0-65535");
}

TEST_CASE("naptr: text to wire matches the hand-built rdata", "[naptr]") {
  auto wire = naptr_text_to_wire(R"(100 10 "u" "E2U+sip" "!^.*$!sip:a@b!" .)");
  REQUIRE(wire);
  CHECK(*wire == naptr_rdata(100, 10, "u", "E2U+sip", "!^.*$!sip:a@b!"));
  auto nt = naptr_text_to_wire(R"(5 6 "" "" "" a.example.)");
  REQUIRE(nt);
  CHECK(*nt == naptr_rdata(5, 6, "", "", "", {"a", "example"}));
}

TEST_CASE("naptr: binary bytes in strings are kept and escaped in text", "[naptr]") {
  const std::string regexp("!^.*$!sip:\0\xff@b!", 15);
  const auto wire = naptr_rdata(1, 2, "u", "E2U+sip", regexp);
  auto n = parse_naptr_rdata(wire);
  REQUIRE(n);
  CHECK(n->regexp == regexp);
  CHECK(to_text(*n) == R"(1 2 "u" "E2U+sip" "!^.*$!sip:\000\255@b!" .)");
}

TEST_CASE("naptr: unusual replacement labels are presented escaped", "[naptr]") {
  auto n = parse_naptr_rdata(naptr_rdata(1, 1, "", "", "", {"a.b", "c d", std::string("\x01")}));
  REQUIRE(n);
  CHECK(n->replacement == "a\\.b.c\\032d.\\001.");
}

TEST_CASE("naptr: replacement labels with '\"', '@' or '$' read back as the same name", "[naptr]") {
  // ldns prints these bare; a '"' then reads back as a quote (found by fuzz_naptr).
  const auto wire = naptr_rdata(1, 1, "", "", "", {"x", "\"a@$", "@"});
  auto n = parse_naptr_rdata(wire);
  REQUIRE(n);
  CHECK(n->replacement == "x.\\034a\\064\\036.\\064.");
  auto again = parse_naptr_text(to_text(*n));
  REQUIRE(again);
  CHECK(*again == *n);
}

TEST_CASE("naptr: a replacement whose first label is '@' is refused", "[naptr]") {
  // Zone files read it as the origin, escaped or not (ldns 1.8): it has no
  // text form that reads back as itself.
  auto n = parse_naptr_rdata(naptr_rdata(1, 1, "", "", "", {"@", "x"}));
  REQUIRE_FALSE(n);
  CHECK(n.error().find("label '@'") != std::string::npos);
  CHECK(parse_naptr_rdata(naptr_rdata(1, 1, "", "", "", {"@a", "x"})));
}

TEST_CASE("naptr: longest legal replacement (255 bytes)", "[naptr]") {
  // 63+63+63+61 bytes of labels + 4 length bytes + root = 255.
  const std::vector<std::string> labels = {std::string(63, 'a'), std::string(63, 'b'),
                                           std::string(63, 'c'), std::string(61, 'd')};
  auto n = parse_naptr_rdata(naptr_rdata(1, 1, "", "", "", labels));
  REQUIRE(n);
  CHECK(n->replacement.size() == 254);
}

TEST_CASE("naptr: 255-byte character-strings", "[naptr]") {
  const std::string big(255, 'x');
  auto n = parse_naptr_rdata(naptr_rdata(1, 1, big, big, big));
  REQUIRE(n);
  CHECK(n->flags == big);
  CHECK(n->services == big);
  CHECK(n->regexp == big);
}
