#include "resolver/pipeline/pipeline.hpp"

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

ResultPtr bad_input(std::string what) {
  auto r = std::make_shared<LookupResult>();
  r->verdict = Verdict::reject;
  r->code = reason::kBadInput;
  r->reason = std::move(what);
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
};

Pipeline::Pipeline(asio::io_context& io, dns::Client& dns,
                   std::shared_ptr<const config::ResolverConfig> cfg, PipelineOptions options)
    : io_(io),
      dns_(dns),
      cfg_(std::move(cfg)),
      luf_(dns_, cfg_),
      locator_(dns_, io.get_executor(), options.locator),
      cache_(cfg_->cache, std::move(options.clock)),
      store_(options.store),
      alive_(std::make_shared<bool>(true)) {}

Pipeline::~Pipeline() {
  *alive_ = false;
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
  if (!number) return deliver_now(std::move(cb), bad_input("bad number: " + number.error()));
  const std::string& service_text = req.service.empty() ? cfg_->lookup.service : req.service;
  auto service = luf::parse_enumservice(service_text);
  if (!service) return deliver_now(std::move(cb), bad_input("bad service: " + service.error()));

  const std::string key = cache_key(req.scope, "lookup", number->aus(), luf::to_string(*service));
  if (auto hit = cache_.get(key)) return deliver_now(std::move(cb), std::move(hit->result));
  if (join(key, cb)) return;
  inflight_[key].push_back(std::move(cb));
  ++stats_.resolutions;
  start_lookup(key, *number, *service, req.scope);
}

void Pipeline::route(const RouteRequest& req, Callback cb) {
  ++stats_.lookups;
  const std::string key = cache_key(req.scope, "route", req.uri, "");
  if (auto hit = cache_.get(key)) return deliver_now(std::move(cb), std::move(hit->result));
  if (join(key, cb)) return;
  inflight_[key].push_back(std::move(cb));
  ++stats_.resolutions;
  start_route(key, req.uri, req.scope);
}

void Pipeline::start_lookup(const std::string& key, const luf::E164Number& number,
                            const luf::EnumService& service, const ClientScope& scope) {
  auto f = std::make_shared<Flight>();
  f->key = key;
  f->result.number = number.aus();
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
  luf_.lookup(number, service, scope.trees, [this, alive = alive_, f](luf::LufResult luf) {
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
  locator_.locate(r.uris[i].uri, [this, alive = alive_, f, i](lrf::LocateResult lr) {
    if (!*alive) return;
    const std::string& uri = f->result.uris[i].uri;
    lrf::apply_insecure_policy(lr, cfg_->lookup.allow_insecure_targets, [&](const Target& t) {
      const cc::DnsTarget d{uri, t.host, t.address, t.port, t.transport};
      return std::any_of(f->provisioned.begin(), f->provisioned.end(),
                         [&](const cc::ProvisionedTarget& p) { return cc::target_matches(d, p); });
    });
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
      r.reason = "routed to " + u.uri + " via tree " + r.tree;
      r.uri = u.uri;
      r.targets = lr.targets;
      r.outcome = dns::weakest(f->luf.outcome, lr.outcome);
      r.ttl = std::min(f->luf.ttl, lr.ttl);
      cross_check(*f);
      return finish(f->key, std::move(r), false);
    }
    u.status = lr.code + ": " + lr.reason;
    if (f->first_failure_code.empty()) {
      f->first_failure_code = lr.code;
      f->first_failure_reason = u.uri + ": " + lr.reason;
      f->first_failure_outcome = lr.outcome;
    }
    locate_uris(f, i + 1);
  });
}

void Pipeline::store_answers(const std::shared_ptr<Flight>& f) {
  // store-authoritative: the provisioned SED answers; DNS is not asked.
  LookupResult& r = f->result;
  r.verdict = Verdict::route;
  r.code = reason::kRouted;
  r.reason = "provisioned SED of destination group " + f->destination_group +
             " (store-authoritative; DNS not asked)";
  r.outcome = {dns::Security::secure, "answered from the SED store; no DNS step", std::nullopt};
  r.ttl = cfg_->cache.max_ttl;
  for (const auto& p : f->provisioned) {
    if (!p.uri.empty()) {
      UriResult u;
      u.uri = p.uri;
      u.status = r.uri.empty() ? "used" : "fallback";
      if (r.uri.empty()) r.uri = p.uri;
      r.uris.push_back(std::move(u));
      continue;
    }
    Target t;
    t.host = p.host;
    if (is_ip_literal(p.host)) t.address = p.host;
    t.port = p.port;
    t.transport = p.transport;
    t.outcome = r.outcome;
    r.targets.push_back(std::move(t));
  }
  r.store.check = StoreCheck::match;
  r.store.record_id = std::to_string(f->provisioned.front().id);
  r.store.detail = "store-authoritative: " + std::to_string(f->provisioned.size()) +
                   " provisioned SED record(s), matched identifier " + f->matched_identifier;
  finish(f->key, std::move(r), false);
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
    lrf::apply_insecure_policy(lr, cfg_->lookup.allow_insecure_targets, [&](const Target& t) {
      const cc::DnsTarget d{lr.uri, t.host, t.address, t.port, t.transport};
      return std::any_of(f->provisioned.begin(), f->provisioned.end(),
                         [&](const cc::ProvisionedTarget& p) { return cc::target_matches(d, p); });
    });
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
  auto it = inflight_.find(key);
  if (it == inflight_.end()) return;
  auto waiters = std::move(it->second);
  inflight_.erase(it);
  const auto shared = std::make_shared<const LookupResult>(std::move(r));
  for (auto& w : waiters) deliver_now(std::move(w), shared);
}

std::size_t Pipeline::drop_cache(const std::function<bool(const std::string&)>& pred) {
  if (!pred) {
    const auto n = cache_.size();
    cache_.clear();
    return n;
  }
  return cache_.erase_if(pred);
}

}  // namespace speerd::pipeline
