// Builds NAPTR RDATA byte by byte, so tests can write exactly the (broken) bytes they
// mean, independent of the parser under test.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace speerd::luf::test {

inline std::string u16(std::uint16_t v) {
  return {static_cast<char>(v >> 8U), static_cast<char>(v & 0xffU)};
}

inline std::string charstr(std::string_view s) {
  return std::string(1, static_cast<char>(s.size())) + std::string(s);
}

inline std::string dname(const std::vector<std::string>& labels) {
  std::string out;
  for (const auto& l : labels) out += charstr(l);
  out += '\0';
  return out;
}

inline std::string naptr_rdata(std::uint16_t order, std::uint16_t pref, std::string_view flags,
                               std::string_view services, std::string_view regexp,
                               const std::vector<std::string>& replacement = {}) {
  return u16(order) + u16(pref) + charstr(flags) + charstr(services) + charstr(regexp) +
         dname(replacement);
}

}  // namespace speerd::luf::test
