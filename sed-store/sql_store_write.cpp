// SqlStore::apply: every write, in one transaction, validated, checked and
// audited. Public identifiers go through a staging table in batches (a run of
// AddIdentifier changes is validated in memory, copied into a temporary table,
// checked against the stored ones with two set queries and inserted with one
// statement); every other change is handled one by one.
//
// The per-change handlers are the Writer's (sql_store_writer.hpp), defined in
// sql_store_write_{clients,destinations,routes}.cpp.
#include <algorithm>
#include <optional>
#include <string>
#include <variant>

#include "sed-store/limits.hpp"
#include "sed-store/sql_store.hpp"
#include "sed-store/sql_store_writer.hpp"
#include "sed-store/validate.hpp"

namespace speerd::store::detail {

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
  const std::string payload = std::to_string(**counter);
  const Param notify[] = {std::string_view(payload)};
  if (auto ok = run(*db_, Stmt::kNotify, notify); !ok) return fail(ok.error(), std::nullopt);
  if (auto ok = db_->commit(); !ok) return ok.error();
  report.change_counter = static_cast<std::uint64_t>(**counter);
  return report;
}

}  // namespace speerd::store::detail
