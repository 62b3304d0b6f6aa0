// The store cross-check: compares what DNS says (the targets the resolver
// derived: URIs, hosts, addresses, ports, transports) with the SED provisioned
// for the destination, and turns the result into a verdict input under the
// configured policy. A pure function of plain structs defined here, independent
// of the resolver's types (the pipeline converts into these).
//
//   match      a DNS target is among the provisioned SED
//   mismatch   the store has SED for this destination and DNS points elsewhere
//   no-record  the store has no SED for this destination (for this client)
//
// Policies:
//   strict               a mismatch rejects
//   advisory             a mismatch is flagged, and routed
//   store-authoritative  provisioned SED answers; DNS is not asked
//                        (needs_dns() says whether to ask at all)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "enum/names.hpp"

namespace speerd::store::crosscheck {

enum class Policy { strict, advisory, store_authoritative };
SPEERD_ENUM_NAMES(Policy, store_authoritative, "strict", "advisory", "store-authoritative");
enum class StoreResult { match, mismatch, no_record };
SPEERD_ENUM_NAMES(StoreResult, no_record, "match", "mismatch", "no-record");
enum class Disposition { route, route_flagged, reject };
SPEERD_ENUM_NAMES(Disposition, reject, "route", "route-flagged", "reject");
enum class Source { dns, store };

// One target as DNS produced it. Any field may be empty/0 when unknown: a
// NAPTR-derived URI before SRV, an SRV target (host, port, transport), an
// address from A/AAAA.
struct DnsTarget {
  std::string uri;      // e.g. sip:+12155551234@peer-a.example;transport=tcp
  std::string host;     // e.g. sbc1.peer-a.example
  std::string address;  // e.g. 192.0.2.10 or 2001:db8::10
  std::uint16_t port = 0;
  std::string transport;  // udp, tcp, tls, sctp, ws, wss; "" unknown
};

// One provisioned SED record (the store's SedRecord, reduced).
struct ProvisionedTarget {
  std::int64_t id = 0;
  std::string uri;         // "" for a next hop
  std::string host;        // name or IP literal
  std::uint16_t port = 0;  // 0: any
  std::string transport;   // "": any
};

struct Outcome {
  StoreResult store = StoreResult::no_record;
  Disposition disposition = Disposition::route;
  Source source = Source::dns;
  // The provisioned record that matched (or, when the store answers, the
  // first one, i.e. the most preferred).
  std::optional<std::int64_t> record_id;
  // Per DNS target (same order as the input): does it match a provisioned
  // record? Under strict, route only to those.
  std::vector<bool> target_matches;
  std::string reason;
};

// Whether the resolver must ask DNS at all: not under store-authoritative
// when SED is provisioned.
bool needs_dns(Policy policy, std::span<const ProvisionedTarget> provisioned);

// The verdict input. `dns` may be empty under store-authoritative.
Outcome cross_check(std::span<const DnsTarget> dns, std::span<const ProvisionedTarget> provisioned,
                    Policy policy);

// Does one DNS target match one provisioned record? What counts is where the
// call goes: the record's host (a URI record's host, or the next hop) equals
// the target's host, address, or URI host (case-insensitive, without trailing
// dot or IPv6 brackets), and a port or transport the record sets equals the
// target's. The user part of a URI does not matter.
bool target_matches(const DnsTarget& dns, const ProvisionedTarget& provisioned);

inline std::string_view to_string(Policy p) {
  return enum_name(p);
}
inline std::string_view to_string(StoreResult r) {
  return enum_name(r);
}
inline std::string_view to_string(Disposition d) {
  return enum_name(d);
}
inline std::optional<Policy> parse_policy(std::string_view s) {
  return parse_enum<Policy>(s);
}

}  // namespace speerd::store::crosscheck
