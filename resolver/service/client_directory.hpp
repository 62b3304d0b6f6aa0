// Who may use the API: a client certificate's identity maps to a client
// record, which gives its scope and rate limit. The real directory reads the
// SED store's `client` table as a snapshot (client_snapshot.hpp); tests use
// MemoryDirectory.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "enum/client_options.hpp"
#include "enum/expected.hpp"
#include "resolver/pipeline/result.hpp"

namespace speerd::service {

// What a verified client certificate says about its holder. Identities are
// tried in this order: SPKI pin, SAN URIs, SAN DNS names.
struct CertIdentity {
  std::string spki_sha256;        // base64 of SHA-256 over the DER SubjectPublicKeyInfo
  std::vector<std::string> uris;  // subjectAltName URIs
  std::vector<std::string> dns;   // subjectAltName DNS names
  std::string common_name;        // subject CN (tried after the SAN names)
  std::string subject;            // one-line subject DN, for logs

  // The identity strings to look up, in order ("sha256/<b64>" for the pin,
  // then URIs, DNS names, the CN).
  std::vector<std::string> candidates() const;
};

struct RateLimit {
  std::int64_t per_second = 0;
  std::int64_t burst = 0;
};

struct ClientRecord {
  std::string id;                 // stable client name, used in logs, metrics and rate limits
  pipeline::ClientScope scope;    // what the client may see
  std::optional<RateLimit> rate;  // unset: the [limits] defaults
  std::string matched_identity;   // which candidate matched
  // Default answer options and dial plan (a request's own options win).
  luf::ClientOptions defaults;
  // The DNS front end refuses its unsigned UDP/TCP queries (TSIG, RFC 8945).
  bool tsig_required = false;
};

// The answer for one certificate: the client, or why there is none
// ("no client record", "client disabled", ...: for the refusal log only).
struct ClientMatch {
  std::optional<ClientRecord> record;
  std::string refusal;
};

// One per shard (store handles are not shared between threads). Called on
// the shard's thread, once per new connection.
class ClientDirectory {
 public:
  virtual ~ClientDirectory() = default;
  // An error: the directory itself failed (store unreachable); the
  // connection is refused either way.
  virtual Expected<ClientMatch> find(const CertIdentity& id) = 0;
  // Cheap reachability check for /readyz.
  virtual Expected<bool> ping() = 0;
};

// A fixed table, keyed by identity string (tests, and speerd without a store).
class MemoryDirectory final : public ClientDirectory {
 public:
  struct Entry {
    std::string identity;  // one of CertIdentity::candidates()
    ClientRecord record;
  };
  explicit MemoryDirectory(std::vector<Entry> entries) : entries_(std::move(entries)) {}
  Expected<ClientMatch> find(const CertIdentity& id) override;
  Expected<bool> ping() override { return true; }

 private:
  std::vector<Entry> entries_;
};

}  // namespace speerd::service
