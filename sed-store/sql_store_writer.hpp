// Internal to SqlStore::apply: the Writer that handles every change of one
// write transaction, and the small helpers its handlers share. The handlers
// are defined by what they write: sql_store_write_clients.cpp (clients,
// peering offers, trust anchors), sql_store_write_destinations.cpp
// (destination groups, public identifiers), sql_store_write_routes.cpp (route
// groups, SED records); apply() itself is in sql_store_write.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "enum/expected.hpp"
#include "sed-store/json.hpp"
#include "sed-store/sql_store.hpp"

namespace speerd::store::detail {

inline Error error(ErrorCode code, std::string field, std::string message) {
  return Error{code, std::move(message), std::nullopt, std::move(field), std::nullopt};
}

// A field that fails validation: "<field> <what is wrong>".
template <typename T>
Result<T> checked(speerd::Expected<T> v, const char* field) {
  if (!v) return error(ErrorCode::invalid, field, std::string(field) + " " + v.error());
  return std::move(v).value();
}

inline std::string str(std::string_view v) {
  return std::string(v);
}
inline std::string_view sv(const std::string& s) {
  return s;
}
inline Param opt_text(const std::string& s) {
  return s.empty() ? Param{nullptr} : Param{sv(s)};
}
// NULL for a client that follows [limits].
inline Param rate_param(std::uint32_t v, const RateLimit& r) {
  return r.from_config() ? Param{nullptr} : Param{std::int64_t{v}};
}
inline std::int64_t flag(bool b) {
  return b ? 1 : 0;
}

class Writer {
 public:
  Writer(SqlStore& store, std::string actor, std::int64_t counter)
      : db_(store.db()), actor_(std::move(actor)), at_(store.now_text()), counter_(counter) {}

  // ---- client ---------------------------------------------------------------

  Result<Id> operator()(const AddClient& c);
  Result<Id> operator()(const UpdateClient& u);
  Result<Id> operator()(const RemoveClient& r);

  // ---- destination_group ----------------------------------------------------

  Result<Id> operator()(const AddDestinationGroup& a);
  Result<Id> operator()(const RemoveDestinationGroup& r);

  // ---- public_identifier ----------------------------------------------------

  // One validated AddIdentifier of a batch.
  struct Staged {
    std::string_view kind;  // a static name: to_string(IdentifierKind)
    std::string value;
    std::string end;
    Id dg = 0;
  };

  Error exists_error(const Staged& s);
  Result<Done> add_identifiers(std::span<const Change> batch, std::size_t base);
  Result<Id> operator()(const AddIdentifier& a);
  Result<Id> operator()(const RemoveIdentifier& r);

  // ---- route_group ----------------------------------------------------------

  Result<Id> operator()(const AddRouteGroup& a);
  Result<Id> operator()(const UpdateRouteGroup& u);
  Result<Id> operator()(const RemoveRouteGroup& r);
  Result<Id> operator()(const AttachDestination& a);
  Result<Id> operator()(const DetachDestination& d);

  // ---- sed_record -----------------------------------------------------------

  Result<Id> operator()(const AddSed& a);
  Result<Id> operator()(const RemoveSed& r);

  // ---- peering_offer --------------------------------------------------------

  Result<Id> operator()(const AddOffer& a);
  Result<Id> operator()(const RemoveOffer& r);

  // ---- trust_anchor ---------------------------------------------------------

  Result<Id> operator()(const AddTrustAnchor& a);
  Result<Id> operator()(const SetTrustAnchorState& s);
  Result<Id> operator()(const RemoveTrustAnchor& r);
  Result<Id> operator()(const FlushCache& f);

 private:
  Result<Done> exec(Stmt stmt, std::span<const Param> params) {
    auto n = run(db_, stmt, params);
    if (!n) return n.error();
    return Done{};
  }

  Result<Id> returning_id(Stmt stmt, std::span<const Param> params) {
    auto id = first<Id>(db_, stmt, params, [](const Row& r) { return r.integer(0); });
    if (!id) return id.error();
    if (!*id) return error(ErrorCode::internal, "", std::string(statement_name(stmt)) + ": no id");
    return **id;
  }

  Result<std::int64_t> count(Stmt stmt, std::span<const Param> params) {
    auto n = first<std::int64_t>(db_, stmt, params, [](const Row& r) { return r.integer(0); });
    if (!n) return n.error();
    return n->value_or(0);
  }

  Result<std::size_t> count_rows(Stmt stmt, std::span<const Param> params) {
    return run(db_, stmt, params);
  }

  // A create, with the after-JSON already serialized.
  Result<Done> audit(const char* action, const char* type, const std::string& key,
                     const std::string& after_json) {
    const Param params[] = {sv(at_), sv(actor_), std::string_view(action), std::string_view(type),
                            sv(key), nullptr,    sv(after_json),           counter_};
    return exec(Stmt::kAuditInsert, params);
  }

  Result<Done> audit(const char* action, const char* type, const std::string& key,
                     const Json& before, const Json& after) {
    const std::string b = before.is_null() ? std::string() : before.dump();
    const std::string a = after.is_null() ? std::string() : after.dump();
    const Param params[] = {sv(at_),
                            sv(actor_),
                            std::string_view(action),
                            std::string_view(type),
                            sv(key),
                            opt_text(b),
                            opt_text(a),
                            counter_};
    return exec(Stmt::kAuditInsert, params);
  }

  // Clients (sql_store_write_clients.cpp).
  Result<Done> client_fields(const std::string& cert, const std::string& pin, Client& n);
  Result<Done> identity_free(const Client& n, Id self);
  Result<std::vector<std::string>> normalized_trees(const std::vector<std::string>& trees);
  Result<std::uint32_t> rate_value(std::uint32_t v, const char* field);
  Result<RateLimit> client_rate(std::optional<std::uint32_t> rate,
                                std::optional<std::uint32_t> burst);
  Result<std::string> client_options(const std::string& text);
  Result<Done> insert_trees(Id client, const std::vector<std::string>& trees);
  Result<std::vector<std::string>> normalized_sources(const std::vector<std::string>& sources);
  Result<Done> insert_sources(Id client, const std::vector<std::string>& sources);
  Result<std::optional<Client>> client_by_name(const std::string& name);
  // TSIG keys (sql_store_write_tsig.cpp): adds and removes `u`'s keys to and
  // from n.tsig_keys (validated; removals first, so a rotation can reuse a
  // name), then in the table; `n` is the client after the update.
  Result<std::vector<TsigKey>> normalized_tsig_keys(const std::vector<TsigKey>& keys);
  Result<Done> insert_tsig_keys(Id client, const std::vector<TsigKey>& keys);
  Result<Done> update_tsig_keys(const UpdateClient& u, Client& n);
  Result<Client> existing_client(const std::string& raw, const char* field = "name");

  // Destination groups (sql_store_write_destinations.cpp).
  Result<std::optional<DestinationGroup>> dg_by_name(const std::string& name);
  Result<Id> dg_id(const std::string& name, const char* field);

  // Route groups (sql_store_write_routes.cpp).
  Result<std::optional<RouteGroup>> rg_by_name(const std::string& name);
  Result<RouteGroup> existing_rg(const std::string& raw, const char* field);

  // Trust anchors (sql_store_write_clients.cpp).
  Result<TrustAnchor> existing_anchor(Id id);

  // Attaches or detaches a destination group (sql_store_write_routes.cpp).
  Result<Id> link(const std::string& rg_name, const std::string& dg_name, bool attach);

  Db& db_;
  std::string actor_;
  std::string at_;
  std::int64_t counter_;
  std::unordered_map<std::string, Id> dg_cache_;
};

}  // namespace speerd::store::detail
