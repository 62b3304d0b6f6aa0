#include "resolver/dnsfront/access.hpp"

#include <string>

namespace speerd::dnsfront {

Expected<std::shared_ptr<const SourceTable>> SnapshotSources::table() {
  // Re-read the shared pointer only when the watcher published (the
  // version is an atomic: no lock per query).
  const auto v = snapshot_->version();
  if (v != seen_ || !clients_) {
    clients_ = snapshot_->current();
    seen_ = v;
  }
  if (!clients_) {
    const auto why = snapshot_->problem();
    return fail(
        "the client snapshot is not loaded yet (the SED store has not answered since "
        "start)" +
        (why.empty() ? std::string() : ": " + why));
  }
  // Shares ownership of the whole table: valid while a newer one replaces it.
  return std::shared_ptr<const SourceTable>(clients_, &clients_->sources());
}

}  // namespace speerd::dnsfront
