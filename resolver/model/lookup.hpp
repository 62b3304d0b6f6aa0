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
};

// Stable machine-readable reason codes (also the API's error codes).
namespace reason {
inline constexpr const char* kRouted = "routed";
inline constexpr const char* kNotFound = "not-found";  // also used for "not allowed" (same answer)
inline constexpr const char* kDnssecBogus = "dnssec-bogus";
inline constexpr const char* kInsecureNotAllowed = "insecure-not-allowed";
inline constexpr const char* kIndeterminate = "dnssec-indeterminate";
inline constexpr const char* kNoUsableRecord = "no-usable-record";
inline constexpr const char* kNoTargets = "no-targets";
inline constexpr const char* kStoreMismatch = "store-mismatch";
inline constexpr const char* kUpstreamFailure = "upstream-failure";
inline constexpr const char* kBadInput = "bad-input";
inline constexpr const char* kBadNumber = "bad-number";  // not readable as E.164
}  // namespace reason

}  // namespace speerd::model
