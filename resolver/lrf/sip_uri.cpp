#include "resolver/lrf/sip_uri.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "enum/printable.hpp"
#include "resolver/lrf/limits.hpp"

namespace speerd::lrf {

std::string_view to_string(Transport t) {
  return enum_name(t);
}

std::string_view to_string(Scheme s) {
  return enum_name(s);
}

bool is_secure(Transport t) {
  return t == Transport::tls || t == Transport::tls_sctp || t == Transport::wss;
}

std::uint16_t default_port(Transport t) {
  switch (t) {
    case Transport::tls:
    case Transport::tls_sctp:
      return 5061;
    case Transport::ws:
      return 80;
    case Transport::wss:
      return 443;
    case Transport::udp:
    case Transport::tcp:
    case Transport::sctp:
      return 5060;
  }
  return 5060;
}

namespace {

struct ServiceName {
  std::string_view service;
  Transport transport;
};

constexpr std::array<ServiceName, 7> kServices{{
    {"SIP+D2U", Transport::udp},
    {"SIP+D2T", Transport::tcp},
    {"SIPS+D2T", Transport::tls},
    {"SIP+D2S", Transport::sctp},
    {"SIPS+D2S", Transport::tls_sctp},
    {"SIP+D2W", Transport::ws},
    {"SIPS+D2W", Transport::wss},
}};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string_view naptr_service(Transport t) {
  for (const auto& s : kServices) {
    if (s.transport == t) return s.service;
  }
  return "SIP+D2U";
}

std::optional<Transport> transport_from_naptr_service(std::string_view services) {
  for (const auto& s : kServices) {
    if (iequals(s.service, services)) return s.transport;
  }
  return std::nullopt;
}

bool is_sip_naptr_service(std::string_view services) {
  const std::string l = lower(services);
  return l.starts_with("sip+") || l.starts_with("sips+");
}

std::optional<std::string_view> srv_prefix(Transport t) {
  switch (t) {
    case Transport::udp:
      return "_sip._udp";
    case Transport::tcp:
      return "_sip._tcp";
    case Transport::tls:
      return "_sips._tcp";
    case Transport::sctp:
      return "_sip._sctp";
    case Transport::tls_sctp:
      return "_sips._sctp";
    case Transport::ws:
    case Transport::wss:
      return std::nullopt;
  }
  return std::nullopt;
}

Transport default_transport(Scheme s) {
  return s == Scheme::sips ? Transport::tls : Transport::udp;
}

namespace {

// RFC 3261 25.1 character classes.
bool is_alnum(unsigned char c) {
  return std::isalnum(c) != 0;
}
bool is_mark(unsigned char c) {
  return c == '-' || c == '_' || c == '.' || c == '!' || c == '~' || c == '*' || c == '\'' ||
         c == '(' || c == ')';
}
bool is_unreserved(unsigned char c) {
  return is_alnum(c) || is_mark(c);
}
bool is_user_unreserved(unsigned char c) {
  return c == '&' || c == '=' || c == '+' || c == '$' || c == ',' || c == ';' || c == '?' ||
         c == '/';
}
bool is_password_char(unsigned char c) {
  return is_unreserved(c) || c == '&' || c == '=' || c == '+' || c == '$' || c == ',';
}
bool is_param_char(unsigned char c) {
  return is_unreserved(c) || c == '[' || c == ']' || c == '/' || c == ':' || c == '&' || c == '+' ||
         c == '$';
}
bool is_header_char(unsigned char c) {
  return is_unreserved(c) || c == '[' || c == ']' || c == '/' || c == '?' || c == ':' || c == '+' ||
         c == '$';
}

// The error text for byte `pos` (0-based) of `text`.
std::string bad_char(std::string_view text, std::size_t pos, std::string_view where) {
  std::size_t len = 1;
  return "invalid character " + luf::describe_char(text, pos, &len) + " in the " +
         std::string(where) + " at position " + std::to_string(pos + 1);
}

// Checks text[begin, end) against a character class, allowing %HH escapes.
template <typename Pred>
Expected<bool> check_chars(std::string_view text, std::size_t begin, std::size_t end, Pred ok,
                           std::string_view where) {
  for (std::size_t i = begin; i < end; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '%') {
      if (i + 2 >= end || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
        return fail("malformed %-escape in the " + std::string(where) + " at position " +
                    std::to_string(i + 1));
      }
      i += 2;
      continue;
    }
    if (!ok(c)) return fail(bad_char(text, i, where));
  }
  return true;
}

// RFC 3261 hostname: *( domainlabel "." ) toplabel [ "." ].
Expected<std::string> check_hostname(std::string_view text, std::size_t begin, std::size_t end) {
  std::string_view host = text.substr(begin, end - begin);
  if (host.empty()) return fail("empty host at position " + std::to_string(begin + 1));
  if (host.back() == '.') host.remove_suffix(1);
  if (host.empty() || host.size() > 253) {
    return fail("host name of invalid length at position " + std::to_string(begin + 1));
  }
  std::size_t label_start = 0;
  std::string_view last_label;
  for (std::size_t i = 0; i <= host.size(); ++i) {
    if (i < host.size() && host[i] != '.') {
      const auto c = static_cast<unsigned char>(host[i]);
      if (!is_alnum(c) && c != '-') return fail(bad_char(text, begin + i, "host"));
      continue;
    }
    const std::string_view label = host.substr(label_start, i - label_start);
    if (label.empty()) {
      return fail("empty label in the host at position " + std::to_string(begin + i + 1));
    }
    if (label.size() > 63) {
      return fail("host label longer than 63 bytes at position " +
                  std::to_string(begin + label_start + 1));
    }
    if (label.front() == '-' || label.back() == '-') {
      return fail("host label starts or ends with '-' at position " +
                  std::to_string(begin + label_start + 1));
    }
    last_label = label;
    label_start = i + 1;
  }
  if (std::isalpha(static_cast<unsigned char>(last_label.front())) == 0) {
    return fail(
        "host is neither a host name (its last label must start with a letter) nor an "
        "IPv4 address: '" +
        luf::printable(text.substr(begin, end - begin)) + "'");
  }
  return lower(host);
}

bool all_digits_and_dots(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return c == '.' || std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

Expected<std::uint16_t> parse_port(std::string_view text, std::size_t begin, std::size_t end) {
  const std::string_view p = text.substr(begin, end - begin);
  if (p.empty()) return fail("empty port at position " + std::to_string(begin + 1));
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(p[i])) == 0) {
      return fail(bad_char(text, begin + i, "port"));
    }
  }
  unsigned value = 0;
  if (p.size() > 5 || std::from_chars(p.data(), p.data() + p.size(), value).ec != std::errc{} ||
      value == 0 || value > 65535) {
    return fail("port out of range (1-65535): '" + luf::printable(p) + "'");
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

Expected<SipUri> parse_sip_uri(std::string_view text) {
  if (text.empty()) return fail("empty URI");
  if (text.size() > kMaxUriLength) {
    return fail("URI longer than " + std::to_string(kMaxUriLength) + " bytes");
  }
  // Whole-text checks first: no control bytes, spaces or non-ASCII anywhere.
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c <= 0x20 || c >= 0x7f) return fail(bad_char(text, i, "URI"));
  }

  SipUri uri;
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return fail("not a URI: no scheme");
  const std::string_view scheme = text.substr(0, colon);
  if (iequals(scheme, "sip")) {
    uri.scheme = Scheme::sip;
  } else if (iequals(scheme, "sips")) {
    uri.scheme = Scheme::sips;
  } else {
    return fail("unsupported URI scheme '" + luf::printable(scheme, 32) +
                "' (only sip: and sips: can be located)");
  }

  std::size_t pos = colon + 1;
  // userinfo: '@' appears nowhere else in a SIP URI (it is not allowed unescaped in
  // the host, the parameters or the headers), so the first '@' ends the user part.
  const std::size_t at = text.find('@', pos);
  if (at != std::string_view::npos) {
    if (text.find('@', at + 1) != std::string_view::npos) {
      return fail("more than one '@' at position " + std::to_string(text.find('@', at + 1) + 1));
    }
    if (at == pos) return fail("empty user part before '@' at position " + std::to_string(at + 1));
    const std::size_t pw = text.substr(pos, at - pos).find(':');
    const std::size_t user_end = pw == std::string_view::npos ? at : pos + pw;
    if (user_end == pos) return fail("empty user part at position " + std::to_string(pos + 1));
    if (auto ok = check_chars(
            text, pos, user_end,
            [](unsigned char c) { return is_unreserved(c) || is_user_unreserved(c); }, "user part");
        !ok) {
      return fail(ok.error());
    }
    if (user_end != at) {
      if (auto ok = check_chars(text, user_end + 1, at, is_password_char, "password"); !ok) {
        return fail(ok.error());
      }
    }
    uri.user = std::string(text.substr(pos, user_end - pos));
    pos = at + 1;
  }

  // hostport ends at the first ';' (parameters) or '?' (headers).
  std::size_t hp_end = text.find_first_of(";?", pos);
  if (hp_end == std::string_view::npos) hp_end = text.size();
  if (pos == hp_end) return fail("empty host at position " + std::to_string(pos + 1));
  std::size_t port_colon = std::string_view::npos;
  if (text[pos] == '[') {
    const std::size_t close = text.find(']', pos);
    if (close == std::string_view::npos || close > hp_end) {
      return fail("unterminated IPv6 reference at position " + std::to_string(pos + 1));
    }
    const std::string addr(text.substr(pos + 1, close - pos - 1));
    in6_addr a6{};
    if (addr.empty() || addr.size() > 45 || inet_pton(AF_INET6, addr.c_str(), &a6) != 1) {
      return fail("malformed IPv6 address '" + luf::printable(addr) + "'");
    }
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &a6, buf, sizeof buf);
    uri.host = buf;  // canonical form (RFC 5952)
    uri.host_kind = HostKind::ipv6;
    if (close + 1 < hp_end) {
      if (text[close + 1] != ':') return fail(bad_char(text, close + 1, "host"));
      port_colon = close + 1;
    }
  } else {
    const std::size_t c = text.substr(pos, hp_end - pos).find(':');
    const std::size_t host_end = c == std::string_view::npos ? hp_end : pos + c;
    if (c != std::string_view::npos) port_colon = pos + c;
    const std::string_view host = text.substr(pos, host_end - pos);
    if (all_digits_and_dots(host)) {
      const std::string h(host);
      in_addr a4{};
      // inet_pton takes exactly the dotted-quad form: "1.2.3" and "01.2.3.4" fail.
      if (inet_pton(AF_INET, h.c_str(), &a4) != 1) {
        return fail("malformed IPv4 address '" + luf::printable(host) + "'");
      }
      uri.host = h;
      uri.host_kind = HostKind::ipv4;
    } else {
      auto name = check_hostname(text, pos, host_end);
      if (!name) return fail(name.error());
      uri.host = std::move(*name);
      uri.host_kind = HostKind::domain;
    }
  }
  if (port_colon != std::string_view::npos) {
    auto port = parse_port(text, port_colon + 1, hp_end);
    if (!port) return fail(port.error());
    uri.port = *port;
  }

  // Parameters.
  pos = hp_end;
  const std::size_t headers = text.find('?', pos);
  const std::size_t params_end = headers == std::string_view::npos ? text.size() : headers;
  while (pos < params_end && text[pos] == ';') {
    const std::size_t begin = pos + 1;
    std::size_t end = text.find(';', begin);
    if (end == std::string_view::npos || end > params_end) end = params_end;
    const std::size_t eq = text.substr(begin, end - begin).find('=');
    const std::size_t name_end = eq == std::string_view::npos ? end : begin + eq;
    if (name_end == begin)
      return fail("empty parameter name at position " + std::to_string(begin + 1));
    if (auto ok = check_chars(text, begin, name_end, is_param_char, "parameter name"); !ok) {
      return fail(ok.error());
    }
    std::string value;
    if (eq != std::string_view::npos) {
      if (name_end + 1 == end) {
        return fail("empty parameter value at position " + std::to_string(name_end + 2));
      }
      if (auto ok = check_chars(text, name_end + 1, end, is_param_char, "parameter value"); !ok) {
        return fail(ok.error());
      }
      value = std::string(text.substr(name_end + 1, end - name_end - 1));
    }
    std::string name = lower(text.substr(begin, name_end - begin));
    for (const auto& [n, v] : uri.params) {
      if (n == name) {
        return fail("duplicate parameter '" + luf::printable(name, 32) + "' at position " +
                    std::to_string(begin + 1));
      }
    }
    if (name == "transport") {
      if (value.empty()) return fail("transport parameter without a value");
      uri.transport_param = lower(value);
    } else if (name == "maddr") {
      if (value.empty()) return fail("maddr parameter without a value");
      uri.maddr = value;
    }
    uri.params.emplace_back(std::move(name), std::move(value));
    pos = end;
  }
  if (pos != params_end) return fail(bad_char(text, pos, "URI"));

  // Headers: characters only.
  if (headers != std::string_view::npos) {
    if (auto ok = check_chars(
            text, headers + 1, text.size(),
            [](unsigned char c) { return is_header_char(c) || c == '&' || c == '='; }, "headers");
        !ok) {
      return fail(ok.error());
    }
  }
  return uri;
}

Expected<std::optional<Transport>> effective_transport(const SipUri& uri) {
  if (!uri.transport_param) return std::optional<Transport>{};
  const std::string& t = *uri.transport_param;
  const bool sips = uri.scheme == Scheme::sips;
  if (t == "udp") {
    if (sips) return fail("sips: URI with transport=udp: SIP has no TLS over UDP");
    return std::optional<Transport>{Transport::udp};
  }
  if (t == "tcp" || t == "tls") {
    return std::optional<Transport>{sips || t == "tls" ? Transport::tls : Transport::tcp};
  }
  if (t == "sctp") return std::optional<Transport>{sips ? Transport::tls_sctp : Transport::sctp};
  if (t == "ws" || t == "wss") {
    return std::optional<Transport>{sips || t == "wss" ? Transport::wss : Transport::ws};
  }
  return fail("unknown transport parameter '" + luf::printable(t, 32) + "'");
}

}  // namespace speerd::lrf
