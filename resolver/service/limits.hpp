// Every fixed bound of the front ends (resolver/server/, resolver/dnsfront/) and
// the service core under them, in one place. Each caps what one untrusted peer
// (an API client, a DNS stub, a monitor on the admin port) can make speerd read,
// hold or parse. The operator's knobs are the rows of resolver/service/settings.cpp;
// these are the caps above or beside them that nobody configures. The DNS wire
// sizes they build on are protocol facts, in resolver/dns/wire.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

#include "enum/limits.hpp"
#include "resolver/dns/wire.hpp"
#include "resolver/lrf/limits.hpp"
#include "sed-store/limits.hpp"

namespace speerd::service {

// ---- The HTTP API (resolver/server/) -------------------------------------------

// Input bounds checked before anything reaches the pipeline.
inline constexpr std::size_t kMaxNumberBytes = 64;
inline constexpr std::size_t kMaxServiceBytes = 64;
inline constexpr std::size_t kMaxUriBytes = 512;
inline constexpr int kMaxJsonDepth = 8;  // batch bodies are two levels deep

// Bounds on untrusted query strings (beyond the header size limit).
inline constexpr std::size_t kMaxQueryParams = 8;
inline constexpr std::size_t kMaxParamBytes = 1024;

// Request line plus headers on the admin listener (its requests are bare GETs).
inline constexpr std::uint32_t kAdminMaxHeaderBytes = 4096;

// The three URI caps differ because each bounds a different source, and they
// nest so that a URI one part accepts is never refused by the part it is handed
// to next:
//  - store::kMaxUriLength (255): a URI provisioned in a SED record, checked when
//    it is written; such a URI comes back in answers, and a client may send it
//    back to GET /v1/route;
//  - kMaxUriBytes (512): the `uri` a client asks GET /v1/route to locate;
//  - lrf::kMaxUriLength (1024): what the locator parses at all, the same as the
//    LUF's rewrite output cap, so every URI an ENUM answer yields can be located.
static_assert(store::kMaxUriLength <= kMaxUriBytes);
static_assert(kMaxUriBytes <= lrf::kMaxUriLength);
static_assert(lrf::kMaxUriLength == luf::kMaxRewriteOutputLength);
// A number the API accepts is read in full by the E.164 parser.
static_assert(kMaxNumberBytes <= luf::kMaxNumberInputLength);

// ---- Connections (both front ends) ----------------------------------------------

// The container's open-file limit is about 20,000; connections, resolver
// sockets, the store and the logs share it, so the connection cap stays well
// below that. The ceiling of every max_connections row.
inline constexpr std::int64_t kMaxConnectionsCeiling = 18000;

// Client certificate chain length accepted (TLS of the API and of DoT).
inline constexpr int kMaxClientChainDepth = 4;

// ---- The DNS front end (resolver/dnsfront/) -------------------------------------

// A query is one question, an OPT and perhaps a TSIG: anything larger than
// this is not a query a stub sends and is answered FORMERR unread.
inline constexpr std::size_t kMaxQueryBytes = 4096;
static_assert(dns::kClassicUdpSize <= kMaxQueryBytes && kMaxQueryBytes <= dns::kMaxMessageBytes);

// RFC 8914 4: EXTRA-TEXT is for humans; keep it short enough that a refusal
// always fits the classic UDP size together with the question: header (12),
// question (name + type + class), OPT RR (11), EDE option (4 + INFO-CODE 2).
inline constexpr std::size_t kMaxExtraText = 200;
static_assert(12 + (luf::kMaxDomainWireLength + 4) + 11 + (4 + 2) + kMaxExtraText <=
              dns::kClassicUdpSize);

}  // namespace speerd::service
