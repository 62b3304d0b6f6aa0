// The words every lookup stage shares, kept below all of them: the verdict,
// a DNS step, a next hop and the reason codes. The LUF (resolver/luf/) and the LRF
// (resolver/lrf/) produce them, the pipeline (resolver/pipeline/) puts them
// into a LookupResult, front ends print them. Nothing here includes a stage.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "enum/names.hpp"
#include "resolver/dns/outcome.hpp"

namespace speerd::model {

// What a lookup concluded: route to the targets, or reject (with a reason).
enum class Verdict { route, reject };
SPEERD_ENUM_NAMES(Verdict, reject, "route", "reject");
inline std::string_view to_string(Verdict v) {
  return enum_name(v);
}

// One DNS step of a lookup, for the response's `dnssec` list and for trace.
struct Step {
  std::string name;    // the owner name queried
  std::string type;    // "NAPTR", "SRV", "A", "AAAA"
  std::string result;  // "answer", "nxdomain", "nodata", "servfail", ...
  std::uint32_t ttl = 0;
  dns::Outcome outcome;
  std::string detail;  // e.g. the rule applied, the records returned
};

// One next hop (session establishment data).
struct Target {
  std::string host;     // the host name (or the literal address)
  std::string address;  // IPv4 or IPv6 literal
  std::uint16_t port = 0;
  std::string transport;  // "udp", "tcp", "tls", "sctp", "ws", "wss"
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  dns::Outcome outcome;  // weakest outcome of the steps that produced this target
  // The SRV owner name whose record named `host` (fqdn, trailing dot); empty
  // when no SRV was involved. Not in the JSON: the DNS front end's
  // additional section (resolver/dnsfront/README.md) only.
  std::string srv;
};

// Stable machine-readable reason codes (also the API's error codes): the
// enum, its text (the JSON "code", unchanged), and the k* names the code
// has always used for them.
enum class Reason : std::uint8_t {
  routed,
  not_found,  // also used for "not allowed" (same answer)
  dnssec_bogus,
  insecure_not_allowed,
  indeterminate,
  no_usable_record,
  no_targets,
  store_mismatch,
  upstream_failure,
  bad_input,
  bad_number,  // not readable as E.164
  // The store policy needs the SED store, which failed (issue 12): the API
  // answers 503 with Retry-After.
  store_unavailable,
};
SPEERD_ENUM_NAMES(Reason, store_unavailable, "routed", "not-found", "dnssec-bogus",
                  "insecure-not-allowed", "dnssec-indeterminate", "no-usable-record", "no-targets",
                  "store-mismatch", "upstream-failure", "bad-input", "bad-number",
                  "store-unavailable");
inline std::string_view to_string(Reason r) {
  return enum_name(r);
}

namespace reason {
inline constexpr Reason kRouted = Reason::routed;
inline constexpr Reason kNotFound = Reason::not_found;
inline constexpr Reason kDnssecBogus = Reason::dnssec_bogus;
inline constexpr Reason kInsecureNotAllowed = Reason::insecure_not_allowed;
inline constexpr Reason kIndeterminate = Reason::indeterminate;
inline constexpr Reason kNoUsableRecord = Reason::no_usable_record;
inline constexpr Reason kNoTargets = Reason::no_targets;
inline constexpr Reason kStoreMismatch = Reason::store_mismatch;
inline constexpr Reason kUpstreamFailure = Reason::upstream_failure;
inline constexpr Reason kBadInput = Reason::bad_input;
inline constexpr Reason kBadNumber = Reason::bad_number;
inline constexpr Reason kStoreUnavailable = Reason::store_unavailable;
}  // namespace reason

}  // namespace speerd::model
