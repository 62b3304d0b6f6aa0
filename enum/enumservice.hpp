// The NAPTR Services field of ENUM (RFC 6116 section 3.4.3, was RFC 3761 2.4.2):
//
//   service-field = "E2U" 1*(servicespec)
//   servicespec   = "+" enumservice
//   enumservice   = type 0*(subtypespec)
//   subtypespec   = ":" subtype
//   type          = 1*32(ALPHA / DIGIT / "-")
//   subtype       = 1*32(ALPHA / DIGIT / "-")
//
// Examples: "E2U+sip", "E2U+voice:sip", "E2U+sip+pres" (one record offering two
// Enumservices). Everything is case-insensitive; parsed values are lower case.
//
// Decision: the legacy RFC 2916 form ("sip+E2U", service first) is recognised and
// REJECTED with its own error message. RFC 3761 replaced it in 2004 and RFC 6116
// does not carry it; accepting it would let a record whose meaning changed between
// the two specs route calls. The specific message makes the trace clear.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "enum/expected.hpp"

namespace speerd::luf {

struct EnumserviceSpec {
  std::string type;                   // "sip", "voice", "pres"
  std::vector<std::string> subtypes;  // "voice:sip" -> {"sip"}; usually 0 or 1

  bool operator==(const EnumserviceSpec&) const = default;
};

struct EnumService {
  std::vector<EnumserviceSpec> specs;  // at least one

  bool operator==(const EnumService&) const = default;
};

// Parses a Services field ("E2U+sip", "e2u+voice:SIP+pres"). Errors say which part
// was wrong: "missing 'E2U' prefix", "empty enumservice type", "legacy RFC 2916 ...".
Expected<EnumService> parse_enumservice(std::string_view field);

// Canonical text form: "E2U+voice:sip+pres".
std::string to_string(const EnumService& service);
std::string to_string(const EnumserviceSpec& spec);

// Matching rule (RFC 6116 3.4.3, RFC 3764 section 4, RFC 4415):
// The type names the service; the subtype, where the Enumservice has one, is the URI
// scheme of the result ("voice:sip" = voice service reached with a sip: URI,
// "voice:tel" = the same with a tel: URI). So "E2U+sip" (RFC 3764: type sip, no
// subtype, result sip: or sips:) and "E2U+voice:sip" are DIFFERENT services and do
// not match each other. A requested spec matches an offered spec when
//   - the types are equal, and
//   - the requested spec has no subtypes (any subtype of that type is fine: "E2U+voice"
//     accepts "E2U+voice:sip" and "E2U+voice:tel"), or every requested subtype is
//     among the offered spec's subtypes ("E2U+voice:sip" does not accept a bare
//     "E2U+voice", whose URI scheme is unknown).
// `offered` (a record's field) matches `requested` (what the caller asked for) when
// ANY requested spec matches ANY offered spec: a caller that wants every SIP-reachable
// record asks for "E2U+sip+voice:sip+pstn:sip".
bool matches(const EnumService& offered, const EnumService& requested);
bool matches(const EnumserviceSpec& offered, const EnumserviceSpec& requested);

// The first offered spec that matches some requested spec, or nullptr. The rewrite
// result is checked against this spec's URI schemes (see uri_check.hpp).
const EnumserviceSpec* find_match(const EnumService& offered, const EnumService& requested);

}  // namespace speerd::luf
