#include "sed-store/change_log.hpp"

#include <algorithm>
#include <variant>

#include "sed-store/sql_store.hpp"
#include "sed-store/validate.hpp"

namespace speerd::store::detail {

namespace {

const char* kind_name(IdentifierKind k) {
  switch (k) {
    case IdentifierKind::number:
      return "number";
    case IdentifierKind::range:
      return "range";
    case IdentifierKind::prefix:
      return "prefix";
    case IdentifierKind::routing_number:
      return "rn";
  }
  return "all";
}

std::string digits_or_raw(const std::string& s) {
  auto d = validate::digits(s);
  return d ? *d : s;
}

std::string name_or_raw(const std::string& s) {
  auto n = validate::name(s);
  return n ? *n : s;
}

template <class... F>
struct Visit : F... {
  using F::operator()...;
};
template <class... F>
Visit(F...) -> Visit<F...>;

}  // namespace

void ChangeLogger::add(std::string kind, std::string value, std::string end) {
  if (overflow_) return;
  Row r{std::move(kind), std::move(value), std::move(end)};
  if (std::find(rows_.begin(), rows_.end(), r) != rows_.end()) return;
  if (rows_.size() >= kMaxRows) {
    overflow_ = true;
    rows_.clear();
    return;
  }
  rows_.push_back(std::move(r));
}

Result<Done> ChangeLogger::groups_of(const std::string& route_group) {
  if (overflow_) return Done{};
  const std::string rg = name_or_raw(route_group);
  const Param p[] = {std::string_view(rg)};
  std::vector<std::string> names;
  auto on_row = [&](const detail::Row& r) { names.emplace_back(r.text(0)); };
  auto n = db_.run(Stmt::kRouteGroupDestinations, p, RowFn(on_row));
  if (!n) return n.error();
  for (auto& g : names) add("destination_group", std::move(g));
  return Done{};
}

Result<Done> ChangeLogger::groups_of_sed(Id sed) {
  if (overflow_) return Done{};
  const Param p[] = {std::int64_t{sed}};
  std::vector<std::string> names;
  auto on_row = [&](const detail::Row& r) { names.emplace_back(r.text(0)); };
  auto n = db_.run(Stmt::kSedDestinations, p, RowFn(on_row));
  if (!n) return n.error();
  for (auto& g : names) add("destination_group", std::move(g));
  return Done{};
}

Result<Done> ChangeLogger::before(const Change& c) {
  return std::visit(Visit{
                        [&](const UpdateRouteGroup& u) { return groups_of(u.name); },
                        [&](const RemoveRouteGroup& r) { return groups_of(r.name); },
                        [&](const RemoveSed& r) { return groups_of_sed(r.id); },
                        [&](const auto&) -> Result<Done> { return Done{}; },
                    },
                    c);
}

Result<Done> ChangeLogger::after(const Change& c) {
  return std::visit(
      Visit{
          [&](const AddClient& a) -> Result<Done> {
            add("client", name_or_raw(a.name));
            return Done{};
          },
          [&](const UpdateClient& u) -> Result<Done> {
            add("client", name_or_raw(u.name));
            return Done{};
          },
          [&](const RemoveClient& r) -> Result<Done> {
            add("client", name_or_raw(r.name));
            return Done{};
          },
          [&](const AddDestinationGroup&) -> Result<Done> { return Done{}; },
          [&](const RemoveDestinationGroup& r) -> Result<Done> {
            add("destination_group", name_or_raw(r.name));
            return Done{};
          },
          [&](const AddIdentifier& a) -> Result<Done> {
            add(kind_name(a.kind), digits_or_raw(a.value),
                a.kind == IdentifierKind::range ? digits_or_raw(a.end) : std::string());
            return Done{};
          },
          [&](const RemoveIdentifier& r) -> Result<Done> {
            // A range is named by its first number: every number of that
            // length from it on (a superset of the range) is reached.
            const std::string v = digits_or_raw(r.value);
            add(kind_name(r.kind), v,
                r.kind == IdentifierKind::range ? std::string(v.size(), '9') : std::string());
            return Done{};
          },
          [&](const AddRouteGroup& a) -> Result<Done> {
            for (const auto& g : a.destination_groups) add("destination_group", name_or_raw(g));
            return Done{};
          },
          [&](const UpdateRouteGroup& u) { return groups_of(u.name); },
          [&](const RemoveRouteGroup&) -> Result<Done> { return Done{}; },  // noted before
          [&](const AttachDestination& a) -> Result<Done> {
            add("destination_group", name_or_raw(a.destination_group));
            return Done{};
          },
          [&](const DetachDestination& d) -> Result<Done> {
            add("destination_group", name_or_raw(d.destination_group));
            return Done{};
          },
          [&](const AddSed& a) { return groups_of(a.route_group); },
          [&](const RemoveSed&) -> Result<Done> { return Done{}; },  // noted before
          [&](const AddOffer& a) { return groups_of(a.route_group); },
          [&](const RemoveOffer& r) { return groups_of(r.route_group); },
          [&](const AddTrustAnchor& a) -> Result<Done> {
            add("anchor", a.zone);
            return Done{};
          },
          [&](const SetTrustAnchorState& s) -> Result<Done> {
            add("anchor", std::to_string(s.id));
            return Done{};
          },
          [&](const RemoveTrustAnchor& r) -> Result<Done> {
            add("anchor", std::to_string(r.id));
            return Done{};
          },
          [&](const FlushCache& f) -> Result<Done> {
            add("flush", f.target);
            return Done{};
          },
      },
      c);
}

Result<Done> ChangeLogger::write(std::int64_t counter) {
  if (overflow_) rows_.push_back(Row{"all", "", ""});
  // A write that reaches no cached answer (a new empty group) still has its
  // row: a counter without rows is a gap, which drops whole caches.
  if (rows_.empty()) rows_.push_back(Row{"none", "", ""});
  for (const auto& r : rows_) {
    const Param p[] = {counter, std::string_view(r.kind), std::string_view(r.value),
                       std::string_view(r.end)};
    auto n = run(db_, Stmt::kChangeLogInsert, p);
    if (!n) return n.error();
  }
  const Param prune[] = {std::int64_t{counter - kKeepChanges}};
  auto n = run(db_, Stmt::kChangeLogPrune, prune);
  if (!n) return n.error();
  return Done{};
}

// ---- the reader -----------------------------------------------------------

speerd::Expected<std::vector<ChangeLogEntry>> SqlStore::changes_since(std::uint64_t after,
                                                                      std::size_t limit) {
  std::vector<ChangeLogEntry> out;
  const Param p[] = {static_cast<std::int64_t>(after), static_cast<std::int64_t>(limit)};
  auto on_row = [&](const detail::Row& r) {
    out.push_back(ChangeLogEntry{static_cast<std::uint64_t>(r.integer(0)), std::string(r.text(1)),
                                 std::string(r.text(2)), std::string(r.text(3))});
  };
  auto n = db_->run(Stmt::kChangeLogSince, p, RowFn(on_row));
  if (!n) return speerd::fail(n.error().message);
  return out;
}

}  // namespace speerd::store::detail
