// Test fixture: the same tests run against both backends. A TestStore is a
// fresh, empty store location: a new SQLite file in a temporary directory, or
// a new database on the PostgreSQL test server that the ctest fixture
// `postgres` starts (tools/testbed/postgres; its pg.env path comes from
// $SPEERD_PG_ENV, else the build's default).
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sed-store/store.hpp"

namespace speerd::store::test {

enum class Backend { sqlite, postgres };

struct Sqlite {
  static constexpr Backend value = Backend::sqlite;
};
struct Postgres {
  static constexpr Backend value = Backend::postgres;
};

// Values from the PostgreSQL test server's pg.env (empty if not running).
std::string pg_env(const std::string& name);

class TestStore {
 public:
  explicit TestStore(Backend backend);
  ~TestStore();
  TestStore(const TestStore&) = delete;
  TestStore& operator=(const TestStore&) = delete;

  Backend backend() const { return backend_; }
  const std::string& uri() const { return uri_; }
  // The SQLite file (sqlite only).
  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& dir() const { return dir_; }

  // Opens (creating on first use) and REQUIREs success.
  std::unique_ptr<Store> open(const OpenOptions& options = {});

  // Runs trusted SQL directly on the database (tests only: to simulate other
  // writers, newer schemas, foreign tables).
  void exec_raw(const std::string& sql);

 private:
  Backend backend_;
  std::string uri_;
  std::filesystem::path dir_;
  std::filesystem::path path_;
  std::string db_name_;
  bool created_ = false;
};

// Applies changes as "tester" and REQUIREs success.
ApplyReport must_apply(Store& s, std::vector<Change> changes);
// Applies and REQUIREs failure; returns the error.
Error must_fail(Store& s, std::vector<Change> changes);

// tests/data/store/<name>
std::filesystem::path data_path(const std::string& name);

// The injection corpus (tests/data/store/injection.txt, \xNN decoded), plus
// generated overlong strings.
std::vector<std::string> injection_corpus();

// A full export (csv) as text: compare before/after to prove "unchanged".
std::string export_text(Store& s);

// A fixed clock for deterministic audit timestamps.
Clock fixed_clock();

}  // namespace speerd::store::test
