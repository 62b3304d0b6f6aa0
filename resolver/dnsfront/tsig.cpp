#include "resolver/dnsfront/tsig.hpp"

#include <stdbool.h>  // before ldns, which otherwise defines bool, true and false

#include <ldns/ldns.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <string>

#include "resolver/dns/ldns_ptr.hpp"

namespace speerd::dnsfront {
namespace {

using dns::Buffer;
using dns::Pkt;
using dns::Rdf;
using dns::to_wire;

Pkt parse(std::span<const std::uint8_t> wire) {
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, wire.data(), wire.size()) != LDNS_STATUS_OK) {
    if (raw != nullptr) ldns_pkt_free(raw);
    return nullptr;
  }
  return Pkt(raw);
}

// An INT16_DATA field: a 16-bit length, then the bytes (MAC, Other Data).
ldns_rdf* int16_data(std::span<const std::uint8_t> bytes) {
  std::vector<std::uint8_t> data(2 + bytes.size());
  ldns_write_uint16(data.data(), static_cast<std::uint16_t>(bytes.size()));
  std::copy(bytes.begin(), bytes.end(), data.begin() + 2);
  return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, data.size(), data.data());
}

std::array<std::uint8_t, 6> time48(std::uint64_t t) {
  std::array<std::uint8_t, 6> out{};
  ldns_write_uint64_as_uint48(out.data(), t);
  return out;
}

// A TSIG record (RFC 8945 4.2) with these fields; nullptr when ldns fails.
ldns_rr* tsig_rr(const TsigRecord& t, std::uint64_t time_signed, std::span<const std::uint8_t> mac,
                 std::uint16_t error, std::span<const std::uint8_t> other) {
  ldns_rdf* owner = ldns_dname_new_frm_str(t.key_name.c_str());
  const auto time = time48(time_signed);
  ldns_rdf* fields[] = {ldns_dname_new_frm_str(t.algorithm.c_str()),
                        ldns_rdf_new_frm_data(LDNS_RDF_TYPE_TSIGTIME, time.size(), time.data()),
                        ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, kTsigFudge),
                        int16_data(mac),
                        ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, t.original_id),
                        ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, error),
                        int16_data(other)};
  bool ok = owner != nullptr;
  for (auto* f : fields) ok = ok && f != nullptr;
  if (!ok) {
    if (owner != nullptr) ldns_rdf_deep_free(owner);
    for (auto* f : fields) {
      if (f != nullptr) ldns_rdf_deep_free(f);
    }
    return nullptr;
  }
  ldns_rr* rr = ldns_rr_new();
  ldns_rr_set_owner(rr, owner);
  ldns_rr_set_type(rr, LDNS_RR_TYPE_TSIG);
  ldns_rr_set_class(rr, LDNS_RR_CLASS_ANY);
  ldns_rr_set_ttl(rr, 0);
  for (auto* f : fields) ldns_rr_push_rdf(rr, f);
  return rr;
}

// The MAC of a signed error answer (BADTIME), which ldns's signer cannot
// make (it writes error 0 and no Other Data): HMAC-SHA256 over the request
// MAC, the answer without its TSIG and the TSIG variables (RFC 8945 4.3.3),
// the fields written by ldns, the HMAC by OpenSSL.
std::vector<std::uint8_t> error_mac(const ldns_pkt* answer, const TsigRecord& t,
                                    const TsigSecret& key, std::uint64_t time_signed,
                                    std::uint16_t error, std::span<const std::uint8_t> other) {
  ldns_rdf* raw = nullptr;
  const std::string secret(key.secret);
  if (ldns_str2rdf_b64(&raw, secret.c_str()) != LDNS_STATUS_OK || raw == nullptr) return {};
  Rdf secret_bytes(raw);
  Rdf key_name(ldns_dname_new_frm_str(t.key_name.c_str()));
  Rdf algorithm(ldns_dname_new_frm_str(t.algorithm.c_str()));
  const auto message = to_wire(answer);
  if (!key_name || !algorithm || message.empty()) return {};
  // Room for all of it up front: ldns_buffer_write does not grow the buffer
  // (and only asserts the room), so no write may go past this.
  const std::size_t room = 2 + t.mac.size() + message.size() + ldns_rdf_size(key_name.get()) + 2 +
                           4 + ldns_rdf_size(algorithm.get()) + 6 + 2 + 2 + 2 + other.size();
  Buffer b(ldns_buffer_new(room));
  if (!b) return {};
  ldns_buffer* buf = b.get();
  const auto write = [buf](std::span<const std::uint8_t> bytes) {
    if (!bytes.empty()) ldns_buffer_write(buf, bytes.data(), bytes.size());  // memcpy: no null
  };
  ldns_buffer_write_u16(buf, static_cast<std::uint16_t>(t.mac.size()));
  write(t.mac);
  write(message);
  ldns_dname2canonical(key_name.get());
  ldns_dname2buffer_wire(buf, key_name.get());
  ldns_buffer_write_u16(buf, LDNS_RR_CLASS_ANY);
  ldns_buffer_write_u32(buf, 0);
  ldns_dname2canonical(algorithm.get());
  ldns_dname2buffer_wire(buf, algorithm.get());
  write(time48(time_signed));
  ldns_buffer_write_u16(buf, kTsigFudge);
  ldns_buffer_write_u16(buf, error);
  ldns_buffer_write_u16(buf, static_cast<std::uint16_t>(other.size()));
  write(other);
  if (ldns_buffer_position(buf) != room) return {};
  if (ldns_buffer_status(buf) != LDNS_STATUS_OK) return {};
  std::vector<std::uint8_t> mac(EVP_MAX_MD_SIZE);
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), ldns_rdf_data(secret_bytes.get()),
           static_cast<int>(ldns_rdf_size(secret_bytes.get())), ldns_buffer_begin(buf),
           ldns_buffer_position(buf), mac.data(), &size) == nullptr) {
    return {};
  }
  mac.resize(size);
  return mac;
}

}  // namespace

std::uint16_t tsig_error_of(TsigResult r) {
  switch (r) {
    case TsigResult::badkey:
      return tsig_error::kBadKey;
    case TsigResult::badsig:
      return tsig_error::kBadSig;
    case TsigResult::badtime:
      return tsig_error::kBadTime;
    case TsigResult::ok:
    case TsigResult::missing:
      return 0;
  }
  return 0;
}

TsigResult verify_tsig(std::span<const std::uint8_t> wire, const TsigRecord& t,
                       const TsigSecret* key, std::uint64_t now) {
  if (key == nullptr || t.algorithm != kHmacSha256) return TsigResult::badkey;
  Pkt pkt = parse(wire);
  if (!pkt || ldns_pkt_tsig(pkt.get()) == nullptr) return TsigResult::badsig;
  const std::string name(key->name);
  const std::string secret(key->secret);
  if (!ldns_pkt_tsig_verify(pkt.get(), wire.data(), wire.size(), name.c_str(), secret.c_str(),
                            nullptr)) {
    return TsigResult::badsig;
  }
  // The client's fudge, but never wider than speerd's: a replay window is
  // the server's policy.
  const std::uint64_t fudge = std::min(t.fudge, kTsigFudge);
  if (now + fudge < t.time_signed || now > t.time_signed + fudge) return TsigResult::badtime;
  return TsigResult::ok;
}

std::vector<std::uint8_t> sign_answer(std::span<const std::uint8_t> wire, const TsigRecord& t,
                                      const TsigSecret* key, TsigResult result, std::uint64_t now) {
  Pkt pkt = parse(wire);
  if (!pkt) return {};
  // ok and badtime follow a verified request, whose MAC is HMAC-SHA256's
  // 32 bytes (what ldns's signer also assumes: it does not grow its buffer).
  const bool signs = result == TsigResult::ok || result == TsigResult::badtime;
  if (signs && t.mac.size() != 32) return {};
  if (result == TsigResult::ok) {
    if (key == nullptr) return {};
    Rdf request_mac(int16_data(t.mac));
    const std::string name(key->name);
    const std::string secret(key->secret);
    const std::string algorithm(kHmacSha256);
    if (!request_mac ||
        ldns_pkt_tsig_sign(pkt.get(), name.c_str(), secret.c_str(), kTsigFudge, algorithm.c_str(),
                           request_mac.get()) != LDNS_STATUS_OK) {
      return {};
    }
    return to_wire(pkt.get());
  }
  const std::uint16_t error = tsig_error_of(result);
  ldns_rr* rr = nullptr;
  if (result == TsigResult::badtime) {
    // Signed (5.2.3): the request's time, so the client can verify it, and
    // the server's in Other Data.
    if (key == nullptr) return {};
    const auto server_time = time48(now);
    const auto mac = error_mac(pkt.get(), t, *key, t.time_signed, error, server_time);
    if (mac.empty()) return {};
    rr = tsig_rr(t, t.time_signed, mac, error, server_time);
  } else {
    // Unsigned (5.3.2): no MAC, the error says why.
    rr = tsig_rr(t, now, {}, error, {});
  }
  if (rr == nullptr) return {};
  ldns_pkt_set_tsig(pkt.get(), rr);
  return to_wire(pkt.get());
}

std::size_t tsig_size(const TsigRecord& t) {
  // Owner, type, class, TTL, RDLENGTH; algorithm, time (6), fudge, MAC size
  // and a SHA-256 MAC, original id, error, Other Len and 6 bytes of time.
  return (t.key_name.size() + 1) + 10 + (kHmacSha256.size() + 1) + 6 + 2 + 2 + 32 + 2 + 2 + 2 + 6;
}

}  // namespace speerd::dnsfront
