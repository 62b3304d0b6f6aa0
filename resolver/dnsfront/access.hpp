// Who may ask over UDP and TCP: a client is known by its source prefixes
// (IPv4/IPv6 CIDR stored with the client in the SED store, managed with
// `speerctl client --source`). The longest prefix that holds the source wins;
// a source no prefix holds is refused with no answer data.
//
// The prefixes are part of the client snapshot (service::ClientTable, kept
// by the store watcher, issue 12): a query is matched in memory, never with
// a store read on the shard's event loop, and a store outage refuses no
// known client.
#pragma once

#include <cstdint>
#include <memory>

#include "enum/expected.hpp"
#include "resolver/service/client_snapshot.hpp"
#include "resolver/service/source_table.hpp"

namespace speerd::dnsfront {

using service::SourceTable;

// One per shard.
class SourceDirectory {
 public:
  virtual ~SourceDirectory() = default;
  // The current table; an error when there is none (then every query is
  // refused: fail closed).
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

// The source table of the shared client snapshot, the one the HTTP API's
// SnapshotDirectory reads: client records are made alike (scope, rate,
// defaults). An error only before the first load.
class SnapshotSources final : public SourceDirectory {
 public:
  explicit SnapshotSources(std::shared_ptr<const service::ClientSnapshot> snapshot)
      : snapshot_(std::move(snapshot)) {}
  Expected<std::shared_ptr<const SourceTable>> table() override;

 private:
  std::shared_ptr<const service::ClientSnapshot> snapshot_;
  std::shared_ptr<const service::ClientTable> clients_;
  std::uint64_t seen_ = 0;
};

}  // namespace speerd::dnsfront
