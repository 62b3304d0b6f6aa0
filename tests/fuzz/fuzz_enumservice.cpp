// Fuzz target for the NAPTR Services field / requested service (enum/enumservice):
// the input is two fields separated by the first '\n' (offered, then requested; no
// '\n' means the same field twice). Checks:
//   - a parsed field prints canonically and parses back to the same value;
//   - a parsed field matches itself, and matches() agrees with find_match();
//   - a rejected field has a printable error message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "enum/enumservice.hpp"

namespace {

using namespace speerd::luf;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

speerd::Expected<EnumService> parsed(std::string_view field) {
  auto s = parse_enumservice(field);
  if (!s) {
    check(!s.error().empty());
    for (const unsigned char c : s.error()) check(c >= 0x20 && c < 0x7f);
    return s;
  }
  check(!s->specs.empty());
  for (const auto& spec : s->specs) {
    check(!spec.type.empty() && spec.type.size() <= 32);
    for (const auto& sub : spec.subtypes) check(!sub.empty() && sub.size() <= 32);
  }
  const std::string text = to_string(*s);
  auto again = parse_enumservice(text);
  check(again.has_value() && *again == *s && to_string(*again) == text);
  check(matches(*s, *s));
  check(find_match(*s, *s) != nullptr);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nl = in.find('\n');
  const std::string_view offered = in.substr(0, nl);
  const std::string_view requested = nl == std::string_view::npos ? in : in.substr(nl + 1);
  auto a = parsed(offered);
  auto b = parsed(requested);
  if (a && b) {
    const auto* m = find_match(*a, *b);
    check(matches(*a, *b) == (m != nullptr));
    if (m != nullptr) {
      bool offered_spec = false;
      for (const auto& s : a->specs) offered_spec = offered_spec || &s == m;
      check(offered_spec);
    }
  }
  return 0;
}
