// Internal: the small database interface the store logic (sql_store.cpp) is
// written against, with one implementation per backend (sqlite_db.cpp,
// postgres_db.cpp). It runs only statements registered in statements.cpp, by
// id, with bound parameters: there is no way to pass SQL text in, except the
// embedded migrations (exec_migration).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "enum/expected.hpp"
#include "sed-store/migrations.hpp"
#include "sed-store/statements.hpp"
#include "sed-store/store.hpp"

namespace speerd::store::detail {

// A bound parameter: NULL, an integer or text (the view must outlive the call).
using Param = std::variant<std::nullptr_t, std::int64_t, std::string_view>;

// One result row, valid only during the row callback.
class Row {
 public:
  virtual bool is_null(int col) const = 0;
  virtual std::int64_t integer(int col) const = 0;
  virtual std::string_view text(int col) const = 0;

 protected:
  ~Row() = default;
};

// A non-owning reference to a callable (cheaper than std::function on the
// lookup path: no allocation, one indirect call per row).
class RowFn {
 public:
  template <typename F>
  RowFn(F& f)
      : obj_(&f), call_([](void* o, const Row& r) { (*static_cast<F*>(o))(r); }) {}  // NOLINT
  void operator()(const Row& r) const { call_(obj_, r); }

 private:
  void* obj_;
  void (*call_)(void*, const Row&);
};

// One row of the identifier staging table (bulk identifier writes).
struct StageRow {
  std::int64_t ord;  // index of the change in its batch
  std::int64_t destination_group_id;
  std::string_view kind;
  std::string_view value;
  std::string_view range_end;  // "" = NULL
};

enum class TxMode { read, write };

class Db {
 public:
  virtual ~Db() = default;

  virtual Dialect dialect() const = 0;
  virtual std::string_view backend_name() const = 0;

  virtual Result<Done> begin(TxMode mode) = 0;
  virtual Result<Done> commit() = 0;
  virtual void rollback() noexcept = 0;
  virtual bool in_transaction() const = 0;

  // Runs a registered statement; calls on_row for each row; returns the
  // number of rows. Constraint violations come back as ErrorCode::conflict.
  virtual Result<std::size_t> run(Stmt stmt, std::span<const Param> params, RowFn on_row) = 0;

  // Copies rows into the (temporary) identifier staging table, which the
  // caller has emptied in this transaction.
  virtual Result<Done> fill_stage(std::span<const StageRow> rows) = 0;

  // Runs one embedded migration script (inside the current transaction).
  virtual Result<Done> exec_migration(const Migration& m) = 0;

  // A number that changes whenever the database content changes (by this
  // connection or any other), valid inside a read transaction once it has
  // read something; std::nullopt where the backend has none (PostgreSQL).
  virtual std::optional<std::uint64_t> data_version() { return std::nullopt; }
};

// Backend factories (open.cpp dispatches on the URI scheme). The SQLite one
// checks the file before SQLite touches it.
Result<std::unique_ptr<Db>> open_sqlite(std::string_view path, const OpenOptions& options);
Result<std::unique_ptr<Db>> open_postgres(std::string_view uri, const OpenOptions& options);

inline Error make_error(ErrorCode code, std::string message) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  return e;
}

// Convenience for statements without result rows.
inline Result<std::size_t> run(Db& db, Stmt stmt, std::span<const Param> params) {
  auto ignore = [](const Row&) {};
  return db.run(stmt, params, RowFn(ignore));
}

}  // namespace speerd::store::detail
