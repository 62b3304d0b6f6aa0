// Every limit of the ENUM logic (enum/) in one place. Each bounds the work or memory
// that one untrusted input (a number from a client, a NAPTR set from DNS) can cost.
#pragma once

#include <cstddef>
#include <cstdint>

namespace speerd::luf {

// E.164 allows at most 15 digits including the country code (ITU-T E.164 section 6).
inline constexpr std::size_t kMaxE164Digits = 15;

// Longest number text accepted before separators are removed ("+1 (215) 555-1234"
// is 17 bytes). Bounds the scan and keeps error messages short.
inline constexpr std::size_t kMaxNumberInputLength = 64;

// Longest domain name in wire form (RFC 1035 section 2.3.4), and longest label.
inline constexpr std::size_t kMaxDomainWireLength = 255;
inline constexpr std::size_t kMaxLabelLength = 63;

// Longest RFC 3402 substitution expression accepted. A NAPTR regexp field from DNS
// is a <character-string> (at most 255 bytes); this also bounds expressions from
// configuration and tools. Checked before anything else, so a 1 MB pattern is
// rejected in constant time.
inline constexpr std::size_t kMaxSubstitutionLength = 1024;

// Longest result of a rewrite (the URI handed to the LRF and written into SIP
// headers). Checked before the output is built.
inline constexpr std::size_t kMaxRewriteOutputLength = 1024;

// Memory budget handed to RE2 for one compiled expression (program + DFA cache).
// When the DFA cache runs out RE2 falls back to its NFA: still linear time. Small,
// because compiled expressions are kept in the SubstitutionCache: the worst case is
// kSubstitutionCacheEntries * this (64 MiB); real ENUM regexps use a few KiB.
inline constexpr std::int64_t kMaxRegexMemoryBytes = std::int64_t{256} * 1024;

// Distinct substitution expressions kept compiled (SubstitutionCache, LRU).
inline constexpr std::size_t kSubstitutionCacheEntries = 256;

// NAPTR records evaluated (regexp compiled and applied) per answer. Records past
// this, in order/preference order, are reported as skipped. Real ENUM answers hold
// a handful; a DNS message can carry thousands.
inline constexpr std::size_t kMaxNaptrPerSet = 64;

// Largest RDATA a DNS RR can carry (RDLENGTH is 16 bits).
inline constexpr std::size_t kMaxRdataLength = 65535;

// Non-terminal NAPTR rules a lookup follows before giving up (loops, long chains):
// the default of [lookup] max_nonterminal_hops (resolver/config/config.cpp, which
// lets an operator set 0 to 16). Enforced by the caller that issues the next query
// (resolver/luf/); defined here so the limit lives with the rest.
inline constexpr int kMaxNonTerminalHops = 5;

// Enumservice type and subtype tokens are 1 to 32 characters (RFC 6116 section 3.4.3).
inline constexpr std::size_t kMaxEnumserviceTokenLength = 32;

}  // namespace speerd::luf
