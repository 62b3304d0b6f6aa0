// Fuzz target for E.164 input (API numbers, speerctl arguments, import rows) and ENUM
// tree suffixes (configuration). The first byte chooses the parser; the rest is the
// input. Besides crashes it checks what the LUF relies on:
//   - a parsed number is 1-15 ASCII digits, the first not 0, and its AUS parses back
//     to the same number;
//   - its ENUM domain under e164.arpa is the digits reversed, one label each;
//   - a parsed suffix is canonical (lower case, one trailing dot) and parses to itself;
//   - a rejected input has an error message of printable ASCII only (it goes into logs
//     and API answers).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "enum/e164.hpp"
#include "enum/limits.hpp"

namespace {

using namespace speerd::luf;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_message(const std::string& m) {
  check(!m.empty());
  for (const unsigned char c : m) check(c >= 0x20 && c < 0x7f);
}

void number(std::string_view in) {
  auto n = parse_e164(in);
  if (!n) return check_message(n.error());
  const std::string& d = n->digits;
  check(!d.empty() && d.size() <= kMaxE164Digits && d[0] != '0');
  for (const char c : d) check(c >= '0' && c <= '9');
  auto again = parse_e164(n->aus());
  check(again.has_value() && *again == *n);
  const std::string domain = enum_domain(*n, "e164.arpa");
  check(domain.size() == d.size() * 2 + 10);
  for (std::size_t i = 0; i < d.size(); ++i) {
    check(domain[2 * i] == d[d.size() - 1 - i] && domain[2 * i + 1] == '.');
  }
  check(domain.substr(d.size() * 2) == "e164.arpa.");
}

void suffix(std::string_view in) {
  auto s = parse_enum_suffix(in);
  if (!s) return check_message(s.error());
  check(!s->empty() && s->back() == '.' && (s->size() < 2 || (*s)[s->size() - 2] != '.'));
  for (const char c : *s) check(!(c >= 'A' && c <= 'Z'));
  auto again = parse_enum_suffix(*s);
  check(again.has_value() && *again == *s);
  // The longest name under it (15 digits) fits a DNS name.
  check(enum_domain(E164Number{std::string(kMaxE164Digits, '9')}, *s).size() <= 254);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0) {
    number(in);
  } else {
    suffix(in);
  }
  return 0;
}
