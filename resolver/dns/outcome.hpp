// The DNSSEC validation outcome of one DNS step, carried as a value from the
// resolver up to the API response and the log line (never a bool).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "enum/names.hpp"

namespace speerd::dns {

// Ordered from weakest to strongest: the outcome of a lookup is the weakest
// (lowest) state of its steps. not_applicable: the step needed no DNS (a
// URI whose host is an IP literal), so nothing was validated; policy
// decides whether it routes ([lookup] allow_ip_literal_targets).
enum class Security : std::uint8_t {
  bogus = 0,
  indeterminate = 1,
  insecure = 2,
  not_applicable = 3,
  secure = 4
};
SPEERD_ENUM_NAMES(Security, secure, "bogus", "indeterminate", "insecure", "not-applicable",
                  "secure");

inline std::string_view to_string(Security s) {
  return enum_name(s);
}

// RFC 8914 Extended DNS Error codes that speerd reports.
namespace ede {
inline constexpr std::uint16_t kOther = 0;
inline constexpr std::uint16_t kUnsupportedDnskeyAlgorithm = 1;
inline constexpr std::uint16_t kUnsupportedDsDigest = 2;
inline constexpr std::uint16_t kStaleAnswer = 3;
inline constexpr std::uint16_t kDnssecIndeterminate = 5;
inline constexpr std::uint16_t kDnssecBogus = 6;
inline constexpr std::uint16_t kSignatureExpired = 7;
inline constexpr std::uint16_t kSignatureNotYetValid = 8;
inline constexpr std::uint16_t kDnskeyMissing = 9;
inline constexpr std::uint16_t kRrsigsMissing = 10;
inline constexpr std::uint16_t kNoZoneKeyBitSet = 11;
inline constexpr std::uint16_t kNsecMissing = 12;
inline constexpr std::uint16_t kBlocked = 15;
inline constexpr std::uint16_t kProhibited = 18;
inline constexpr std::uint16_t kNotAuthoritative = 20;
inline constexpr std::uint16_t kNotSupported = 21;
inline constexpr std::uint16_t kNoReachableAuthority = 22;
inline constexpr std::uint16_t kNetworkError = 23;
}  // namespace ede

struct Outcome {
  Security state = Security::indeterminate;
  std::string reason;                // human-readable; libunbound's why_bogus for bogus
  std::optional<std::uint16_t> ede;  // RFC 8914 code, when one applies

  static Outcome secure() { return {Security::secure, {}, std::nullopt}; }
  static Outcome not_applicable(std::string why) {
    return {Security::not_applicable, std::move(why), std::nullopt};
  }
  static Outcome insecure(std::string why = "no trust anchor covers this name") {
    return {Security::insecure, std::move(why), std::nullopt};
  }
  static Outcome bogus(std::string why);  // derives the EDE code from the reason
  static Outcome indeterminate(std::string why, std::uint16_t code = ede::kDnssecIndeterminate) {
    return {Security::indeterminate, std::move(why), code};
  }

  bool routable_secure() const { return state == Security::secure; }
};

// The weaker of two outcomes (the first one wins a tie, so the earliest
// failing step is the one reported).
const Outcome& weakest(const Outcome& a, const Outcome& b);

// Maps a libunbound why_bogus text to an RFC 8914 code (libunbound 1.17 gives
// none itself). Unknown texts map to DNSSEC Bogus (6).
std::uint16_t ede_from_reason(std::string_view why_bogus);

}  // namespace speerd::dns
