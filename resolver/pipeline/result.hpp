// The result of one lookup through the pipeline: the contract between the
// pipeline (LUF + LRF + store check) and every front end (API, speerctl).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "resolver/dns/outcome.hpp"
#include "resolver/model/lookup.hpp"

namespace speerd::pipeline {

// One URI produced by the LUF, with the targets the LRF found for it.
struct UriResult {
  std::string uri;
  std::uint16_t order = 0;
  std::uint16_t preference = 0;
  std::string service;                 // the NAPTR services field it came from
  std::vector<model::Target> targets;  // empty when not resolved or unusable
  std::string status;                  // "used", "fallback", "unresolved", or why it is unusable
};

enum class StoreCheck { not_checked, match, mismatch, no_record };
SPEERD_ENUM_NAMES(StoreCheck, no_record, "not-checked", "match", "mismatch", "no-record");

struct StoreResult {
  StoreCheck check = StoreCheck::not_checked;
  std::string record_id;  // the public identifier / SED record that matched
  std::string detail;
  // Not in the JSON: what a store change must name to reach this answer in
  // the cache (pipeline/invalidation.hpp).
  std::string destination_group;  // the group the store matched, if any
  std::string routing_number;     // the rn (digits) the store was asked for, if any
};

struct LookupResult {
  model::Verdict verdict = model::Verdict::reject;
  model::Reason code = model::reason::kNotFound;
  std::string reason;                  // human-readable explanation
  std::string number;                  // AUS (+digits) for lookups; empty for route()
  std::string tree;                    // the ENUM tree that answered
  std::string uri;                     // the URI routed to (first usable)
  std::vector<UriResult> uris;         // every usable URI in order, with fallbacks
  std::vector<model::Target> targets;  // ordered targets of `uri`
  std::uint32_t ttl = 0;               // smallest TTL on the path
  dns::Outcome outcome;                // weakest step
  std::vector<model::Step> dnssec;     // every DNS step in order
  StoreResult store;
  // Every NAPTR rule, record or target that was skipped or dropped, and why
  // (for `speerctl trace` and logs; not sent to API clients, whose scope may
  // not cover the equipment it names).
  std::vector<std::string> notes;
  bool cached = false;  // served from the cache
  bool stale = false;   // served stale (upstreams failing, inside the stale window)
  // A bogus or indeterminate outcome served from the failure cache
  // (failure_cache.hpp): it never routes, and says how old it is.
  bool failure_cached = false;
  std::uint32_t age = 0;  // seconds since this result was resolved (cached answers)
  // The number's NAPTR RRset as received (wire rdata) and its owner, when the
  // URIs are all its own (luf::LufResult::received); empty when the SED store
  // routed. Not in the JSON: the DNS front end's as-received answers only.
  std::string received_owner;
  std::vector<std::string> received_naptrs;
};

// The two JSON forms of a result. `api` is what API clients get: every field
// of the contract (resolver/server/openapi.yaml) but no step `detail` (the
// records behind a step: operator trace material) and no per-URI `targets`
// (the used URI's targets are the result's `targets`; other URIs have none).
// `full` adds both, for speerctl.
enum class JsonForm { api, full };
nlohmann::json to_json(const LookupResult& r, JsonForm form = JsonForm::api);
nlohmann::json to_json(const model::Target& t);
nlohmann::json to_json(const model::Step& s, JsonForm form = JsonForm::full);
std::string_view to_string(StoreCheck c);

// What the asking client may see (from the store's client record).
//
// A client's scope (client_id set) gives exactly the trees it lists: an empty
// list is no tree, so such a client has no access (fail closed; a store record
// whose trees are all unknown to this configuration is the same). Only the
// operator's own lookups (client_id empty: speerctl without --client,
// benchmarks) see every configured tree.
struct ClientScope {
  std::string client_id;           // empty: the operator's own lookup, every tree
  std::vector<std::string> trees;  // tree names or suffixes the client may use
  std::int64_t store_client = 0;   // the client's id in the SED store; 0: no store check
  bool operator_scope() const { return client_id.empty(); }
  bool no_access() const { return !operator_scope() && trees.empty(); }
};

struct LookupRequest {
  std::string number;   // as given by the client; the pipeline validates it
  std::string service;  // e.g. "E2U+sip"; empty = configured default
  ClientScope scope;
};

struct RouteRequest {
  std::string uri;  // sip: or sips: URI
  ClientScope scope;
};

// A delivered result is shared and immutable: a cache hit hands out the
// cached result itself (its ttl and cached flag already right for this
// second) instead of copying it, and every waiter of one resolution gets the
// same object. Front ends read it; whoever needs to change it copies it.
using ResultPtr = std::shared_ptr<const LookupResult>;

// The pipeline as front ends see it. One instance per event-loop thread;
// callbacks run on that thread.
struct PipelineCounters;

class LookupService {
 public:
  using Callback = std::function<void(ResultPtr)>;
  virtual ~LookupService() = default;
  virtual void lookup(const LookupRequest& req, Callback cb) = 0;
  virtual void route(const RouteRequest& req, Callback cb) = 0;
  // The pipeline's counters (counters.hpp), for /metrics; a service
  // without them (a test double) reports false.
  virtual bool counters(PipelineCounters& /*out*/) const { return false; }
};

}  // namespace speerd::pipeline
