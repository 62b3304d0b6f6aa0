// SIP and SIPS URIs (RFC 3261 section 19.1, 25.1) as far as server location needs
// them, and the transports of RFC 3263 / RFC 4168 / RFC 7118.
//
// The URI is untrusted (from a client's route request or an ENUM answer): every byte
// is checked, errors name the position and show the offending byte escaped, and
// nothing past kMaxUriLength is read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "enum/expected.hpp"
#include "enum/names.hpp"

namespace speerd::lrf {

enum class Scheme : std::uint8_t { sip, sips };
SPEERD_ENUM_NAMES(Scheme, sips, "sip", "sips");

// The transports a SIP next hop can be reached over. `tls` is TLS over TCP,
// `tls_sctp` TLS over SCTP (RFC 4168, "SIPS+D2S"), `wss` the WebSocket over TLS.
enum class Transport : std::uint8_t { udp, tcp, tls, sctp, tls_sctp, ws, wss };
SPEERD_ENUM_NAMES(Transport, wss, "udp", "tcp", "tls", "sctp", "tls-sctp", "ws", "wss");

inline constexpr Transport kAllTransports[] = {Transport::udp,  Transport::tcp,      Transport::tls,
                                               Transport::sctp, Transport::tls_sctp, Transport::ws,
                                               Transport::wss};

// "udp", "tcp", "tls", "sctp", "tls-sctp", "ws", "wss" (model::Target::transport).
std::string_view to_string(Transport t);
std::string_view to_string(Scheme s);

// Transports that protect the hop with TLS: the only ones a sips: URI admits.
bool is_secure(Transport t);

// Port used when neither the URI nor an SRV record gives one: 5060, 5061 for TLS
// (RFC 3261 19.1.2, RFC 3263 4.2); 80 / 443 for ws / wss (RFC 6455 section 3).
std::uint16_t default_port(Transport t);

// The NAPTR service field for a transport (RFC 3263 4.1, RFC 4168, RFC 7118):
// "SIP+D2U", "SIP+D2T", "SIPS+D2T", "SIP+D2S", "SIPS+D2S", "SIP+D2W", "SIPS+D2W".
std::string_view naptr_service(Transport t);

// The transport a NAPTR service field names (case-insensitive), or nullopt when the
// field is not one of the seven above (another application, or "SIPS+D2U": TLS over
// UDP does not exist, RFC 3263 4.1).
std::optional<Transport> transport_from_naptr_service(std::string_view services);

// True when the services field is for SIP at all ("SIP+..." / "SIPS+...", any
// resolution service): such a record, even unusable, tells that the domain publishes
// its SIP transports in NAPTR.
bool is_sip_naptr_service(std::string_view services);

// The SRV owner prefix for a transport when the URI gives no NAPTR to follow
// (RFC 3263 4.1/4.2, RFC 4168): "_sip._udp", "_sip._tcp", "_sips._tcp", "_sip._sctp",
// "_sips._sctp". nullopt for ws/wss: no SRV name is defined for them (RFC 7118
// locates WebSocket servers through NAPTR only).
std::optional<std::string_view> srv_prefix(Transport t);

enum class HostKind : std::uint8_t { domain, ipv4, ipv6 };

struct SipUri {
  Scheme scheme = Scheme::sip;
  std::string user;  // the user part as written (percent-escapes kept), "" if none
  std::string host;  // domain: lower case, no trailing dot; IPv6: no brackets
  HostKind host_kind = HostKind::domain;
  std::optional<std::uint16_t> port;
  // Value of ;transport= in lower case (as written: "udp", "tcp", "tls", "sctp",
  // "ws", "wss"); see effective_transport() for what it means with the scheme.
  std::optional<std::string> transport_param;
  // Value of ;maddr= when present. The locator does NOT use it (see locator.hpp).
  std::optional<std::string> maddr;
  // Every URI parameter in order: name lower case, value as written ("" if none).
  std::vector<std::pair<std::string, std::string>> params;

  bool numeric_host() const { return host_kind != HostKind::domain; }
  // The host as a DNS name: lower case with the trailing dot ("example.com.").
  std::string fqdn() const { return host + "."; }
};

// Parses "sip:" / "sips:" URIs (scheme case-insensitive):
//   scheme ":" [ user [ ":" password ] "@" ] host [ ":" port ] *( ";" param ) [ "?" headers ]
// host: a host name (RFC 3261 hostname: letters, digits, '-', labels of 1-63 bytes,
// the last one starting with a letter, an optional trailing '.'), a dotted-quad IPv4
// address, or an IPv6 reference in brackets. Refused, with the reason and position:
// other schemes, an empty or overlong URI, control bytes, spaces, non-ASCII, bytes
// outside the RFC 3261 character set of their component, a second '@', an empty
// user part before '@', a malformed host or port, port 0 or above 65535, an empty
// or duplicated parameter name, a second ;transport= or ;maddr=.
// The password, if any, is dropped (RFC 3261 19.1.1: NOT RECOMMENDED); headers are
// checked for their characters and otherwise ignored.
Expected<SipUri> parse_sip_uri(std::string_view text);

// The transport the URI itself asks for, combined with its scheme (RFC 3261 26.2,
// RFC 5630 section 3.1.3): nullopt when the URI has no ;transport=.
//   sip:  udp, tcp, sctp, tls, ws, wss as written
//   sips: tcp and tls -> tls; sctp -> tls-sctp; ws and wss -> wss; udp -> refused
//         (there is no TLS over UDP in SIP)
// Any other value is refused (speerd cannot hand out a next hop for a transport it
// does not know).
Expected<std::optional<Transport>> effective_transport(const SipUri& uri);

// The transport to use when the URI gives a numeric host or an explicit port and no
// ;transport= (RFC 3263 4.1): UDP for sip:, TLS (over TCP) for sips:.
Transport default_transport(Scheme s);

}  // namespace speerd::lrf
