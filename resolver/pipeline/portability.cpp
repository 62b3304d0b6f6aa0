#include "resolver/pipeline/portability.hpp"

#include <cctype>

namespace speerd::pipeline {
namespace {

bool iequal_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<Portability> parse_portability(std::string_view uri, std::string* bad) {
  std::string_view part;  // the number and its parameters
  if (iequal_prefix(uri, "tel:")) {
    part = uri.substr(4);
  } else if (iequal_prefix(uri, "sip:") || iequal_prefix(uri, "sips:")) {
    const auto start = uri.find(':') + 1;
    const auto at = uri.find('@', start);
    if (at == std::string_view::npos) return std::nullopt;
    part = uri.substr(start, at - start);
  } else {
    return std::nullopt;
  }
  Portability p;
  bool have_rn = false;
  std::size_t pos = part.find(';');
  while (pos != std::string_view::npos) {
    const auto next = part.find(';', pos + 1);
    const auto param =
        part.substr(pos + 1, next == std::string_view::npos ? part.npos : next - pos - 1);
    pos = next;
    if (iequal_prefix(param, "npdi") && param.size() == 4) {
      p.npdi = true;
    } else if (iequal_prefix(param, "rn=")) {
      const auto value = param.substr(3);
      if (value.empty() || value[0] != '+') {
        if (bad) *bad = "rn is not a global number (RFC 4694)";
        return std::nullopt;
      }
      std::string digits;
      for (const char c : value.substr(1)) {
        if (c >= '0' && c <= '9') {
          digits.push_back(c);
        } else if (c != '-' && c != '.' && c != '(' && c != ')') {
          if (bad) *bad = "rn has a character that is not a digit or a visual separator";
          return std::nullopt;
        }
      }
      if (digits.empty() || digits.size() > 15) {
        if (bad) *bad = "rn must have 1 to 15 digits";
        return std::nullopt;
      }
      p.rn_digits = std::move(digits);
      have_rn = true;
    }
  }
  if (!have_rn) return std::nullopt;
  return p;
}

}  // namespace speerd::pipeline
