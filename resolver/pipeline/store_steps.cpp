// The SED store's part of a lookup (pipeline.hpp): answers from provisioned
// SED (store-authoritative), routing by routing number (RFC 4694), the
// cross-check of a DNS answer, and the degraded answers when the store failed
// (issue 12).
#include <boost/asio/ip/address.hpp>

#include "resolver/pipeline/flight.hpp"
#include "resolver/pipeline/portability.hpp"
#include "sed-store/store.hpp"

namespace speerd::pipeline {

using model::Target;
using model::Verdict;
namespace reason = model::reason;
namespace asio = boost::asio;

namespace {

std::vector<cc::DnsTarget> dns_targets(const std::string& uri, const std::vector<Target>& targets) {
  std::vector<cc::DnsTarget> out;
  out.reserve(targets.size());
  for (const auto& t : targets) out.push_back({uri, t.host, t.address, t.port, t.transport});
  return out;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

void Pipeline::store_answers(const std::shared_ptr<Flight>& f) {
  // store-authoritative: the provisioned SED answers the ENUM question (no
  // ENUM query). An answer that routes carries located next hops: a record
  // whose host is an IP literal is one as provisioned (port and transport
  // defaulted per RFC 3263); a URI or a host name is located by the LRF like
  // any other URI (validated DNS). Nothing located: no-targets, not a route.
  LookupResult& r = f->result;
  r.store.check = StoreCheck::match;
  r.store.record_id = std::to_string(f->provisioned.front().id);
  r.store.detail = "store-authoritative: " + std::to_string(f->provisioned.size()) +
                   " provisioned SED record(s), matched identifier " + f->matched_identifier;
  f->luf.outcome = {dns::Security::secure, "answered from the SED store; no ENUM query",
                    std::nullopt};
  f->luf.ttl = cfg_->cache.max_ttl;
  f->from_store = true;
  route_provisioned(f, "provisioned SED of destination group " + f->destination_group +
                           " (store-authoritative; DNS not asked)");
}

// Routes on f->provisioned: IP-literal records are next hops as provisioned;
// URIs and host names are located by the LRF (locate_uris).
void Pipeline::route_provisioned(const std::shared_ptr<Flight>& f, const std::string& reason) {
  LookupResult& r = f->result;
  r.uris.clear();
  r.received_owner.clear();  // the store routes, not the DNS rules
  r.received_naptrs.clear();
  std::vector<Target> direct;
  for (const auto& p : f->provisioned) {
    UriResult u;
    u.status = "unresolved";
    if (!p.uri.empty()) {
      u.uri = p.uri;
    } else if (is_ip_literal(p.host)) {
      Target t;
      t.host = p.host;
      t.address = p.host;
      t.transport = p.transport.empty() ? "udp" : p.transport;
      t.port = p.port != 0 ? p.port
                           : static_cast<std::uint16_t>(
                                 t.transport == "tls" || t.transport == "wss" ? 5061 : 5060);
      t.outcome = dns::Outcome::not_applicable("provisioned IP address: no DNS step");
      direct.push_back(std::move(t));
      continue;
    } else {
      u.uri = "sip:" + p.host + (p.port != 0 ? ":" + std::to_string(p.port) : "") +
              (p.transport.empty() ? "" : ";transport=" + p.transport);
    }
    r.uris.push_back(std::move(u));
  }
  if (!direct.empty() && cfg_->lookup.allow_ip_literal_targets) {
    r.verdict = Verdict::route;
    r.code = reason::kRouted;
    r.reason = reason;
    r.outcome = dns::weakest(f->luf.outcome, direct.front().outcome);
    r.ttl = f->luf.ttl;
    r.targets = std::move(direct);
    for (auto& u : r.uris) u.status = "fallback";
    if (!f->ported.empty()) cross_check(*f);
    return finish(f->key, std::move(r), false);
  }
  locate_uris(f, 0);
}

// RFC 4694: a URI with rn (and npdi) names a ported number. Routed by its
// routing number where the store provisions that for the client; true when
// the lookup continues that way.
bool Pipeline::route_by_rn(const std::shared_ptr<Flight>& f, std::size_t i) {
  LookupResult& r = f->result;
  const std::string uri = r.uris[i].uri;
  std::string bad;
  const auto np = parse_portability(uri, &bad);
  if (!np) {
    if (!bad.empty()) r.notes.push_back(uri + ": " + bad + "; rn not used");
    return false;
  }
  const std::string rn = "+" + np->rn_digits;
  if (store_ == nullptr || f->store_client == 0) {
    r.notes.push_back(uri + ": ported number (rn=" + rn +
                      "), but no SED store for this client to route the routing number");
    return false;
  }
  store_->find_routing_number(
      np->rn_digits, store::ClientRef{f->store_client},
      [this, alive = alive_, f, i, uri, rn,
       npdi = np->npdi](StoreAnswer<std::optional<store::Destination>> dest) {
        if (!*alive) return;
        LookupResult& r = f->result;
        // Whatever the store said about the routing number is in this answer.
        r.store.routing_number = rn.substr(1);
        if (!dest) {
          ++stats_.store_errors;
          r.notes.push_back(uri + ": routing number " + rn +
                            " not looked up: " + dest.error().message);
          return locate_uri(f, i);
        }
        if (!*dest || (*dest)->routes.empty()) {
          r.notes.push_back(uri + ": routing number " + rn + " is not provisioned for this client");
          return locate_uri(f, i);
        }
        f->ported = rn;
        f->first_failure_code.reset();
        f->first_failure_reason.clear();
        f->store_asked = true;
        f->store_error.clear();
        f->provisioned = provisioned((*dest)->routes);
        f->destination_group = (*dest)->destination_group;
        f->matched_identifier = (*dest)->matched.value;
        r.store.destination_group = f->destination_group;
        r.notes.push_back(uri + ": ported number (RFC 4694 rn=" + rn + (npdi ? ", npdi" : "") +
                          "): routed by routing number");
        route_provisioned(f, "ported number (RFC 4694): routed by routing number " + rn +
                                 " to destination group " + f->destination_group);
      });
  return true;
}

void Pipeline::cross_check(Flight& f) {
  LookupResult& r = f.result;
  if (!f.store_asked) return;
  if (!f.store_error.empty()) {
    // advisory: the DNS answer, said to be unchecked (never a silent ok).
    r.store.check = StoreCheck::not_checked;
    r.store.detail = "SED store " + std::string(to_string(f.store_failure)) + ": " + f.store_error +
                     " (not cross-checked)";
    ++stats_.degraded;
    return;
  }
  const auto policy = cfg_->lookup.store_policy;
  const auto targets = dns_targets(r.uri, r.targets);
  const auto out = cc::cross_check(targets, f.provisioned, policy);
  switch (out.store) {
    case cc::StoreResult::match:
      r.store.check = StoreCheck::match;
      break;
    case cc::StoreResult::mismatch:
      r.store.check = StoreCheck::mismatch;
      break;
    case cc::StoreResult::no_record:
      r.store.check = StoreCheck::no_record;
      break;
  }
  if (out.record_id) r.store.record_id = std::to_string(*out.record_id);
  r.store.detail = out.reason;
  if (r.verdict == Verdict::route && out.disposition == cc::Disposition::reject) {
    r.verdict = Verdict::reject;
    r.code = reason::kStoreMismatch;
    r.reason = "DNS points to targets the SED store does not provision for this destination (" +
               out.reason + ")";
    r.targets.clear();
  }
}

// The store failed before DNS was asked (issue 12, item 3). strict and
// store-authoritative cannot answer without it: a cached answer from before
// (even past its TTL, inside the stale window) is served, marked stale;
// otherwise the answer is the store-unavailable error (HTTP 503 with
// Retry-After). advisory goes on to DNS, its answer marked not-checked
// (cross_check). True when the flight is finished here.
bool Pipeline::degrade(const std::shared_ptr<Flight>& f) {
  if (cfg_->lookup.store_policy == config::StorePolicy::advisory) return false;
  ++stats_.degraded;
  const std::string why =
      "SED store " + std::string(to_string(f->store_failure)) + ": " + f->store_error;
  if (auto stale = cache_.get(f->key, true)) {
    LookupResult s = *stale->result;
    s.stale = true;
    s.ttl = 0;
    s.reason += " (stale: " + why + ")";
    ++stats_.stale_served;
    finish(f->key, std::move(s), false);
    return true;
  }
  LookupResult& r = f->result;
  r.verdict = Verdict::reject;
  r.code = reason::kStoreUnavailable;
  r.reason = std::string(cfg_->lookup.store_policy == config::StorePolicy::strict
                             ? "store_policy strict"
                             : "store_policy store-authoritative") +
             " needs the SED store, which failed: " + why;
  r.outcome = dns::Outcome::indeterminate("no DNS step was run: the SED store failed first");
  r.outcome.ede.reset();
  r.store.check = StoreCheck::not_checked;
  r.store.detail = why;
  finish(f->key, std::move(r), false);
  return true;
}

}  // namespace speerd::pipeline
