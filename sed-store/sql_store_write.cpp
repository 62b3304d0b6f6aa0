// SqlStore::apply: every write, in one transaction, validated, checked and
// audited. Public identifiers go through a staging table in batches (a run of
// AddIdentifier changes is validated in memory, copied into a temporary table,
// checked against the stored ones with two set queries and inserted with one
// statement); every other change is handled one by one.
//
// The per-change handlers are the Writer's (sql_store_writer.hpp), defined in
// sql_store_write_{clients,destinations,routes}.cpp.
#include <algorithm>
#include <array>
#include <ctime>
#include <optional>
#include <string>
#include <variant>

#include "sed-store/limits.hpp"
#include "sed-store/sql_store.hpp"
#include "sed-store/sql_store_writer.hpp"
#include "sed-store/validate.hpp"

namespace speerd::store::detail {

namespace {

// now_text() form ("2026-12-07T01:02:03.000000Z") of kOperationRetentionDays
// before `now`: text order is time order in that form.
std::string retention_cutoff(const std::string& now) {
  std::tm tm{};
  if (now.size() < 19 ||
      ::strptime(now.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) {
    return std::string();
  }
  const std::time_t t = ::timegm(&tm) - std::time_t{kOperationRetentionDays} * 86400;
  std::tm out{};
  gmtime_r(&t, &out);
  std::array<char, 40> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &out);
  return buf.data();
}

}  // namespace

// The change counter of the transaction that recorded ctx's operation id, or
// nullopt when none did. Runs after the counter bump, i.e. holding the
// writers' lock: a concurrent writer with the same id has committed or not.
Result<std::optional<std::uint64_t>> SqlStore::recorded_operation(const WriteContext& ctx) {
  auto id = checked(validate::operation_id(ctx.operation_id), "operation_id");
  if (!id) return id.error();
  if (ctx.operation_digest.size() > kMaxOperationDigestLength) {
    return error(ErrorCode::invalid, "operation_digest", "operation_digest is too long");
  }
  std::optional<std::uint64_t> counter;
  std::string digest;
  auto on_row = [&](const Row& r) {
    digest = str(r.text(0));
    counter = static_cast<std::uint64_t>(r.integer(1));
  };
  const Param params[] = {sv(*id)};
  if (auto n = db_->run(Stmt::kOpFind, params, RowFn(on_row)); !n) return n.error();
  if (counter && digest != ctx.operation_digest) {
    return error(ErrorCode::conflict, "operation_id",
                 "operation id " + validate::quote(*id) +
                     " was used for a different write (change counter " + std::to_string(*counter) +
                     "); give each write its own id");
  }
  return counter;
}

Result<Done> SqlStore::record_operation(const WriteContext& ctx, const std::string& actor,
                                        std::int64_t counter) {
  const std::string at = now_text();
  const Param params[] = {sv(ctx.operation_id), sv(ctx.operation_digest), sv(actor), sv(at),
                          counter};
  if (auto n = run(*db_, Stmt::kOpInsert, params); !n) return n.error();
  const std::string cutoff = retention_cutoff(at);
  if (cutoff.empty()) return Done{};
  const Param prune[] = {sv(cutoff)};
  if (auto n = run(*db_, Stmt::kOpPrune, prune); !n) return n.error();
  return Done{};
}

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
  if (!ctx.operation_id.empty()) {
    auto seen = recorded_operation(ctx);
    if (!seen) return fail(seen.error(), std::nullopt);
    if (*seen) {
      db_->rollback();  // nothing to write: the bump of the counter goes too
      report.already_applied = true;
      report.change_counter = **seen;
      return report;
    }
  }
  Writer writer(*this, *actor, **counter);
  const std::size_t batch_rows = std::max<std::size_t>(1, ctx.identifier_batch_rows);
  for (std::size_t i = 0; i < changes.size();) {
    if (std::holds_alternative<AddIdentifier>(changes[i])) {
      std::size_t j = i;
      while (j < changes.size() && j - i < batch_rows &&
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
  if (!ctx.operation_id.empty()) {
    if (auto ok = record_operation(ctx, *actor, **counter); !ok) {
      return fail(ok.error(), std::nullopt);
    }
  }
  const std::string payload = std::to_string(**counter);
  const Param notify[] = {std::string_view(payload)};
  if (auto ok = run(*db_, Stmt::kNotify, notify); !ok) return fail(ok.error(), std::nullopt);
  if (auto ok = db_->commit(); !ok) {
    Error e = ok.error();
    e.in_doubt = e.code == ErrorCode::unavailable;
    return e;
  }
  report.change_counter = static_cast<std::uint64_t>(**counter);
  return report;
}

}  // namespace speerd::store::detail
