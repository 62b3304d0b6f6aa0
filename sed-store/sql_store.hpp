// Internal: the Store implementation, written once against detail::Db and
// shared by both backends. sql_store.cpp: opening, schema, lookups, listings;
// sql_store_write.cpp: apply(); sql_store_writer.hpp and
// sql_store_write_*.cpp: its per-change handlers.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "sed-store/db.hpp"
#include "sed-store/store.hpp"

namespace speerd::store::detail {

class SqlStore final : public Store {
 public:
  SqlStore(std::unique_ptr<Db> db, OpenOptions options);

  // Checks that the database is a speerd store at a version this build
  // accepts; with options.create, initializes an empty one.
  Result<Done> attach();

  speerd::Expected<std::optional<Destination>> find_destination(std::string_view e164_digits,
                                                                ClientRef client) override;
  speerd::Expected<std::optional<Destination>> find_routing_number(std::string_view rn_digits,
                                                                   ClientRef client) override;
  speerd::Expected<bool> is_provisioned_target(Id destination_group_id,
                                               std::string_view host) override;
  speerd::Expected<std::vector<SedRecord>> find_routes_to_host(std::string_view host,
                                                               ClientRef client) override;
  speerd::Expected<std::optional<Client>> find_client(const ClientIdentity& identity) override;
  speerd::Expected<std::vector<TrustAnchor>> trust_anchors() override;
  speerd::Expected<std::uint64_t> change_counter() override;
  speerd::Expected<std::vector<ChangeLogEntry>> changes_since(std::uint64_t after,
                                                              std::size_t limit) override;

  Result<ApplyReport> apply(std::span<const Change> changes, const WriteContext& ctx) override;
  Result<StoreInfo> info() override;
  Result<std::vector<Client>> list_clients() override;
  Result<std::vector<DestinationGroup>> list_destination_groups() override;
  Result<std::vector<PublicIdentifier>> list_identifiers(const IdentifierPage& page) override;
  Result<std::vector<RouteGroup>> list_route_groups() override;
  Result<std::vector<SedRecord>> list_sed(std::optional<std::string> route_group) override;
  Result<std::vector<PeeringOffer>> list_offers() override;
  Result<std::vector<TrustAnchor>> list_trust_anchors() override;
  Result<std::vector<AuditEntry>> list_audit(const AuditQuery& query) override;
  Result<Done> read_snapshot(const std::function<Result<Done>()>& fn) override;
  Result<int> migrate() override;

  Db& db() { return *db_; }
  std::string now_text() const;

 private:
  Result<int> read_schema_version();
  // Idempotent writes (sql_store_write.cpp).
  Result<std::optional<std::uint64_t>> recorded_operation(const WriteContext& ctx);
  Result<Done> record_operation(const WriteContext& ctx, const std::string& actor,
                                std::int64_t counter);
  speerd::Expected<std::optional<Destination>> lookup_number(std::string_view digits,
                                                             ClientRef client);
  template <typename F>
  auto in_read_tx(F&& body) -> decltype(body());
  Result<std::optional<Destination>> match_to_destination(Id dg, PublicIdentifier matched,
                                                          ClientRef client);

  std::unique_ptr<Db> db_;
  OpenOptions options_;

  // SED per (destination group, client), valid while the database's data
  // version stays the same (SQLite only: any write, by anyone, changes it and
  // empties the cache). Saves the six-table join on the lookup path.
  struct RouteKey {
    Id destination_group;
    Id client;
    bool operator==(const RouteKey&) const = default;
  };
  struct RouteKeyHash {
    std::size_t operator()(const RouteKey& k) const {
      return std::hash<Id>()(k.destination_group) * 31 + std::hash<Id>()(k.client);
    }
  };
  struct CachedRoutes {
    std::string destination_group;
    std::vector<SedRecord> routes;
  };
  std::optional<std::uint64_t> route_cache_version_;
  std::unordered_map<RouteKey, CachedRoutes, RouteKeyHash> route_cache_;
};

// Row readers shared by the read and write paths (column orders are those of
// the SPEERD_*_COLS lists in statements.cpp).
Client read_client(const Row& r);
TsigKey read_tsig_key(const Row& r);  // key_name, algorithm, secret
SedRecord read_sed(const Row& r);
TrustAnchor read_trust_anchor(const Row& r);
RouteGroup read_route_group(const Row& r);
PublicIdentifier read_identifier(const Row& r);

// Runs a statement with params, collecting rows with `read`.
template <typename T, typename Read>
Result<std::vector<T>> collect(Db& db, Stmt stmt, std::span<const Param> params, Read read) {
  std::vector<T> out;
  auto on_row = [&](const Row& r) { out.push_back(read(r)); };
  auto n = db.run(stmt, params, RowFn(on_row));
  if (!n) return n.error();
  return out;
}

// Runs a statement expected to return at most one row.
template <typename T, typename Read>
Result<std::optional<T>> first(Db& db, Stmt stmt, std::span<const Param> params, Read read) {
  std::optional<T> out;
  auto on_row = [&](const Row& r) {
    if (!out) out = read(r);
  };
  auto n = db.run(stmt, params, RowFn(on_row));
  if (!n) return n.error();
  return out;
}

}  // namespace speerd::store::detail
