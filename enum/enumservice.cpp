#include "enum/enumservice.hpp"

#include <algorithm>

#include "enum/limits.hpp"
#include "enum/printable.hpp"

namespace speerd::luf {

namespace {

char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower(c);
  return out;
}

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return to_lower(x) == to_lower(y);
         });
}

Expected<std::string> parse_token(std::string_view token, std::string_view what,
                                  std::size_t offset) {
  if (token.empty()) {
    return fail("empty enumservice " + std::string(what) + " at position " +
                std::to_string(offset + 1));
  }
  if (token.size() > kMaxEnumserviceTokenLength) {
    return fail("enumservice " + std::string(what) + " longer than 32 characters at position " +
                std::to_string(offset + 1));
  }
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (!is_token_char(token[i])) {
      std::size_t len = 0;
      return fail("invalid character " + describe_char(token, i, &len) + " in enumservice " +
                  std::string(what) + " at position " + std::to_string(offset + i + 1));
    }
  }
  return lower(token);
}

}  // namespace

Expected<EnumService> parse_enumservice(std::string_view field) {
  if (field.empty()) return fail("empty services field");
  if (field.size() > 3 && iequals(field.substr(field.size() - 4), "+e2u")) {
    return fail("legacy RFC 2916 services field '" + printable(field) +
                "' is not supported (RFC 6116 form is 'E2U+<type>')");
  }
  if (field.size() < 3 || !iequals(field.substr(0, 3), "e2u")) {
    return fail("services field '" + printable(field) + "' lacks the 'E2U' prefix");
  }
  if (field.size() == 3) return fail("services field 'E2U' names no enumservice");
  if (field[3] != '+') return fail("expected '+' after 'E2U' in '" + printable(field) + "'");

  EnumService service;
  std::size_t pos = 4;  // first character after "E2U+"
  while (true) {
    const std::size_t end = std::min(field.find('+', pos), field.size());
    const std::string_view spec_text = field.substr(pos, end - pos);
    EnumserviceSpec spec;
    std::size_t part_start = 0;
    bool first = true;
    while (true) {
      const std::size_t colon = std::min(spec_text.find(':', part_start), spec_text.size());
      auto token = parse_token(spec_text.substr(part_start, colon - part_start),
                               first ? "type" : "subtype", pos + part_start);
      if (!token) return fail(token.error());
      if (first) {
        spec.type = std::move(*token);
      } else {
        spec.subtypes.push_back(std::move(*token));
      }
      first = false;
      if (colon == spec_text.size()) break;
      part_start = colon + 1;
    }
    service.specs.push_back(std::move(spec));
    if (end == field.size()) break;
    pos = end + 1;
  }
  return service;
}

std::string to_string(const EnumserviceSpec& spec) {
  std::string out = spec.type;
  for (const auto& sub : spec.subtypes) {
    out += ':';
    out += sub;
  }
  return out;
}

std::string to_string(const EnumService& service) {
  std::string out = "E2U";
  for (const auto& spec : service.specs) {
    out += '+';
    out += to_string(spec);
  }
  return out;
}

bool matches(const EnumserviceSpec& offered, const EnumserviceSpec& requested) {
  if (!iequals(offered.type, requested.type)) return false;
  if (offered.subtypes.size() != requested.subtypes.size()) return false;
  for (std::size_t i = 0; i < offered.subtypes.size(); ++i) {
    if (!iequals(offered.subtypes[i], requested.subtypes[i])) return false;
  }
  return true;
}

const EnumserviceSpec* find_match(const EnumService& offered, const EnumService& requested) {
  for (const auto& have : offered.specs) {
    for (const auto& want : requested.specs) {
      if (matches(have, want)) return &have;
    }
  }
  return nullptr;
}

bool matches(const EnumService& offered, const EnumService& requested) {
  return find_match(offered, requested) != nullptr;
}

}  // namespace speerd::luf
