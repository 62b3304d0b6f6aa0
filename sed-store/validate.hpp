// Input validation and normalization for everything stored in the SED store.
// Pure functions, no I/O. Store::apply runs every field of every change through
// these before any SQL runs; the limits are in limits.hpp. Each check returns
// the normalized value or a message that says what is wrong with the input
// (quoting it safely, see quote()). Rejected: control characters, NUL,
// non-ASCII look-alike digits, overlong text, anything outside a field's
// grammar. Accepted text is stored literally (bound parameters only).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "enum/expected.hpp"

namespace speerd::store::validate {

// 1..kMaxDigits ASCII digits 0-9.
speerd::Expected<std::string> digits(std::string_view s);

// Object names: [A-Za-z0-9][A-Za-z0-9._-]*, at most kMaxNameLength.
speerd::Expected<std::string> name(std::string_view s);

// Certificate subject/SAN name: printable ASCII, no leading/trailing space.
speerd::Expected<std::string> cert_name(std::string_view s);

// SPKI pin: base64 (standard alphabet, padded) of a 32-byte SHA-256 digest.
speerd::Expected<std::string> spki_pin(std::string_view s);

// A DNS name of letters, digits and hyphens (LDH), normalized to lowercase with
// a trailing dot. `allow_root`: "." is accepted (trust anchors for the root).
speerd::Expected<std::string> domain(std::string_view s, bool allow_root = false);

// TSIG (RFC 8945) of the DNS front end. A key name is a domain() (LDH, lower
// case, trailing dot). The algorithm: "hmac-sha256" (any case, a trailing dot
// allowed) -> "hmac-sha256"; any other is refused by name. The secret:
// base64 of kMinTsigSecretBytes..kMaxTsigSecretBytes bytes -> canonical
// base64; its messages never quote it.
speerd::Expected<std::string> tsig_algorithm(std::string_view s);
speerd::Expected<std::string> tsig_secret(std::string_view s);

// A host: LDH name (lowercase, no trailing dot), IPv4 literal, or IPv6 literal
// (brackets optional on input, none on output; canonical form).
speerd::Expected<std::string> host(std::string_view s);

// "", udp, tcp, tls, sctp, ws, wss (case-insensitive; normalized lowercase).
speerd::Expected<std::string> transport(std::string_view s);

// "" (not set: 0) or 1..65535.
speerd::Expected<std::uint16_t> port(std::string_view s);

// A SIP URI for a SED record: sip: or sips:, optional user part, host, optional
// port, optional ;params (transport= is picked up), no ?headers.
struct SipUri {
  std::string uri;  // scheme and host lowercased, the rest as given
  std::string host;
  std::uint16_t port = 0;
  std::string transport;
};
speerd::Expected<SipUri> sip_uri(std::string_view s);

// Free text: valid UTF-8, no control characters, at most kMaxDescriptionLength.
speerd::Expected<std::string> description(std::string_view s);

// Audit actor: [A-Za-z0-9._@+-], at most kMaxActorLength.
speerd::Expected<std::string> actor(std::string_view s);

// Operation id (idempotent writes): [A-Za-z0-9._:@+-], at most kMaxOperationIdLength.
speerd::Expected<std::string> operation_id(std::string_view s);

// Priority 0..kMaxPriority.
speerd::Expected<int> priority(long long v);

// s with anything unprintable or non-ASCII shown as \xNN, in single quotes,
// cut after 40 bytes: safe to put into any message or log line.
std::string quote(std::string_view s);

bool is_utf8(std::string_view s);

}  // namespace speerd::store::validate
