#include <catch2/catch.hpp>

#include "enum/limits.hpp"
#include "enum/substitution.hpp"

using speerd::luf::kMaxRewriteOutputLength;
using speerd::luf::kMaxSubstitutionLength;
using speerd::luf::Substitution;

namespace {

constexpr std::string_view kAus = "+12155551234";

std::string rewrite(std::string_view expression, std::string_view input = kAus) {
  auto s = Substitution::parse(expression);
  INFO(expression);
  REQUIRE(s);
  auto out = s->apply(input);
  INFO(input);
  REQUIRE(out);
  return *out;
}

std::string parse_error(std::string_view expression) {
  auto s = Substitution::parse(expression);
  INFO(expression);
  REQUIRE_FALSE(s);
  return s.error();
}

std::string apply_error(std::string_view expression, std::string_view input = kAus) {
  auto s = Substitution::parse(expression);
  INFO(expression);
  REQUIRE(s);
  auto out = s->apply(input);
  REQUIRE_FALSE(out);
  return out.error();
}

}  // namespace

TEST_CASE("substitution: the usual ENUM rule", "[substitution]") {
  CHECK(rewrite("!^.*$!sip:info@example.com!") == "sip:info@example.com");
  CHECK(rewrite("!^\\+1(.*)$!sip:\\1@gw.example.com!") == "sip:2155551234@gw.example.com");
  CHECK(rewrite("!^(.*)$!sip:\\1@example.com;user=phone!") ==
        "sip:+12155551234@example.com;user=phone");
  CHECK(rewrite("!^\\+([0-9]+)$!tel:+\\1!") == "tel:+12155551234");
}

TEST_CASE("substitution: result is repl only, not a sed-style in-place edit", "[substitution]") {
  // RFC 3402 3.2 / RFC 3403 example 2: the unanchored ERE matches a prefix, and the
  // output is the replacement alone.
  CHECK(rewrite("!^http://([^/:]+)!\\1!i", "http://www.example.com/foo/bar") == "www.example.com");
  CHECK(rewrite("!555!sip:x@y!") == "sip:x@y");
}

TEST_CASE("substitution: no match is an error", "[substitution]") {
  CHECK(apply_error("!^\\+44(.*)$!sip:\\1@uk.example!") == "regexp does not match '+12155551234'");
  CHECK(apply_error("!^1!x!") == "regexp does not match '+12155551234'");
}

TEST_CASE("substitution: other delimiters", "[substitution]") {
  CHECK(rewrite("#^\\+1(.*)$#sip:\\1@example.com#") == "sip:2155551234@example.com");
  CHECK(rewrite("|^\\+1(.*)$|sip:\\1@example.com|") == "sip:2155551234@example.com");
  CHECK(rewrite("/^.*$/sip:a@b/") == "sip:a@b");
  CHECK(rewrite("@^\\+(.*)$@\\1@") == "12155551234");
  CHECK(rewrite("x^.*$xsip:a@bx") == "sip:a@b");  // a letter, not a flag
  CHECK(Substitution::parse("#^.*$#sip:a@b#")->delimiter() == '#');
}

TEST_CASE("substitution: escaped delimiter in ERE and replacement", "[substitution]") {
  // "\!" in the ERE matches a literal '!'; in the repl it writes one.
  CHECK(rewrite("!^a\\!b$!sip:x\\!y@z!", "a!b") == "sip:x!y@z");
  // With '|' as delimiter "\|" is a literal bar, not alternation.
  CHECK(rewrite("|^a\\|b$|ok|", "a|b") == "ok");
  CHECK(apply_error("|^a\\|b$|ok|", "a") == "regexp does not match 'a'");
  // A letter delimiter escaped in the ERE means the letter, not an RE2 escape ("\a").
  CHECK(rewrite("a^x\\ay$aokz\\aa", "xay") == "okza");
  // '#' and '/' as delimiters.
  CHECK(rewrite("#^(.*)$#sip:\\1\\#x@y#", "+1") == "sip:+1#x@y");
  CHECK(rewrite("/^(.*)$/http:\\/\\/\\1/", "h") == "http://h");
}

TEST_CASE("substitution: i flag makes matching case-insensitive", "[substitution]") {
  CHECK(rewrite("!^ABC(.*)$!\\1!i", "abcdef") == "def");  // backref text not lower-cased
  CHECK(rewrite("!^ABC(.*)$!\\1!I", "abcDEF") == "DEF");
  CHECK(apply_error("!^ABC(.*)$!\\1!", "abcdef") == "regexp does not match 'abcdef'");
  CHECK(Substitution::parse("!a!b!i")->case_insensitive());
  CHECK(Substitution::parse("!a!b!ii")->case_insensitive());
  CHECK_FALSE(Substitution::parse("!a!b!")->case_insensitive());
}

TEST_CASE("substitution: unknown flags are refused", "[substitution]") {
  CHECK(parse_error("!a!b!g") == "unknown flag 'g' at position 6 (only 'i' is defined)");
  CHECK(parse_error("!a!b!ix") == "unknown flag 'x' at position 7 (only 'i' is defined)");
  CHECK(parse_error("!a!b! ") == "unknown flag ' ' at position 6 (only 'i' is defined)");
  CHECK(parse_error("!a!b!\n") == "unknown flag '\\x0a' at position 6 (only 'i' is defined)");
  // A fourth unescaped delimiter lands in the flags.
  CHECK(parse_error("!a!b!c!") == "unknown flag 'c' at position 6 (only 'i' is defined)");
}

TEST_CASE("substitution: backreferences \\1-\\9 (RFC 3402 example)", "[substitution]") {
  // RFC 3402 3.2: the ERE (A(B(C)DE)(F)G) has \1 = ABCDEFG, \2 = BCDE, \3 = C, \4 = F,
  // \5..\9 = error - no matching subexpression.
  const std::string ere = "!(A(B(C)DE)(F)G)!";
  CHECK(rewrite(ere + "\\1!", "ABCDEFG") == "ABCDEFG");
  CHECK(rewrite(ere + "\\2!", "ABCDEFG") == "BCDE");
  CHECK(rewrite(ere + "\\3!", "ABCDEFG") == "C");
  CHECK(rewrite(ere + "\\4!", "ABCDEFG") == "F");
  CHECK(rewrite(ere + "[\\4\\3\\2\\1]!", "ABCDEFG") == "[FCBCDEABCDEFG]");
  for (char d = '5'; d <= '9'; ++d) {
    CHECK(parse_error(ere + "\\" + d + "!") ==
          std::string("backreference \\") + d + " but the expression has 4 groups");
  }
  CHECK(Substitution::parse(ere + "x!")->capture_groups() == 4);
}

TEST_CASE("substitution: backreference to a missing group is a parse error", "[substitution]") {
  CHECK(parse_error("!^(.*)$!sip:\\7@example.com!") ==
        "backreference \\7 but the expression has 1 group");
  CHECK(parse_error("!^.*$!sip:\\1@example.com!") ==
        "backreference \\1 but the expression has 0 groups");
}

TEST_CASE("substitution: \\0 is rejected (RFC 3402: POS-DIGIT)", "[substitution]") {
  CHECK(parse_error("!^.*$!sip:\\0@example.com!") ==
        "backreference \\0 at position 11 is not allowed (RFC 3402: \\1 to \\9 only)");
}

TEST_CASE("substitution: a group that took no part gives empty text", "[substitution]") {
  CHECK(rewrite("!^(a)?(b)$![\\1\\2]!", "b") == "[b]");
  CHECK(rewrite("!^(x)|(\\+1)![\\1][\\2]!") == "[][+1]");
}

TEST_CASE("substitution: escapes in the replacement", "[substitution]") {
  CHECK(rewrite("!^.*$!a\\\\b!") == "a\\b");  // "\\" is one backslash
  CHECK(parse_error("!^.*$!a\\nb!") == "unsupported escape '\\n' in replacement at position 8");
  CHECK(parse_error("!^.*$!a\\.b!") == "unsupported escape '\\.' in replacement at position 8");
}

TEST_CASE("substitution: missing delimiters", "[substitution]") {
  CHECK(parse_error("!^.*$!sip:a@b") == "missing final delimiter '!'");
  CHECK(parse_error("!^.*$") == "missing second delimiter '!'");
  CHECK(parse_error("!") == "missing second delimiter '!'");
  CHECK(parse_error("!^.*$!sip:a@b\\!") == "missing final delimiter '!'");  // escaped
  CHECK(parse_error("!^.*$!sip:a@b\\") == "missing final delimiter '!'");   // trailing '\'
  CHECK(parse_error("!^.*\\!sip:a@b!") == "missing final delimiter '!'");
}

TEST_CASE("substitution: empty expression and empty regexp", "[substitution]") {
  CHECK(parse_error("") == "empty substitution expression");
  CHECK(parse_error("!!sip:a@b!") == "empty regular expression");
  CHECK(parse_error("!!!") == "empty regular expression");
  // An empty replacement is allowed by the grammar; the URI check refuses it later.
  CHECK(rewrite("!^.*$!!").empty());
}

TEST_CASE("substitution: invalid delimiters", "[substitution]") {
  CHECK(parse_error("1^.*$1x1") == "delimiter '1' is a digit");
  CHECK(parse_error("0^.*$0x0") == "delimiter '0' is a digit");
  CHECK(parse_error("\\^.*$\\x\\") == "delimiter cannot be a backslash");
  CHECK(parse_error("i^.*$ixi") == "delimiter cannot be the flag character 'i'");
  CHECK(parse_error("I^.*$IxI") == "delimiter cannot be the flag character 'i'");
  CHECK(parse_error(" ^.*$ x ") == "delimiter ' ' is not a printable ASCII character");
  CHECK(parse_error("\n^.*$\nx\n") == "delimiter '\\x0a' is not a printable ASCII character");
  CHECK(parse_error(std::string_view("\0^.*$\0x\0", 8)) ==
        "delimiter '\\x00' is not a printable ASCII character");
  CHECK(parse_error("\xc3^.*$\xc3x\xc3") ==
        "delimiter byte \\xc3 is not a printable ASCII character");
}

TEST_CASE("substitution: POSIX ERE syntax only", "[substitution]") {
  CHECK(rewrite("!^\\+1([[:digit:]]{3})!\\1!") == "215");
  CHECK(parse_error("!^\\d+$!x!").find("invalid regular expression: invalid escape sequence") == 0);
  CHECK(parse_error("!(?i)a!x!").find("invalid regular expression") == 0);
  CHECK(parse_error("!^(.*$!x!").find("invalid regular expression: missing )") == 0);
  CHECK(parse_error("![a-!x!").find("invalid regular expression") == 0);
  CHECK(parse_error("!a{2,1}!x!").find("invalid regular expression") == 0);
}

TEST_CASE("substitution: leftmost-longest (POSIX) matching", "[substitution]") {
  // Perl semantics would pick "a" (first alternative); POSIX picks the longest.
  CHECK(rewrite("!(a|ab)(c|bcd)!\\1-\\2!", "abcd") == "a-bcd");
  CHECK(rewrite("!^(a|ab)!\\1!", "abc") == "ab");
}

TEST_CASE("substitution: expression length limit, checked first", "[substitution]") {
  const std::string big = "!" + std::string(1 << 20, 'a') + "!x!";
  CHECK(parse_error(big) == "substitution expression too long (1048580 > 1024 bytes)");
  std::string edge = "!" + std::string(kMaxSubstitutionLength - 4, 'a') + "!x!";
  REQUIRE(edge.size() == kMaxSubstitutionLength);
  CHECK(Substitution::parse(edge));
  edge.insert(1, "a");
  CHECK(parse_error(edge) == "substitution expression too long (1025 > 1024 bytes)");
}

TEST_CASE("substitution: patterns that explode in backtracking engines", "[substitution]") {
  const std::string long_a(100000, 'a');
  const std::string no_match = "regexp does not match 'aaaa";
  // (a+)+$ against "aaaa...b": exponential for backtracking engines, linear for RE2.
  // The answers must still be right: no match here, a match without the 'b'.
  CHECK(apply_error("!(a+)+$!x!", long_a + "b").find(no_match) == 0);
  CHECK(rewrite("!(a+)+$!ok!", long_a) == "ok");
  CHECK(rewrite("!^(a+)+$!ok!", long_a) == "ok");
  CHECK(apply_error("!^(a|a)*c$!x!", long_a).find(no_match) == 0);
  CHECK(rewrite("!^(a|a)*c$!ok!", long_a + "c") == "ok");
  CHECK(apply_error("!^(a|aa)+$!x!", long_a + "!").find(no_match) == 0);
  CHECK(rewrite("!^(a|aa)+$!ok!", long_a) == "ok");
  CHECK(apply_error("!^(.*a){20}$!x!", std::string(5000, 'a') + "b").find(no_match) == 0);
  CHECK(rewrite("!^(.*a){20}$!ok!", std::string(5000, 'a')) == "ok");
  // The AUS is short, but the input is not trusted to be: a 1 MB input is still linear.
  CHECK(rewrite("!^(a+)+$!ok!", std::string(1 << 20, 'a')) == "ok");
  // RE2 refuses what cannot be compiled within its bounds.
  CHECK(parse_error("!(a{1000}){1000}!x!").find("invalid regular expression") == 0);
  CHECK(parse_error("!((a{100}){100}){100}!x!").find("invalid regular expression") == 0);
}

TEST_CASE("substitution: output length limit", "[substitution]") {
  const std::string input(600, '1');
  // Two copies of a 600-byte group: 1200 bytes > 1024.
  CHECK(apply_error("!^(.*)$!\\1\\1!", input) == "rewrite result too long (1200 > 1024 bytes)");
  // Nine backrefs to the whole AUS stay small.
  CHECK(rewrite("!^(.*)$!\\1\\1\\1\\1\\1\\1\\1\\1\\1!").size() == 9 * kAus.size());
  const std::string exact(kMaxRewriteOutputLength, '1');
  CHECK(rewrite("!^(.*)$!\\1!", exact).size() == kMaxRewriteOutputLength);
  CHECK(apply_error("!^(.*)$!\\1x!", exact) == "rewrite result too long (1025 > 1024 bytes)");
}

TEST_CASE("substitution: output can carry CR, LF or spaces (the URI check refuses them)",
          "[substitution]") {
  // The substitution is generic DDDS; injection is stopped by check_uri (uri_check.hpp)
  // and by select_rules. Here only: the bytes come through unchanged.
  CHECK(rewrite("!^.*$!sip:a@b\r\nVia: evil!") == "sip:a@b\r\nVia: evil");
  CHECK(rewrite("!^.*$!sip:a b@c!") == "sip:a b@c");
}

TEST_CASE("substitution: parse once, apply many times", "[substitution]") {
  auto s = Substitution::parse("!^\\+1(...)(.*)$!sip:\\2@\\1.example.com!");
  REQUIRE(s);
  CHECK(*s->apply("+12155551234") == "sip:5551234@215.example.com");
  CHECK(*s->apply("+14155550000") == "sip:5550000@415.example.com");
  Substitution moved = std::move(*s);
  CHECK(*moved.apply("+16175551212") == "sip:5551212@617.example.com");
}

TEST_CASE("substitution: non-ASCII and binary bytes", "[substitution]") {
  CHECK(parse_error("!\xff!x!").find("invalid regular expression") == 0);  // not UTF-8
  CHECK(rewrite("!^caf\xc3\xa9$!ok!", "caf\xc3\xa9") == "ok");
  CHECK(apply_error("!^x$!ok!", std::string_view("x\0", 2)).find("\\x00") != std::string::npos);
}
