// SqlStore::apply: every write, in one transaction, validated, checked and
// audited. Public identifiers go through a staging table in batches (a run of
// AddIdentifier changes is validated in memory, copied into a temporary table,
// checked against the stored ones with two set queries and inserted with one
// statement); every other change is handled one by one.
#include <algorithm>
#include <unordered_map>

#include "sed-store/anchor.hpp"
#include "sed-store/json.hpp"
#include "sed-store/limits.hpp"
#include "sed-store/sql_store.hpp"
#include "sed-store/validate.hpp"

namespace speerd::store::detail {
namespace {

Error error(ErrorCode code, std::string field, std::string message) {
  return Error{code, std::move(message), std::nullopt, std::move(field), std::nullopt};
}

// A field that fails validation: "<field> <what is wrong>".
template <typename T>
Result<T> checked(speerd::Expected<T> v, const char* field) {
  if (!v) return error(ErrorCode::invalid, field, std::string(field) + " " + v.error());
  return std::move(v).value();
}

std::string str(std::string_view v) {
  return std::string(v);
}
std::string_view sv(const std::string& s) {
  return s;
}
Param opt_text(const std::string& s) {
  return s.empty() ? Param{nullptr} : Param{sv(s)};
}
std::int64_t flag(bool b) {
  return b ? 1 : 0;
}

class Writer {
 public:
  Writer(SqlStore& store, std::string actor, std::int64_t counter)
      : db_(store.db()), actor_(std::move(actor)), at_(store.now_text()), counter_(counter) {}

  // ---- client ---------------------------------------------------------------

  Result<Id> operator()(const AddClient& c) {
    Client n;
    auto name = checked(validate::name(c.name), "name");
    if (!name) return name.error();
    n.name = *name;
    if (auto ok = client_fields(c.cert_name, c.spki_pin, n); !ok) return ok.error();
    auto trees = normalized_trees(c.trees);
    if (!trees) return trees.error();
    n.trees = std::move(*trees);
    auto rate = rate_value(c.rate_per_second.value_or(kDefaultRatePerSecond), "rate");
    if (!rate) return rate.error();
    auto burst = rate_value(c.burst.value_or(kDefaultBurst), "burst");
    if (!burst) return burst.error();
    n.rate = {*rate, *burst};
    n.enabled = c.enabled;
    auto desc = checked(validate::description(c.description), "description");
    if (!desc) return desc.error();
    n.description = *desc;

    auto existing = client_by_name(n.name);
    if (!existing) return existing.error();
    if (*existing) {
      return error(ErrorCode::conflict, "name",
                   "client " + validate::quote(n.name) + " exists already");
    }
    if (auto ok = identity_free(n, 0); !ok) return ok.error();
    const Param params[] = {sv(n.name),
                            opt_text(n.cert_name),
                            opt_text(n.spki_pin),
                            std::int64_t{n.rate.per_second},
                            std::int64_t{n.rate.burst},
                            flag(n.enabled),
                            sv(n.description)};
    auto id = returning_id(Stmt::kClientInsert, params);
    if (!id) return id.error();
    n.id = *id;
    if (auto ok = insert_trees(n.id, n.trees); !ok) return ok.error();
    if (auto ok = audit("create", "client", n.name, nullptr, to_json(n, false)); !ok)
      return ok.error();
    return n.id;
  }

  Result<Id> operator()(const UpdateClient& u) {
    auto before = existing_client(u.name);
    if (!before) return before.error();
    Client n = *before;
    const std::string cert = u.cert_name.value_or(before->cert_name);
    const std::string pin = u.spki_pin.value_or(before->spki_pin);
    if (auto ok = client_fields(cert, pin, n); !ok) return ok.error();
    if (u.trees) {
      auto trees = normalized_trees(*u.trees);
      if (!trees) return trees.error();
      n.trees = std::move(*trees);
    }
    if (u.rate_per_second) {
      auto rate = rate_value(*u.rate_per_second, "rate");
      if (!rate) return rate.error();
      n.rate.per_second = *rate;
    }
    if (u.burst) {
      auto burst = rate_value(*u.burst, "burst");
      if (!burst) return burst.error();
      n.rate.burst = *burst;
    }
    if (u.enabled) n.enabled = *u.enabled;
    if (u.description) {
      auto desc = checked(validate::description(*u.description), "description");
      if (!desc) return desc.error();
      n.description = *desc;
    }
    const Json before_json = to_json(*before, false);
    const Json after_json = to_json(n, false);
    if (before_json == after_json) return Id{0};  // nothing changes: nothing to audit
    if (auto ok = identity_free(n, n.id); !ok) return ok.error();
    const Param params[] = {n.id,
                            opt_text(n.cert_name),
                            opt_text(n.spki_pin),
                            std::int64_t{n.rate.per_second},
                            std::int64_t{n.rate.burst},
                            flag(n.enabled),
                            sv(n.description)};
    if (auto ok = exec(Stmt::kClientUpdate, params); !ok) return ok.error();
    if (n.trees != before->trees) {
      const Param clear[] = {n.id};
      if (auto ok = exec(Stmt::kClientTreeClear, clear); !ok) return ok.error();
      if (auto ok = insert_trees(n.id, n.trees); !ok) return ok.error();
    }
    if (auto ok = audit("update", "client", n.name, before_json, after_json); !ok)
      return ok.error();
    return Id{0};
  }

  Result<Id> operator()(const RemoveClient& r) {
    auto before = existing_client(r.name);
    if (!before) return before.error();
    const Param params[] = {before->id};
    auto offers = count(Stmt::kClientOfferCount, params);
    if (!offers) return offers.error();
    if (*offers > 0) {
      return error(ErrorCode::conflict, "name",
                   "client " + validate::quote(before->name) + " still has " +
                       std::to_string(*offers) + " peering offer(s): remove them first");
    }
    if (auto ok = exec(Stmt::kClientDelete, params); !ok) return ok.error();
    if (auto ok = audit("delete", "client", before->name, to_json(*before, false), nullptr); !ok) {
      return ok.error();
    }
    return Id{0};
  }

  // ---- destination_group ----------------------------------------------------

  Result<Id> operator()(const AddDestinationGroup& a) {
    DestinationGroup g;
    auto name = checked(validate::name(a.name), "name");
    if (!name) return name.error();
    g.name = *name;
    auto desc = checked(validate::description(a.description), "description");
    if (!desc) return desc.error();
    g.description = *desc;
    auto existing = dg_by_name(g.name);
    if (!existing) return existing.error();
    if (*existing) {
      return error(ErrorCode::conflict, "name",
                   "destination group " + validate::quote(g.name) + " exists already");
    }
    const Param params[] = {sv(g.name), sv(g.description)};
    auto id = returning_id(Stmt::kDgInsert, params);
    if (!id) return id.error();
    g.id = *id;
    dg_cache_[g.name] = g.id;
    if (auto ok = audit("create", "destination_group", g.name, nullptr, to_json(g, false)); !ok) {
      return ok.error();
    }
    return g.id;
  }

  Result<Id> operator()(const RemoveDestinationGroup& r) {
    auto name = checked(validate::name(r.name), "name");
    if (!name) return name.error();
    auto g = dg_by_name(*name);
    if (!g) return g.error();
    if (!*g) {
      return error(ErrorCode::not_found, "name", "no destination group " + validate::quote(*name));
    }
    const Param params[] = {(*g)->id};
    auto has = count_rows(Stmt::kDgHasIdentifier, params);
    if (!has) return has.error();
    if (*has > 0) {
      return error(ErrorCode::conflict, "name",
                   "destination group " + validate::quote(*name) +
                       " still has public identifiers: remove them first");
    }
    auto served = collect<std::string>(db_, Stmt::kDgServedBy, params,
                                       [](const Row& row) { return str(row.text(0)); });
    if (!served) return served.error();
    if (!served->empty()) {
      std::string names;
      for (const auto& s : *served) names += (names.empty() ? "" : ", ") + validate::quote(s);
      return error(ErrorCode::conflict, "name",
                   "destination group " + validate::quote(*name) +
                       " is still served by route group(s) " + names + ": detach it first");
    }
    if (auto ok = exec(Stmt::kDgDelete, params); !ok) return ok.error();
    dg_cache_.erase(*name);
    if (auto ok = audit("delete", "destination_group", *name, to_json(**g, false), nullptr); !ok) {
      return ok.error();
    }
    return Id{0};
  }

  // ---- public_identifier ----------------------------------------------------

  // A run of AddIdentifier changes starting at change index `base`.
  // One validated AddIdentifier of a batch.
  struct Staged {
    std::string_view kind;  // a static name: to_string(IdentifierKind)
    std::string value;
    std::string end;
    Id dg = 0;
  };

  // "exists already", naming the destination group that has it.
  Error exists_error(const Staged& s) {
    const Param key[] = {s.kind, sv(s.value)};
    auto owner = first<std::string>(db_, Stmt::kIdentByKey, key,
                                    [](const Row& r) { return str(r.text(0)); });
    if (!owner) return owner.error();
    return error(ErrorCode::conflict, "value",
                 std::string(s.kind) + " " + s.value + " exists already (in destination group " +
                     validate::quote(owner->value_or("?")) + ")");
  }

  // A run of AddIdentifier changes starting at change index `base`: validated
  // in memory, copied into the staging table, checked and inserted with a few
  // set statements (per-row statements cost more, and on PostgreSQL a round
  // trip each).
  Result<Done> add_identifiers(std::span<const Change> batch, std::size_t base) {
    std::vector<Staged> staged;
    staged.reserve(batch.size());
    // (digits, length, kind) packed into one integer: 15 digits fit in 50 bits.
    std::unordered_map<std::uint64_t, std::size_t> seen;
    seen.reserve(batch.size());
    auto at = [&](Error e, std::size_t k) {
      e.change_index = base + k;
      return e;
    };
    for (std::size_t k = 0; k < batch.size(); ++k) {
      const auto& a = std::get<AddIdentifier>(batch[k]);
      Staged s;
      s.kind = to_string(a.kind);
      auto value = checked(validate::digits(a.value), "value");
      if (!value) return at(value.error(), k);
      s.value = std::move(*value);
      if (a.kind == IdentifierKind::range) {
        auto end = checked(validate::digits(a.end), "end");
        if (!end) return at(end.error(), k);
        if (end->size() != s.value.size()) {
          return at(error(ErrorCode::invalid, "end",
                          "end " + validate::quote(*end) +
                              " must have as many digits as the start " + validate::quote(s.value)),
                    k);
        }
        if (*end < s.value) {
          return at(error(ErrorCode::invalid, "end",
                          "end " + validate::quote(*end) + " is below the start " +
                              validate::quote(s.value)),
                    k);
        }
        s.end = std::move(*end);
      } else if (!a.end.empty()) {
        return at(error(ErrorCode::invalid, "end", "end is only for a range"), k);
      }
      auto dg_name = checked(validate::name(a.destination_group), "dest_group");
      if (!dg_name) return at(dg_name.error(), k);
      auto dg = dg_id(*dg_name, "dest_group");
      if (!dg) return at(dg.error(), k);
      s.dg = *dg;
      std::uint64_t packed = 0;
      for (char c : s.value) packed = packed * 10 + static_cast<std::uint64_t>(c - '0');
      packed = (packed * 16 + s.value.size()) * 4 + static_cast<std::uint64_t>(a.kind);
      if (auto [it, fresh] = seen.emplace(packed, k); !fresh) {
        Error e = error(
            ErrorCode::conflict, "value",
            std::string(s.kind) + " " + s.value + " is added twice (by an earlier change too)");
        e.related_change_index = base + it->second;
        return at(std::move(e), k);
      }
      staged.push_back(std::move(s));
    }
    // Ranges within the batch must not overlap each other.
    std::vector<std::size_t> ranges;
    for (std::size_t k = 0; k < staged.size(); ++k) {
      if (staged[k].kind == "range") ranges.push_back(k);
    }
    std::sort(ranges.begin(), ranges.end(), [&](std::size_t x, std::size_t y) {
      const auto& a = staged[x];
      const auto& b = staged[y];
      return a.value.size() != b.value.size() ? a.value.size() < b.value.size() : a.value < b.value;
    });
    for (std::size_t i = 1; i < ranges.size(); ++i) {
      const auto& prev = staged[ranges[i - 1]];
      const auto& cur = staged[ranges[i]];
      if (prev.value.size() == cur.value.size() && cur.value <= prev.end) {
        const std::size_t later = std::max(ranges[i - 1], ranges[i]);
        const std::size_t other = std::min(ranges[i - 1], ranges[i]);
        Error e =
            error(ErrorCode::conflict, "value",
                  "range " + staged[later].value + "-" + staged[later].end + " overlaps range " +
                      staged[other].value + "-" + staged[other].end + " of another change");
        e.related_change_index = base + other;
        return at(std::move(e), later);
      }
    }
    // Stage.
    if (auto ok = exec(Stmt::kStageCreate, {}); !ok) return ok.error();
    if (auto ok = exec(Stmt::kStageClear, {}); !ok) return ok.error();
    std::vector<StageRow> rows;
    rows.reserve(staged.size());
    for (std::size_t k = 0; k < staged.size(); ++k) {
      const Staged& s = staged[k];
      rows.push_back(StageRow{static_cast<std::int64_t>(k), s.dg, s.kind, s.value, s.end});
    }
    if (auto ok = db_.fill_stage(rows); !ok) return ok.error();
    if (auto ok = exec(Stmt::kStageAnalyze, {}); !ok) return ok.error();
    // Ranges against the stored ranges (no constraint can express this).
    std::optional<std::tuple<std::size_t, std::string, std::string>> overlap;
    auto on_overlap = [&](const Row& r) {
      overlap = {static_cast<std::size_t>(r.integer(0)), str(r.text(1)), str(r.text(2))};
    };
    if (auto n = db_.run(Stmt::kStageFindRangeOverlap, {}, RowFn(on_overlap)); !n) return n.error();
    if (overlap) {
      const Staged& s = staged[std::get<0>(*overlap)];
      return at(error(ErrorCode::conflict, "value",
                      "range " + s.value + "-" + s.end + " overlaps the stored range " +
                          std::get<1>(*overlap) + "-" + std::get<2>(*overlap)),
                std::get<0>(*overlap));
    }
    // Insert. The primary key refuses an identifier that exists already; only
    // then is the first such row looked for, so a good import pays nothing
    // for the check. (PostgreSQL aborts the transaction on the violation: the
    // savepoint keeps it usable for that search; SQLite backs out just the
    // failed statement and has nothing to run for the savepoint statements.)
    if (auto ok = exec(Stmt::kSavepoint, {}); !ok) return ok.error();
    if (auto ok = exec(Stmt::kStageApply, {}); !ok) {
      if (ok.error().code != ErrorCode::conflict) return ok.error();
      if (auto back = exec(Stmt::kRollbackToSavepoint, {}); !back) return back.error();
      std::optional<std::size_t> dup;
      auto on_dup = [&](const Row& r) { dup = static_cast<std::size_t>(r.integer(0)); };
      if (auto n = db_.run(Stmt::kStageFindExisting, {}, RowFn(on_dup)); !n) return n.error();
      if (!dup) return ok.error();
      return at(exists_error(staged[*dup]), *dup);
    }
    if (auto ok = exec(Stmt::kReleaseSavepoint, {}); !ok) return ok.error();
    const Param audit_params[] = {sv(at_), sv(actor_), counter_};
    if (auto ok = exec(Stmt::kStageAudit, audit_params); !ok) return ok.error();
    if (auto ok = exec(Stmt::kStageClear, {}); !ok) return ok.error();
    return Done{};
  }

  Result<Id> operator()(const AddIdentifier& a) {
    // Only reached through add_identifiers (apply groups runs of these).
    const Change one = a;
    auto ok = add_identifiers(std::span<const Change>(&one, 1), 0);
    if (!ok) return ok.error();
    return Id{0};
  }

  Result<Id> operator()(const RemoveIdentifier& r) {
    auto value = checked(validate::digits(r.value), "value");
    if (!value) return value.error();
    const std::string kind = str(to_string(r.kind));
    const Param params[] = {sv(kind), sv(*value)};
    auto p = first<PublicIdentifier>(db_, Stmt::kIdentByKey, params, read_identifier);
    if (!p) return p.error();
    if (!*p) return error(ErrorCode::not_found, "value", "no " + kind + " " + *value);
    if (auto ok = exec(Stmt::kIdentDelete, params); !ok) return ok.error();
    if (auto ok = audit("delete", "public_identifier", kind + ":" + *value, to_json(**p), nullptr);
        !ok) {
      return ok.error();
    }
    return Id{0};
  }

  // ---- route_group ----------------------------------------------------------

  Result<Id> operator()(const AddRouteGroup& a) {
    RouteGroup g;
    auto name = checked(validate::name(a.name), "name");
    if (!name) return name.error();
    g.name = *name;
    auto prio = checked(validate::priority(a.priority), "priority");
    if (!prio) return prio.error();
    g.priority = *prio;
    g.enabled = a.enabled;
    auto desc = checked(validate::description(a.description), "description");
    if (!desc) return desc.error();
    g.description = *desc;
    if (a.destination_groups.size() > kMaxDestGroupsPerRouteGroup) {
      return error(ErrorCode::invalid, "dest_groups", "dest_groups: too many destination groups");
    }
    std::vector<std::pair<std::string, Id>> dests;
    for (const auto& d : a.destination_groups) {
      auto dn = checked(validate::name(d), "dest_groups");
      if (!dn) return dn.error();
      auto id = dg_id(*dn, "dest_groups");
      if (!id) return id.error();
      dests.emplace_back(*dn, *id);
    }
    std::sort(dests.begin(), dests.end());
    dests.erase(std::unique(dests.begin(), dests.end()), dests.end());
    for (const auto& d : dests) g.destination_groups.push_back(d.first);
    auto existing = rg_by_name(g.name);
    if (!existing) return existing.error();
    if (*existing) {
      return error(ErrorCode::conflict, "name",
                   "route group " + validate::quote(g.name) + " exists already");
    }
    const Param params[] = {sv(g.name), std::int64_t{g.priority}, flag(g.enabled),
                            sv(g.description)};
    auto id = returning_id(Stmt::kRgInsert, params);
    if (!id) return id.error();
    g.id = *id;
    for (const auto& d : dests) {
      const Param link[] = {d.second, g.id};
      if (auto ok = exec(Stmt::kRgDestInsert, link); !ok) return ok.error();
    }
    if (auto ok = audit("create", "route_group", g.name, nullptr, to_json(g, false)); !ok) {
      return ok.error();
    }
    return g.id;
  }

  Result<Id> operator()(const UpdateRouteGroup& u) {
    auto before = existing_rg(u.name, "name");
    if (!before) return before.error();
    RouteGroup n = *before;
    if (u.priority) {
      auto prio = checked(validate::priority(*u.priority), "priority");
      if (!prio) return prio.error();
      n.priority = *prio;
    }
    if (u.enabled) n.enabled = *u.enabled;
    if (u.description) {
      auto desc = checked(validate::description(*u.description), "description");
      if (!desc) return desc.error();
      n.description = *desc;
    }
    const Json before_json = to_json(*before, false);
    const Json after_json = to_json(n, false);
    if (before_json == after_json) return Id{0};
    const Param params[] = {n.id, std::int64_t{n.priority}, flag(n.enabled), sv(n.description)};
    if (auto ok = exec(Stmt::kRgUpdate, params); !ok) return ok.error();
    if (auto ok = audit("update", "route_group", n.name, before_json, after_json); !ok) {
      return ok.error();
    }
    return Id{0};
  }

  Result<Id> operator()(const RemoveRouteGroup& r) {
    auto before = existing_rg(r.name, "name");
    if (!before) return before.error();
    const Param params[] = {before->id};
    auto sed = count(Stmt::kRgSedCount, params);
    if (!sed) return sed.error();
    if (*sed > 0) {
      return error(ErrorCode::conflict, "name",
                   "route group " + validate::quote(before->name) + " still has " +
                       std::to_string(*sed) + " SED record(s): remove them first");
    }
    auto offers = count(Stmt::kRgOfferCount, params);
    if (!offers) return offers.error();
    if (*offers > 0) {
      return error(ErrorCode::conflict, "name",
                   "route group " + validate::quote(before->name) + " is still offered to " +
                       std::to_string(*offers) + " client(s): remove the offers first");
    }
    if (auto ok = exec(Stmt::kRgDelete, params); !ok) return ok.error();
    if (auto ok = audit("delete", "route_group", before->name, to_json(*before, false), nullptr);
        !ok) {
      return ok.error();
    }
    return Id{0};
  }

  Result<Id> operator()(const AttachDestination& a) {
    return link(a.route_group, a.destination_group, true);
  }
  Result<Id> operator()(const DetachDestination& d) {
    return link(d.route_group, d.destination_group, false);
  }

  // ---- sed_record -----------------------------------------------------------

  Result<Id> operator()(const AddSed& a) {
    auto rg = existing_rg(a.route_group, "route_group");
    if (!rg) return rg.error();
    SedRecord s;
    s.route_group_id = rg->id;
    s.route_group = rg->name;
    s.route_group_priority = rg->priority;
    auto prio = checked(validate::priority(a.priority), "priority");
    if (!prio) return prio.error();
    s.priority = *prio;
    if (!a.uri.empty()) {
      if (!a.host.empty() || !a.port.empty() || !a.transport.empty()) {
        return error(ErrorCode::invalid, "host",
                     "give either a uri, or a host with optional port and transport, not both");
      }
      auto uri = checked(validate::sip_uri(a.uri), "uri");
      if (!uri) return uri.error();
      s.kind = SedKind::uri;
      s.uri = uri->uri;
      s.host = uri->host;
      s.port = uri->port;
      s.transport = uri->transport;
    } else {
      if (a.host.empty()) {
        return error(ErrorCode::invalid, "host", "a SED record needs a uri or a host");
      }
      auto host = checked(validate::host(a.host), "host");
      if (!host) return host.error();
      auto port = checked(validate::port(a.port), "port");
      if (!port) return port.error();
      auto transport = checked(validate::transport(a.transport), "transport");
      if (!transport) return transport.error();
      s.kind = SedKind::next_hop;
      s.host = *host;
      s.port = *port;
      s.transport = *transport;
    }
    const Param same[] = {s.route_group_id, sv(s.uri), sv(s.host), std::int64_t{s.port},
                          sv(s.transport)};
    auto existing =
        first<Id>(db_, Stmt::kSedFindSame, same, [](const Row& r) { return r.integer(0); });
    if (!existing) return existing.error();
    if (*existing) {
      return error(ErrorCode::conflict, s.kind == SedKind::uri ? "uri" : "host",
                   "route group " + validate::quote(s.route_group) +
                       " has this SED record already (id " + std::to_string(**existing) + ")");
    }
    const std::string kind = str(to_string(s.kind));
    const Param params[] = {s.route_group_id,
                            sv(kind),
                            sv(s.uri),
                            sv(s.host),
                            std::int64_t{s.port},
                            sv(s.transport),
                            std::int64_t{s.priority}};
    auto id = returning_id(Stmt::kSedInsert, params);
    if (!id) return id.error();
    s.id = *id;
    if (auto ok = audit("create", "sed_record", std::to_string(s.id), nullptr, to_json(s)); !ok) {
      return ok.error();
    }
    return s.id;
  }

  Result<Id> operator()(const RemoveSed& r) {
    const Param params[] = {r.id};
    auto s = first<SedRecord>(db_, Stmt::kSedById, params, read_sed);
    if (!s) return s.error();
    if (!*s) return error(ErrorCode::not_found, "id", "no SED record " + std::to_string(r.id));
    if (auto ok = exec(Stmt::kSedDelete, params); !ok) return ok.error();
    if (auto ok = audit("delete", "sed_record", std::to_string(r.id), to_json(**s), nullptr); !ok) {
      return ok.error();
    }
    return Id{0};
  }

  // ---- peering_offer --------------------------------------------------------

  Result<Id> operator()(const AddOffer& a) {
    auto rg = existing_rg(a.route_group, "route_group");
    if (!rg) return rg.error();
    auto c = existing_client(a.client, "client");
    if (!c) return c.error();
    const Param params[] = {rg->id, c->id};
    auto existing =
        first<Id>(db_, Stmt::kOfferGet, params, [](const Row& r) { return r.integer(0); });
    if (!existing) return existing.error();
    if (*existing) {
      return error(ErrorCode::conflict, "client",
                   "route group " + validate::quote(rg->name) + " is offered to client " +
                       validate::quote(c->name) + " already");
    }
    auto id = returning_id(Stmt::kOfferInsert, params);
    if (!id) return id.error();
    const PeeringOffer o{*id, rg->name, c->name};
    if (auto ok =
            audit("create", "peering_offer", rg->name + "/" + c->name, nullptr, to_json(o, false));
        !ok) {
      return ok.error();
    }
    return *id;
  }

  Result<Id> operator()(const RemoveOffer& r) {
    auto rg = existing_rg(r.route_group, "route_group");
    if (!rg) return rg.error();
    auto c = existing_client(r.client, "client");
    if (!c) return c.error();
    const Param params[] = {rg->id, c->id};
    auto existing =
        first<Id>(db_, Stmt::kOfferGet, params, [](const Row& row) { return row.integer(0); });
    if (!existing) return existing.error();
    if (!*existing) {
      return error(ErrorCode::not_found, "client",
                   "route group " + validate::quote(rg->name) + " is not offered to client " +
                       validate::quote(c->name));
    }
    const Param id_params[] = {**existing};
    if (auto ok = exec(Stmt::kOfferDelete, id_params); !ok) return ok.error();
    const PeeringOffer o{**existing, rg->name, c->name};
    if (auto ok =
            audit("delete", "peering_offer", rg->name + "/" + c->name, to_json(o, false), nullptr);
        !ok) {
      return ok.error();
    }
    return Id{0};
  }

  // ---- trust_anchor ---------------------------------------------------------

  Result<Id> operator()(const AddTrustAnchor& a) {
    auto zone = checked(validate::domain(a.zone, /*allow_root=*/true), "zone");
    if (!zone) return zone.error();
    auto parsed = parse_trust_anchor(*zone, a.rr);
    if (!parsed) return error(ErrorCode::invalid, "rr", "rr: " + parsed.error());
    const Param by_rr[] = {sv(parsed->rr)};
    auto existing = first<TrustAnchor>(db_, Stmt::kTaByRr, by_rr, read_trust_anchor);
    if (!existing) return existing.error();
    if (*existing) {
      return error(
          ErrorCode::conflict, "rr",
          "this trust anchor is stored already (id " + std::to_string((*existing)->id) + ")");
    }
    TrustAnchor t;
    t.zone = parsed->zone;
    t.kind = parsed->kind;
    t.rr = parsed->rr;
    t.key_tag = parsed->key_tag;
    t.state = a.state;
    t.added_by = actor_;
    t.added_at = at_;
    const std::string kind = str(to_string(t.kind));
    const std::string state = str(to_string(t.state));
    const Param params[] = {sv(t.zone), sv(kind),       sv(t.rr),      std::int64_t{t.key_tag},
                            sv(state),  sv(t.added_by), sv(t.added_at)};
    auto id = returning_id(Stmt::kTaInsert, params);
    if (!id) return id.error();
    t.id = *id;
    if (auto ok = audit("create", "trust_anchor", std::to_string(t.id), nullptr, to_json(t)); !ok) {
      return ok.error();
    }
    return t.id;
  }

  Result<Id> operator()(const SetTrustAnchorState& s) {
    auto before = existing_anchor(s.id);
    if (!before) return before.error();
    if (before->state == s.state) return Id{0};
    TrustAnchor after = *before;
    after.state = s.state;
    const std::string state = str(to_string(s.state));
    const Param params[] = {s.id, sv(state)};
    if (auto ok = exec(Stmt::kTaSetState, params); !ok) return ok.error();
    if (auto ok =
            audit("update", "trust_anchor", std::to_string(s.id), to_json(*before), to_json(after));
        !ok) {
      return ok.error();
    }
    return Id{0};
  }

  Result<Id> operator()(const RemoveTrustAnchor& r) {
    auto before = existing_anchor(r.id);
    if (!before) return before.error();
    const Param params[] = {r.id};
    if (auto ok = exec(Stmt::kTaDelete, params); !ok) return ok.error();
    if (auto ok = audit("delete", "trust_anchor", std::to_string(r.id), to_json(*before), nullptr);
        !ok) {
      return ok.error();
    }
    return Id{0};
  }

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

  // cert_name/spki_pin validated into n; at least one must be set.
  Result<Done> client_fields(const std::string& cert, const std::string& pin, Client& n) {
    n.cert_name.clear();
    n.spki_pin.clear();
    if (!cert.empty()) {
      auto v = checked(validate::cert_name(cert), "cert_name");
      if (!v) return v.error();
      n.cert_name = *v;
    }
    if (!pin.empty()) {
      auto v = checked(validate::spki_pin(pin), "spki_pin");
      if (!v) return v.error();
      n.spki_pin = *v;
    }
    if (n.cert_name.empty() && n.spki_pin.empty()) {
      return error(ErrorCode::invalid, "cert_name",
                   "a client needs a certificate name or a SPKI pin (or both)");
    }
    return Done{};
  }

  // No other client may have the same certificate name or pin.
  Result<Done> identity_free(const Client& n, Id self) {
    if (!n.cert_name.empty()) {
      const Param p[] = {sv(n.cert_name)};
      auto other = first<Client>(db_, Stmt::kClientByCert, p, read_client);
      if (!other) return other.error();
      if (*other && (*other)->id != self) {
        return error(ErrorCode::conflict, "cert_name",
                     "certificate name " + validate::quote(n.cert_name) + " belongs to client " +
                         validate::quote((*other)->name) + " already");
      }
    }
    if (!n.spki_pin.empty()) {
      const Param p[] = {sv(n.spki_pin)};
      auto other = first<Client>(db_, Stmt::kClientByPin, p, read_client);
      if (!other) return other.error();
      if (*other && (*other)->id != self) {
        return error(ErrorCode::conflict, "spki_pin",
                     "SPKI pin belongs to client " + validate::quote((*other)->name) + " already");
      }
    }
    return Done{};
  }

  Result<std::vector<std::string>> normalized_trees(const std::vector<std::string>& trees) {
    if (trees.size() > kMaxTreesPerClient) {
      return error(
          ErrorCode::invalid, "trees",
          "trees: at most " + std::to_string(kMaxTreesPerClient) + " ENUM trees per client");
    }
    std::vector<std::string> out;
    for (const auto& t : trees) {
      auto d = checked(validate::domain(t), "trees");
      if (!d) return d.error();
      out.push_back(*d);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  Result<std::uint32_t> rate_value(std::uint32_t v, const char* field) {
    const std::uint32_t max = std::string_view(field) == "rate" ? kMaxRatePerSecond : kMaxBurst;
    if (v < 1 || v > max) {
      return error(ErrorCode::invalid, field,
                   std::string(field) + " " + std::to_string(v) + " is out of range (1-" +
                       std::to_string(max) + ")");
    }
    return v;
  }

  Result<Done> insert_trees(Id client, const std::vector<std::string>& trees) {
    for (const auto& t : trees) {
      const Param p[] = {client, sv(t)};
      if (auto ok = exec(Stmt::kClientTreeInsert, p); !ok) return ok.error();
    }
    return Done{};
  }

  Result<std::optional<Client>> client_by_name(const std::string& name) {
    const Param p[] = {sv(name)};
    auto c = first<Client>(db_, Stmt::kClientByName, p, read_client);
    if (!c || !*c) return c;
    const Param tp[] = {(*c)->id};
    auto trees = collect<std::string>(db_, Stmt::kClientTrees, tp,
                                      [](const Row& r) { return str(r.text(0)); });
    if (!trees) return trees.error();
    (*c)->trees = std::move(*trees);
    return c;
  }

  Result<Client> existing_client(const std::string& raw, const char* field = "name") {
    auto name = checked(validate::name(raw), field);
    if (!name) return name.error();
    auto c = client_by_name(*name);
    if (!c) return c.error();
    if (!*c) return error(ErrorCode::not_found, field, "no client " + validate::quote(*name));
    return std::move(**c);
  }

  Result<std::optional<DestinationGroup>> dg_by_name(const std::string& name) {
    const Param p[] = {sv(name)};
    return first<DestinationGroup>(db_, Stmt::kDgByName, p, [](const Row& r) {
      return DestinationGroup{r.integer(0), str(r.text(1)), str(r.text(2))};
    });
  }

  // The id of a (validated) destination group name, cached for the transaction.
  Result<Id> dg_id(const std::string& name, const char* field) {
    if (auto it = dg_cache_.find(name); it != dg_cache_.end()) return it->second;
    auto g = dg_by_name(name);
    if (!g) return g.error();
    if (!*g)
      return error(ErrorCode::not_found, field, "no destination group " + validate::quote(name));
    dg_cache_[name] = (*g)->id;
    return (*g)->id;
  }

  Result<std::optional<RouteGroup>> rg_by_name(const std::string& name) {
    const Param p[] = {sv(name)};
    auto g = first<RouteGroup>(db_, Stmt::kRgByName, p, read_route_group);
    if (!g || !*g) return g;
    const Param dp[] = {(*g)->id};
    auto dests =
        collect<std::string>(db_, Stmt::kRgDests, dp, [](const Row& r) { return str(r.text(0)); });
    if (!dests) return dests.error();
    (*g)->destination_groups = std::move(*dests);
    return g;
  }

  Result<RouteGroup> existing_rg(const std::string& raw, const char* field) {
    auto name = checked(validate::name(raw), field);
    if (!name) return name.error();
    auto g = rg_by_name(*name);
    if (!g) return g.error();
    if (!*g) return error(ErrorCode::not_found, field, "no route group " + validate::quote(*name));
    return std::move(**g);
  }

  Result<TrustAnchor> existing_anchor(Id id) {
    const Param p[] = {id};
    auto t = first<TrustAnchor>(db_, Stmt::kTaById, p, read_trust_anchor);
    if (!t) return t.error();
    if (!*t) return error(ErrorCode::not_found, "id", "no trust anchor " + std::to_string(id));
    return std::move(**t);
  }

  Result<Id> link(const std::string& rg_name, const std::string& dg_name, bool attach) {
    auto rg = existing_rg(rg_name, "route_group");
    if (!rg) return rg.error();
    auto dn = checked(validate::name(dg_name), "dest_group");
    if (!dn) return dn.error();
    auto dg = dg_id(*dn, "dest_group");
    if (!dg) return dg.error();
    const Param params[] = {*dg, rg->id};
    auto exists = count_rows(Stmt::kRgDestExists, params);
    if (!exists) return exists.error();
    const Json j = {{"route_group", rg->name}, {"dest_group", *dn}};
    const std::string key = rg->name + "/" + *dn;
    if (attach) {
      if (*exists > 0) {
        return error(ErrorCode::conflict, "dest_group",
                     "route group " + validate::quote(rg->name) + " serves destination group " +
                         validate::quote(*dn) + " already");
      }
      if (auto ok = exec(Stmt::kRgDestInsert, params); !ok) return ok.error();
      if (auto ok = audit("create", "route_group_destination", key, nullptr, j); !ok)
        return ok.error();
    } else {
      if (*exists == 0) {
        return error(ErrorCode::not_found, "dest_group",
                     "route group " + validate::quote(rg->name) +
                         " does not serve destination group " + validate::quote(*dn));
      }
      if (auto ok = exec(Stmt::kRgDestDelete, params); !ok) return ok.error();
      if (auto ok = audit("delete", "route_group_destination", key, j, nullptr); !ok)
        return ok.error();
    }
    return Id{0};
  }

  Db& db_;
  std::string actor_;
  std::string at_;
  std::int64_t counter_;
  std::unordered_map<std::string, Id> dg_cache_;
};

}  // namespace

Result<ApplyReport> SqlStore::apply(std::span<const Change> changes, const WriteContext& ctx) {
  auto actor = checked(validate::actor(ctx.actor), "actor");
  if (!actor) return actor.error();
  ApplyReport report;
  report.created_ids.assign(changes.size(), 0);
  if (changes.empty()) {
    auto c = change_counter();
    if (!c) return Error{ErrorCode::unavailable, c.error(), std::nullopt, {}, std::nullopt};
    report.change_counter = *c;
    return report;
  }
  if (auto ok = db_->begin(TxMode::write); !ok) return ok.error();
  auto fail = [&](Error e, std::optional<std::size_t> index) -> Result<ApplyReport> {
    db_->rollback();
    if (!e.change_index) e.change_index = index;
    return e;
  };
  // Bumping the counter first also takes the writers' lock (PostgreSQL row
  // lock; SQLite holds the database lock since BEGIN IMMEDIATE).
  auto counter =
      first<std::int64_t>(*db_, Stmt::kBumpCounter, {}, [](const Row& r) { return r.integer(0); });
  if (!counter) return fail(counter.error(), std::nullopt);
  if (!*counter) {
    return fail(Error{ErrorCode::corrupt, "store_meta has no row", std::nullopt, {}, std::nullopt},
                std::nullopt);
  }
  Writer writer(*this, *actor, **counter);
  for (std::size_t i = 0; i < changes.size();) {
    if (std::holds_alternative<AddIdentifier>(changes[i])) {
      std::size_t j = i;
      while (j < changes.size() && j - i < kIdentifierBatchRows &&
             std::holds_alternative<AddIdentifier>(changes[j])) {
        ++j;
      }
      if (auto ok = writer.add_identifiers(changes.subspan(i, j - i), i); !ok) {
        return fail(ok.error(), std::nullopt);
      }
      i = j;
      continue;
    }
    auto id = std::visit(writer, changes[i]);
    if (!id) return fail(id.error(), i);
    report.created_ids[i] = *id;
    ++i;
  }
  const std::string payload = std::to_string(**counter);
  const Param notify[] = {std::string_view(payload)};
  if (auto ok = run(*db_, Stmt::kNotify, notify); !ok) return fail(ok.error(), std::nullopt);
  if (auto ok = db_->commit(); !ok) return ok.error();
  report.change_counter = static_cast<std::uint64_t>(**counter);
  return report;
}

}  // namespace speerd::store::detail
