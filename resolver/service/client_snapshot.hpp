// The client directory as an in-memory snapshot (issue 12, item 1): every
// client of the SED store (identity, state, trees, rate, SPKI pin, answer
// defaults, source prefixes), loaded at start and reloaded when the store's change counter
// moves (StoreWatcher). Handshakes and requests check the snapshot, never the
// store, so a store outage refuses no known client; a client the snapshot
// does not know is refused, and before the first load every client is
// (fail closed: "not loaded yet").
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "resolver/service/client_directory.hpp"
#include "resolver/service/source_table.hpp"
#include "sed-store/model.hpp"

namespace speerd::service {

// All clients at one change counter; immutable once built.
class ClientTable {
 public:
  // `tree_names`: configured ENUM tree suffix ("e164.example.") -> tree name.
  ClientTable(std::vector<store::Client> clients,
              const std::map<std::string, std::string>& tree_names, std::uint64_t change_counter);

  // The same rules as the store's lookup: the SPKI pin first, then the SAN
  // URIs, DNS names, CN and subject; a client with both a name and a pin must
  // present both; a disabled client is refused.
  ClientMatch find(const CertIdentity& id) const;
  // The enabled clients by source prefix, for the DNS front end (a disabled
  // client's prefixes are left out: its queries are from an unknown source).
  const SourceTable& sources() const { return sources_; }

  std::size_t size() const { return clients_.size(); }
  std::uint64_t change_counter() const { return change_counter_; }

 private:
  struct Entry {
    store::Client client;
    ClientRecord record;
  };
  std::vector<Entry> clients_;
  std::unordered_map<std::string, std::size_t> by_pin_;   // spki_pin -> index
  std::unordered_map<std::string, std::size_t> by_name_;  // cert_name -> index
  SourceTable sources_;
  std::uint64_t change_counter_ = 0;
};

// The current table, shared by every shard: the watcher publishes, the
// shards' directories read. Thread safe.
class ClientSnapshot {
 public:
  using Clock = std::chrono::steady_clock;
  std::shared_ptr<const ClientTable> current() const;
  void publish(std::shared_ptr<const ClientTable> table);
  // Bumped by every publish: a reader re-reads current() only when it moved.
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }
  // Why the store has not given a table yet (for /readyz before the first load).
  void set_problem(std::string why);
  std::string problem() const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const ClientTable> table_;
  std::string problem_;
  std::atomic<std::uint64_t> version_{0};
};

// One shard's ClientDirectory on the shared snapshot.
class SnapshotDirectory final : public ClientDirectory {
 public:
  explicit SnapshotDirectory(std::shared_ptr<const ClientSnapshot> snapshot)
      : snapshot_(std::move(snapshot)) {}
  // An error only before the first load (the store has not answered since
  // the node started): the caller refuses.
  Expected<ClientMatch> find(const CertIdentity& id) override;
  Expected<bool> ping() override;

 private:
  const ClientTable* table();
  std::shared_ptr<const ClientSnapshot> snapshot_;
  std::shared_ptr<const ClientTable> table_;
  std::uint64_t seen_ = 0;
};

// Folds a tree name from the store ("e164.arpa", "E164.Arpa.") to the form
// the configuration uses ("e164.arpa.").
std::string fold_tree(std::string tree);

// The record a store client gives (scope from the configured trees: no
// known tree is no access).
ClientRecord record_of(const store::Client& c, const std::map<std::string, std::string>& folded);

}  // namespace speerd::service
