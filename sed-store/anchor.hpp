// Trust anchor checking: a DS or DNSKEY record in presentation format, parsed
// and checked with ldns before it is stored (Store::apply runs this for every
// AddTrustAnchor, from the CLI and from imports alike).
#pragma once

#include <string>
#include <string_view>

#include "enum/expected.hpp"
#include "sed-store/model.hpp"

namespace speerd::store {

struct ParsedAnchor {
  AnchorKind kind = AnchorKind::ds;
  std::string zone;  // normalized: lowercase, trailing dot
  std::string rr;    // canonical presentation form, one line
  int key_tag = 0;
};

// Checks that rr_text is exactly one DS or DNSKEY record of class IN whose
// owner is `zone`, with a supported algorithm (and, for DS, digest type and a
// digest of the right length; for DNSKEY, protocol 3 and the zone key flag).
speerd::Expected<ParsedAnchor> parse_trust_anchor(std::string_view zone, std::string_view rr_text);

}  // namespace speerd::store
