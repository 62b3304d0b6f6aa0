#include "resolver/server/client_directory.hpp"

namespace speerd::server {

std::vector<std::string> CertIdentity::candidates() const {
  std::vector<std::string> out;
  if (!spki_sha256.empty()) out.push_back("sha256/" + spki_sha256);
  out.insert(out.end(), uris.begin(), uris.end());
  out.insert(out.end(), dns.begin(), dns.end());
  return out;
}

Expected<std::optional<ClientRecord>> MemoryDirectory::find(const CertIdentity& id) {
  for (const auto& candidate : id.candidates()) {
    for (const auto& e : entries_) {
      if (e.identity == candidate) {
        ClientRecord r = e.record;
        r.matched_identity = candidate;
        return std::optional<ClientRecord>(std::move(r));
      }
    }
  }
  return std::optional<ClientRecord>();
}

}  // namespace speerd::server
