// The client directory backed by the SED store's `client` table: a verified
// certificate's SPKI pin or names map to a client, which must be enabled and,
// when its record names both a certificate name and a pin, present both.
// One per shard, on the shard's own Store handle. Answers are cached until
// the store's change counter moves (checked at most every refresh interval),
// so a busy shard does not query the store for every new connection.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "resolver/service/client_directory.hpp"
#include "sed-store/store.hpp"

namespace speerd::service {

class StoreDirectory final : public ClientDirectory {
 public:
  // `tree_names`: configured ENUM tree suffix ("e164.example.") -> tree name.
  StoreDirectory(std::unique_ptr<store::Store> store, std::map<std::string, std::string> tree_names,
                 std::chrono::milliseconds refresh);

  Expected<ClientMatch> find(const CertIdentity& id) override;
  Expected<bool> ping() override;

  // The store handle (the same thread may use it for other reads).
  store::Store& store() { return *store_; }

 private:
  Expected<ClientMatch> lookup(const CertIdentity& id);
  ClientRecord record_of(const store::Client& c) const;
  void refresh_if_due();

  std::unique_ptr<store::Store> store_;
  std::map<std::string, std::string> tree_names_;
  std::chrono::milliseconds refresh_;
  std::chrono::steady_clock::time_point next_check_{};
  std::uint64_t counter_ = 0;
  bool counter_known_ = false;
  std::unordered_map<std::string, ClientMatch> cache_;  // key: all candidates joined
};

// The client record of a store client, for every front end alike: its
// trees mapped to configured tree names (`tree_names`: folded suffix ->
// name; none known: kNoTree), its rate limit.
ClientRecord client_record(const store::Client& c,
                           const std::map<std::string, std::string>& tree_names);

// Folds a tree name from the store ("e164.arpa", "E164.Arpa.") to the form
// the configuration uses ("e164.arpa.").
std::string fold_tree(std::string tree);

}  // namespace speerd::service
