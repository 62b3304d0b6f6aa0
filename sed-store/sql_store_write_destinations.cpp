// The Writer's handlers for destination groups and their public identifiers,
// with the batched AddIdentifier path (the class is in sql_store_writer.hpp).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <variant>
#include <vector>

#include "sed-store/json.hpp"
#include "sed-store/sql_store_writer.hpp"
#include "sed-store/validate.hpp"

namespace speerd::store::detail {

// ---- destination_group ----------------------------------------------------

Result<Id> Writer::operator()(const AddDestinationGroup& a) {
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

Result<Id> Writer::operator()(const RemoveDestinationGroup& r) {
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

// "exists already", naming the destination group that has it.
Error Writer::exists_error(const Staged& s) {
  const Param key[] = {s.kind, sv(s.value)};
  auto owner =
      first<std::string>(db_, Stmt::kIdentByKey, key, [](const Row& r) { return str(r.text(0)); });
  if (!owner) return owner.error();
  return error(ErrorCode::conflict, "value",
               std::string(s.kind) + " " + s.value + " exists already (in destination group " +
                   validate::quote(owner->value_or("?")) + ")");
}

// A run of AddIdentifier changes starting at change index `base`: validated
// in memory, copied into the staging table, checked and inserted with a few
// set statements (per-row statements cost more, and on PostgreSQL a round
// trip each).
Result<Done> Writer::add_identifiers(std::span<const Change> batch, std::size_t base) {
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
                        "end " + validate::quote(*end) + " must have as many digits as the start " +
                            validate::quote(s.value)),
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
      Error e =
          error(ErrorCode::conflict, "value",
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

Result<Id> Writer::operator()(const AddIdentifier& a) {
  // Only reached through add_identifiers (apply groups runs of these).
  const Change one = a;
  auto ok = add_identifiers(std::span<const Change>(&one, 1), 0);
  if (!ok) return ok.error();
  return Id{0};
}

Result<Id> Writer::operator()(const RemoveIdentifier& r) {
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

// ---- helpers --------------------------------------------------------------

Result<std::optional<DestinationGroup>> Writer::dg_by_name(const std::string& name) {
  const Param p[] = {sv(name)};
  return first<DestinationGroup>(db_, Stmt::kDgByName, p, [](const Row& r) {
    return DestinationGroup{r.integer(0), str(r.text(1)), str(r.text(2))};
  });
}

// The id of a (validated) destination group name, cached for the transaction.
Result<Id> Writer::dg_id(const std::string& name, const char* field) {
  if (auto it = dg_cache_.find(name); it != dg_cache_.end()) return it->second;
  auto g = dg_by_name(name);
  if (!g) return g.error();
  if (!*g)
    return error(ErrorCode::not_found, field, "no destination group " + validate::quote(name));
  dg_cache_[name] = (*g)->id;
  return (*g)->id;
}

}  // namespace speerd::store::detail
