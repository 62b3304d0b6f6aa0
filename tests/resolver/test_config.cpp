#include <catch2/catch.hpp>
#include <fstream>

#include "resolver/config/config.hpp"

using namespace speerd::config;

namespace {

std::filesystem::path write(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / "speerd-test-config";
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  std::ofstream(p) << text;
  return p;
}

std::string load_error(const std::string& text) {
  auto p = write("c.toml", text);
  auto r = load_resolver_config(p);
  REQUIRE_FALSE(r);
  return r.error();
}

const char* kTree = "[[enum.tree]]\nname = \"a\"\nsuffix = \"e164.arpa\"\n";

}  // namespace

TEST_CASE("config: a minimal file parses, with defaults and a normalised suffix") {
  auto r = load_resolver_config(write("ok.toml", kTree));
  REQUIRE(r);
  REQUIRE(r->trees.size() == 1);
  CHECK(r->trees[0].suffix == "e164.arpa.");
  CHECK(r->trees[0].policy == TreePolicy::require_secure);
  CHECK(r->lookup.service == "E2U+sip+voice:sip");  // what SBCs accept for SIP
}

TEST_CASE("config: tree servers become stub zones") {
  auto r = load_resolver_config(write(
      "stub.toml", std::string(kTree) +
                       "servers = [\"127.0.0.1@5353\", \"::1\"]\npolicy = \"allow-insecure\"\n"));
  REQUIRE(r);
  REQUIRE(r->dns.stubs.size() == 1);
  CHECK(r->dns.stubs[0].zone == "e164.arpa.");
  CHECK(r->trees[0].policy == TreePolicy::allow_insecure);
}

TEST_CASE("config: errors name the bad key") {
  CHECK_THAT(load_error(std::string(kTree) + "colour = \"red\"\n"),
             Catch::Contains("[[enum.tree]] #1 colour: unknown key"));
  CHECK_THAT(load_error(std::string("[lookup]\nmax_nonterminal_hops = 99\n") + kTree),
             Catch::Contains("max_nonterminal_hops") && Catch::Contains("99 is outside 0..16"));
  CHECK_THAT(load_error(std::string("[dns]\nqname_minimisation = \"yes\"\n") + kTree),
             Catch::Contains("qname_minimisation") && Catch::Contains("expected a boolean"));
  CHECK_THAT(load_error(std::string(kTree) + "policy = \"sometimes\"\n"),
             Catch::Contains("policy"));
  CHECK_THAT(load_error(std::string(kTree) + "servers = [\"not-an-ip\"]\n"),
             Catch::Contains("not an IP"));
  CHECK_THAT(load_error(std::string(kTree) + "servers = [\"127.0.0.1@99999\"]\n"),
             Catch::Contains("bad port"));
  CHECK_THAT(load_error("[dns]\n"), Catch::Contains("at least one ENUM tree"));
  CHECK_THAT(load_error(std::string(kTree) + kTree), Catch::Contains("used twice"));
  CHECK_THAT(
      load_error(std::string("[dns]\ntrust_anchor_files = [\"/nonexistent/ta.ds\"]\n") + kTree),
      Catch::Contains("/nonexistent/ta.ds"));
  CHECK_THAT(load_error("this is not toml ="), Catch::Contains("c.toml"));
}

TEST_CASE("config: a missing file is a clear error") {
  auto r = load_resolver_config("/nonexistent/speerd.toml");
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error(), Catch::Contains("no such configuration file"));
}

// TOML is UTF-8. toml11 3.7 reads past the end of its buffer when it reports
// invalid UTF-8 inside a multi-line string (fuzz_config found it: seed
// tests/fuzz/fuzz_config.in/invalid-utf8-in-multiline-literal.toml), so the
// loader refuses such bytes first, naming line and column, wherever they are.
TEST_CASE("config: bytes that are not UTF-8 are refused with their line and column") {
  const std::string ml_literal = std::string(kTree) + "[lookup]\nservice = '''a\xff'''\n";
  const auto e = load_error(ml_literal);
  CHECK_THAT(e, Catch::Contains("c.toml:5: not UTF-8"));
  CHECK_THAT(e, Catch::Contains("\\xff at column 15"));
  CHECK_THAT(load_error(std::string("# caf\xc3\xa9 \xc0\xaf\n") + kTree),
             Catch::Contains("c.toml:1: not UTF-8 (byte \\xc0 at column 8"));  // overlong '/'
  CHECK_THAT(load_error(std::string(kTree) + "# \xed\xa0\x80\n"),
             Catch::Contains("c.toml:4: not UTF-8 (byte \\xed"));  // a surrogate
  // Valid UTF-8 in a comment and a string is fine.
  CHECK(load_resolver_config(
      write("utf8.toml", std::string("# caf\xc3\xa9 \xf0\x9f\x93\x9e\n") + kTree)));
}
