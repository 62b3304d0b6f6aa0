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

// Matching rule (RFC 6117 section 2: an Enumservice is identified by its type
// and subtype together; RFC 3764, RFC 4415, RFC 4769):
// The type names the service; the subtype, where the Enumservice has one, is the URI
// scheme of the result ("voice:sip" = voice service reached with a sip: URI,
// "voice:tel" = the same with a tel: URI, "pstn:sip"/"pstn:tel" = RFC 4769 carrier
// ENUM). So "E2U+sip" (RFC 3764: type sip, no subtype) and "E2U+voice:sip" are
// DIFFERENT services. A requested spec matches an offered spec when the types are
// equal and the subtypes are the same (case-insensitive): "E2U+voice" matches only a
// bare "E2U+voice", never "E2U+voice:tel". This is how deployed SBC ENUM modules
// match (Kamailio's enum module compares each '+'-separated service of the record
// with each requested one as a whole token).
// `offered` (a record's field) matches `requested` (what the caller asked for) when
// ANY requested spec matches ANY offered spec: a caller that wants every SIP-reachable
// record asks for "E2U+sip+voice:sip+pstn:sip".
bool matches(const EnumService& offered, const EnumService& requested);
bool matches(const EnumserviceSpec& offered, const EnumserviceSpec& requested);

// The first offered spec that matches some requested spec, or nullptr. The rewrite
// result is checked against this spec's URI schemes (see uri_check.hpp).
const EnumserviceSpec* find_match(const EnumService& offered, const EnumService& requested);

}  // namespace speerd::luf
