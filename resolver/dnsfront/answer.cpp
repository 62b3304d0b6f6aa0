#include "resolver/dnsfront/answer.hpp"

#include <algorithm>
#include <memory>

#include "resolver/service/client_snapshot.hpp"
#include "resolver/service/limits.hpp"

namespace speerd::dnsfront {
namespace {

namespace reason = model::reason;
namespace ede = dns::ede;
using pipeline::LookupResult;

bool all_secure(const LookupResult& r) {
  if (r.outcome.state != dns::Security::secure) return false;
  return std::all_of(r.dnssec.begin(), r.dnssec.end(),
                     [](const model::Step& s) { return s.outcome.state == dns::Security::secure; });
}

Ede ede_of(std::uint16_t code, const LookupResult& r) {
  std::string text(model::to_string(r.code));
  if (!r.reason.empty()) text += ": " + r.reason;
  if (text.size() > service::kMaxExtraText) text.resize(service::kMaxExtraText);
  // EXTRA-TEXT is UTF-8 (RFC 8914 2): anything outside printable ASCII goes.
  for (auto& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
  }
  return Ede{code, std::move(text)};
}

Reply servfail(std::uint16_t code, const LookupResult& r) {
  Reply out;
  out.rcode = rcode::kServFail;
  out.ra = true;
  out.ede = ede_of(code, r);
  return out;
}

// NXDOMAIN when the step that asked for the query's own name said so.
bool nxdomain(const Query& q, const LookupResult& r) {
  return std::any_of(r.dnssec.begin(), r.dnssec.end(), [&](const model::Step& s) {
    return s.type == "NAPTR" && s.result == "nxdomain" &&
           service::fold_tree(s.name) == q.question.qname;
  });
}

}  // namespace

Reply refused(std::optional<Ede> e) {
  Reply out;
  out.rcode = rcode::kRefused;
  out.ede = std::move(e);
  return out;
}

namespace {

// The URIs a routed answer names: the used one and the fallbacks after it.
template <typename F>
void for_each_answered_uri(const LookupResult& r, F&& f) {
  bool seen_used = false;
  for (const auto& u : r.uris) {
    if (u.status == "used") seen_used = true;
    if (!seen_used || (u.status != "used" && u.status != "fallback")) continue;
    f(u);
  }
}

// The located next hops of the URIs the answer names, for its additional
// section ([dns_front] additional_next_hops).
std::vector<NextHop> next_hops(const LookupResult& r) {
  std::vector<NextHop> out;
  for_each_answered_uri(r, [&](const pipeline::UriResult& u) {
    for (const auto& t : u.targets) {
      out.push_back(NextHop{t.srv, t.host, t.address, t.port, t.priority, t.weight});
    }
  });
  return out;
}

}  // namespace

Reply reply_for(const Query& q, const std::string& apex, const LookupResult& r,
                const AnswerSettings& s) {
  const bool wants_ad = q.ad || q.do_bit;
  if (r.code == reason::kRouted && r.verdict == model::Verdict::route) {
    Reply out;
    out.ra = true;
    out.ttl = r.ttl;
    out.ad = wants_ad && all_secure(r);
    if (s.next_hops) out.next_hops = next_hops(r);
    // As received: the RRset of the very name asked, whose rules gave every
    // URI (else, e.g. routed through a non-terminal rule or by the SED
    // store, speerd's own rules below).
    if (s.as_received && !r.received_naptrs.empty() &&
        service::fold_tree(r.received_owner) == q.question.qname) {
      out.received_naptrs = r.received_naptrs;
      if (r.stale) out.ede = ede_of(ede::kStaleAnswer, r);
      return out;
    }
    for_each_answered_uri(r, [&](const pipeline::UriResult& u) {
      const auto k = out.naptrs.size() + 1;
      out.naptrs.push_back(Naptr{static_cast<std::uint16_t>(std::min<std::size_t>(k * 10, 65535)),
                                 10, u.service, u.uri});
    });
    // Stale because the upstreams or (issue 12) the SED store failed: the
    // reason says which.
    if (r.stale) out.ede = ede_of(ede::kStaleAnswer, r);
    return out;
  }
  const model::Reason code = r.code;
  if (code == reason::kNotFound || code == reason::kNoUsableRecord) {
    Reply out;
    out.ra = true;
    out.rcode = code == reason::kNotFound && nxdomain(q, r) ? rcode::kNxDomain : rcode::kNoError;
    out.soa_zone = apex;
    out.ttl = std::min(r.ttl, s.negative_ttl);
    out.ad = wants_ad && all_secure(r);
    if (code == reason::kNoUsableRecord) out.ede = ede_of(ede::kOther, r);
    return out;
  }
  if (code == reason::kDnssecBogus) return servfail(ede::kDnssecBogus, r);
  if (code == reason::kInsecureNotAllowed) {
    // Insecure because of an algorithm or digest speerd cannot check (EDE 1,
    // 2), else because the operator's policy blocks insecure answers (15).
    const auto e = r.outcome.ede.value_or(ede::kBlocked);
    const bool algorithm = e == ede::kUnsupportedDnskeyAlgorithm || e == ede::kUnsupportedDsDigest;
    return servfail(algorithm ? e : ede::kBlocked, r);
  }
  if (code == reason::kIndeterminate) {
    return servfail(r.outcome.ede.value_or(ede::kDnssecIndeterminate), r);
  }
  if (code == reason::kUpstreamFailure) {
    return servfail(r.outcome.ede.value_or(ede::kNoReachableAuthority), r);
  }
  if (code == reason::kStoreUnavailable) {
    // The store policy needs the SED store, which failed (issue 12): no DNS
    // step ran, so nothing is claimed beyond the failure.
    return servfail(ede::kOther, r);
  }
  if (code == reason::kNoTargets && r.outcome.state == dns::Security::bogus) {
    return servfail(ede::kDnssecBogus, r);
  }
  return servfail(r.outcome.ede.value_or(ede::kOther), r);
}

}  // namespace speerd::dnsfront
