#include "resolver/pipeline/pipeline.hpp"

#include "resolver/pipeline/portability.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

#include "enum/e164.hpp"
#include "enum/enumservice.hpp"
#include "sed-store/store.hpp"

namespace speerd::pipeline {

using model::Verdict;

using model::Target;
namespace reason = model::reason;

namespace asio = boost::asio;

namespace {

// What a number must look like (the bad-number message).
constexpr const char* kNumberForm =
    "number must be E.164: '+', the country code and the number, 1 to 15 digits in all "
    "(e.g. +12155551234)";

ResultPtr bad_input(std::string what, const char* code = reason::kBadInput) {
  auto r = std::make_shared<LookupResult>();
  r->verdict = Verdict::reject;
  r->code = code;
  r->reason = std::move(what);
  r->outcome = dns::Outcome::indeterminate("no DNS step was run");
  r->outcome.ede.reset();
  return r;
}

// A client whose scope names no tree may use none (fail closed): the same
// not-found answer as a number outside its scope, and no DNS is asked.
ResultPtr no_access(const ClientScope& scope, std::string number) {
  auto r = std::make_shared<LookupResult>();
  r->verdict = Verdict::reject;
  r->code = reason::kNotFound;
  r->reason = "client " + scope.client_id + " may use no ENUM tree (empty scope: no access)";
  r->number = std::move(number);
  r->outcome = dns::Outcome::indeterminate("no DNS step was run");
  r->outcome.ede.reset();
  return r;
}

const char* luf_code(luf::LufStatus s) {
  switch (s) {
    case luf::LufStatus::found:
      return reason::kRouted;
    case luf::LufStatus::not_found:
      return reason::kNotFound;
    case luf::LufStatus::no_usable:
      return reason::kNoUsableRecord;
    case luf::LufStatus::bogus:
      return reason::kDnssecBogus;
    case luf::LufStatus::insecure_refused:
      return reason::kInsecureNotAllowed;
    case luf::LufStatus::upstream_failure:
      return reason::kUpstreamFailure;
  }
  return reason::kUpstreamFailure;
}

bool upstream_failed(const LookupResult& r) {
  return r.verdict == Verdict::reject &&
         (r.code == reason::kUpstreamFailure || r.code == reason::kIndeterminate);
}

}  // namespace

namespace cc = store::crosscheck;

cc::Policy to_crosscheck(config::StorePolicy p) {
  switch (p) {
    case config::StorePolicy::strict:
      return cc::Policy::strict;
    case config::StorePolicy::advisory:
      return cc::Policy::advisory;
    case config::StorePolicy::store_authoritative:
      return cc::Policy::store_authoritative;
  }
  return cc::Policy::advisory;
}

std::vector<cc::ProvisionedTarget> provisioned(const std::vector<store::SedRecord>& routes) {
  std::vector<cc::ProvisionedTarget> out;
  out.reserve(routes.size());
  for (const auto& r : routes) out.push_back({r.id, r.uri, r.host, r.port, r.transport});
  return out;
}

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

// One resolution in flight (shared by every joined request).
struct Pipeline::Flight {
  std::string key;
  // SED store view of the destination (lookups with a store and a client).
  bool store_asked = false;
  std::string store_error;
  std::vector<cc::ProvisionedTarget> provisioned;
  std::string destination_group;
  std::string matched_identifier;
  LookupResult result;
  luf::LufResult luf;
  std::string first_failure_code;
  std::string first_failure_reason;
  dns::Outcome first_failure_outcome;
  bool from_store = false;  // store-authoritative: the URIs came from the SED store
  std::string ported;       // "+<rn>": routed by this routing number (RFC 4694)
  std::int64_t store_client = 0;
};

Pipeline::Pipeline(asio::io_context& io, dns::Client& dns,
                   std::shared_ptr<const config::ResolverConfig> cfg, PipelineOptions options)
    : io_(io),
      dns_(dns),
      cfg_(std::move(cfg)),
      luf_(dns_, cfg_, options.tree_dns),
      locator_(dns_, io.get_executor(), options.locator),
      cache_(cfg_->cache, options.clock),
      failures_(cfg_->cache, std::move(options.clock)),
      store_(options.store),
      alive_(std::make_shared<bool>(true)) {}

Pipeline::~Pipeline() {
  *alive_ = false;
}

bool Pipeline::counters(PipelineCounters& out) const {
  out.pipeline = stats_;
  out.cache = cache_.stats();
  out.cache_entries = cache_.size();
  out.failures = failures_.stats();
  out.regexps = luf_.regexp_stats();
  return true;
}

void Pipeline::deliver_now(Callback cb, ResultPtr r) {
  ++(r->verdict == Verdict::route ? stats_.routed : stats_.rejected);
  asio::post(io_, [cb = std::move(cb), r = std::move(r)]() mutable { cb(std::move(r)); });
}

bool Pipeline::join(const std::string& key, Callback& cb) {
  auto it = inflight_.find(key);
  if (it == inflight_.end()) return false;
  it->second.push_back(std::move(cb));
  ++stats_.joined;
  return true;
}

void Pipeline::lookup(const LookupRequest& req, Callback cb) {
  ++stats_.lookups;
  auto number = luf::parse_e164(req.number);
  if (!number) {
    return deliver_now(
        std::move(cb),
        bad_input(std::string(kNumberForm) + " (" + number.error() + ")", reason::kBadNumber));
  }
  const std::string& service_text = req.service.empty() ? cfg_->lookup.service : req.service;
  auto service = luf::parse_enumservice(service_text);
  if (!service) return deliver_now(std::move(cb), bad_input("bad service: " + service.error()));
  if (req.scope.no_access()) return deliver_now(std::move(cb), no_access(req.scope, number->aus()));

  // A request that names no service gets each tree's own set: its own key.
  const std::string key = cache_key(req.scope, "lookup", number->aus(),
                                    req.service.empty() ? "(default)" : luf::to_string(*service));
  if (auto hit = cache_.get(key)) return deliver_now(std::move(cb), std::move(hit->result));
  if (auto failed = failures_.get(key)) return deliver_now(std::move(cb), std::move(failed));
  if (join(key, cb)) return;
  inflight_[key].push_back(std::move(cb));
  ++stats_.resolutions;
  start_lookup(key, *number, *service, !req.service.empty(), req.scope);
}

void Pipeline::route(const RouteRequest& req, Callback cb) {
  ++stats_.lookups;
  if (req.scope.no_access()) return deliver_now(std::move(cb), no_access(req.scope, {}));
  const std::string key = cache_key(req.scope, "route", req.uri, "");
  if (auto hit = cache_.get(key)) return deliver_now(std::move(cb), std::move(hit->result));
  if (auto failed = failures_.get(key)) return deliver_now(std::move(cb), std::move(failed));
  if (join(key, cb)) return;
  inflight_[key].push_back(std::move(cb));
  ++stats_.resolutions;
  start_route(key, req.uri, req.scope);
}

void Pipeline::start_lookup(const std::string& key, const luf::E164Number& number,
                            const luf::EnumService& service, bool service_named,
                            const ClientScope& scope) {
  auto f = std::make_shared<Flight>();
  f->key = key;
  f->result.number = number.aus();
  f->store_client = scope.store_client;
  if (store_ != nullptr && scope.store_client != 0) {
    f->store_asked = true;
    auto dest = store_->find_destination(number.digits, store::ClientRef{scope.store_client});
    if (!dest) {
      ++stats_.store_errors;
      f->store_error = dest.error();
    } else if (*dest) {
      f->provisioned = provisioned((*dest)->routes);
      f->destination_group = (*dest)->destination_group;
      f->matched_identifier = (*dest)->matched.value;
    }
    if (cfg_->lookup.store_policy == config::StorePolicy::store_authoritative &&
        !f->provisioned.empty()) {
      return store_answers(f);
    }
  }
  luf_.lookup(
      number, service, scope.trees, service_named, [this, alive = alive_, f](luf::LufResult luf) {
        if (!*alive) return;
        LookupResult& r = f->result;
        r.tree = luf.tree;
        r.dnssec = luf.steps;
        r.notes = luf.notes;
        r.outcome = luf.outcome;
        r.ttl = luf.ttl;
        if (luf.status != luf::LufStatus::found) {
          r.verdict = Verdict::reject;
          r.code = luf_code(luf.status);
          r.reason = luf.reason;
          const bool negative =
              luf.status == luf::LufStatus::not_found || luf.status == luf::LufStatus::no_usable;
          cross_check(*f);
          return finish(f->key, std::move(f->result), negative);
        }
        for (const auto& u : luf.uris) {
          UriResult ur;
          ur.uri = u.uri;
          ur.order = u.order;
          ur.preference = u.preference;
          ur.service = u.services;
          ur.status = "unresolved";
          r.uris.push_back(std::move(ur));
        }
        f->luf = std::move(luf);
        locate_uris(f, 0);
      });
}

void Pipeline::locate_uris(const std::shared_ptr<Flight>& f, std::size_t i) {
  LookupResult& r = f->result;
  if (i >= r.uris.size()) {
    // No URI has usable targets: reject with the first URI's reason.
    r.verdict = Verdict::reject;
    r.code = f->first_failure_code.empty() ? reason::kNoTargets : f->first_failure_code;
    r.reason =
        f->first_failure_reason.empty() ? "no URI has usable targets" : f->first_failure_reason;
    r.outcome = dns::weakest(f->luf.outcome, f->first_failure_outcome);
    cross_check(*f);
    return finish(f->key, std::move(r), false);
  }
  if (f->ported.empty() && cfg_->lookup.route_ported_by_rn && route_by_rn(f, i)) return;
  locator_.locate(r.uris[i].uri, [this, alive = alive_, f, i](lrf::LocateResult lr) {
    if (!*alive) return;
    const std::string& uri = f->result.uris[i].uri;
    lrf::apply_insecure_policy(
        lr, cfg_->lookup.allow_insecure_targets,
        [&](const Target& t) {
          const cc::DnsTarget d{uri, t.host, t.address, t.port, t.transport};
          return std::any_of(
              f->provisioned.begin(), f->provisioned.end(),
              [&](const cc::ProvisionedTarget& p) { return cc::target_matches(d, p); });
        },
        cfg_->lookup.allow_ip_literal_targets);
    LookupResult& r = f->result;
    r.dnssec.insert(r.dnssec.end(), lr.steps.begin(), lr.steps.end());
    for (auto& n : lr.notes) r.notes.push_back(r.uris[i].uri + ": " + n);
    UriResult& u = r.uris[i];
    u.targets = lr.targets;
    if (lr.routable()) {
      u.status = "used";
      for (std::size_t j = i + 1; j < r.uris.size(); ++j) r.uris[j].status = "fallback";
      r.verdict = Verdict::route;
      r.code = reason::kRouted;
      r.reason =
          "routed to " + u.uri +
          (!f->ported.empty() ? " (ported number, RFC 4694: routed by routing number " + f->ported +
                                    ", SED of destination group " + f->destination_group + ")"
           : f->from_store ? " (store-authoritative SED of destination group " +
                                 f->destination_group + ", located by DNS)"
                           : " via tree " + r.tree);
      r.uri = u.uri;
      r.targets = lr.targets;
      r.outcome = dns::weakest(f->luf.outcome, lr.outcome);
      r.ttl = std::min(f->luf.ttl, lr.ttl);
      cross_check(*f);
      return finish(f->key, std::move(r), false);
    }
    u.status = lr.code + ": " + lr.reason;
    if (f->first_failure_code.empty()) {
      // A URI from ENUM (or the SED) that the LRF cannot use (a tel: URI,
      // say) is not the client's bad input: no targets.
      f->first_failure_code = lr.code == reason::kBadInput ? reason::kNoTargets : lr.code;
      f->first_failure_reason = u.uri + ": " + lr.reason;
      f->first_failure_outcome = lr.outcome;
    }
    locate_uris(f, i + 1);
  });
}

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
  auto dest = store_->find_routing_number(np->rn_digits, store::ClientRef{f->store_client});
  if (!dest) {
    ++stats_.store_errors;
    r.notes.push_back(uri + ": routing number " + rn + " not looked up: " + dest.error());
    return false;
  }
  if (!*dest || (*dest)->routes.empty()) {
    r.notes.push_back(uri + ": routing number " + rn + " is not provisioned for this client");
    return false;
  }
  f->ported = rn;
  f->first_failure_code.clear();
  f->first_failure_reason.clear();
  f->store_asked = true;
  f->store_error.clear();
  f->provisioned = provisioned((*dest)->routes);
  f->destination_group = (*dest)->destination_group;
  f->matched_identifier = (*dest)->matched.value;
  r.notes.push_back(uri + ": ported number (RFC 4694 rn=" + rn + (np->npdi ? ", npdi" : "") +
                    "): routed by routing number");
  route_provisioned(f, "ported number (RFC 4694): routed by routing number " + rn +
                           " to destination group " + f->destination_group);
  return true;
}

void Pipeline::cross_check(Flight& f) {
  LookupResult& r = f.result;
  if (!f.store_asked) return;
  if (!f.store_error.empty()) {
    r.store.check = StoreCheck::not_checked;
    r.store.detail = "SED store unavailable: " + f.store_error;
    return;
  }
  const auto policy = to_crosscheck(cfg_->lookup.store_policy);
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

void Pipeline::start_route(const std::string& key, const std::string& uri,
                           const ClientScope& scope) {
  auto f = std::make_shared<Flight>();
  f->key = key;
  if (store_ != nullptr && scope.store_client != 0) {
    if (auto parsed = lrf::parse_sip_uri(uri); parsed) {
      f->store_asked = true;
      auto routes = store_->find_routes_to_host(parsed->host, store::ClientRef{scope.store_client});
      if (!routes) {
        ++stats_.store_errors;
        f->store_error = routes.error();
      } else {
        f->provisioned = provisioned(*routes);
      }
    }
  }
  locator_.locate(uri, [this, alive = alive_, f](lrf::LocateResult lr) {
    if (!*alive) return;
    const std::string& key = f->key;
    lrf::apply_insecure_policy(
        lr, cfg_->lookup.allow_insecure_targets,
        [&](const Target& t) {
          const cc::DnsTarget d{lr.uri, t.host, t.address, t.port, t.transport};
          return std::any_of(
              f->provisioned.begin(), f->provisioned.end(),
              [&](const cc::ProvisionedTarget& p) { return cc::target_matches(d, p); });
        },
        cfg_->lookup.allow_ip_literal_targets);
    LookupResult r;
    r.verdict = lr.verdict;
    r.code = lr.code;
    r.reason = lr.reason;
    r.uri = lr.uri;
    r.targets = lr.targets;
    r.dnssec = std::move(lr.steps);
    r.notes = std::move(lr.notes);
    r.outcome = lr.outcome;
    r.ttl = lr.ttl;
    if (r.verdict == Verdict::route && r.reason.empty()) r.reason = "routed to " + r.uri;
    UriResult u;
    u.uri = lr.uri;
    u.targets = r.targets;
    u.status = lr.routable() ? "used" : lr.code + ": " + lr.reason;
    r.uris.push_back(std::move(u));
    const bool negative = r.code == reason::kNotFound;
    f->result = std::move(r);
    cross_check(*f);
    finish(key, std::move(f->result), negative);
  });
}

void Pipeline::finish(const std::string& key, LookupResult r, bool negative) {
  if (upstream_failed(r)) {
    // Bounded serve-stale: only a result validated earlier, only inside the
    // stale window, only because the upstreams failed now.
    if (auto stale = cache_.get(key, true)) {
      LookupResult s = *stale->result;
      s.stale = true;
      s.ttl = 0;
      s.reason += " (stale: upstream failure: " + r.reason + ")";
      r = std::move(s);
      ++stats_.stale_served;
    }
  } else if (r.code != reason::kBadInput) {
    cache_.put(key, r, negative);
  }
  if (FailureCache::is_failure(r)) {
    failures_.put(key, r);
  } else if (!r.stale) {
    failures_.forget(key);
  }
  auto it = inflight_.find(key);
  if (it == inflight_.end()) return;
  auto waiters = std::move(it->second);
  inflight_.erase(it);
  const auto shared = std::make_shared<const LookupResult>(std::move(r));
  for (auto& w : waiters) deliver_now(std::move(w), shared);
}

std::size_t Pipeline::drop_cache(const std::function<bool(const std::string&)>& pred) {
  const auto failures = failures_.erase_if(pred);
  if (!pred) {
    const auto n = cache_.size();
    cache_.clear();
    return n + failures;
  }
  return cache_.erase_if(pred) + failures;
}

}  // namespace speerd::pipeline
