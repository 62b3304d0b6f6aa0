// Hostile NAPTR RDATA: every way the lengths can lie. None may crash (the sanitizer
// build runs these) and each must be refused with a reason that names the field.
#include <catch2/catch.hpp>

#include "enum/naptr.hpp"
#include "tests/enum/wire_builder.hpp"

using speerd::luf::parse_naptr_rdata;
using namespace speerd::luf::test;

namespace {

std::string error_of(std::string_view wire) {
  auto n = parse_naptr_rdata(wire);
  REQUIRE_FALSE(n);
  return n.error();
}

std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (const int b : list) out += static_cast<char>(b);
  return out;
}

}  // namespace

TEST_CASE("naptr hostile: empty and too short for order/preference", "[naptr][hostile]") {
  CHECK(error_of("") == "rdata truncated: 0 bytes, order and preference need 4");
  CHECK(error_of(bytes({0})) == "rdata truncated: 1 bytes, order and preference need 4");
  CHECK(error_of(bytes({0, 1, 0})) == "rdata truncated: 3 bytes, order and preference need 4");
}

TEST_CASE("naptr hostile: missing character-string length bytes", "[naptr][hostile]") {
  CHECK(error_of(u16(1) + u16(1)) == "rdata truncated: no length byte for flags at offset 4");
  CHECK(error_of(u16(1) + u16(1) + charstr("u")) ==
        "rdata truncated: no length byte for services at offset 6");
  CHECK(error_of(u16(1) + u16(1) + charstr("u") + charstr("E2U+sip")) ==
        "rdata truncated: no length byte for regexp at offset 14");
}

TEST_CASE("naptr hostile: character-string lengths past the end", "[naptr][hostile]") {
  CHECK(error_of(u16(1) + u16(1) + bytes({5}) + "u") ==
        "flags length 5 at offset 4 runs past the end of the rdata (6 bytes)");
  CHECK(error_of(u16(1) + u16(1) + charstr("u") + bytes({255}) + "E2U+sip") ==
        "services length 255 at offset 6 runs past the end of the rdata (14 bytes)");
  CHECK(error_of(u16(1) + u16(1) + charstr("u") + charstr("E2U+sip") + bytes({200}) + "!x") ==
        "regexp length 200 at offset 14 runs past the end of the rdata (17 bytes)");
  // Length byte is the very last byte.
  CHECK(error_of(u16(1) + u16(1) + bytes({1})) ==
        "flags length 1 at offset 4 runs past the end of the rdata (5 bytes)");
}

TEST_CASE("naptr hostile: zero-length everything is still a valid record", "[naptr][hostile]") {
  // Zero-length strings and the root name: 4 + 3 + 1 bytes. Legal RDATA; the selection
  // step skips it ("neither regexp nor replacement").
  auto n = parse_naptr_rdata(u16(0) + u16(0) + bytes({0, 0, 0, 0}));
  REQUIRE(n);
  CHECK(n->replacement == ".");
}

TEST_CASE("naptr hostile: replacement missing or truncated", "[naptr][hostile]") {
  const std::string head = u16(1) + u16(1) + charstr("") + charstr("") + charstr("");
  CHECK(error_of(head) == "replacement name truncated at offset 7");
  CHECK(error_of(head + bytes({3}) + "ab") ==
        "replacement label length 3 at offset 7 runs past the end of the rdata");
  CHECK(error_of(head + bytes({3}) + "abc") == "replacement name truncated at offset 11");
  CHECK(error_of(head + bytes({63})) ==
        "replacement label length 63 at offset 7 runs past the end of the rdata");
}

TEST_CASE("naptr hostile: compression pointers are refused", "[naptr][hostile]") {
  const std::string head = u16(1) + u16(1) + charstr("") + charstr("") + charstr("");
  // A pointer to offset 0 of the (absent) message.
  CHECK(error_of(head + bytes({0xc0, 0x00})) ==
        "compression pointer in replacement at offset 7 (not allowed in NAPTR rdata)");
  // A pointer after a label, and one pointing at itself.
  CHECK(error_of(head + bytes({3}) + "www" + bytes({0xc0, 0x0b})) ==
        "compression pointer in replacement at offset 11 (not allowed in NAPTR rdata)");
  CHECK(error_of(head + bytes({0xc0, 0x07})).find("compression pointer") == 0);
  // A truncated pointer (one byte) is still recognised by its top bits.
  CHECK(error_of(head + bytes({0xc0})).find("compression pointer") == 0);
}

TEST_CASE("naptr hostile: reserved label types", "[naptr][hostile]") {
  const std::string head = u16(1) + u16(1) + charstr("") + charstr("") + charstr("");
  CHECK(error_of(head + bytes({0x41, 0})) == "reserved label type 0x41 in replacement at offset 7");
  CHECK(error_of(head + bytes({0x80, 0})).find("reserved label type") == 0);
}

TEST_CASE("naptr hostile: huge replacement names", "[naptr][hostile]") {
  // Five 63-byte labels: 320 bytes, over the 255-byte limit.
  std::vector<std::string> labels(5, std::string(63, 'a'));
  CHECK(error_of(naptr_rdata(1, 1, "", "", "", labels)) ==
        "replacement name longer than 255 bytes");
  // 256 bytes exactly: 63+63+63+62 + 4 + root.
  labels = {std::string(63, 'a'), std::string(63, 'b'), std::string(63, 'c'), std::string(62, 'd')};
  CHECK(error_of(naptr_rdata(1, 1, "", "", "", labels)) ==
        "replacement name longer than 255 bytes");
  // Many one-byte labels: 128 labels = 256 bytes + root.
  std::vector<std::string> many(128, "x");
  CHECK(error_of(naptr_rdata(1, 1, "", "", "", many)) == "replacement name longer than 255 bytes");
}

TEST_CASE("naptr hostile: trailing bytes after the replacement", "[naptr][hostile]") {
  const std::string good = naptr_rdata(1, 1, "u", "E2U+sip", "!^.*$!sip:a@b!");
  REQUIRE(parse_naptr_rdata(good));
  CHECK(error_of(good + "X") == "1 trailing bytes after the replacement at offset 30");
  CHECK(error_of(good + std::string(1000, '\0')).find("1000 trailing bytes") == 0);
}

TEST_CASE("naptr hostile: rdata over 65535 bytes", "[naptr][hostile]") {
  CHECK(error_of(std::string(65536, '\0')) == "rdata too long (65536 > 65535 bytes)");
}

TEST_CASE("naptr hostile: every truncation of a valid record is refused", "[naptr][hostile]") {
  const std::string good =
      naptr_rdata(100, 10, "u", "E2U+sip", "!^.*$!sip:a@b!", {"sip", "example", "com"});
  REQUIRE(parse_naptr_rdata(good));
  for (std::size_t len = 0; len < good.size(); ++len) {
    INFO(len);
    // A copy of exactly len bytes, so the sanitizer sees any read past the end.
    const std::string cut = good.substr(0, len);
    CHECK_FALSE(parse_naptr_rdata(cut));
  }
}

TEST_CASE("naptr hostile: every single-byte corruption is handled", "[naptr][hostile]") {
  const std::string good =
      naptr_rdata(100, 10, "u", "E2U+sip", "!^.*$!sip:a@b!", {"sip", "example", "com"});
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (const int v : {0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(v);
      auto n = parse_naptr_rdata(bad);  // either outcome; must not crash
      if (!n) CHECK_FALSE(n.error().empty());
    }
  }
}
