#include "sed-store/validate.hpp"

#include <arpa/inet.h>
#include <stdbool.h>  // before ldns, which otherwise defines bool, true and false

#include <ldns/ldns.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "sed-store/limits.hpp"

namespace speerd::store::validate {
namespace {

constexpr std::size_t kQuoteBytes = 40;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_alnum(char c) {
  return is_digit(c) || is_alpha(c);
}
bool is_printable_ascii(char c) {
  return c >= 0x20 && c <= 0x7e;
}
char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i, or
// -1 (and leaves i) when the bytes are not well-formed UTF-8.
long decode_utf8(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = 0;
  long cp = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
    cp = b0 & 0x1f;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    cp = b0 & 0x0f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return -1;
  }
  if (i + len > s.size()) return -1;
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3f);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff)) {
    return -1;
  }
  i += len;
  return cp;
}

// Unicode decimal digits that look like ASCII ones (the usual look-alike
// attacks on number fields): fullwidth, Arabic-Indic, extended Arabic-Indic,
// Devanagari, Bengali, mathematical digits.
bool is_lookalike_digit(long cp) {
  return (cp >= 0xff10 && cp <= 0xff19) || (cp >= 0x0660 && cp <= 0x0669) ||
         (cp >= 0x06f0 && cp <= 0x06f9) || (cp >= 0x0966 && cp <= 0x096f) ||
         (cp >= 0x09e6 && cp <= 0x09ef) || (cp >= 0x1d7ce && cp <= 0x1d7ff);
}

std::string code_point_name(long cp) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "U+%04lX", cp);
  return buf.data();
}

// Why s is not plain printable ASCII, or "" when it is.
std::string non_ascii_reason(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == '\0') return "contains a NUL byte";
    if (static_cast<unsigned char>(c) < 0x80) {
      if (!is_printable_ascii(c)) return "contains a control character";
      ++i;
      continue;
    }
    const long cp = decode_utf8(s, i);
    if (cp < 0) return "contains bytes that are not UTF-8";
    if (is_lookalike_digit(cp)) return "contains a non-ASCII digit (" + code_point_name(cp) + ")";
    return "contains a non-ASCII character (" + code_point_name(cp) + ")";
  }
  return "";
}

speerd::Unexpected<std::string> bad(std::string_view s, const std::string& why) {
  return speerd::fail(quote(s) + " " + why);
}

bool is_ldh_label(std::string_view label) {
  if (label.empty() || label.size() > kMaxLabelLength) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!is_alnum(c) && c != '-') return false;
  }
  return true;
}

// LDH name without the trailing dot, already lowercased; "" if fine, else why not.
std::string ldh_name_problem(std::string_view s) {
  if (s.empty()) return "is empty";
  if (s.size() > kMaxHostLength) return "is longer than 253 characters";
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t dot = s.find('.', start);
    const std::string_view label =
        s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return "has an empty label";
    if (!is_ldh_label(label)) {
      return label.size() > kMaxLabelLength
                 ? "has a label longer than 63 characters"
                 : "is not a host name (letters, digits, hyphens and dots only)";
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return "";
}

}  // namespace

bool is_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    if (decode_utf8(s, i) < 0) return false;
  }
  return true;
}

std::string quote(std::string_view s) {
  std::string out = "'";
  const std::size_t n = std::min(s.size(), kQuoteBytes);
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[i];
    if (is_printable_ascii(c) && c != '\\' && c != '\'') {
      out += c;
    } else {
      std::array<char, 8> buf{};
      std::snprintf(buf.data(), buf.size(), "\\x%02x", static_cast<unsigned char>(c));
      out += buf.data();
    }
  }
  out += "'";
  if (s.size() > kQuoteBytes) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

speerd::Expected<std::string> digits(std::string_view s) {
  if (s.empty()) return speerd::fail("is empty: give 1 to 15 ASCII digits");
  if (s.size() > kMaxDigits * 4) return bad(s, "is too long: at most 15 ASCII digits");
  for (char c : s) {
    if (!is_digit(c)) {
      std::string why = non_ascii_reason(s);
      if (why.empty()) why = "contains a character that is not a digit";
      return bad(s, why + ": only ASCII digits 0-9 are allowed (no '+', spaces or separators)");
    }
  }
  if (s.size() > kMaxDigits) return bad(s, "has more than 15 digits (E.164 maximum)");
  return std::string(s);
}

speerd::Expected<std::string> name(std::string_view s) {
  if (s.empty()) return speerd::fail("is empty");
  if (s.size() > kMaxNameLength) return bad(s, "is longer than 64 characters");
  if (!is_alnum(s.front())) {
    return bad(s, "must start with a letter or digit");
  }
  for (char c : s) {
    if (!is_alnum(c) && c != '.' && c != '_' && c != '-') {
      std::string why = non_ascii_reason(s);
      if (why.empty()) why = "contains a character other than letters, digits, '.', '_' and '-'";
      return bad(s, why);
    }
  }
  return std::string(s);
}

speerd::Expected<std::string> cert_name(std::string_view s) {
  if (s.empty()) return speerd::fail("is empty");
  if (s.size() > kMaxCertNameLength) return bad(s, "is longer than 255 characters");
  if (const std::string why = non_ascii_reason(s); !why.empty()) {
    return bad(s, why + ": a certificate name is printable ASCII");
  }
  if (s.front() == ' ' || s.back() == ' ') return bad(s, "starts or ends with a space");
  return std::string(s);
}

speerd::Expected<std::string> spki_pin(std::string_view s) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  // 32 bytes -> 43 significant characters and one '='.
  if (s.size() != 44 || s[43] != '=') {
    return bad(s, "is not a SPKI pin: expected 44 characters of base64 (SHA-256, ending in '=')");
  }
  for (std::size_t i = 0; i < 43; ++i) {
    if (kAlphabet.find(s[i]) == std::string_view::npos) {
      return bad(s, "is not a SPKI pin: not base64");
    }
  }
  // 32 bytes are 256 bits: the 43rd character carries 4 of them, and its
  // 2 low bits must be 0 in canonical base64.
  const auto last = kAlphabet.find(s[42]);
  if ((last & 0x03) != 0) return bad(s, "is not a SPKI pin: not canonical base64");
  return std::string(s);
}

speerd::Expected<std::string> domain(std::string_view s, bool allow_root) {
  if (s == ".") {
    if (allow_root) return std::string(".");
    return bad(s, "is the root: not allowed here");
  }
  if (const std::string why = non_ascii_reason(s); !why.empty()) return bad(s, why);
  std::string_view body = s;
  if (!body.empty() && body.back() == '.') body.remove_suffix(1);
  const std::string lowered = to_lower(body);
  if (const std::string why = ldh_name_problem(lowered); !why.empty()) return bad(s, why);
  return lowered + ".";
}

speerd::Expected<std::string> tsig_algorithm(std::string_view s) {
  std::string_view body = s;
  if (!body.empty() && body.back() == '.') body.remove_suffix(1);
  if (to_lower(body) == "hmac-sha256") return std::string("hmac-sha256");
  return bad(s, "is not a supported TSIG algorithm: only hmac-sha256 is");
}

speerd::Expected<std::string> tsig_secret(std::string_view s) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
  if (s.empty()) return speerd::fail("the TSIG secret is empty");
  if (s.size() > (kMaxTsigSecretBytes + 2) / 3 * 4) {
    return speerd::fail("the TSIG secret is too long: at most " +
                        std::to_string(kMaxTsigSecretBytes) + " bytes");
  }
  if (s.find_first_not_of(kAlphabet) != std::string_view::npos || s.size() % 4 != 0) {
    return speerd::fail(
        "the TSIG secret is not base64 (standard alphabet A-Z a-z 0-9 + /, padded with '=')");
  }
  const std::string text(s);
  ldns_rdf* raw = nullptr;
  if (ldns_str2rdf_b64(&raw, text.c_str()) != LDNS_STATUS_OK || raw == nullptr) {
    return speerd::fail("the TSIG secret is not base64 (bad padding)");
  }
  std::unique_ptr<ldns_rdf, decltype(&ldns_rdf_deep_free)> rdf(raw, &ldns_rdf_deep_free);
  const std::size_t n = ldns_rdf_size(rdf.get());
  if (n < kMinTsigSecretBytes) {
    return speerd::fail("the TSIG secret is " + std::to_string(n) + " bytes: at least " +
                        std::to_string(kMinTsigSecretBytes) + " are needed for hmac-sha256");
  }
  std::unique_ptr<char, decltype(&free)> again(ldns_rdf2str(rdf.get()), &free);
  if (!again) return speerd::fail("the TSIG secret cannot be encoded again");
  const std::string canonical(again.get());
  if (canonical != s) {
    return speerd::fail("the TSIG secret is not canonical base64 (stray bits or padding)");
  }
  return canonical;
}

speerd::Expected<std::string> host(std::string_view s) {
  if (s.empty()) return speerd::fail("is empty");
  if (s.size() > kMaxHostLength + 2) return bad(s, "is too long");
  if (const std::string why = non_ascii_reason(s); !why.empty()) return bad(s, why);
  std::string_view body = s;
  const bool bracketed = body.size() >= 2 && body.front() == '[' && body.back() == ']';
  if (bracketed) body = body.substr(1, body.size() - 2);
  if (body.find(':') != std::string_view::npos) {
    const std::string text(body);
    in6_addr a6{};
    if (inet_pton(AF_INET6, text.c_str(), &a6) != 1) return bad(s, "is not an IPv6 address");
    std::array<char, INET6_ADDRSTRLEN> buf{};
    inet_ntop(AF_INET6, &a6, buf.data(), buf.size());
    return std::string(buf.data());
  }
  if (bracketed) return bad(s, "has brackets but is not an IPv6 address");
  if (!body.empty() && body.back() == '.') body.remove_suffix(1);
  const std::string lowered = to_lower(body);
  // All-numeric dotted text must be a real IPv4 address.
  bool numeric = !lowered.empty();
  for (char c : lowered) numeric = numeric && (is_digit(c) || c == '.');
  if (numeric) {
    in_addr a4{};
    if (inet_pton(AF_INET, lowered.c_str(), &a4) != 1) return bad(s, "is not an IPv4 address");
    return lowered;
  }
  if (const std::string why = ldh_name_problem(lowered); !why.empty()) return bad(s, why);
  return lowered;
}

speerd::Expected<std::string> transport(std::string_view s) {
  const std::string t = to_lower(s);
  if (t.empty() || t == "udp" || t == "tcp" || t == "tls" || t == "sctp" || t == "ws" ||
      t == "wss") {
    return t;
  }
  return bad(s, "is not a SIP transport (udp, tcp, tls, sctp, ws, wss)");
}

speerd::Expected<std::uint16_t> port(std::string_view s) {
  if (s.empty()) return std::uint16_t{0};
  if (s.size() > 5) return bad(s, "is not a port (1-65535)");
  unsigned v = 0;
  for (char c : s) {
    if (!is_digit(c)) return bad(s, "is not a port (1-65535)");
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v == 0 || v > 65535) return bad(s, "is not a port (1-65535)");
  return static_cast<std::uint16_t>(v);
}

speerd::Expected<SipUri> sip_uri(std::string_view s) {
  if (s.empty()) return speerd::fail("is empty");
  if (s.size() > kMaxUriLength) return bad(s, "is longer than 255 characters");
  if (const std::string why = non_ascii_reason(s); !why.empty()) return bad(s, why);
  for (char c : s) {
    if (c == ' ' || c == '<' || c == '>' || c == '"' || c == '\\' || c == '`' || c == '{' ||
        c == '}' || c == '|' || c == '^') {
      return bad(s, "contains a character that is not allowed in a SIP URI");
    }
  }
  const auto colon = s.find(':');
  if (colon == std::string_view::npos) return bad(s, "has no scheme (sip: or sips:)");
  const std::string scheme = to_lower(s.substr(0, colon));
  if (scheme != "sip" && scheme != "sips") return bad(s, "is not a sip: or sips: URI");
  std::string_view rest = s.substr(colon + 1);
  if (rest.find('?') != std::string_view::npos) return bad(s, "has URI headers ('?'): not allowed");
  std::string_view params;
  // Parameters start at the first ';' after the host part (the user part may
  // hold ';' too, so look after the '@').
  const auto at = rest.rfind('@');
  std::string_view user;
  std::string_view hostport = rest;
  if (at != std::string_view::npos) {
    user = rest.substr(0, at);
    hostport = rest.substr(at + 1);
    if (user.empty()) return bad(s, "has an empty user part");
  }
  if (const auto semi = hostport.find(';'); semi != std::string_view::npos) {
    params = hostport.substr(semi);
    hostport = hostport.substr(0, semi);
  }
  std::string_view host_text = hostport;
  std::string_view port_text;
  if (!hostport.empty() && hostport.front() == '[') {
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) return bad(s, "has an unterminated IPv6 reference");
    host_text = hostport.substr(0, close + 1);
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad(s, "has text after the IPv6 reference");
      port_text = after.substr(1);
      if (port_text.empty()) return bad(s, "has an empty port");
    }
  } else if (const auto pc = hostport.find(':'); pc != std::string_view::npos) {
    host_text = hostport.substr(0, pc);
    port_text = hostport.substr(pc + 1);
    if (port_text.empty()) return bad(s, "has an empty port");
  }
  auto h = host(host_text);
  if (!h) return speerd::fail("has a bad host: " + h.error());
  auto p = port(port_text);
  if (!p) return speerd::fail("has a bad port: " + p.error());
  SipUri out;
  out.host = *h;
  out.port = *p;
  // ;name[=value] parameters: token characters only.
  std::string_view ps = params;
  while (!ps.empty()) {
    ps.remove_prefix(1);  // ';'
    const auto next = ps.find(';');
    const std::string_view param = ps.substr(0, next);
    ps = next == std::string_view::npos ? std::string_view{} : ps.substr(next);
    if (param.empty()) return bad(s, "has an empty parameter");
    const auto eq = param.find('=');
    const std::string pname = to_lower(param.substr(0, eq));
    for (char c : param) {
      if (!is_alnum(c) &&
          std::string_view("-_.!~*'()%=+[]:/&$").find(c) == std::string_view::npos) {
        return bad(s, "has a parameter with characters outside the SIP token set");
      }
    }
    if (pname == "transport") {
      if (eq == std::string_view::npos) return bad(s, "has transport without a value");
      auto t = transport(param.substr(eq + 1));
      if (!t) return speerd::fail("has a bad transport parameter: " + t.error());
      out.transport = *t;
    }
  }
  // Normalized: lowercase scheme and host; user part and parameters as given.
  out.uri = scheme + ":";
  if (!user.empty()) out.uri += std::string(user) + "@";
  out.uri += out.host.find(':') != std::string::npos ? "[" + out.host + "]" : out.host;
  if (!port_text.empty()) out.uri += ":" + std::to_string(out.port);
  out.uri += std::string(params);
  return out;
}

speerd::Expected<std::string> description(std::string_view s) {
  if (s.size() > kMaxDescriptionLength) return bad(s, "is longer than 256 bytes");
  for (std::size_t i = 0; i < s.size();) {
    const long cp = decode_utf8(s, i);
    if (cp < 0) return bad(s, "contains bytes that are not UTF-8");
    if (cp == 0) return bad(s, "contains a NUL byte");
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
      return bad(s, "contains a control character");
    }
  }
  return std::string(s);
}

speerd::Expected<std::string> operation_id(std::string_view s) {
  if (s.empty()) return speerd::fail("is empty");
  if (s.size() > kMaxOperationIdLength) return bad(s, "is longer than 128 characters");
  for (char c : s) {
    if (!is_alnum(c) && std::string_view("._:@+-").find(c) == std::string_view::npos) {
      std::string why = non_ascii_reason(s);
      if (why.empty()) why = "contains a character other than letters, digits and . _ : @ + -";
      return bad(s, why);
    }
  }
  return std::string(s);
}

speerd::Expected<std::string> actor(std::string_view s) {
  if (s.empty()) return speerd::fail("is empty");
  if (s.size() > kMaxActorLength) return bad(s, "is longer than 64 characters");
  for (char c : s) {
    if (!is_alnum(c) && std::string_view("._@+-").find(c) == std::string_view::npos) {
      std::string why = non_ascii_reason(s);
      if (why.empty()) why = "contains a character other than letters, digits and . _ @ + -";
      return bad(s, why);
    }
  }
  return std::string(s);
}

speerd::Expected<int> priority(long long v) {
  if (v < 0 || v > kMaxPriority) {
    return speerd::fail(std::to_string(v) + " is not a priority (0-65535)");
  }
  return static_cast<int>(v);
}

}  // namespace speerd::store::validate
