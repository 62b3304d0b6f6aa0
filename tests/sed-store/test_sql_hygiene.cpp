// Reads the sed-store sources and checks the rule "SQL only as constant text
// with bound parameters": SQL lives in statements.cpp (plus the migrations and
// a few fixed transaction/pragma statements), nothing is ever concatenated or
// formatted into SQL, and the driver entry points that take SQL text are only
// fed constants.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace {

std::filesystem::path source_dir() {
  const char* v = std::getenv("SPEERD_SOURCE_DIR");
  return v != nullptr ? std::filesystem::path(v) : std::filesystem::path(SPEERD_TEST_SOURCE_DIR);
}

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The source with comments removed (string literals kept).
std::string strip_comments(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"') {  // copy a string literal whole
      const std::size_t start = i++;
      while (i < s.size() && s[i] != '"') i += (s[i] == '\\') ? 2 : 1;
      out += s.substr(start, i - start + 1);
      continue;
    }
    if (s.compare(i, 2, "//") == 0) {
      while (i < s.size() && s[i] != '\n') ++i;
      out += '\n';
      continue;
    }
    if (s.compare(i, 2, "/*") == 0) {
      i = s.find("*/", i + 2);
      if (i == std::string::npos) break;
      ++i;
      continue;
    }
    out += s[i];
  }
  return out;
}

std::vector<std::string> string_literals(const std::string& code) {
  std::vector<std::string> out;
  static const std::regex kLiteral(R"lit("((?:[^"\\\n]|\\.)*)")lit");
  for (auto it = std::sregex_iterator(code.begin(), code.end(), kLiteral);
       it != std::sregex_iterator(); ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

bool looks_like_sql(const std::string& lit) {
  static const std::regex kSql(
      R"((^|\s)(SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE|DROP\s+TABLE|ALTER\s+TABLE|WHERE|VALUES)(\s|$))");
  return std::regex_search(lit, kSql);
}

std::vector<std::filesystem::path> sources() {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(source_dir() / "sed-store")) {
    const auto ext = e.path().extension();
    if (ext == ".cpp" || ext == ".hpp") out.push_back(e.path());
  }
  REQUIRE(out.size() > 10);
  return out;
}

}  // namespace

TEST_CASE("SQL text appears only in statements.cpp", "[sql-hygiene]") {
  for (const auto& file : sources()) {
    if (file.filename() == "statements.cpp") continue;
    for (const auto& lit : string_literals(strip_comments(read(file)))) {
      INFO(file.filename().string() << ": \"" << lit << "\"");
      CHECK_FALSE(looks_like_sql(lit));
    }
  }
}

TEST_CASE("statements.cpp builds nothing at run time", "[sql-hygiene]") {
  const std::string code = strip_comments(read(source_dir() / "sed-store" / "statements.cpp"));
  // No std::string, no formatting, no operator+ on text, no appending.
  for (const char* banned : {"std::string", "snprintf", "sprintf", "format(", "append(",
                             "+=", "ostringstream", "to_string("}) {
    INFO(banned);
    CHECK(code.find(banned) == std::string::npos);
  }
  // Every statement binds values as $n, never inline quotes around a $n.
  for (const auto& lit : string_literals(code)) {
    INFO(lit);
    CHECK_FALSE(std::regex_search(lit, std::regex(R"('\$\d+')")));
    CHECK(lit.find('?') == std::string::npos);
  }
}

TEST_CASE("no SQL is concatenated or formatted anywhere in sed-store", "[sql-hygiene]") {
  // A string literal with SQL next to a + or inside a format call.
  static const std::regex kConcat(
      R"lit(("[^"\n]*(SELECT|INSERT|UPDATE|DELETE|WHERE|VALUES)[^"\n]*"\s*\+)|(\+\s*"[^"\n]*(SELECT|INSERT|UPDATE|DELETE|WHERE|VALUES|FROM)[^"\n]*"))lit");
  static const std::regex kFormat(
      R"lit((printf|format)\s*\([^;]*(SELECT|INSERT|UPDATE|DELETE|PRAGMA|WHERE))lit");
  for (const auto& file : sources()) {
    const std::string code = strip_comments(read(file));
    INFO(file.filename().string());
    CHECK_FALSE(std::regex_search(code, kConcat));
    CHECK_FALSE(std::regex_search(code, kFormat));
  }
}

TEST_CASE("driver calls that take SQL text only get constants", "[sql-hygiene]") {
  const std::string sqlite = strip_comments(read(source_dir() / "sed-store" / "sqlite_db.cpp"));
  const std::string pg = strip_comments(read(source_dir() / "sed-store" / "postgres_db.cpp"));
  // sqlite3_exec: a literal, a constant from a fixed list, or a migration.
  static const std::regex kExec(R"(sqlite3_exec\(db_,\s*([^,]+),)");
  for (auto it = std::sregex_iterator(sqlite.begin(), sqlite.end(), kExec);
       it != std::sregex_iterator(); ++it) {
    const std::string arg = (*it)[1];
    INFO(arg);
    CHECK((arg.front() == '"' || arg == "sql" || arg == "m.sql"));
  }
  CHECK(sqlite.find("sqlite3_prepare_v3(db_, sql,") != std::string::npos);
  // The fixed transaction statements are literals.
  CHECK(
      sqlite.find(
          R"(const char* fixed[] = {"BEGIN IMMEDIATE", "BEGIN DEFERRED", "COMMIT", "ROLLBACK"};)") !=
      std::string::npos);
  CHECK(sqlite.find("statement_text(stmt, Dialect::sqlite)") != std::string::npos);
  // libpqxx: exec only for migrations; prepared statements only from the table.
  static const std::regex kPgExec(R"(->exec\(([^)]*)\))");
  for (auto it = std::sregex_iterator(pg.begin(), pg.end(), kPgExec); it != std::sregex_iterator();
       ++it) {
    CHECK((*it)[1] == "m.sql");
  }
  CHECK(pg.find("conn_->prepare(name, sql)") != std::string::npos);
  CHECK(pg.find("statement_text(stmt, Dialect::postgres)") != std::string::npos);
}
