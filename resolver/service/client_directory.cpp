#include "resolver/service/client_directory.hpp"

namespace speerd::service {

std::vector<std::string> CertIdentity::candidates() const {
  std::vector<std::string> out;
  if (!spki_sha256.empty()) out.push_back("sha256/" + spki_sha256);
  out.insert(out.end(), uris.begin(), uris.end());
  out.insert(out.end(), dns.begin(), dns.end());
  if (!common_name.empty()) out.push_back(common_name);
  return out;
}

Expected<ClientMatch> MemoryDirectory::find(const CertIdentity& id) {
  for (const auto& candidate : id.candidates()) {
    for (const auto& e : entries_) {
      if (e.identity == candidate) {
        ClientRecord r = e.record;
        r.matched_identity = candidate;
        return ClientMatch{std::move(r), {}};
      }
    }
  }
  return ClientMatch{std::nullopt, "no client record"};
}

}  // namespace speerd::service
