// Checks on the result of a terminal ENUM rule before it leaves the LUF: the text is
// written into SIP headers (Contact of a 302, Request-URI) and handed to the LRF, so it
// must be a plain RFC 3986 URI whose scheme fits the Enumservice that matched.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "enum/enumservice.hpp"
#include "enum/expected.hpp"

namespace speerd::luf {

// URI schemes a result may use for an Enumservice:
//   - the subtype, where there is one: the subtype IS the URI scheme (RFC 6116 3.4.3;
//     "voice:tel" -> tel, "email:mailto" -> mailto, "pstn:sip" -> sip);
//   - "sip" (RFC 3764): sip and sips;
//   - "vcard" (RFC 4969): http and https;
//   - otherwise the type itself ("pres" -> pres, "h323" -> h323, "xmpp" -> xmpp).
std::vector<std::string> allowed_schemes(const EnumserviceSpec& service);

// Accepts `uri` when
//   - it is 1 to kMaxRewriteOutputLength bytes;
//   - it has a scheme (ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")) followed by ':' and a
//     non-empty rest;
//   - every byte is an RFC 3986 URI character (unreserved, reserved or '%' with two
//     hex digits): no CR, LF, NUL, space, other control bytes, DEL, non-ASCII, and none
//     of '<' '>' '"' '{' '}' '|' '\' '^' '`' (which could end a SIP header value or
//     an angle-bracketed Contact and start an injected one);
//   - the scheme (case-insensitive) is among allowed_schemes(service).
// Returns the scheme in lower case, or why the URI was refused, with the offending
// byte escaped and its 1-based position.
Expected<std::string> check_uri(std::string_view uri, const EnumserviceSpec& service);

// The syntax checks alone (no scheme policy); returns the lower-case scheme.
Expected<std::string> check_uri_syntax(std::string_view uri);

}  // namespace speerd::luf
