// The SQLite backend: one file, WAL mode, busy timeout, one connection per
// Store. Before a connection changes anything in an existing file, the file
// is checked to be an SQLite database carrying speerd's application id (read
// through SQLite itself), so a file that is not a speerd store is never
// modified, not even by the switch to WAL mode.
//
// The file is never opened with a descriptor of our own: closing any
// descriptor of a file drops every POSIX lock this process holds on it,
// including those of this process's other SQLite connections (SQLite's "How
// To Corrupt" 2.2). A writer in another process, seeing no readers, then
// checkpoints and resets the WAL under them: they go on reading an old
// snapshot (seen: a daemon that no longer saw store changes).
#include <sqlite3.h>
#include <sys/stat.h>

#include <array>
#include <charconv>
#include <cstring>
#include <vector>

#include "sed-store/db.hpp"
#include "sed-store/limits.hpp"
#include "sed-store/validate.hpp"

namespace speerd::store::detail {
namespace {

// PRAGMA application_id of a speerd store (set by migration 0001): "SPRD".
constexpr std::uint32_t kApplicationId = 0x53505244;
constexpr std::size_t kHeaderBytes = 100;  // an SQLite file is at least its header

// Classifies an SQLite result code for the Store's error policy.
Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xff;
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (primary) {
    case SQLITE_CONSTRAINT:
      return make_error(ErrorCode::conflict, std::move(msg));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return make_error(ErrorCode::unavailable,
                        "the store is busy (another writer holds it): " + msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return make_error(ErrorCode::corrupt, "the store file is corrupt: " + msg);
    case SQLITE_READONLY:
      return make_error(ErrorCode::read_only, std::move(msg));
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return make_error(ErrorCode::unavailable, std::move(msg));
    default:
      return make_error(ErrorCode::internal, std::move(msg));
  }
}

class SqliteRow final : public Row {
 public:
  explicit SqliteRow(sqlite3_stmt* s) : s_(s) {}
  bool is_null(int col) const override { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::int64_t integer(int col) const override { return sqlite3_column_int64(s_, col); }
  std::string_view text(int col) const override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    if (p == nullptr) return {};
    return {p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))};
  }

 private:
  sqlite3_stmt* s_;
};

struct Prepared {
  sqlite3_stmt* stmt = nullptr;
  // index k-1 -> SQLite's parameter index of "$k"
  std::vector<int> param_index;
};

class SqliteDb final : public Db {
 public:
  SqliteDb(sqlite3* db, std::string path, bool created)
      : db_(db), path_(std::move(path)), created_(created) {}
  ~SqliteDb() override {
    for (auto& p : prepared_) sqlite3_finalize(p.stmt);
    for (sqlite3_stmt* t : tx_stmts_) sqlite3_finalize(t);
    sqlite3_close_v2(db_);
  }
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Dialect dialect() const override { return Dialect::sqlite; }
  std::string_view backend_name() const override { return "sqlite"; }

  Result<Done> begin(TxMode mode) override {
    if (in_tx_) return make_error(ErrorCode::internal, "nested transaction");
    // IMMEDIATE takes the write lock now (waiting up to the busy timeout), so a
    // write transaction never fails halfway for want of the lock.
    if (const int rc = step_fixed(mode == TxMode::write ? kBeginWrite : kBeginRead);
        rc != SQLITE_DONE) {
      return sqlite_error(db_, rc, "begin transaction");
    }
    in_tx_ = true;
    return Done{};
  }

  Result<Done> commit() override {
    if (const int rc = step_fixed(kCommit); rc != SQLITE_DONE) {
      Error e = sqlite_error(db_, rc, "commit");
      rollback();
      return e;
    }
    in_tx_ = false;
    if (created_ && !checkpointed_) {
      // The first commit into a new file created the store (and its
      // application id). Copy it out of the WAL into the file itself, so that
      // another process that checks the header (check_file) sees a speerd store.
      checkpointed_ = true;
      sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    }
    return Done{};
  }

  void rollback() noexcept override {
    if (!in_tx_) return;
    for (auto& p : prepared_) {
      if (p.stmt != nullptr) sqlite3_reset(p.stmt);
    }
    step_fixed(kRollback);
    in_tx_ = false;
  }

  bool in_transaction() const override { return in_tx_; }

  Result<std::size_t> run(Stmt stmt, std::span<const Param> params, RowFn on_row) override {
    auto prep = prepare(stmt);
    if (!prep) return prep.error();
    Prepared* p = *prep;
    if (p == nullptr) return std::size_t{0};  // nothing to run in this dialect
    sqlite3_stmt* s = p->stmt;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (params.size() != p->param_index.size()) {
      return make_error(ErrorCode::internal, std::string("statement ") + statement_name(stmt) +
                                                 ": wrong number of parameters");
    }
    for (std::size_t k = 0; k < params.size(); ++k) {
      const int idx = p->param_index[k];
      int rc = SQLITE_OK;
      if (const auto* i = std::get_if<std::int64_t>(&params[k])) {
        rc = sqlite3_bind_int64(s, idx, *i);
      } else if (const auto* t = std::get_if<std::string_view>(&params[k])) {
        rc = sqlite3_bind_text64(s, idx, t->data(), t->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else {
        rc = sqlite3_bind_null(s, idx);
      }
      if (rc != SQLITE_OK) return sqlite_error(db_, rc, statement_name(stmt));
    }
    std::size_t rows = 0;
    SqliteRow row(s);
    for (;;) {
      const int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) {
        ++rows;
        on_row(row);
        continue;
      }
      if (rc == SQLITE_DONE) break;
      Error e = sqlite_error(db_, sqlite3_extended_errcode(db_), statement_name(stmt));
      sqlite3_reset(s);
      return e;
    }
    sqlite3_reset(s);
    return rows;
  }

  Result<Done> fill_stage(std::span<const StageRow> rows) override {
    for (const StageRow& r : rows) {
      const Param params[] = {r.ord, r.destination_group_id, r.kind, r.value,
                              r.range_end.empty() ? Param{nullptr} : Param{r.range_end}};
      auto done = detail::run(*this, Stmt::kStageInsert, params);
      if (!done) return done.error();
    }
    return Done{};
  }

  Result<Done> exec_migration(const Migration& m) override {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, m.sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = "migration " + std::to_string(m.version) + " (" + m.name +
                        ") failed: " + (err ? err : sqlite3_errstr(rc));
      sqlite3_free(err);
      return make_error(ErrorCode::internal, std::move(msg));
    }
    return Done{};
  }

  std::optional<std::uint64_t> data_version() override {
    unsigned int v = 0;
    if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_DATA_VERSION, &v) != SQLITE_OK) {
      return std::nullopt;
    }
    return v;
  }

  // Per-connection settings; WAL is a property of the file and sticks.
  Result<Done> configure() {
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kSqliteBusyTimeoutMs);
    const char* pragmas[] = {
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = NORMAL",
        "PRAGMA foreign_keys = ON",
        "PRAGMA temp_store = MEMORY",
    };
    for (const char* sql : pragmas) {
      if (const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); rc != SQLITE_OK) {
        return sqlite_error(db_, rc, sql);
      }
    }
    // The page cache size (limits.hpp) as a fixed pragma: PRAGMA takes no
    // bound parameters, and no SQL text is ever formatted at run time.
    static_assert(kSqliteCacheKiB == 1048576, "keep the cache_size pragma in step");
    sqlite3_exec(db_, "PRAGMA cache_size = -1048576", nullptr, nullptr, nullptr);
    sqlite3_int64 mmap = kSqliteMmapBytes;
    sqlite3_file_control(db_, "main", SQLITE_FCNTL_MMAP_SIZE, &mmap);
    // Transaction control, prepared once (sqlite3_exec would compile the text
    // on every lookup).
    const char* fixed[] = {"BEGIN IMMEDIATE", "BEGIN DEFERRED", "COMMIT", "ROLLBACK"};
    for (int i = 0; i < 4; ++i) {
      if (const int rc = prepare_fixed(fixed[i], &tx_stmts_[i]); rc != SQLITE_OK) {
        return sqlite_error(db_, rc, fixed[i]);
      }
    }
    return Done{};
  }

 private:
  enum FixedTx { kBeginWrite = 0, kBeginRead = 1, kCommit = 2, kRollback = 3 };

  int prepare_fixed(const char* sql, sqlite3_stmt** out) {
    return sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, out, nullptr);
  }

  int step_fixed(FixedTx which) {
    sqlite3_stmt* t = tx_stmts_[which];
    const int rc = sqlite3_step(t);
    sqlite3_reset(t);
    return rc == SQLITE_DONE ? rc : sqlite3_extended_errcode(db_);
  }

  // The prepared statement for stmt (prepared on first use), or nullptr when
  // the dialect has nothing to run for it.
  Result<Prepared*> prepare(Stmt stmt) {
    Prepared& p = prepared_[static_cast<int>(stmt)];
    if (p.stmt != nullptr) return &p;
    const char* sql = statement_text(stmt, Dialect::sqlite);
    if (sql == nullptr) return static_cast<Prepared*>(nullptr);
    const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &p.stmt, nullptr);
    if (rc != SQLITE_OK) {
      Error e = sqlite_error(db_, rc, std::string("prepare ") + statement_name(stmt));
      sqlite3_finalize(p.stmt);
      p.stmt = nullptr;
      return e;
    }
    // Parameters are written $1..$n; SQLite numbers named parameters in order
    // of first appearance, so map each $k to its index by name.
    const int n = sqlite3_bind_parameter_count(p.stmt);
    p.param_index.assign(static_cast<std::size_t>(n), 0);
    for (int i = 1; i <= n; ++i) {
      const char* pname = sqlite3_bind_parameter_name(p.stmt, i);
      int k = 0;
      if (pname == nullptr || pname[0] != '$' ||
          std::from_chars(pname + 1, pname + std::strlen(pname), k).ec != std::errc{} || k < 1 ||
          k > n) {
        sqlite3_finalize(p.stmt);
        p.stmt = nullptr;
        return make_error(ErrorCode::internal, std::string("statement ") + statement_name(stmt) +
                                                   ": parameters must be $1..$n");
      }
      p.param_index[static_cast<std::size_t>(k - 1)] = i;
    }
    return &p;
  }

  sqlite3* db_;
  std::string path_;
  bool created_ = false;
  bool checkpointed_ = false;
  bool in_tx_ = false;
  std::array<Prepared, kStatementCount> prepared_{};
  std::array<sqlite3_stmt*, 4> tx_stmts_{};
};

// Says from its metadata why an existing path cannot be a speerd store, or
// "" when it may be one. Opens nothing.
std::string check_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";  // caller handles "does not exist"
  const std::string q = validate::quote(path);
  if (S_ISDIR(st.st_mode)) return q + " is a directory, not a speerd store";
  if (!S_ISREG(st.st_mode)) return q + " is not a regular file";
  if (st.st_size == 0) return q + " is an empty file, not a speerd store";
  if (static_cast<std::size_t>(st.st_size) < kHeaderBytes) {
    return q + " is not a speerd store (not an SQLite database)";
  }
  return "";
}

// Reads the header of a file SQLite has opened (nothing is written before
// this passes) and says why it is not a speerd store, or "". Other errors
// (I/O, permissions) are left to the first real statement.
std::string check_header(sqlite3* db, const std::string& path) {
  const std::string q = validate::quote(path);
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &s, nullptr);
  std::int64_t app = 0;
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) app = sqlite3_column_int64(s, 0);
  }
  sqlite3_finalize(s);
  if ((rc & 0xff) == SQLITE_NOTADB) return q + " is not a speerd store (not an SQLite database)";
  if (rc != SQLITE_ROW) return "";
  const auto id = static_cast<std::uint32_t>(app);
  if (id != kApplicationId) {
    return q + " is an SQLite database but not a speerd store (application id " +
           std::to_string(id) + ")";
  }
  return "";
}

}  // namespace

Result<std::unique_ptr<Db>> open_sqlite(std::string_view path_view, const OpenOptions& options) {
  if (path_view.empty()) return make_error(ErrorCode::invalid, "sqlite: needs a file path");
  if (path_view.find('\0') != std::string_view::npos) {
    return make_error(ErrorCode::invalid, "sqlite: the path contains a NUL byte");
  }
  const std::string path(path_view);
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists) {
    if (std::string why = check_file(path); !why.empty()) {
      return make_error(ErrorCode::not_a_store, std::move(why));
    }
  } else if (!options.create) {
    return make_error(ErrorCode::not_a_store,
                      "no store at " + validate::quote(path) +
                          " (create one with: speerctl store init --store sqlite:PATH)");
  }
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (!exists) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error e = sqlite_error(raw, rc, "cannot open " + validate::quote(path));
    sqlite3_close_v2(raw);
    return e;
  }
  if (exists) {
    if (std::string why = check_header(raw, path); !why.empty()) {
      sqlite3_close_v2(raw);
      return make_error(ErrorCode::not_a_store, std::move(why));
    }
  }
  auto db = std::make_unique<SqliteDb>(raw, path, !exists);
  if (auto ok = db->configure(); !ok) return ok.error();
  return std::unique_ptr<Db>(std::move(db));
}

}  // namespace speerd::store::detail
