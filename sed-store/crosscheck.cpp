#include "sed-store/crosscheck.hpp"

#include <algorithm>

namespace speerd::store::crosscheck {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Lowercase, no trailing dot, no IPv6 brackets.
std::string norm_host(std::string_view h) {
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  while (!h.empty() && h.back() == '.') h.remove_suffix(1);
  return lower(h);
}

struct UriParts {
  bool ok = false;
  std::string scheme;
  std::string user;
  std::string host;
  std::uint16_t port = 0;
  std::string transport;
};

// A lenient split of sip:/sips: URIs (both sides were validated before: the
// store's by validate::sip_uri, DNS's by the resolver's RFC 3402 rewrite).
UriParts split_uri(std::string_view uri) {
  UriParts p;
  const auto colon = uri.find(':');
  if (colon == std::string_view::npos) return p;
  p.scheme = lower(uri.substr(0, colon));
  std::string_view rest = uri.substr(colon + 1);
  if (const auto q = rest.find('?'); q != std::string_view::npos) rest = rest.substr(0, q);
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    p.user = std::string(rest.substr(0, at));
    rest = rest.substr(at + 1);
  }
  std::string_view params;
  if (const auto semi = rest.find(';'); semi != std::string_view::npos) {
    params = rest.substr(semi);
    rest = rest.substr(0, semi);
  }
  std::string_view host = rest;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return p;
    host = rest.substr(0, close + 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else if (const auto pc = rest.rfind(':'); pc != std::string_view::npos) {
    host = rest.substr(0, pc);
    port = rest.substr(pc + 1);
  }
  unsigned v = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || v > 65535) return p;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 65535) return p;
  p.port = static_cast<std::uint16_t>(v);
  p.host = norm_host(host);
  const std::string lp = lower(params);
  if (const auto t = lp.find(";transport="); t != std::string::npos) {
    const auto start = t + 11;
    p.transport = lp.substr(start, lp.find(';', start) - start);
  }
  p.ok = !p.host.empty();
  return p;
}

bool port_ok(std::uint16_t want, std::uint16_t got) {
  return want == 0 || want == got;
}
bool transport_ok(std::string_view want, std::string_view got) {
  return want.empty() || lower(want) == lower(got);
}

}  // namespace

bool target_matches(const DnsTarget& dns, const ProvisionedTarget& p) {
  const std::string want_host = norm_host(p.host);
  if (!p.uri.empty()) {
    const UriParts want = split_uri(p.uri);
    if (want.ok && !dns.uri.empty()) {
      const UriParts got = split_uri(dns.uri);
      if (got.ok && got.scheme == want.scheme && got.host == want.host &&
          port_ok(want.port, got.port) && transport_ok(want.transport, got.transport) &&
          (want.user.empty() || want.user == got.user)) {
        return true;
      }
    }
  }
  if (want_host.empty()) return false;
  // The record's host against the target's host, address, or URI host.
  const std::string transport =
      !dns.transport.empty() ? dns.transport : split_uri(dns.uri).transport;
  const bool host_hit = (!dns.host.empty() && norm_host(dns.host) == want_host) ||
                        (!dns.address.empty() && norm_host(dns.address) == want_host);
  if (host_hit) return port_ok(p.port, dns.port) && transport_ok(p.transport, transport);
  if (!dns.uri.empty()) {
    const UriParts got = split_uri(dns.uri);
    if (got.ok && got.host == want_host) {
      const std::uint16_t port = dns.port != 0 ? dns.port : got.port;
      return port_ok(p.port, port) && transport_ok(p.transport, transport);
    }
  }
  return false;
}

bool needs_dns(Policy policy, std::span<const ProvisionedTarget> provisioned) {
  return !(policy == Policy::store_authoritative && !provisioned.empty());
}

Outcome cross_check(std::span<const DnsTarget> dns, std::span<const ProvisionedTarget> provisioned,
                    Policy policy) {
  Outcome o;
  o.target_matches.assign(dns.size(), false);
  if (provisioned.empty()) {
    o.store = StoreResult::no_record;
    o.disposition = Disposition::route;
    o.source = Source::dns;
    o.reason = "no SED provisioned for this destination; DNSSEC policy decides";
    return o;
  }
  if (policy == Policy::store_authoritative) {
    o.store = StoreResult::match;
    o.disposition = Disposition::route;
    o.source = Source::store;
    o.record_id = provisioned.front().id;
    o.reason = "store-authoritative: the provisioned SED answers";
    return o;
  }
  for (std::size_t i = 0; i < dns.size(); ++i) {
    for (const auto& p : provisioned) {
      if (target_matches(dns[i], p)) {
        o.target_matches[i] = true;
        if (!o.record_id) o.record_id = p.id;
        break;
      }
    }
  }
  if (o.record_id) {
    o.store = StoreResult::match;
    o.disposition = Disposition::route;
    o.reason = "a DNS target is among the provisioned SED";
    return o;
  }
  o.store = StoreResult::mismatch;
  if (policy == Policy::strict) {
    o.disposition = Disposition::reject;
    o.reason = dns.empty() ? "strict: DNS gave no target, the store has SED for this destination"
                           : "strict: DNS points to targets that are not provisioned for this "
                             "destination";
  } else {
    o.disposition = Disposition::route_flagged;
    o.reason = dns.empty() ? "advisory: DNS gave no target, the store has SED for this destination"
                           : "advisory: DNS points to targets that are not provisioned for this "
                             "destination (flagged)";
  }
  return o;
}

}  // namespace speerd::store::crosscheck
