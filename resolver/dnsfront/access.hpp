// Who may ask over UDP and TCP: a client is known by its source prefixes
// (IPv4/IPv6 CIDR stored with the client in the SED store, managed with
// `speerctl client source`). The longest prefix that holds the source wins;
// a source no prefix holds is refused with no answer data.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "enum/expected.hpp"
#include "resolver/service/client_directory.hpp"
#include "sed-store/prefix.hpp"
#include "sed-store/store.hpp"

namespace speerd::dnsfront {

class SourceTable {
 public:
  void add(store::SourcePrefix prefix, service::ClientRecord client);
  // The client of the longest prefix holding `source`; nullptr: unknown.
  const service::ClientRecord* find(const boost::asio::ip::address& source) const;
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    store::SourcePrefix prefix;
    std::shared_ptr<const service::ClientRecord> client;
  };
  std::vector<Entry> entries_;  // longest prefix first
};

// One per shard (store handles are not shared between threads).
class SourceDirectory {
 public:
  virtual ~SourceDirectory() = default;
  // The current table; an error when it could not be read (then every
  // query is refused: fail closed).
  virtual Expected<std::shared_ptr<const SourceTable>> table() = 0;
};

// A fixed table (unit tests).
class MemorySources final : public SourceDirectory {
 public:
  explicit MemorySources(SourceTable t) : table_(std::make_shared<SourceTable>(std::move(t))) {}
  Expected<std::shared_ptr<const SourceTable>> table() override { return table_; }

 private:
  std::shared_ptr<const SourceTable> table_;
};

// The table read from the SED store's client and client_source tables,
// re-read when the store's change counter moves (checked at most every
// `refresh`). Client records are made exactly as for the API
// (service::client_record), so scope and rate are the same.
class StoreSources final : public SourceDirectory {
 public:
  StoreSources(std::unique_ptr<store::Store> store, std::map<std::string, std::string> tree_names,
               std::chrono::milliseconds refresh);
  Expected<std::shared_ptr<const SourceTable>> table() override;

 private:
  Expected<bool> reload();

  std::unique_ptr<store::Store> store_;
  std::map<std::string, std::string> tree_names_;
  std::chrono::milliseconds refresh_;
  std::chrono::steady_clock::time_point next_check_{};
  std::uint64_t counter_ = 0;
  std::shared_ptr<const SourceTable> table_;
};

}  // namespace speerd::dnsfront
