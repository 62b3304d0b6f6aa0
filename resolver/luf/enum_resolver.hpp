// The LUF over DNS: an E.164 number -> the ordered SIP URIs of the first ENUM
// tree that has them, every DNS step validated.
//
// Trees are tried in configured order:
//   - NXDOMAIN or no NAPTR (NODATA) in a tree passes to the next tree;
//   - a tree whose records are all unusable for the service passes on too;
//   - a bogus answer anywhere (tree apex or a non-terminal chain) stops the
//     lookup with its reason: no fall-through to a weaker tree;
//   - an insecure answer in a `require-secure` tree stops the lookup;
//   - an upstream failure (SERVFAIL, timeout) stops the lookup: falling
//     through would let an attacker who can silence one tree choose the next.
// Non-terminal rules are followed up to the configured hop limit; a name seen
// twice in one chain is a loop and that rule is skipped.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "enum/e164.hpp"
#include "enum/enumservice.hpp"
#include "enum/names.hpp"
#include "enum/substitution_cache.hpp"
#include "resolver/config/config.hpp"
#include "resolver/dns/client.hpp"
#include "resolver/model/lookup.hpp"

namespace speerd::luf {

enum class LufStatus {
  found,             // uris is not empty
  not_found,         // every tree: NXDOMAIN / NODATA
  no_usable,         // records exist, none usable for the service
  bogus,             // a step failed validation
  insecure_refused,  // an insecure answer in a require-secure tree
  upstream_failure,  // SERVFAIL / timeout
};
SPEERD_ENUM_NAMES(LufStatus, upstream_failure, "found", "not-found", "no-usable-record", "bogus",
                  "insecure-refused", "upstream-failure");

const char* to_string(LufStatus s);

struct UriCandidate {
  std::string uri;
  std::uint16_t order = 0;
  std::uint16_t preference = 0;
  std::string services;  // the record's services field
  std::string owner;     // the name whose NAPTR produced it
};

struct LufResult {
  LufStatus status = LufStatus::not_found;
  std::string reason;
  std::string tree;  // name of the tree that answered (or stopped the lookup)
  config::TreePolicy policy = config::TreePolicy::require_secure;
  std::vector<UriCandidate> uris;
  std::vector<model::Step> steps;                 // every DNS query, in order
  std::vector<std::string> notes;                 // every NAPTR rule and what was done with it
  dns::Outcome outcome = dns::Outcome::secure();  // weakest step that counted
  std::uint32_t ttl = 0;                          // smallest TTL on the path
  bool negative = false;                          // not_found: cache with negative TTL
  // found: the NAPTR RRset of the number's own name in the tree that
  // answered, as received (wire rdata, validated as its step says), when
  // every URI came from it (none through a non-terminal rule); else empty.
  // The DNS front end's as-received answers ([dns_front] naptr_answer).
  std::string received_owner;
  std::vector<std::string> received;
};

class EnumResolver {
 public:
  // `tree_clients`: tree name -> the client that validates that tree's
  // answers (a tree with its own trust anchors); other trees use `client`.
  EnumResolver(dns::Client& client, std::shared_ptr<const config::ResolverConfig> cfg,
               std::map<std::string, dns::Client*> tree_clients = {});

  // `trees`: names the caller may use; empty = every configured tree.
  void lookup(const E164Number& number, const EnumService& service,
              const std::vector<std::string>& trees, std::function<void(LufResult)> cb) {
    lookup(number, service, trees, true, std::move(cb));
  }
  // `service_named`: the request named `service`; otherwise (the configured
  // default) a tree with its own `service` uses that in its place.
  void lookup(const E164Number& number, const EnumService& service,
              const std::vector<std::string>& trees, bool service_named,
              std::function<void(LufResult)> cb);

  SubstitutionCache::Stats regexp_stats() const { return regexps_->stats(); }

 private:
  dns::Client& client_;
  std::shared_ptr<const config::ResolverConfig> cfg_;
  // Shared with lookups in flight (which may outlive this resolver).
  std::shared_ptr<const std::map<std::string, dns::Client*>> tree_clients_;
  // Compiled NAPTR regexps (compiling costs ~40x applying): shared by the
  // lookups of this resolver; bounded, LRU.
  std::shared_ptr<SubstitutionCache> regexps_ = std::make_shared<SubstitutionCache>();
};

}  // namespace speerd::luf
