#include "resolver/dns/outcome.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace speerd::dns {

Outcome Outcome::bogus(std::string why) {
  const auto code = ede_from_reason(why);
  return {Security::bogus, std::move(why), code};
}

const Outcome& weakest(const Outcome& a, const Outcome& b) {
  return static_cast<int>(b.state) < static_cast<int>(a.state) ? b : a;
}

namespace {
bool contains_ci(std::string_view hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
  return it != hay.end();
}
}  // namespace

std::uint16_t ede_from_reason(std::string_view why) {
  // Order matters: the more specific phrases first. The texts are those of
  // unbound 1.17's validator (val_utils.c, val_sigcrypt.c, validator.c).
  struct Rule {
    std::string_view phrase;
    std::uint16_t code;
  };
  static constexpr std::array<Rule, 12> kRules{{
      {"signature expired", ede::kSignatureExpired},
      {"signature before inception", ede::kSignatureNotYetValid},
      {"signature not yet valid", ede::kSignatureNotYetValid},
      {"no signatures", ede::kRrsigsMissing},
      {"no rrsig", ede::kRrsigsMissing},
      {"missing rrsig", ede::kRrsigsMissing},
      {"no DNSKEY", ede::kDnskeyMissing},
      {"no keys", ede::kDnskeyMissing},
      {"unsupported algorithm", ede::kUnsupportedDnskeyAlgorithm},
      {"no NSEC", ede::kNsecMissing},
      {"nsec proof", ede::kNsecMissing},
      {"denial", ede::kNsecMissing},
  }};
  for (const auto& r : kRules) {
    if (contains_ci(why, r.phrase)) return r.code;
  }
  return ede::kDnssecBogus;
}

}  // namespace speerd::dns
