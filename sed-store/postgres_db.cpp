// The PostgreSQL backend (libpqxx 6.4). Any libpq connection URI works,
// including multi-host ones (postgresql://h1:5432,h2:5432/db?
// target_session_attrs=read-write for the writer; any host for readers).
// libpqxx throws; this file is the boundary where exceptions become Errors.
#include <charconv>
#include <pqxx/pqxx>
#include <tuple>
#include <vector>

#include "sed-store/db.hpp"

namespace speerd::store::detail {
namespace {

std::string first_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (const auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

// Classifies the exception in flight (call from a catch block).
Error current_error(std::string_view what) {
  const std::string prefix = std::string(what) + ": ";
  try {
    throw;
  } catch (const pqxx::integrity_constraint_violation& e) {
    return make_error(ErrorCode::conflict, prefix + first_line(e.what()));
  } catch (const pqxx::broken_connection& e) {
    return make_error(ErrorCode::unavailable,
                      "PostgreSQL connection failed: " + first_line(e.what()));
  } catch (const pqxx::insufficient_privilege& e) {
    return make_error(ErrorCode::read_only, prefix + first_line(e.what()));
  } catch (const pqxx::sql_error& e) {
    const std::string& state = e.sqlstate();
    // 25006: read-only transaction (a replica); 40xxx: serialization/deadlock;
    // 53xxx: resources; 57xxx: operator intervention (shutdown, timeout).
    if (state == "25006") return make_error(ErrorCode::read_only, prefix + first_line(e.what()));
    if (state.rfind("40", 0) == 0 || state.rfind("53", 0) == 0 || state.rfind("57", 0) == 0 ||
        state.rfind("08", 0) == 0) {
      return make_error(ErrorCode::unavailable, prefix + first_line(e.what()));
    }
    if (state.rfind("22", 0) == 0) {  // data exception: input the checks missed
      return make_error(ErrorCode::invalid, prefix + first_line(e.what()));
    }
    return make_error(ErrorCode::internal, prefix + first_line(e.what()));
  } catch (const pqxx::in_doubt_error& e) {
    return make_error(ErrorCode::unavailable, prefix + "commit in doubt: " + first_line(e.what()));
  } catch (const std::exception& e) {
    return make_error(ErrorCode::internal, prefix + first_line(e.what()));
  } catch (...) {
    return make_error(ErrorCode::internal, prefix + "unknown exception");
  }
}

class PgRow final : public Row {
 public:
  explicit PgRow(const pqxx::row& r) : r_(r) {}
  bool is_null(int col) const override { return r_[col].is_null(); }
  std::int64_t integer(int col) const override {
    const pqxx::field f = r_[col];
    std::int64_t v = 0;
    const char* p = f.c_str();
    std::from_chars(p, p + f.size(), v);
    return v;
  }
  std::string_view text(int col) const override {
    const pqxx::field f = r_[col];
    return {f.c_str(), f.size()};
  }

 private:
  const pqxx::row& r_;
};

using WriteTx = pqxx::work;
using ReadTx = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

class PgDb final : public Db {
 public:
  explicit PgDb(std::string uri) : uri_(std::move(uri)) {}
  ~PgDb() override {
    tx_.reset();
    conn_.reset();
  }

  Result<Done> connect() {
    try {
      conn_ = std::make_unique<pqxx::connection>(uri_);
      prepared_.fill(false);
    } catch (...) {
      conn_.reset();
      return current_error("connect");
    }
    auto ok = detail::run(*this, Stmt::kSessionSetup, {});
    if (!ok) return ok.error();
    return Done{};
  }

  Dialect dialect() const override { return Dialect::postgres; }
  std::string_view backend_name() const override { return "postgresql"; }

  Result<Done> begin(TxMode mode) override {
    if (tx_) return make_error(ErrorCode::internal, "nested transaction");
    if (auto ok = ensure_connected(); !ok) return ok.error();
    for (int attempt = 0;; ++attempt) {
      try {
        if (mode == TxMode::write) {
          tx_ = std::make_unique<WriteTx>(*conn_);
        } else {
          tx_ = std::make_unique<ReadTx>(*conn_);
        }
        return Done{};
      } catch (const pqxx::broken_connection&) {
        // Nothing was done yet: a connection found dead (server restarted,
        // primary failed over) is replaced once, on whichever host of a
        // multi-host URI now fits target_session_attrs.
        if (attempt == 0 && reconnect()) continue;
        Error e = current_error("begin transaction");
        drop_if_broken(e);
        return e;
      } catch (...) {
        Error e = current_error("begin transaction");
        drop_if_broken(e);
        return e;
      }
    }
  }

  Result<Done> commit() override {
    if (!tx_) return make_error(ErrorCode::internal, "commit without a transaction");
    try {
      tx_->commit();
      tx_.reset();
    } catch (...) {
      Error e = current_error("commit");
      tx_.reset();
      drop_if_broken(e);
      return e;
    }
    return Done{};
  }

  void rollback() noexcept override {
    try {
      if (tx_) tx_->abort();
    } catch (...) {
      // The connection is gone; nothing to roll back on the server.
    }
    tx_.reset();
  }

  bool in_transaction() const override { return tx_ != nullptr; }

  Result<std::size_t> run(Stmt stmt, std::span<const Param> params, RowFn on_row) override {
    const char* sql = statement_text(stmt, Dialect::postgres);
    if (sql == nullptr) return std::size_t{0};
    // libpq takes text parameters as C strings: a NUL would cut the value short
    // silently. validate.cpp rejects NUL before this; refuse here as well.
    std::vector<std::string> storage;
    storage.reserve(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (std::size_t k = 0; k < params.size(); ++k) {
      if (const auto* i = std::get_if<std::int64_t>(&params[k])) {
        storage.push_back(std::to_string(*i));
      } else if (const auto* t = std::get_if<std::string_view>(&params[k])) {
        if (t->find('\0') != std::string_view::npos) {
          return make_error(ErrorCode::invalid, "a value contains a NUL byte");
        }
        storage.emplace_back(*t);
      } else {
        continue;  // NULL
      }
      values[k] = storage.back().c_str();
    }
    if (auto ok = ensure_connected(); !ok) return ok.error();
    for (int attempt = 0;; ++attempt) {
      try {
        return exec(stmt, sql, values, on_row);
      } catch (const pqxx::broken_connection&) {
        // Outside a transaction a statement only reads (every write runs in
        // Store::apply's transaction): one found dead connection is replaced
        // and the read repeated once, so a failover or a replica lost costs
        // the caller nothing when another host answers.
        if (!tx_ && attempt == 0 && reconnect()) continue;
        Error e = current_error(statement_name(stmt));
        drop_if_broken(e);
        return e;
      } catch (...) {
        Error e = current_error(statement_name(stmt));
        drop_if_broken(e);
        return e;
      }
    }
  }

  Result<std::size_t> exec(Stmt stmt, const char* sql, const std::vector<const char*>& values,
                           RowFn on_row) {
    {
      const std::string name = statement_name(stmt);
      const auto idx = static_cast<std::size_t>(stmt);
      if (!prepared_[idx]) {
        conn_->prepare(name, sql);
        prepared_[idx] = true;
      }
      pqxx::result res;
      if (tx_) {
        res = tx_->exec_prepared(name, pqxx::prepare::make_dynamic_params(values));
      } else {
        pqxx::nontransaction ntx(*conn_);
        res = ntx.exec_prepared(name, pqxx::prepare::make_dynamic_params(values));
      }
      for (const auto& r : res) {
        PgRow row(r);
        on_row(row);
      }
      return static_cast<std::size_t>(res.size());
    }
  }

  Result<Done> fill_stage(std::span<const StageRow> rows) override {
    if (!tx_) return make_error(ErrorCode::internal, "fill_stage outside a transaction");
    for (const StageRow& r : rows) {
      for (std::string_view v : {r.kind, r.value, r.range_end}) {
        if (v.find('\0') != std::string_view::npos) {
          return make_error(ErrorCode::invalid, "a value contains a NUL byte");
        }
      }
    }
    try {
      // COPY into the temporary table (libpqxx escapes each field for COPY).
      static const std::vector<std::string> kColumns{"ord", "dg_id", "kind", "value", "range_end"};
      pqxx::stream_to copy(*tx_, "stage_identifier", kColumns);
      std::string range_end;
      for (const StageRow& r : rows) {
        range_end.assign(r.range_end);
        copy << std::make_tuple(r.ord, r.destination_group_id, std::string(r.kind),
                                std::string(r.value),
                                r.range_end.empty() ? nullptr : range_end.c_str());
      }
      copy.complete();
    } catch (...) {
      Error e = current_error("copy into stage_identifier");
      drop_if_broken(e);
      return e;
    }
    return Done{};
  }

  Result<Done> exec_migration(const Migration& m) override {
    if (!tx_) return make_error(ErrorCode::internal, "migration outside a transaction");
    try {
      tx_->exec(m.sql);
    } catch (...) {
      return current_error("migration " + std::to_string(m.version) + " (" + m.name + ")");
    }
    return Done{};
  }

 private:
  // After a lost connection, the next call reconnects (a read goes to whichever
  // host of a multi-host URI answers now).
  Result<Done> ensure_connected() {
    if (conn_ && conn_->is_open()) return Done{};
    if (tx_) return make_error(ErrorCode::unavailable, "PostgreSQL connection lost");
    return connect();
  }

  // A fresh connection in place of a dead one (outside a transaction).
  bool reconnect() {
    if (tx_) return false;
    conn_.reset();
    return connect().has_value();
  }

  // Any "unavailable" error (lost connection, server shutting down, a commit
  // in doubt, a standby promoted under a read-write session) leaves a session
  // not worth keeping: the next call connects afresh through the URI, which
  // is how a multi-host URI finds the hosts' new roles.
  void drop_if_broken(const Error& e) {
    if (e.code == ErrorCode::unavailable || e.code == ErrorCode::read_only) {
      tx_.reset();
      conn_.reset();
    }
  }

  std::string uri_;
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<pqxx::transaction_base> tx_;
  std::array<bool, kStatementCount> prepared_{};
};

}  // namespace

Result<std::unique_ptr<Db>> open_postgres(std::string_view uri, const OpenOptions&) {
  if (uri.find('\0') != std::string_view::npos) {
    return make_error(ErrorCode::invalid, "the PostgreSQL URI contains a NUL byte");
  }
  auto db = std::make_unique<PgDb>(std::string(uri));
  if (auto ok = db->connect(); !ok) return ok.error();
  return std::unique_ptr<Db>(std::move(db));
}

}  // namespace speerd::store::detail
