// The API's TLS side: a server context built from [tls] (TLS 1.3 only unless
// 1.2 is opted in, no renegotiation, ALPN http/1.1 only, client certificate
// required and verified against the CA bundle and CRLs, clientAuth EKU), and
// what a verified client certificate says about its holder.
//
// One context serves all shards (an SSL_CTX is safe to share), so a session
// ticket issued on one shard resumes on any. A reload builds a new context,
// which also rotates the ticket key: a revoked certificate cannot resume.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include "enum/expected.hpp"
#include "resolver/service/client_directory.hpp"
#include "resolver/service/settings.hpp"

namespace speerd::server {

inline constexpr int kMaxClientChainDepth = 4;  // client certificate chain length accepted
inline constexpr const char* kAlpn = "http/1.1";

// Errors name the file and what OpenSSL said about it.
Expected<std::shared_ptr<boost::asio::ssl::context>> make_server_context(
    const service::TlsSection& tls);

// The identities of the (verified) peer certificate; empty when none.
service::CertIdentity peer_identity(SSL* ssl);

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

}  // namespace speerd::server
