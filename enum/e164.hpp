// E.164 numbers as the LUF receives them, and the ENUM domain they map to
// (RFC 6116 section 2.4: the Application Unique String is "+" and the digits; the
// key is the digits reversed, dot-separated, under a tree such as e164.arpa).
#pragma once

#include <string>
#include <string_view>

#include "enum/expected.hpp"

namespace speerd::luf {

struct E164Number {
  std::string digits;  // 1 to kMaxE164Digits ASCII digits, first digit 1-9

  // The Application Unique String: "+" followed by the digits ("+12155551234").
  std::string aus() const { return "+" + digits; }

  bool operator==(const E164Number&) const = default;
};

// Parses a number such as "+1 215 555-1234" or "+1 (215) 555.1234".
// Rules:
//   - the first character must be '+' (no leading white space);
//   - visual separators ' ', '-', '.', '(' and ')' are removed wherever they appear;
//   - only ASCII digits 0-9 count: other Unicode digits (fullwidth, Arabic-Indic, ...)
//     are rejected, as are letters, '%', quotes, NUL and every control character;
//   - 1 to 15 digits, and the first digit (country code) is not 0;
//   - at most kMaxNumberInputLength bytes of input.
// Errors name the offending character and its 1-based position, with raw control
// bytes escaped: "invalid character '\x0a' at position 4",
// "non-ASCII character U+FF11 at position 2 (only ASCII digits are allowed)",
// "too many digits (16 > 15)".
Expected<E164Number> parse_e164(std::string_view input);

// Validates an ENUM tree suffix ("e164.arpa", "E164.Arpa.", "nrenum.net") and returns
// it in canonical form: lower case, exactly one trailing dot. The suffix must be a
// syntactically valid host-style domain name (letters, digits, '-' and, for
// service-style labels, '_'; labels 1-63 bytes, no label starting or ending with
// '-'), not the root, and short enough that the longest ENUM name built under it
// (15 digit labels) still fits in 255 bytes of wire form.
Expected<std::string> parse_enum_suffix(std::string_view suffix);

// The ENUM domain for a number under a tree:
// enum_domain({"12155551234"}, "e164.arpa") == "4.3.2.1.5.5.5.5.1.2.1.e164.arpa."
// The suffix is lower-cased and given exactly one trailing dot; validate it once at
// configuration time with parse_enum_suffix (this function does not).
std::string enum_domain(const E164Number& number, std::string_view suffix);

}  // namespace speerd::luf
