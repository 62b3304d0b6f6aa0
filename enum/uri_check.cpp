#include "enum/uri_check.hpp"

#include <algorithm>

#include "enum/limits.hpp"
#include "enum/printable.hpp"

namespace speerd::luf {

namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// RFC 3986 section 2: unreserved / gen-delims / sub-delims ('%' handled apart).
bool is_uri_char(char c) {
  if (is_alpha(c) || is_digit(c)) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':  // unreserved
    case ':':
    case '/':
    case '?':
    case '#':
    case '[':
    case ']':
    case '@':  // gen-delims
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':  // sub-delims
    case '+':
    case ',':
    case ';':
    case '=':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::vector<std::string> allowed_schemes(const EnumserviceSpec& service) {
  if (!service.subtypes.empty()) return service.subtypes;
  if (service.type == "sip") return {"sip", "sips"};
  if (service.type == "vcard") return {"http", "https"};
  return {service.type};
}

Expected<std::string> check_uri_syntax(std::string_view uri) {
  if (uri.empty()) return fail("empty URI");
  if (uri.size() > kMaxRewriteOutputLength) {
    return fail("URI too long (" + std::to_string(uri.size()) + " > " +
                std::to_string(kMaxRewriteOutputLength) + " bytes)");
  }
  for (std::size_t i = 0; i < uri.size(); ++i) {
    const char c = uri[i];
    if (c == '%') {
      if (i + 2 >= uri.size() || !is_hex(uri[i + 1]) || !is_hex(uri[i + 2])) {
        return fail("'%' at position " + std::to_string(i + 1) +
                    " is not followed by two hex digits");
      }
      continue;
    }
    if (!is_uri_char(c)) {
      std::size_t len = 0;
      const auto u = static_cast<unsigned char>(c);
      const char* kind = (u < 0x20 || u == 0x7f) ? "control character "
                         : u == 0x20             ? "space "
                         : u >= 0x80             ? "non-ASCII character "
                                                 : "character ";
      return fail(std::string(kind) + describe_char(uri, i, &len) + " at position " +
                  std::to_string(i + 1) + " is not allowed in a URI");
    }
  }
  const std::size_t colon = uri.find(':');
  if (colon == std::string_view::npos) return fail("URI has no scheme ('" + printable(uri) + "')");
  if (colon == 0) return fail("URI has an empty scheme");
  if (!is_alpha(uri[0])) return fail("URI scheme must start with a letter");
  std::string scheme;
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = uri[i];
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') {
      return fail("invalid character '" + printable(std::string_view(&c, 1)) +
                  "' in URI scheme at position " + std::to_string(i + 1));
    }
    scheme += to_lower(c);
  }
  if (colon + 1 == uri.size()) return fail("URI '" + printable(uri) + "' is only a scheme");
  return scheme;
}

Expected<std::string> check_uri(std::string_view uri, const EnumserviceSpec& service) {
  auto scheme = check_uri_syntax(uri);
  if (!scheme) return scheme;
  const auto allowed = allowed_schemes(service);
  if (std::find(allowed.begin(), allowed.end(), *scheme) == allowed.end()) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a + ":";
    return fail("URI scheme '" + *scheme + ":' does not fit enumservice '" + to_string(service) +
                "' (expected " + list + ")");
  }
  return scheme;
}

}  // namespace speerd::luf
