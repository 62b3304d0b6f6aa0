// Fuzz target for bulk import (sed-store/transfer: CSV and JSON Lines), the one
// parser that reads whole files of operator-supplied rows. The first byte chooses the
// format (even: CSV, odd: JSON Lines); the rest is the file. Nothing touches a store:
// transfer::parse() alone, which is what `speerctl import` runs before its one
// transaction. Checks:
//   - parsed: one line number per change, each within the input and never decreasing;
//   - rejected: ErrorCode::invalid, and the message is one line of printable text
//     that starts with "line N" for a line that exists (it is shown to operators and
//     written to the audit log).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "sed-store/transfer.hpp"

namespace {

using namespace speerd::store;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto format = data[0] % 2 == 0 ? transfer::Format::csv : transfer::Format::json;
  const std::size_t lines =
      static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  std::istringstream in(text);
  auto r = transfer::parse(in, format);
  if (r) {
    check(r->format == format);
    check(r->changes.size() == r->lines.size());
    std::size_t prev = 0;
    for (const auto l : r->lines) {
      check(l >= 1 && l <= lines && l >= prev);
      prev = l;
    }
    return 0;
  }
  const auto& e = r.error();
  check(e.code == ErrorCode::invalid);
  check(!e.message.empty());
  for (const unsigned char c : e.message) check(c >= 0x20 && c != 0x7f);
  check(e.message.rfind("line ", 0) == 0);
  const std::size_t n = std::stoul(e.message.substr(5));
  check(n >= 1 && n <= lines);
  return 0;
}
