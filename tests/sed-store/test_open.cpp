// Opening: what is not a speerd store is refused and left untouched; schema
// versions newer than this build are refused; bad URIs and credentials fail
// with "unavailable"/"invalid", never a crash.
#include <sqlite3.h>

#include <fstream>
#include <random>
#include <thread>

#include "sed-store/store.hpp"
#include "tests/sed-store/fixture.hpp"

namespace speerd::store::test {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out << bytes;
}

// Opening `path` (with and without create) fails with `code` and leaves the
// file byte for byte as it was, with no -wal/-shm beside it.
void expect_refused(const std::filesystem::path& path, ErrorCode code, const std::string& words) {
  const bool is_dir = std::filesystem::is_directory(path);
  const std::string before = is_dir ? "" : read_file(path);
  for (bool create : {false, true}) {
    OpenOptions o;
    o.create = create;
    auto s = open_store("sqlite:" + path.string(), o);
    REQUIRE_FALSE(s);
    INFO(s.error().message);
    CHECK(s.error().code == code);
    CHECK(s.error().message.find(words) != std::string::npos);
  }
  if (!is_dir) CHECK(read_file(path) == before);
  CHECK_FALSE(std::filesystem::exists(path.string() + "-wal"));
  CHECK_FALSE(std::filesystem::exists(path.string() + "-shm"));
}

}  // namespace

TEST_CASE("sqlite: files that are not a speerd store are refused and untouched", "[open]") {
  TestStore ts(Backend::sqlite);
  const auto dir = ts.dir();
  std::mt19937 rng(42);
  std::string random(8192, '\0');
  for (char& c : random) c = static_cast<char>(rng());
  write_file(dir / "random.bin", random);
  expect_refused(dir / "random.bin", ErrorCode::not_a_store, "not an SQLite database");

  write_file(dir / "empty.db", "");
  expect_refused(dir / "empty.db", ErrorCode::not_a_store, "empty file");

  write_file(dir / "text.db", "SQLite format 2\nhello\n");
  expect_refused(dir / "text.db", ErrorCode::not_a_store, "not an SQLite database");

  // Another application's SQLite database (a table, default application id).
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir / "other.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE client (id INTEGER); INSERT INTO client VALUES (1);",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  expect_refused(dir / "other.db", ErrorCode::not_a_store, "not a speerd store");

  // An SQLite database with no tables at all is still not ours.
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir / "blank.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 3", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  expect_refused(dir / "blank.db", ErrorCode::not_a_store, "not a speerd store");

  std::filesystem::create_directories(dir / "a-directory");
  expect_refused(dir / "a-directory", ErrorCode::not_a_store, "directory");
}

TEST_CASE("sqlite: a long-lived connection sees other processes' writes after more opens",
          "[open]") {
  // speerd keeps one connection for polling and opens more (one per shard,
  // at start and at every reload) while speerctl, another process, writes.
  // Opening must not cost the first connection its locks: with them gone,
  // the writer takes itself for the last user, checkpoints and deletes the
  // WAL as it closes, and the poller goes on reading an old snapshot. The
  // writer here is the sqlite3 shell (a fresh process, like speerctl; a
  // fork() would inherit this process's SQLite state).
  TestStore ts(Backend::sqlite);
  auto poller = ts.open();
  auto before = poller->change_counter();
  REQUIRE(before);
  std::vector<std::unique_ptr<Store>> shards;  // like speerd's: opened and kept
  for (int round = 1; round <= 3; ++round) {
    shards.push_back(ts.open());
    { auto other = ts.open(); }  // and one opened and closed
    const std::string cmd = "sqlite3 '" + ts.path().string() +
                            "' 'UPDATE store_meta SET change_counter = change_counter + 1 "
                            "WHERE id = 1' >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    auto now = poller->change_counter();
    REQUIRE(now);
    CHECK(*now == *before + static_cast<std::uint64_t>(round));
  }
}

TEST_CASE("sqlite: a missing file is created only on request", "[open]") {
  TestStore ts(Backend::sqlite);
  auto missing = open_store(ts.uri());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::not_a_store);
  CHECK(missing.error().message.find("store init") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(ts.path()));
  // A directory that does not exist: unavailable, nothing created.
  OpenOptions create;
  create.create = true;
  auto nodir = open_store("sqlite:" + (ts.dir() / "no" / "such" / "dir.db").string(), create);
  REQUIRE_FALSE(nodir);
  CHECK(nodir.error().code == ErrorCode::unavailable);
  auto made = open_store(ts.uri(), create);
  REQUIRE(made);
  CHECK(std::filesystem::exists(ts.path()));
}

TEST_CASE("sqlite: a damaged store reports corruption, not a crash", "[open]") {
  TestStore ts(Backend::sqlite);
  {
    auto s = ts.open();
    std::vector<Change> changes{AddDestinationGroup{"dg", ""}};
    for (int i = 0; i < 3000; ++i) {
      changes.push_back(
          AddIdentifier{"dg", IdentifierKind::number, std::to_string(4930000000 + i), {}});
    }
    must_apply(*s, changes);
  }
  // Checkpointed and closed: now overwrite the middle of the file.
  std::string bytes = read_file(ts.path());
  REQUIRE(bytes.size() > 64 * 1024);
  for (std::size_t i = 16 * 4096; i < bytes.size() - 4096; ++i) bytes[i] = static_cast<char>(0xA5);
  write_file(ts.path(), bytes);
  auto s = open_store(ts.uri());
  if (!s) {
    CHECK(s.error().code == ErrorCode::corrupt);
    return;
  }
  // The header is intact, so it opens; the first query into the damage fails
  // with a clear "corrupt".
  IdentifierPage page;
  page.limit = 100000;
  auto r = (*s)->list_identifiers(page);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::corrupt);
  CHECK(r.error().message.find("corrupt") != std::string::npos);
}

TEMPLATE_TEST_CASE("a schema newer than this build is refused, an older one needs migrate",
                   "[open]", Sqlite, Postgres) {
  TestStore ts(TestType::value);
  { ts.open(); }
  const int next = known_schema_version() + 1;
  ts.exec_raw("INSERT INTO schema_version (version, name, applied_at) VALUES (" +
              std::to_string(next) + ", 'from_the_future', 'x')");
  for (bool create : {false, true}) {
    OpenOptions o;
    o.create = create;
    o.allow_old_schema = true;
    auto s = open_store(ts.uri(), o);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == ErrorCode::schema_too_new);
    CHECK(s.error().message.find("newer") != std::string::npos);
  }
  // Older: pretend version 1 was never recorded (version 0 with tables).
  ts.exec_raw("DELETE FROM schema_version");
  auto s = open_store(ts.uri());
  REQUIRE_FALSE(s);
  CHECK((s.error().code == ErrorCode::schema_too_old || s.error().code == ErrorCode::not_a_store));
}

TEST_CASE("postgresql: foreign and empty databases are refused and untouched", "[open]") {
  TestStore ts(Backend::postgres);
  auto empty = open_store(ts.uri());
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code == ErrorCode::not_a_store);
  CHECK(empty.error().message.find("store init") != std::string::npos);
  ts.exec_raw("CREATE TABLE inventory (id INTEGER)");
  OpenOptions create;
  create.create = true;
  auto foreign = open_store(ts.uri(), create);
  REQUIRE_FALSE(foreign);
  CHECK(foreign.error().code == ErrorCode::not_a_store);
  CHECK(foreign.error().message.find("not touched") != std::string::npos);
  // Still only the one foreign table.
  ts.exec_raw("DROP TABLE inventory");
}

TEST_CASE("postgresql: bad credentials and unreachable servers are 'unavailable'", "[open]") {
  const std::string auth = pg_env("SPEERD_PG_AUTH_URI");
  REQUIRE_FALSE(auth.empty());
  const std::string port = pg_env("SPEERD_PG_PORT");
  struct Case {
    std::string uri;
    std::string words;
  };
  const std::vector<Case> cases{
      {"postgresql://speerd_auth:wrong-password@127.0.0.1:" + port + "/postgres",
       "password authentication failed"},
      {"postgresql://no_such_role@127.0.0.1:" + port + "/postgres", "no_such_role"},
      {"postgresql://postgres@127.0.0.1:" + port + "/no_such_database", "no_such_database"},
      {"postgresql://postgres@127.0.0.1:1/postgres", "failed"},
  };
  for (const auto& k : cases) {
    auto s = open_store(k.uri);
    REQUIRE_FALSE(s);
    INFO(s.error().message);
    CHECK(s.error().code == ErrorCode::unavailable);
    CHECK(s.error().message.find(k.words) != std::string::npos);
    // The password never shows up in a message.
    CHECK(s.error().message.find("wrong-password") == std::string::npos);
  }
  // The right password works (and the empty database is "not a store").
  auto ok = open_store(auth);
  REQUIRE_FALSE(ok);
  CHECK(ok.error().code != ErrorCode::unavailable);
}

TEST_CASE("store URIs other than sqlite: and postgresql:// are invalid", "[open]") {
  for (const char* uri : {"", "mysql://x", "sqlite:", "file:/tmp/x.db", "SQLITE:/tmp/x"}) {
    auto s = open_store(uri);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == ErrorCode::invalid);
  }
}

}  // namespace speerd::store::test

namespace speerd::store::test {

// The cluster layout of ARCHITECTURE.md ("Cluster"): speerctl writes to the primary, nodes read
// from a streaming replica (tools/testbed/postgres start-replica).
TEST_CASE(
    "postgresql: a replica serves lookups and refuses writes, a multi-host URI finds "
    "the writer",
    "[open][cluster]") {
  const std::string dir = pg_env("SPEERD_PG_DIR");
  REQUIRE_FALSE(dir.empty());
  if (pg_env("SPEERD_PG_REPLICA_URI").empty()) {
    const std::string cmd = std::string(SPEERD_TEST_SOURCE_DIR) +
                            "/tools/testbed/postgres start-replica " + dir + " 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
  const std::string replica = pg_env("SPEERD_PG_REPLICA_URI");
  REQUIRE_FALSE(replica.empty());
  TestStore ts(Backend::postgres);
  {
    auto s = ts.open();
    must_apply(*s, {AddDestinationGroup{"dg", ""},
                    AddIdentifier{"dg", IdentifierKind::number, "4930123456", {}}});
  }
  const std::string db = ts.uri().substr(ts.uri().rfind('/'));
  const std::string on_replica = replica.substr(0, replica.rfind('/')) + db;
  // Streaming lag is milliseconds; the new database shows up after it.
  Result<std::unique_ptr<Store>> r = Error{};
  for (int i = 0; i < 100; ++i) {
    r = open_store(on_replica);
    if (r && (*r)->info()->public_identifiers == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(r);
  CHECK((*r)->info()->public_identifiers == 1);
  auto w = (*r)->apply(std::vector<Change>{AddDestinationGroup{"dg2", ""}}, WriteContext{"t"});
  REQUIRE_FALSE(w);
  CHECK(w.error().code == ErrorCode::read_only);
  // A multi-host URI that asks for the writer skips the replica.
  const auto host_port = [](const std::string& uri) {
    const auto at = uri.find('@') + 1;
    return uri.substr(at, uri.rfind('/') - at);
  };
  const std::string multi = "postgresql://postgres@" + host_port(replica) + "," +
                            host_port(ts.uri()) + db + "?target_session_attrs=read-write";
  auto writer = open_store(multi);
  if (!writer) FAIL(writer.error().message);
  auto ok =
      (*writer)->apply(std::vector<Change>{AddDestinationGroup{"dg2", ""}}, WriteContext{"t"});
  CHECK(ok.has_value());
}

}  // namespace speerd::store::test
