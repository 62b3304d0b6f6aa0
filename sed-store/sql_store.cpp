// SqlStore: opening and schema checks, the lookup contract, listings.
#include "sed-store/sql_store.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <unordered_map>

#include "sed-store/limits.hpp"
#include "sed-store/migrations.hpp"
#include "sed-store/validate.hpp"

namespace speerd::store::detail {
namespace {

// The resolver passes normalized AUS digits; anything else is a caller bug,
// reported as a failure value (never a silent miss).
bool is_e164_digits(std::string_view s) {
  if (s.empty() || s.size() > kMaxDigits) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string str(std::string_view v) {
  return std::string(v);
}

speerd::Unexpected<std::string> failure(const Error& e) {
  return speerd::fail(e.message);
}

template <typename T>
speerd::Expected<T> plain(Result<T>&& r) {
  if (!r) return speerd::fail(r.error().message);
  return std::move(r).value();
}

Result<std::int64_t> scalar(Db& db, Stmt stmt, std::span<const Param> params = {}) {
  std::int64_t v = 0;
  auto on_row = [&](const Row& r) { v = r.is_null(0) ? 0 : r.integer(0); };
  auto n = db.run(stmt, params, RowFn(on_row));
  if (!n) return n.error();
  return v;
}

}  // namespace

// ---------------------------------------------------------------------------
// Row readers.

Client read_client(const Row& r) {
  Client c;
  c.id = r.integer(0);
  c.name = str(r.text(1));
  if (!r.is_null(2)) c.cert_name = str(r.text(2));
  if (!r.is_null(3)) c.spki_pin = str(r.text(3));
  // NULL: the client follows [limits] (per_second 0).
  if (!r.is_null(4)) c.rate.per_second = static_cast<std::uint32_t>(r.integer(4));
  if (!r.is_null(5)) c.rate.burst = static_cast<std::uint32_t>(r.integer(5));
  c.enabled = r.integer(6) != 0;
  c.description = str(r.text(7));
  c.options = str(r.text(8));
  c.tsig_required = r.integer(9) != 0;
  return c;
}

TsigKey read_tsig_key(const Row& r) {
  return TsigKey{str(r.text(0)), str(r.text(1)), str(r.text(2))};
}

SedRecord read_sed(const Row& r) {
  SedRecord s;
  s.id = r.integer(0);
  s.route_group_id = r.integer(1);
  s.route_group = str(r.text(2));
  s.route_group_priority = static_cast<int>(r.integer(3));
  s.kind = parse_sed_kind(r.text(4)).value_or(SedKind::next_hop);
  s.uri = str(r.text(5));
  s.host = str(r.text(6));
  s.port = static_cast<std::uint16_t>(r.integer(7));
  s.transport = str(r.text(8));
  s.priority = static_cast<int>(r.integer(9));
  return s;
}

TrustAnchor read_trust_anchor(const Row& r) {
  TrustAnchor t;
  t.id = r.integer(0);
  t.zone = str(r.text(1));
  t.kind = parse_anchor_kind(r.text(2)).value_or(AnchorKind::ds);
  t.rr = str(r.text(3));
  t.key_tag = static_cast<int>(r.integer(4));
  t.state = parse_anchor_state(r.text(5)).value_or(AnchorState::inactive);
  t.added_by = str(r.text(6));
  t.added_at = str(r.text(7));
  return t;
}

RouteGroup read_route_group(const Row& r) {
  RouteGroup g;
  g.id = r.integer(0);
  g.name = str(r.text(1));
  g.priority = static_cast<int>(r.integer(2));
  g.enabled = r.integer(3) != 0;
  g.description = str(r.text(4));
  return g;
}

PublicIdentifier read_identifier(const Row& r) {
  PublicIdentifier p;
  p.destination_group = str(r.text(0));
  p.kind = parse_identifier_kind(r.text(1)).value_or(IdentifierKind::number);
  p.value = str(r.text(2));
  if (!r.is_null(3)) p.end = str(r.text(3));
  return p;
}

// ---------------------------------------------------------------------------
// Opening and schema.

SqlStore::SqlStore(std::unique_ptr<Db> db, OpenOptions options)
    : db_(std::move(db)), options_(std::move(options)) {}

std::string SqlStore::now_text() const {
  const auto t = options_.clock ? options_.clock() : std::chrono::system_clock::now();
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 96> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(us % 1'000'000));
  return buf.data();
}

Result<int> SqlStore::read_schema_version() {
  auto tables = scalar(*db_, Stmt::kCountSpeerdTables);
  if (!tables) return tables.error();
  if (*tables == 0) return 0;
  if (*tables != 2) {
    return make_error(ErrorCode::not_a_store,
                      "the database holds part of a speerd store (schema_version or "
                      "store_meta missing): not a usable speerd store");
  }
  std::string application;
  auto on_meta = [&](const Row& r) { application = str(r.text(0)); };
  if (auto n = db_->run(Stmt::kMetaRead, {}, RowFn(on_meta)); !n) return n.error();
  if (application != "speerd-sed-store") {
    return make_error(ErrorCode::not_a_store, "the database is not a speerd store");
  }
  auto v = scalar(*db_, Stmt::kSchemaVersion);
  if (!v) return v.error();
  return static_cast<int>(*v);
}

Result<Done> SqlStore::attach() {
  auto version = read_schema_version();
  if (!version) return version.error();
  const int known = ::speerd::store::known_schema_version();
  if (*version == 0) {
    auto all = scalar(*db_, Stmt::kCountAllTables);
    if (!all) return all.error();
    if (*all > 0) {
      return make_error(ErrorCode::not_a_store, "the database holds " + std::to_string(*all) +
                                                    " tables but no speerd store; not touched");
    }
    if (!options_.create) {
      return make_error(ErrorCode::not_a_store,
                        "the database is empty (no speerd store yet): run speerctl store init");
    }
    auto done = migrate();
    if (!done) return done.error();
    return Done{};
  }
  if (*version > known) {
    return make_error(ErrorCode::schema_too_new,
                      "the store's schema version " + std::to_string(*version) +
                          " is newer than this build knows (" + std::to_string(known) +
                          "): upgrade speerd/speerctl; the store was not touched");
  }
  if (*version < known && !options_.allow_old_schema) {
    return make_error(ErrorCode::schema_too_old,
                      "the store's schema version " + std::to_string(*version) +
                          " is older than this build's (" + std::to_string(known) +
                          "): run speerctl store migrate");
  }
  return Done{};
}

Result<int> SqlStore::migrate() {
  if (auto ok = db_->begin(TxMode::write); !ok) return ok.error();
  auto fail = [&](Error e) -> Result<int> {
    db_->rollback();
    return e;
  };
  if (auto ok = run(*db_, Stmt::kMigrationLock, {}); !ok) return fail(ok.error());
  auto version = read_schema_version();
  if (!version) return fail(version.error());
  const int known = ::speerd::store::known_schema_version();
  if (*version > known) {
    return fail(make_error(ErrorCode::schema_too_new,
                           "the store's schema version " + std::to_string(*version) +
                               " is newer than this build knows (" + std::to_string(known) + ")"));
  }
  if (*version == known) {
    db_->rollback();
    return known;
  }
  const std::string at = now_text();
  for (const Migration& m : migrations(db_->dialect())) {
    if (m.version <= *version) continue;
    if (auto ok = db_->exec_migration(m); !ok) return fail(ok.error());
    const Param params[] = {std::int64_t{m.version}, std::string_view(m.name),
                            std::string_view(at)};
    if (auto ok = run(*db_, Stmt::kSchemaInsert, params); !ok) return fail(ok.error());
  }
  // Nodes reload after a schema change like after any other write.
  if (auto ok = run(*db_, Stmt::kBumpCounter, {}); !ok) return fail(ok.error());
  if (auto ok = db_->commit(); !ok) return ok.error();
  return known;
}

// ---------------------------------------------------------------------------
// The lookup contract.

Result<std::optional<Destination>> SqlStore::match_to_destination(Id dg, PublicIdentifier matched,
                                                                  ClientRef client) {
  Destination d;
  d.destination_group_id = dg;
  const RouteKey key{dg, client.id};
  const auto version = db_->in_transaction() ? db_->data_version() : std::optional<std::uint64_t>{};
  if (version && version != route_cache_version_) {
    route_cache_.clear();
    route_cache_version_ = version;
  }
  if (auto it = version ? route_cache_.find(key) : route_cache_.end(); it != route_cache_.end()) {
    d.destination_group = it->second.destination_group;
    d.routes = it->second.routes;
  } else {
    auto on_row = [&](const Row& r) {
      d.routes.push_back(read_sed(r));
      if (d.destination_group.empty()) d.destination_group = str(r.text(10));
    };
    const Param params[] = {dg, client.id};
    auto n = db_->run(Stmt::kRoutes, params, RowFn(on_row));
    if (!n) return n.error();
    if (version) {
      if (route_cache_.size() >= kRouteCacheEntries) route_cache_.clear();
      route_cache_[key] = CachedRoutes{d.destination_group, d.routes};
    }
  }
  if (d.routes.empty()) return std::optional<Destination>{};
  matched.destination_group = d.destination_group;
  d.matched = std::move(matched);
  return std::optional<Destination>(std::move(d));
}

// SQLite: runs a lookup's statements in one read transaction, i.e. one WAL
// read lock (a few fcntl calls) instead of one per statement, which is a good
// part of the cost of a small query. PostgreSQL: BEGIN and COMMIT would be two
// more round trips, so each statement runs on its own.
template <typename F>
auto SqlStore::in_read_tx(F&& body) -> decltype(body()) {
  if (db_->dialect() != Dialect::sqlite || db_->in_transaction()) return body();
  if (auto ok = db_->begin(TxMode::read); !ok) return failure(ok.error());
  auto r = body();
  if (!r) {
    db_->rollback();
    return r;
  }
  if (auto ok = db_->commit(); !ok) return failure(ok.error());
  return r;
}

speerd::Expected<std::optional<Destination>> SqlStore::find_destination(std::string_view digits,
                                                                        ClientRef client) {
  if (!is_e164_digits(digits)) {
    return speerd::fail("find_destination: the number must be 1-15 ASCII digits");
  }
  return in_read_tx([&] { return lookup_number(digits, client); });
}

speerd::Expected<std::optional<Destination>> SqlStore::lookup_number(std::string_view digits,
                                                                     ClientRef client) {
  bool found = false;
  Id dg = 0;
  PublicIdentifier m;
  auto on_row = [&](const Row& r) {
    found = true;
    dg = r.integer(0);
    m.value = str(r.text(1));
    m.end = r.is_null(2) ? std::string() : str(r.text(2));
  };
  // 1. An exact number.
  {
    const Param params[] = {std::string_view("number"), digits};
    if (auto n = db_->run(Stmt::kFindExact, params, RowFn(on_row)); !n) return failure(n.error());
    m.kind = IdentifierKind::number;
  }
  // 2. The one range that can hold it (same length; ranges never overlap).
  if (!found) {
    const Param params[] = {static_cast<std::int64_t>(digits.size()), digits};
    if (auto n = db_->run(Stmt::kFindRange, params, RowFn(on_row)); !n) return failure(n.error());
    if (found && m.end < digits) found = false;
    m.kind = IdentifierKind::range;
  }
  // 3. The longest prefix.
  if (!found && db_->dialect() == Dialect::sqlite) {
    // SQLite: walk down from the greatest prefix <= the number. If that one is
    // a prefix of the number it is the longest (a longer one would sort
    // between it and the number); if not, every prefix of the number is a
    // prefix of their common part, so search again below that. Usually one
    // or two searches, against fifteen for trying every length.
    std::string_view want = digits;
    while (!want.empty() && !found) {
      const Param params[] = {want};
      if (auto n = db_->run(Stmt::kFindPrefixAtMost, params, RowFn(on_row)); !n) {
        return failure(n.error());
      }
      if (!found) break;
      if (digits.substr(0, m.value.size()) == m.value) break;
      found = false;
      std::size_t common = 0;
      while (common < m.value.size() && common < want.size() && m.value[common] == want[common]) {
        ++common;
      }
      want = want.substr(0, common);
    }
    m.kind = IdentifierKind::prefix;
  } else if (!found) {
    // PostgreSQL: one round trip that tries every length.
    std::array<Param, kMaxDigits> params;
    for (std::size_t i = 0; i < kMaxDigits; ++i) {
      params[i] = i < digits.size() ? Param{digits.substr(0, i + 1)} : Param{nullptr};
    }
    if (auto n = db_->run(Stmt::kFindPrefix, params, RowFn(on_row)); !n) return failure(n.error());
    m.kind = IdentifierKind::prefix;
  }
  if (!found) return std::optional<Destination>{};
  return plain(match_to_destination(dg, std::move(m), client));
}

speerd::Expected<std::optional<Destination>> SqlStore::find_routing_number(std::string_view rn,
                                                                           ClientRef client) {
  if (!is_e164_digits(rn)) {
    return speerd::fail("find_routing_number: the routing number must be 1-15 ASCII digits");
  }
  bool found = false;
  Id dg = 0;
  PublicIdentifier m;
  m.kind = IdentifierKind::routing_number;
  auto on_row = [&](const Row& r) {
    found = true;
    dg = r.integer(0);
    m.value = str(r.text(1));
  };
  return in_read_tx([&]() -> speerd::Expected<std::optional<Destination>> {
    const Param params[] = {std::string_view("rn"), rn};
    if (auto n = db_->run(Stmt::kFindExact, params, RowFn(on_row)); !n) return failure(n.error());
    if (!found) return std::optional<Destination>{};
    return plain(match_to_destination(dg, std::move(m), client));
  });
}

speerd::Expected<bool> SqlStore::is_provisioned_target(Id destination_group_id,
                                                       std::string_view host_text) {
  auto h = validate::host(host_text);
  if (!h) return false;  // not a host name: cannot be a provisioned one
  const Param params[] = {destination_group_id, std::string_view(*h)};
  auto n = run(*db_, Stmt::kProvisionedTarget, params);
  if (!n) return speerd::fail(n.error().message);
  return *n > 0;
}

speerd::Expected<std::vector<SedRecord>> SqlStore::find_routes_to_host(std::string_view host_text,
                                                                       ClientRef client) {
  auto h = validate::host(host_text);
  if (!h) return std::vector<SedRecord>{};
  const Param params[] = {std::string_view(*h), client.id};
  return plain(collect<SedRecord>(*db_, Stmt::kRoutesToHost, params, read_sed));
}

speerd::Expected<std::optional<Client>> SqlStore::find_client(const ClientIdentity& identity) {
  const Stmt stmt =
      identity.kind == ClientIdentity::Kind::cert_name ? Stmt::kClientByCert : Stmt::kClientByPin;
  if (identity.value.empty() || identity.value.size() > kMaxCertNameLength ||
      identity.value.find('\0') != std::string::npos) {
    return std::optional<Client>{};
  }
  const Param params[] = {std::string_view(identity.value)};
  auto c = first<Client>(*db_, stmt, params, read_client);
  if (!c) return speerd::fail(c.error().message);
  if (!*c) return std::optional<Client>{};
  const Param tree_params[] = {(*c)->id};
  auto trees = collect<std::string>(*db_, Stmt::kClientTrees, tree_params,
                                    [](const Row& r) { return str(r.text(0)); });
  if (!trees) return speerd::fail(trees.error().message);
  (*c)->trees = std::move(*trees);
  auto sources = collect<std::string>(*db_, Stmt::kClientSources, tree_params,
                                      [](const Row& r) { return str(r.text(0)); });
  if (!sources) return speerd::fail(sources.error().message);
  (*c)->sources = std::move(*sources);
  auto keys = collect<TsigKey>(*db_, Stmt::kClientTsigKeys, tree_params, read_tsig_key);
  if (!keys) return speerd::fail(keys.error().message);
  (*c)->tsig_keys = std::move(*keys);
  return std::move(*c);
}

speerd::Expected<std::vector<TrustAnchor>> SqlStore::trust_anchors() {
  return plain(collect<TrustAnchor>(*db_, Stmt::kTaActive, {}, read_trust_anchor));
}

speerd::Expected<std::uint64_t> SqlStore::change_counter() {
  std::uint64_t v = 0;
  auto on_row = [&](const Row& r) { v = static_cast<std::uint64_t>(r.integer(1)); };
  auto n = db_->run(Stmt::kMetaRead, {}, RowFn(on_row));
  if (!n) return speerd::fail(n.error().message);
  return v;
}

// ---------------------------------------------------------------------------
// Listings.

Result<StoreInfo> SqlStore::info() {
  StoreInfo i;
  i.backend = std::string(db_->backend_name());
  auto version = read_schema_version();
  if (!version) return version.error();
  i.schema_version = *version;
  auto counter = change_counter();
  if (!counter) return make_error(ErrorCode::unavailable, counter.error());
  i.change_counter = *counter;
  auto on_row = [&](const Row& r) {
    i.clients = static_cast<std::uint64_t>(r.integer(0));
    i.destination_groups = static_cast<std::uint64_t>(r.integer(1));
    i.public_identifiers = static_cast<std::uint64_t>(r.integer(2));
    i.route_groups = static_cast<std::uint64_t>(r.integer(3));
    i.sed_records = static_cast<std::uint64_t>(r.integer(4));
    i.peering_offers = static_cast<std::uint64_t>(r.integer(5));
    i.trust_anchors = static_cast<std::uint64_t>(r.integer(6));
    i.audit_entries = static_cast<std::uint64_t>(r.integer(7));
  };
  if (auto n = db_->run(Stmt::kCounts, {}, RowFn(on_row)); !n) return n.error();
  return i;
}

Result<std::vector<Client>> SqlStore::list_clients() {
  auto clients = collect<Client>(*db_, Stmt::kClientList, {}, read_client);
  if (!clients) return clients.error();
  std::unordered_map<Id, std::size_t> index;
  for (std::size_t i = 0; i < clients->size(); ++i) index[(*clients)[i].id] = i;
  auto on_tree = [&](const Row& r) {
    if (auto it = index.find(r.integer(0)); it != index.end()) {
      (*clients)[it->second].trees.push_back(str(r.text(1)));
    }
  };
  if (auto n = db_->run(Stmt::kClientTreesAll, {}, RowFn(on_tree)); !n) return n.error();
  auto on_source = [&](const Row& r) {
    if (auto it = index.find(r.integer(0)); it != index.end()) {
      (*clients)[it->second].sources.push_back(str(r.text(1)));
    }
  };
  if (auto n = db_->run(Stmt::kClientSourcesAll, {}, RowFn(on_source)); !n) return n.error();
  auto on_key = [&](const Row& r) {
    if (auto it = index.find(r.integer(0)); it != index.end()) {
      (*clients)[it->second].tsig_keys.push_back(
          TsigKey{str(r.text(1)), str(r.text(2)), str(r.text(3))});
    }
  };
  if (auto n = db_->run(Stmt::kClientTsigKeysAll, {}, RowFn(on_key)); !n) return n.error();
  return clients;
}

Result<std::vector<DestinationGroup>> SqlStore::list_destination_groups() {
  return collect<DestinationGroup>(*db_, Stmt::kDgList, {}, [](const Row& r) {
    return DestinationGroup{r.integer(0), str(r.text(1)), str(r.text(2))};
  });
}

Result<std::vector<PublicIdentifier>> SqlStore::list_identifiers(const IdentifierPage& page) {
  const auto limit = static_cast<std::int64_t>(std::clamp<std::size_t>(page.limit, 1, 100'000));
  const std::string after_kind = page.after ? str(to_string(page.after->kind)) : std::string();
  const std::string after_value = page.after ? page.after->value : std::string();
  if (page.destination_group) {
    const Param dg_params[] = {std::string_view(*page.destination_group)};
    auto dg =
        first<Id>(*db_, Stmt::kDgByName, dg_params, [](const Row& r) { return r.integer(0); });
    if (!dg) return dg.error();
    if (!*dg) {
      return make_error(ErrorCode::not_found,
                        "no destination group " + validate::quote(*page.destination_group));
    }
    const Param params[] = {**dg, std::string_view(after_kind), std::string_view(after_value),
                            limit};
    return collect<PublicIdentifier>(*db_, Stmt::kIdentListGroup, params, read_identifier);
  }
  const Param params[] = {std::string_view(after_kind), std::string_view(after_value), limit};
  return collect<PublicIdentifier>(*db_, Stmt::kIdentListAll, params, read_identifier);
}

Result<std::vector<RouteGroup>> SqlStore::list_route_groups() {
  auto groups = collect<RouteGroup>(*db_, Stmt::kRgList, {}, read_route_group);
  if (!groups) return groups.error();
  std::unordered_map<Id, std::size_t> index;
  for (std::size_t i = 0; i < groups->size(); ++i) index[(*groups)[i].id] = i;
  auto on_dest = [&](const Row& r) {
    if (auto it = index.find(r.integer(0)); it != index.end()) {
      (*groups)[it->second].destination_groups.push_back(str(r.text(1)));
    }
  };
  if (auto n = db_->run(Stmt::kRgDestsAll, {}, RowFn(on_dest)); !n) return n.error();
  return groups;
}

Result<std::vector<SedRecord>> SqlStore::list_sed(std::optional<std::string> route_group) {
  if (!route_group) return collect<SedRecord>(*db_, Stmt::kSedList, {}, read_sed);
  const Param rg_params[] = {std::string_view(*route_group)};
  auto rg = first<Id>(*db_, Stmt::kRgByName, rg_params, [](const Row& r) { return r.integer(0); });
  if (!rg) return rg.error();
  if (!*rg)
    return make_error(ErrorCode::not_found, "no route group " + validate::quote(*route_group));
  const Param params[] = {**rg};
  return collect<SedRecord>(*db_, Stmt::kSedListRg, params, read_sed);
}

Result<std::vector<PeeringOffer>> SqlStore::list_offers() {
  return collect<PeeringOffer>(*db_, Stmt::kOfferList, {}, [](const Row& r) {
    return PeeringOffer{r.integer(0), str(r.text(1)), str(r.text(2))};
  });
}

Result<std::vector<TrustAnchor>> SqlStore::list_trust_anchors() {
  return collect<TrustAnchor>(*db_, Stmt::kTaList, {}, read_trust_anchor);
}

Result<std::vector<AuditEntry>> SqlStore::list_audit(const AuditQuery& q) {
  const auto limit = static_cast<std::int64_t>(std::clamp<std::size_t>(q.limit, 1, kMaxAuditRows));
  auto opt = [](const std::optional<std::string>& s) {
    return s ? Param{std::string_view(*s)} : Param{nullptr};
  };
  const Param params[] = {opt(q.actor), opt(q.object_type), opt(q.since), limit};
  return collect<AuditEntry>(*db_, Stmt::kAuditList, params, [](const Row& r) {
    AuditEntry a;
    a.id = r.integer(0);
    a.at = str(r.text(1));
    a.actor = str(r.text(2));
    a.action = str(r.text(3));
    a.object_type = str(r.text(4));
    a.object_key = str(r.text(5));
    if (!r.is_null(6)) a.before = str(r.text(6));
    if (!r.is_null(7)) a.after = str(r.text(7));
    a.change_counter = static_cast<std::uint64_t>(r.integer(8));
    return a;
  });
}

Result<Done> SqlStore::read_snapshot(const std::function<Result<Done>()>& fn) {
  if (auto ok = db_->begin(TxMode::read); !ok) return ok.error();
  auto r = fn();
  if (!r) {
    db_->rollback();
    return r;
  }
  return db_->commit();
}

}  // namespace speerd::store::detail
