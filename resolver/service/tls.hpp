// The TLS side of the front ends that authenticate clients by certificate:
// a server context built from [tls] (no renegotiation, client certificate
// required and verified against the CA bundle and CRLs, clientAuth EKU) for
// one protocol (TlsProfile: the HTTP API, TLS 1.3 unless 1.2 is opted in,
// ALPN http/1.1; DNS over TLS, TLS 1.3 only, ALPN "dot"), and what a verified
// client certificate says about its holder (CertIdentity, which the client
// directory maps to a client). Moved here from resolver/server/ so that both
// front ends (server/, dnsfront/) share it.
//
// One context per protocol serves all shards (an SSL_CTX is safe to share),
// so a session ticket issued on one shard resumes on any. A reload builds new
// contexts, which also rotates the ticket keys: a revoked certificate cannot
// resume.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include "enum/expected.hpp"
#include "resolver/service/client_directory.hpp"
#include "resolver/service/settings.hpp"

namespace speerd::service {

// What differs between the protocols served over TLS.
struct TlsProfile {
  std::string_view alpn_wire;        // the one ALPN protocol, length-prefixed ("\x03" "dot")
  bool tls13_only = false;           // true: TLS 1.3 whatever [tls] min_version says
  std::string_view session_context;  // session id context: no resumption across protocols
};
// The HTTP API (resolver/server/): a client offering ALPN without http/1.1
// (h2 only) is refused.
inline constexpr TlsProfile kApiProfile{"\x08http/1.1", false, "speerd-api"};
// DNS over TLS (RFC 7858; ALPN "dot", RFC 7858 / 8310), resolver/dnsfront/.
inline constexpr TlsProfile kDotProfile{
    "\x03"
    "dot",
    true, "speerd-dot"};

// Errors name the file and what OpenSSL said about it.
Expected<std::shared_ptr<boost::asio::ssl::context>> make_server_context(
    const TlsSection& tls, const TlsProfile& profile = kApiProfile);

// The contexts of one generation: the API's, and DoT's when [dns_front]
// tls_listen is set (else null).
struct TlsContexts {
  std::shared_ptr<boost::asio::ssl::context> api;
  std::shared_ptr<boost::asio::ssl::context> dot;
};
Expected<TlsContexts> make_server_contexts(const ServerConfig& config);

// The identities of the (verified) peer certificate; empty when none.
CertIdentity peer_identity(SSL* ssl);

// Why a handshake failed, for the refusal log: the certificate verification
// error when there was one, else the TLS error.
std::string handshake_failure(SSL* ssl, const boost::system::error_code& ec);

bool session_resumed(SSL* ssl);

// Renegotiation attempts refused on `ssl` since the last call (TLS 1.2
// clients only; TLS 1.3 has no renegotiation).
int take_renegotiation_attempts(SSL* ssl);

// Whether `ssl`'s peer certificate is listed in a CRL of `ctx` (issued by
// the certificate's issuer): a reload that loads a new CRL closes the open
// connections of the certificates it revokes.
bool peer_revoked(SSL* ssl, SSL_CTX* ctx);

}  // namespace speerd::service
