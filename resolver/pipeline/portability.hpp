// Number portability in ENUM results (RFC 4694 parameters, carried in an
// RFC 4769 "E2U+pstn:tel" tel: URI or in the user part of a sip: URI):
//   tel:+12155551262;npdi;rn=+12155559999
//   sip:+12155551262;npdi;rn=+12155559999@gw.example;user=phone
// rn is the routing number of the network now serving the number; npdi says
// the portability dip was done. The pipeline routes a ported number by its
// routing number where the SED store provisions it ([lookup] number_portability).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace speerd::pipeline {

struct Portability {
  std::string rn_digits;  // the routing number, digits only (global "+" form)
  bool npdi = false;
};

// The rn/npdi of `uri` (tel:, sip: or sips:), or nullopt when it has no rn.
// An rn that is not a global number of 1-15 digits (visual separators
// allowed, RFC 3966) is ignored: nullopt, and `bad` says why.
std::optional<Portability> parse_portability(std::string_view uri, std::string* bad = nullptr);

}  // namespace speerd::pipeline
