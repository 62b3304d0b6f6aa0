// Every limit of the SED store (sed-store/) in one place. Each bounds what one
// piece of untrusted input (a CLI argument, an import field, a number from the
// resolver) can cost, or sizes a cache. Checked in validate.cpp before any SQL
// runs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace speerd::store {

// E.164 allows at most 15 digits including the country code (ITU-T E.164 s. 6).
// Public identifiers (numbers, range bounds, prefixes, routing numbers) are
// 1..kMaxDigits ASCII digits.
inline constexpr std::size_t kMaxDigits = 15;

// Object names (client, destination group, route group): [A-Za-z0-9][A-Za-z0-9._-]*.
inline constexpr std::size_t kMaxNameLength = 64;

// A certificate subject or SAN name as the TLS server sees it (printable ASCII).
inline constexpr std::size_t kMaxCertNameLength = 255;

// Free text (descriptions): valid UTF-8 without control characters.
inline constexpr std::size_t kMaxDescriptionLength = 256;

// Who made a change (the audit trail's actor).
inline constexpr std::size_t kMaxActorLength = 64;

// Idempotent writes (WriteContext::operation_id): an id of 1..kMaxOperationIdLength
// characters [A-Za-z0-9._:@+-], and its digest of at most kMaxOperationDigestLength.
// A write prunes the ids recorded more than kOperationRetentionDays ago: a
// retry must come within that time to be recognised.
inline constexpr std::size_t kMaxOperationIdLength = 128;
inline constexpr std::size_t kMaxOperationDigestLength = 128;
inline constexpr int kOperationRetentionDays = 30;

// A SIP URI in a SED record, and a host name (RFC 1035: 253 in presentation form).
inline constexpr std::size_t kMaxUriLength = 255;
inline constexpr std::size_t kMaxHostLength = 253;
inline constexpr std::size_t kMaxLabelLength = 63;

// ENUM trees one client may query (apex names such as e164.arpa.).
inline constexpr std::size_t kMaxTreesPerClient = 16;
// Source prefixes of one client (the DNS front end's UDP/TCP identity).
inline constexpr std::size_t kMaxSourcesPerClient = 64;
// TSIG keys of a client (migration 0006): a secret of at least 32 bytes
// (RFC 8945 6: no shorter than the HMAC-SHA256 output) and at most 512.
inline constexpr std::size_t kMaxTsigKeysPerClient = 8;
inline constexpr std::size_t kMinTsigSecretBytes = 32;
inline constexpr std::size_t kMaxTsigSecretBytes = 512;

// Destination groups named in one route group add (CLI or import row).
inline constexpr std::size_t kMaxDestGroupsPerRouteGroup = 10000;

// Rate limit bounds (per second and burst).
inline constexpr std::uint32_t kMaxRatePerSecond = 1'000'000;
inline constexpr std::uint32_t kMaxBurst = 1'000'000;

// Priorities (route group and SED record): 0 is the most preferred.
inline constexpr int kMaxPriority = 65535;
inline constexpr int kDefaultPriority = 10;

// One trust anchor RR in presentation form (a 4096-bit RSA DNSKEY is ~700 bytes).
inline constexpr std::size_t kMaxAnchorTextLength = 4096;

// Import: longest line accepted (CSV or JSON Lines), and rows per staged batch of
// public identifiers (the bulk path copies a batch into a temporary table, checks
// it with a few set queries and inserts it with one statement).
inline constexpr std::size_t kMaxImportLineLength = 1 << 20;
inline constexpr std::size_t kIdentifierBatchRows = 1'000'000;

// Listing and export page size (keyset pagination, bounded memory).
inline constexpr std::size_t kPageSize = 10'000;
inline constexpr std::size_t kMaxAuditRows = 100'000;

// SQLite tuning: wait this long for a writer's lock before failing with "busy";
// page cache and memory map sizes. The lookup budget needs the identifier
// table and index in memory (~70 bytes per identifier: 700 MB for 10M); pages
// past the memory map (Debian's SQLite caps it at 2 GB) come from the page
// cache, which grows to this size only as pages are read (per connection).
inline constexpr int kSqliteBusyTimeoutMs = 10'000;
inline constexpr std::int64_t kSqliteCacheKiB = std::int64_t{1024} * 1024;
inline constexpr std::int64_t kSqliteMmapBytes = std::int64_t{16} << 30;

// SED lists a Store keeps per (destination group, client) between writes
// (SQLite; emptied by any write and when full).
inline constexpr std::size_t kRouteCacheEntries = 4096;

}  // namespace speerd::store
