#include "tests/sed-store/fixture.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>

#include "sed-store/transfer.hpp"

namespace speerd::store::test {
namespace {

std::string env_or(const char* name, const std::string& dflt) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : dflt;
}

std::filesystem::path source_dir() {
  return env_or("SPEERD_SOURCE_DIR", SPEERD_TEST_SOURCE_DIR);
}

int next_serial() {
  static std::atomic<int> n{0};
  return ++n;
}

}  // namespace

std::string pg_env(const std::string& name) {
  const std::string file = env_or("SPEERD_PG_ENV", SPEERD_TEST_PG_ENV);
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + "=", 0) == 0) return line.substr(name.size() + 1);
  }
  return "";
}

TestStore::TestStore(Backend backend) : backend_(backend) {
  const std::string tag = std::to_string(::getpid()) + "_" + std::to_string(next_serial());
  if (backend == Backend::sqlite) {
    dir_ = std::filesystem::temp_directory_path() / ("speerd-store-test-" + tag);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = dir_ / "store.db";
    uri_ = "sqlite:" + path_.string();
    return;
  }
  const std::string admin = pg_env("SPEERD_PG_URI");
  if (admin.empty()) {
    FAIL(
        "no PostgreSQL test server: run under ctest (fixture postgres) or set SPEERD_PG_ENV "
        "to the pg.env of `tools/testbed/postgres start DIR`");
  }
  db_name_ = "speerd_t_" + tag;
  pqxx::connection c(admin);
  pqxx::nontransaction tx(c);
  tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(db_name_));
  tx.exec("CREATE DATABASE " + tx.quote_name(db_name_));
  created_ = true;
  uri_ = admin.substr(0, admin.rfind('/') + 1) + db_name_;
  dir_ = std::filesystem::temp_directory_path() / ("speerd-store-test-" + tag);
  std::filesystem::create_directories(dir_);
}

TestStore::~TestStore() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  if (backend_ == Backend::postgres && created_) {
    try {
      pqxx::connection c(pg_env("SPEERD_PG_URI"));
      pqxx::nontransaction tx(c);
      tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(db_name_) + " WITH (FORCE)");
    } catch (const std::exception&) {
      // The server is gone already; its data directory goes with it.
    }
  }
}

std::unique_ptr<Store> TestStore::open(const OpenOptions& options) {
  OpenOptions o = options;
  o.create = true;
  auto s = open_store(uri_, o);
  if (!s) FAIL("open_store(" << uri_ << "): " << s.error().message);
  return std::move(*s);
}

void TestStore::exec_raw(const std::string& sql) {
  if (backend_ == Backend::sqlite) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path_.c_str(), &db) == SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    const std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    INFO(msg);
    REQUIRE(rc == SQLITE_OK);
    return;
  }
  pqxx::connection c(uri_);
  pqxx::nontransaction tx(c);
  tx.exec(sql);
}

ApplyReport must_apply(Store& s, std::vector<Change> changes) {
  auto r = s.apply(changes, WriteContext{"tester"});
  if (!r) FAIL("apply failed: " << r.error().message << " (field " << r.error().field << ")");
  return *r;
}

Error must_fail(Store& s, std::vector<Change> changes) {
  auto r = s.apply(changes, WriteContext{"tester"});
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

std::filesystem::path data_path(const std::string& name) {
  return source_dir() / "tests" / "data" / "store" / name;
}

std::vector<std::string> injection_corpus() {
  std::ifstream in(data_path("injection.txt"));
  REQUIRE(in.good());
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("#", 0) == 0 || line.empty()) continue;
    std::string v;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\' && i + 3 < line.size() + 0 && line[i + 1] == 'x') {
        v += static_cast<char>(std::stoi(line.substr(i + 2, 2), nullptr, 16));
        i += 3;
      } else {
        v += line[i];
      }
    }
    out.push_back(v);
  }
  out.push_back(std::string(100'000, 'A'));
  out.push_back(std::string(10'000, '7'));
  out.push_back(std::string(65, 'x'));
  out.push_back(std::string(16, '1'));
  return out;
}

std::string export_text(Store& s) {
  std::ostringstream out;
  // With the TSIG secrets: a changed secret is a changed store.
  auto r = transfer::export_all(s, out, transfer::Format::csv, {.with_secrets = true});
  if (!r) FAIL("export failed: " << r.error().message);
  return out.str();
}

Clock fixed_clock() {
  return [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000)); };
}

}  // namespace speerd::store::test
