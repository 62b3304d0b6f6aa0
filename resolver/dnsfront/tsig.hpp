// TSIG (RFC 8945) of the DNS front end, hmac-sha256 only, with ldns: a
// signed query is verified with its client's key (service::SourceTable,
// from the client snapshot) and its answer signed with the same key. Pure:
// the time is the caller's, nothing is looked up here.
//
//   no such key, or an algorithm other than hmac-sha256  -> badkey (5.2.1)
//   the MAC does not verify                              -> badsig (5.2.2)
//   `now` outside time signed +- fudge                   -> badtime (5.2.3)
//
// An error is answered NOTAUTH (rcode 9) with the TSIG error: badkey and
// badsig unsigned (a TSIG record with an empty MAC, 5.3.2), badtime signed,
// with the request's time signed and the server's time in Other Data.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "resolver/dnsfront/query.hpp"
#include "resolver/service/metrics.hpp"

namespace speerd::dnsfront {

using TsigResult = service::DnsTsig;

inline constexpr std::uint16_t kTsigFudge = 300;  // seconds (RFC 8945 10: 300 recommended)
inline constexpr std::uint16_t kRcodeNotAuth = 9;
namespace tsig_error {
inline constexpr std::uint16_t kBadSig = 16;
inline constexpr std::uint16_t kBadKey = 17;
inline constexpr std::uint16_t kBadTime = 18;
}  // namespace tsig_error

// The one algorithm, as a name in a TSIG record.
inline constexpr std::string_view kHmacSha256 = "hmac-sha256.";

// A key: its name (lower case, absolute) and base64 secret.
struct TsigSecret {
  std::string_view name;
  std::string_view secret;
};

// Checks the TSIG `t` that check_query() read from `wire` against `key`
// (nullptr: no key of that name). Never `missing` (the caller knows).
TsigResult verify_tsig(std::span<const std::uint8_t> wire, const TsigRecord& t,
                       const TsigSecret* key, std::uint64_t now);

// The answer `wire` to a query signed with `t` that got `result`, with its
// TSIG record appended (see above; `key` is needed for ok and badtime).
// Empty when ldns cannot build it.
std::vector<std::uint8_t> sign_answer(std::span<const std::uint8_t> wire, const TsigRecord& t,
                                      const TsigSecret* key, TsigResult result, std::uint64_t now);

// The bytes the answer's TSIG record takes (an answer to a signed query is
// built that much smaller, so that it fits once signed).
std::size_t tsig_size(const TsigRecord& t);

// The TSIG error code of a result (0 for ok).
std::uint16_t tsig_error_of(TsigResult r);

}  // namespace speerd::dnsfront
