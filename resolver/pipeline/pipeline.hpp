// The lookup pipeline: LUF, then LRF for each URI in order until one has
// usable targets, verdict by policy, result cache with single-flight and
// bounded serve-stale. One Pipeline per event-loop thread.
//
// Policy (ARCHITECTURE.md, "Lookup policy"):
//   - bogus never routes: a bogus ENUM step stops the lookup; a URI whose
//     location is bogus is skipped for the next URI (reported in `uris`);
//   - insecure ENUM answers route only in `allow-insecure` trees; insecure
//     LRF steps only with [lookup] allow_insecure_targets;
//   - the outcome is the weakest step on the path that produced the route
//     (steps of URIs that were tried and not used are still listed).
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "resolver/config/config.hpp"
#include "resolver/dns/client.hpp"
#include "resolver/lrf/locator.hpp"
#include "resolver/luf/enum_resolver.hpp"
#include "resolver/pipeline/cache.hpp"
#include "resolver/pipeline/counters.hpp"
#include "resolver/pipeline/failure_cache.hpp"
#include "resolver/pipeline/invalidation.hpp"
#include "resolver/pipeline/result.hpp"
#include "resolver/pipeline/store_access.hpp"
#include "sed-store/crosscheck.hpp"

namespace speerd::store {
class Store;
}

namespace speerd::pipeline {

struct PipelineOptions {
  lrf::LocatorOptions locator;
  // The SED store of this event loop (not owned; may be null). With a store
  // and a client (ClientScope::store_client), every lookup is cross-checked
  // against the provisioned SED ([lookup] store_policy), and insecure peer
  // targets that the store provisions may route.
  store::Store* store = nullptr;
  // The same store, asked asynchronously (the daemon: the store threads,
  // answers on this loop with a deadline). Wins over `store` when set.
  StoreAccess* store_access = nullptr;
  // Tree name -> the validator context of a tree with its own trust anchors
  // (Validators::trees()); other trees use the pipeline's `dns`.
  std::map<std::string, dns::Client*> tree_dns;
  ResultCache::Clock clock;  // injected time for the cache (tests); null = steady_clock
  // Keep the number's NAPTR RRset as received in results (and so in the
  // cache): only the DNS front end's as-received answers read it ([dns_front]
  // naptr_answer = "as-received"). Off, results do not carry it.
  bool keep_received = false;
};

class Pipeline final : public LookupService {
 public:
  // Uses `dns` (which must outlive the pipeline) for every query.
  Pipeline(boost::asio::io_context& io, dns::Client& dns,
           std::shared_ptr<const config::ResolverConfig> cfg, PipelineOptions options = {});
  ~Pipeline() override;

  void lookup(const LookupRequest& req, Callback cb) override;
  void route(const RouteRequest& req, Callback cb) override;
  bool counters(PipelineCounters& out) const override;

  // Drops cached results whose key matches (store changes); all when null.
  // Cached failures too.
  std::size_t drop_cache(const std::function<bool(const std::string&)>& pred = nullptr);
  // Drops the cached answers (failures too) that one of `changes` reaches
  // (issue 12, item 4); an `all` among them drops everything. Returns how
  // many.
  std::size_t invalidate(const std::vector<Invalidation>& changes);

  const PipelineStats& stats() const { return stats_; }
  const ResultCache& cache() const { return cache_; }
  const FailureCache& failure_cache() const { return failures_; }
  const config::ResolverConfig& config() const { return *cfg_; }

 private:
  struct Flight;
  void start_lookup(const std::string& key, const luf::E164Number& number,
                    const luf::EnumService& service, bool service_named, const ClientScope& scope);
  void ask_enum(const std::shared_ptr<Flight>& f, const luf::E164Number& number,
                const luf::EnumService& service, bool service_named,
                const std::vector<std::string>& trees);
  void start_route(const std::string& key, const std::string& uri, const ClientScope& scope);
  void locate_route(const std::shared_ptr<Flight>& f, const std::string& uri);
  bool degrade(const std::shared_ptr<Flight>& f);
  void store_answers(const std::shared_ptr<Flight>& f);
  void route_provisioned(const std::shared_ptr<Flight>& f, const std::string& reason);
  bool route_by_rn(const std::shared_ptr<Flight>& f, std::size_t i);
  void cross_check(Flight& f);
  void locate_uris(const std::shared_ptr<Flight>& f, std::size_t i);
  void locate_uri(const std::shared_ptr<Flight>& f, std::size_t i);
  void finish(const std::string& key, LookupResult r, bool negative);
  bool join(const std::string& key, Callback& cb);
  void deliver_now(Callback cb, ResultPtr r);

  boost::asio::io_context& io_;
  dns::Client& dns_;
  std::shared_ptr<const config::ResolverConfig> cfg_;
  // [lookup] service, parsed once: most lookups name no service.
  Expected<luf::EnumService> default_service_;
  luf::EnumResolver luf_;
  lrf::Locator locator_;
  ResultCache cache_;
  FailureCache failures_;
  std::unique_ptr<DirectStoreAccess> direct_;  // when given a bare Store
  StoreAccess* store_;
  bool keep_received_;  // PipelineOptions::keep_received
  std::unordered_map<std::string, std::vector<Callback>> inflight_;
  PipelineStats stats_;
  std::shared_ptr<bool> alive_;
};

}  // namespace speerd::pipeline
