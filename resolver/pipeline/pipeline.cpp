#include "resolver/pipeline/pipeline.hpp"

#include "resolver/pipeline/flight.hpp"
#include "resolver/pipeline/portability.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <optional>

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

ResultPtr bad_input(std::string what, model::Reason code = reason::kBadInput) {
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

model::Reason luf_code(luf::LufStatus s) {
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

std::vector<cc::ProvisionedTarget> provisioned(const std::vector<store::SedRecord>& routes) {
  std::vector<cc::ProvisionedTarget> out;
  out.reserve(routes.size());
  for (const auto& r : routes) out.push_back({r.id, r.uri, r.host, r.port, r.transport});
  return out;
}

Pipeline::Pipeline(asio::io_context& io, dns::Client& dns,
                   std::shared_ptr<const config::ResolverConfig> cfg, PipelineOptions options)
    : io_(io),
      dns_(dns),
      cfg_(std::move(cfg)),
      default_service_(luf::parse_enumservice(cfg_->lookup.service)),
      luf_(dns_, cfg_, options.tree_dns),
      locator_(dns_, io.get_executor(), options.locator),
      cache_(cfg_->cache, options.clock),
      failures_(cfg_->cache, std::move(options.clock)),
      direct_(options.store_access == nullptr && options.store != nullptr
                  ? std::make_unique<DirectStoreAccess>(*options.store)
                  : nullptr),
      store_(options.store_access != nullptr ? options.store_access : direct_.get()),
      keep_received_(options.keep_received),
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
  std::optional<Expected<luf::EnumService>> named;
  if (!req.service.empty()) named.emplace(luf::parse_enumservice(req.service));
  const Expected<luf::EnumService>& service = named ? *named : default_service_;
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
    store_->find_destination(
        number.digits, store::ClientRef{scope.store_client},
        [this, alive = alive_, f, number, service, service_named,
         trees = scope.trees](StoreAnswer<std::optional<store::Destination>> dest) {
          if (!*alive) return;
          if (!dest) {
            ++stats_.store_errors;
            f->store_error = dest.error().message;
            f->store_failure = dest.error().kind;
            if (degrade(f)) return;
          } else if (*dest) {
            f->provisioned = provisioned((*dest)->routes);
            f->destination_group = (*dest)->destination_group;
            f->matched_identifier = (*dest)->matched.value;
            // What a store change must name to reach this answer in the cache.
            f->result.store.destination_group = f->destination_group;
          }
          if (cfg_->lookup.store_policy == config::StorePolicy::store_authoritative &&
              !f->provisioned.empty()) {
            return store_answers(f);
          }
          ask_enum(f, number, service, service_named, trees);
        });
    return;
  }
  ask_enum(f, number, service, service_named, scope.trees);
}

void Pipeline::ask_enum(const std::shared_ptr<Flight>& f, const luf::E164Number& number,
                        const luf::EnumService& service, bool service_named,
                        const std::vector<std::string>& trees) {
  luf_.lookup(number, service, trees, service_named, [this, alive = alive_, f](luf::LufResult luf) {
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
    // Moved, not copied: the flight keeps the LUF result for its URIs only.
    if (keep_received_) {
      r.received_owner = std::move(luf.received_owner);
      r.received_naptrs = std::move(luf.received);
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
    r.code = f->first_failure_code.value_or(reason::kNoTargets);
    r.reason =
        f->first_failure_reason.empty() ? "no URI has usable targets" : f->first_failure_reason;
    r.outcome = dns::weakest(f->luf.outcome, f->first_failure_outcome);
    cross_check(*f);
    return finish(f->key, std::move(r), false);
  }
  if (f->ported.empty() && cfg_->lookup.route_ported_by_rn && route_by_rn(f, i)) return;
  locate_uri(f, i);
}

void Pipeline::locate_uri(const std::shared_ptr<Flight>& f, std::size_t i) {
  locator_.locate(f->result.uris[i].uri, [this, alive = alive_, f, i](lrf::LocateResult lr) {
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
    u.status = std::string(to_string(lr.code)) + ": " + lr.reason;
    if (!f->first_failure_code) {
      // A URI from ENUM (or the SED) that the LRF cannot use (a tel: URI,
      // say) is not the client's bad input: no targets.
      f->first_failure_code = lr.code == reason::kBadInput ? reason::kNoTargets : lr.code;
      f->first_failure_reason = u.uri + ": " + lr.reason;
      f->first_failure_outcome = lr.outcome;
    }
    locate_uris(f, i + 1);
  });
}

void Pipeline::start_route(const std::string& key, const std::string& uri,
                           const ClientScope& scope) {
  auto f = std::make_shared<Flight>();
  f->key = key;
  if (store_ != nullptr && scope.store_client != 0) {
    if (auto parsed = lrf::parse_sip_uri(uri); parsed) {
      f->store_asked = true;
      store_->find_routes_to_host(
          parsed->host, store::ClientRef{scope.store_client},
          [this, alive = alive_, f, uri](StoreAnswer<std::vector<store::SedRecord>> routes) {
            if (!*alive) return;
            if (!routes) {
              ++stats_.store_errors;
              f->store_error = routes.error().message;
              f->store_failure = routes.error().kind;
              if (degrade(f)) return;
            } else {
              f->provisioned = provisioned(*routes);
            }
            locate_route(f, uri);
          });
      return;
    }
  }
  locate_route(f, uri);
}

void Pipeline::locate_route(const std::shared_ptr<Flight>& f, const std::string& uri) {
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
    u.status = lr.routable() ? "used" : std::string(to_string(lr.code)) + ": " + lr.reason;
    r.uris.push_back(std::move(u));
    const bool negative = r.code == reason::kNotFound;
    f->result = std::move(r);
    cross_check(*f);
    finish(key, std::move(f->result), negative);
  });
}

void Pipeline::finish(const std::string& key, LookupResult r, bool negative) {
  // Not kept: an answer the store could not check (or refused for want of
  // it), and a stale one served because the store failed. The next lookup
  // asks the store again, so no such answer outlives the outage.
  const bool unchecked = r.code == reason::kStoreUnavailable ||
                         (r.store.check == StoreCheck::not_checked && !r.store.detail.empty());
  if (unchecked || (r.stale && !upstream_failed(r))) {
    // nothing cached
  } else if (upstream_failed(r)) {
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
  if (unchecked) {
    // neither a failure to remember nor a success that clears one
  } else if (FailureCache::is_failure(r)) {
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
    stats_.invalidated += n + failures;
    return n + failures;
  }
  return cache_.erase_if(pred) + failures;
}

}  // namespace speerd::pipeline
