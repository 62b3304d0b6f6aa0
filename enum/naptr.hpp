// NAPTR records (RFC 3403 section 4.1) as the LUF sees them: decoded from the RDATA of
// one RR of a validated DNS answer. The RDATA is untrusted: every length is checked
// against the bytes actually present, and no input makes the parser read outside it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "enum/expected.hpp"

namespace speerd::luf {

struct Naptr {
  std::uint16_t order = 0;
  std::uint16_t preference = 0;
  std::string flags;        // raw <character-string> bytes ("u", "" ...)
  std::string services;     // raw bytes ("E2U+sip")
  std::string regexp;       // raw bytes, the substitution expression or ""
  std::string replacement;  // presentation form, absolute ("sip.example.com."), "." if empty

  bool operator==(const Naptr&) const = default;
};

// Decodes NAPTR RDATA in wire form:
//   ORDER(2) PREFERENCE(2) <char-string FLAGS> <char-string SERVICES>
//   <char-string REGEXP> <domain-name REPLACEMENT>
// Refused (with the field and byte offset in the message): fewer than 4 bytes, a
// character-string whose length byte is missing or runs past the end, a replacement
// that is truncated, longer than 255 bytes, uses a reserved label type, or contains a
// compression pointer (RFC 3403 section 4.1: the replacement is never compressed; a
// bare RDATA has no message to point into), trailing bytes after the replacement,
// and RDATA over 65535 bytes. The fields are then decoded with ldns.
Expected<Naptr> parse_naptr_rdata(std::string_view wire_rdata);

// Parses presentation-format RDATA, as in a zone file, for tests and tools:
//   100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .
// Master-file escapes apply inside the quotes ("\\" is one backslash). Names are taken
// as absolute. Control characters (including newlines) are refused.
Expected<Naptr> parse_naptr_text(std::string_view text);

// Wire RDATA for a presentation-format record (the inverse direction; for tests, seed
// generators and tools).
Expected<std::string> naptr_text_to_wire(std::string_view text);

// Presentation form: 100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .
// Bytes outside printable ASCII, '"' and '\' are escaped as \DDD / \" / \\.
std::string to_text(const Naptr& naptr);

}  // namespace speerd::luf
