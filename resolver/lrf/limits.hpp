// Every limit of the RFC 3263 locator (resolver/lrf/) in one place. Each bounds the
// work one URI can cost: the URI comes from a client or from an ENUM answer, and the
// NAPTR and SRV sets from peer domains; none of them is trusted. They are the
// defaults of LocatorLimits (locator.hpp), so tests and operators can lower them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace speerd::lrf {

// Longest URI accepted by parse_sip_uri (bytes). The LUF caps its rewrite output at
// 1024 (enum/limits.hpp); the same cap here keeps both ends consistent.
inline constexpr std::size_t kMaxUriLength = 1024;

// Usable NAPTR records (after sorting by order, then preference, and dropping the
// ones that are not for SIP or not for this URI) followed per URI. Each one costs an
// SRV query. A real peer domain has 2 to 6 (one per transport).
inline constexpr std::size_t kMaxNaptrRecords = 8;

// SRV records used from one SRV RRset: the lowest priorities first (RFC 2782 order),
// the rest are reported as skipped. Each distinct target costs an A and an AAAA query.
inline constexpr std::size_t kMaxSrvRecords = 8;

// Distinct target host names whose addresses are looked up per URI (over every SRV
// set and the A/AAAA fallback). Each costs two queries.
inline constexpr std::size_t kMaxTargetHosts = 12;

// Addresses used per target host and address family (the first ones of the A, and
// of the AAAA, RRset). More addresses than this for one SIP server name add nothing
// a next hop would try.
inline constexpr std::size_t kMaxAddressesPerFamily = 4;

// Targets (host, address, port, transport) in one result.
inline constexpr std::size_t kMaxTargets = 32;

// DNS queries one locate() may issue in total; a backstop for all of the above
// (1 NAPTR + 8 SRV + 2 x 12 address queries = 33 with the defaults). Lookups past it
// are not made and are reported in the result's notes.
inline constexpr std::size_t kMaxQueriesPerLocate = 40;

// Longest step detail (record list) kept in a result, in bytes.
inline constexpr std::size_t kMaxStepDetail = 512;

// TTL of a result that needed no DNS at all (numeric host): nothing in DNS can change
// it, so it is long; the cache caps it at cache.max_ttl anyway.
inline constexpr std::uint32_t kNoDnsTtl = 86400;

}  // namespace speerd::lrf
