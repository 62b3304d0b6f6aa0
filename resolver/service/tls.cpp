#include "resolver/service/tls.hpp"

#include <cstdint>
#include <cstring>
#include <vector>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "resolver/service/limits.hpp"

namespace speerd::service {
namespace {

namespace ssl = boost::asio::ssl;

std::string openssl_error() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += (out.empty() ? "" : "; ") + std::string(buf);
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

std::string subject_line(X509* cert);
std::string names_line(X509* cert);

// The refused certificate, kept on the SSL for the refusal log (after a
// failed handshake OpenSSL no longer hands out the peer certificate).
void free_note(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<std::string*>(ptr);
}
int note_index() {
  static const int idx = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_note);
  return idx;
}

int note_failure(int ok, X509_STORE_CTX* store) {
  if (ok) return ok;
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  if (ssl && leaf && !SSL_get_ex_data(ssl, note_index())) {
    SSL_set_ex_data(ssl, note_index(),
                    new std::string(subject_line(leaf) + "; " + names_line(leaf)));
  }
  return ok;
}

// Requires the clientAuth extended key usage to be present (RFC 5280 would
// accept a certificate without the extension for any purpose).
int verify_with_eku(int ok, X509_STORE_CTX* store) {
  if (ok && X509_STORE_CTX_get_error_depth(store) == 0) {
    X509* cert = X509_STORE_CTX_get_current_cert(store);
    const bool has_eku = (X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) != 0;
    if (!has_eku || (X509_get_extended_key_usage(cert) & XKU_SSL_CLIENT) == 0) {
      X509_STORE_CTX_set_error(store, X509_V_ERR_INVALID_PURPOSE);
      ok = 0;
    }
  }
  return note_failure(ok, store);
}

int verify_plain(int ok, X509_STORE_CTX* store) {
  return note_failure(ok, store);
}

// Selects the profile's protocol if offered; a client that offers ALPN
// without it (h2 only to the API, not "dot" to DoT) is refused with
// no_application_protocol. A client that offers no ALPN is not asked.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) {
  const auto* profile = static_cast<const TlsProfile*>(arg);
  const auto* ours = reinterpret_cast<const unsigned char*>(profile->alpn_wire.data());
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, ours,
                            static_cast<unsigned int>(profile->alpn_wire.size()), in,
                            inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

Expected<int> load_crls(SSL_CTX* ctx, const std::string& file) {
  BIO* bio = BIO_new_file(file.c_str(), "r");
  if (!bio) return fail("[tls] crls: cannot read " + file + ": " + openssl_error());
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int n = 0;
  while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr)) {
    const int ok = X509_STORE_add_crl(store, crl);
    X509_CRL_free(crl);
    if (!ok) {
      BIO_free(bio);
      return fail("[tls] crls: " + file + ": " + openssl_error());
    }
    ++n;
  }
  ERR_clear_error();  // the loop ends on "no start line"
  BIO_free(bio);
  if (n == 0) return fail("[tls] crls: no CRL in " + file);
  return n;
}

std::string asn1_text(const ASN1_STRING* s) {
  const auto* data = ASN1_STRING_get0_data(s);
  const int len = ASN1_STRING_length(s);
  std::string out(reinterpret_cast<const char*>(data), static_cast<std::size_t>(len));
  for (unsigned char c : out) {
    if (c < 0x21 || c > 0x7e) return {};  // never match on names with odd bytes
  }
  return out;
}

std::string subject_line(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

std::string names_line(X509* cert) {
  std::string out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return "no subjectAltName";
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
    std::string s;
    if (g->type == GEN_DNS) s = "DNS:" + asn1_text(g->d.dNSName);
    if (g->type == GEN_URI) s = "URI:" + asn1_text(g->d.uniformResourceIdentifier);
    if (!s.empty()) out += (out.empty() ? "" : ", ") + s;
  }
  GENERAL_NAMES_free(names);
  return out;
}

// Renegotiation is refused (SSL_OP_NO_RENEGOTIATION): OpenSSL answers a
// TLS 1.2 client's new ClientHello with a no_renegotiation alert. The info
// callback sees that alert go out and counts it on the SSL, so that the
// connection can log the attempt with its client (take_renegotiation_attempts).
int renegotiation_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

void info_callback(const SSL* ssl, int where, int ret) {
  if ((where & SSL_CB_WRITE_ALERT) == 0 || (ret & 0xff) != SSL_AD_NO_RENEGOTIATION) return;
  auto* s = const_cast<SSL*>(ssl);
  const auto n = reinterpret_cast<std::uintptr_t>(SSL_get_ex_data(s, renegotiation_index()));
  SSL_set_ex_data(s, renegotiation_index(), reinterpret_cast<void*>(n + 1));
}

}  // namespace

int take_renegotiation_attempts(SSL* ssl) {
  const auto n = reinterpret_cast<std::uintptr_t>(SSL_get_ex_data(ssl, renegotiation_index()));
  if (n != 0) SSL_set_ex_data(ssl, renegotiation_index(), nullptr);
  return static_cast<int>(n);
}

bool peer_revoked(SSL* ssl, SSL_CTX* ctx) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return false;
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  if (store == nullptr) return false;
  bool revoked = false;
  if (X509_STORE_lock(store) != 1) return false;
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
  for (int i = 0; !revoked && i < sk_X509_OBJECT_num(objects); ++i) {
    X509_CRL* crl = X509_OBJECT_get0_X509_CRL(sk_X509_OBJECT_value(objects, i));
    if (crl == nullptr) continue;
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) != 0) continue;
    X509_REVOKED* entry = nullptr;
    revoked = X509_CRL_get0_by_cert(crl, &entry, cert) == 1;
  }
  X509_STORE_unlock(store);
  return revoked;
}

Expected<std::shared_ptr<ssl::context>> make_server_context(const TlsSection& tls,
                                                            const TlsProfile& profile) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* c = ctx->native_handle();
  ERR_clear_error();
  const int min = tls.min_version == "1.2" && !profile.tls13_only ? TLS1_2_VERSION : TLS1_3_VERSION;
  SSL_CTX_set_min_proto_version(c, min);
  SSL_CTX_set_options(
      c, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  if (min == TLS1_2_VERSION && SSL_CTX_set_cipher_list(c, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
    return fail("[tls] min_version: cannot set TLS 1.2 ciphers: " + openssl_error());
  }
  if (SSL_CTX_use_certificate_chain_file(c, tls.certificate.c_str()) != 1) {
    return fail("[tls] certificate: " + tls.certificate + ": " + openssl_error());
  }
  if (SSL_CTX_use_PrivateKey_file(c, tls.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail("[tls] private_key: " + tls.private_key + ": " + openssl_error());
  }
  if (SSL_CTX_check_private_key(c) != 1) {
    return fail("[tls] private_key: does not match the certificate: " + openssl_error());
  }
  if (SSL_CTX_load_verify_locations(c, tls.client_ca.c_str(), nullptr) != 1) {
    return fail("[tls] client_ca: " + tls.client_ca + ": " + openssl_error());
  }
  if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca.c_str())) {
    SSL_CTX_set_client_CA_list(c, names);  // tells clients which CAs we accept
  }
  for (const auto& f : tls.crls) {
    if (auto r = load_crls(c, f); !r) return fail(r.error());
  }
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(c);
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_CLIENT);
  if (!tls.crls.empty()) X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK);
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT | SSL_VERIFY_CLIENT_ONCE,
                     tls.require_client_auth_eku ? verify_with_eku : verify_plain);
  SSL_CTX_set_verify_depth(c, kMaxClientChainDepth);
  // The profiles are constants: the pointer outlives every context.
  SSL_CTX_set_alpn_select_cb(c, select_alpn, const_cast<TlsProfile*>(&profile));
  SSL_CTX_set_info_callback(c, info_callback);

  SSL_CTX_set_session_id_context(
      c, reinterpret_cast<const unsigned char*>(profile.session_context.data()),
      static_cast<unsigned int>(profile.session_context.size()));
  SSL_CTX_set_timeout(c, static_cast<long>(tls.session_lifetime_s));
  if (tls.session_tickets) {
    // Stateless tickets: no server-side cache shared (and locked) by shards.
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(c, 1);
  } else {
    SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(c, 0);
  }
  return ctx;
}

Expected<TlsContexts> make_server_contexts(const ServerConfig& config) {
  TlsContexts out;
  auto api = make_server_context(config.tls, kApiProfile);
  if (!api) return fail(api.error());
  out.api = std::move(*api);
  if (config.dns_front.enabled && !config.dns_front.tls_listen.empty()) {
    auto dot = make_server_context(config.tls, kDotProfile);
    if (!dot) return fail("[dns_front] tls_listen: " + dot.error());
    out.dot = std::move(*dot);
  }
  return out;
}

CertIdentity peer_identity(SSL* ssl) {
  CertIdentity id;
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert) return id;
  id.subject = subject_line(cert);
  X509_NAME* name = X509_get_subject_name(cert);
  const int cn = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (cn >= 0) id.common_name = asn1_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, cn)));
  if (X509_PUBKEY* pk = X509_get_X509_PUBKEY(cert)) {
    unsigned char* der = nullptr;
    const int len = i2d_X509_PUBKEY(pk, &der);
    if (len > 0) {
      unsigned char digest[SHA256_DIGEST_LENGTH];
      SHA256(der, static_cast<std::size_t>(len), digest);
      unsigned char b64[64];
      const int n = EVP_EncodeBlock(b64, digest, sizeof digest);
      id.spki_sha256.assign(reinterpret_cast<const char*>(b64), static_cast<std::size_t>(n));
    }
    OPENSSL_free(der);
  }
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
      if (g->type == GEN_DNS) {
        if (auto s = asn1_text(g->d.dNSName); !s.empty()) id.dns.push_back(std::move(s));
      } else if (g->type == GEN_URI) {
        if (auto s = asn1_text(g->d.uniformResourceIdentifier); !s.empty()) {
          id.uris.push_back(std::move(s));
        }
      }
    }
    GENERAL_NAMES_free(names);
  }
  return id;
}

std::string handshake_failure(SSL* ssl, const boost::system::error_code& ec) {
  const long v = SSL_get_verify_result(ssl);
  std::string out;
  if (v != X509_V_OK) {
    out = std::string("client certificate: ") + X509_verify_cert_error_string(v);
  } else {
    out = ec.message();
  }
  if (const auto* note = static_cast<const std::string*>(SSL_get_ex_data(ssl, note_index()))) {
    out += " [" + *note + "]";
  } else if (X509* cert = SSL_get0_peer_certificate(ssl)) {
    out += " [" + subject_line(cert) + "]";
  }
  return out;
}

bool session_resumed(SSL* ssl) {
  return SSL_session_reused(ssl) == 1;
}

}  // namespace speerd::service
