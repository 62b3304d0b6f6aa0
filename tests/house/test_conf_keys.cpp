// conf/speerd.toml, the example every operator starts from, against the one
// settings table of speerd.toml (service::speerd_toml(): the daemon's rows
// and the resolver's): every row is in the example under its section,
// commented or not, and every key of the example (commented or not) is a
// row; the resolver parser accepts the example's resolver keys; and every
// row's default is what the parser uses when the key is absent, and what
// the struct holds when code builds it without a file.
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

#include <catch2/catch.hpp>
#include <toml.hpp>

#include "resolver/config/config.hpp"
#include "resolver/service/settings.hpp"

namespace {

namespace config = speerd::config;
namespace service = speerd::service;

std::filesystem::path example() {
  return std::filesystem::path(SPEERD_SOURCE_DIR_FOR_HOUSE) / "conf" / "speerd.toml";
}

// "section.key" for every key line of the example, "# key = ..." included.
std::set<std::string> example_keys() {
  std::ifstream in(example());
  const std::regex header(R"(^\s*\[\[?([A-Za-z0-9_.]+)\]\]?\s*(#.*)?$)");
  const std::regex key(R"(^\s*#?\s*([A-Za-z_][A-Za-z0-9_]*)\s*=)");
  std::set<std::string> out;
  std::string section, line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, header)) {
      section = m[1];
    } else if (!section.empty() && std::regex_search(line, m, key)) {
      out.insert(section + "." + std::string(m[1]));
    }
  }
  return out;
}

std::string row_name(const config::SectionInfo& s, const config::RowInfo& r) {
  return std::string(s.name) + "." + std::string(r.key);
}

}  // namespace

TEST_CASE("every setting of the table is in conf/speerd.toml and nothing else is", "[house]") {
  const auto keys = example_keys();
  std::set<std::string> rows;
  for (const auto& s : service::speerd_toml()) {
    for (const auto& r : *s.rows) rows.insert(row_name(s, r));
  }
  REQUIRE(rows.size() > 70);  // the daemon's 53 and the resolver's 26
  for (const auto& r : rows) {
    INFO("table row missing from the example: " << r);
    CHECK(keys.contains(r));
  }
  for (const auto& k : keys) {
    INFO("example key that is no row of the table: " << k);
    CHECK(rows.contains(k));
  }
}

TEST_CASE("the resolver parser accepts every resolver key of conf/speerd.toml", "[house]") {
  // The example names the installed anchor file; point it at one that exists.
  auto root = toml::parse(example().string());
  auto& dns = root.as_table().at("dns").as_table();
  const auto anchors = std::filesystem::temp_directory_path() / "speerd-house-anchors.ds";
  std::ofstream(anchors) << "";
  dns["trust_anchor_files"] = toml::array{anchors.string()};
  auto& trees = root.as_table().at("enum").as_table().at("tree").as_array();
  for (auto& t : trees) t.as_table()["trust_anchor_files"] = toml::array{};
  const auto cfg = config::parse_resolver_config(root, example().parent_path());
  INFO((cfg ? std::string("ok") : cfg.error()));
  CHECK(cfg.has_value());
  std::filesystem::remove(anchors);
}

namespace {

// Every row of `table` whose key is absent from a parsed file has its
// default, and so does a struct built without a file (`blank`). Returns how
// many rows were compared.
template <typename C>
std::size_t check_defaults(const config::Table<C>& table, const C& parsed, const C& blank) {
  std::size_t compared = 0;
  for (const auto& s : table.sections) {
    if (s.rows.empty()) continue;
    REQUIRE(s.count(parsed) > 0);
    const auto from_file = s.values(parsed, 0);
    const auto from_code = s.values(blank, 0);
    for (std::size_t i = 0; i < s.rows.size(); ++i) {
      const auto& r = s.rows[i];
      if (r.flags.required || !r.flags.absent.empty()) continue;
      INFO(std::string(s.info.name) + "." + std::string(r.key) + ": default " +
           config::to_toml(r.fallback) + ", parsed " + config::to_toml(from_file[i]) + ", struct " +
           config::to_toml(from_code[i]));
      CHECK(from_file[i] == r.fallback);
      CHECK(from_code[i] == r.fallback);
      ++compared;
    }
  }
  return compared;
}

}  // namespace

TEST_CASE("every row's default is what the parser uses when the key is absent", "[house]") {
  // Only the required keys are given.
  std::istringstream daemon_text(
      "[tls]\ncertificate = \"s.crt\"\nprivate_key = \"s.key\"\nclient_ca = \"ca.crt\"\n");
  const auto server = service::parse_server_config(toml::parse(daemon_text, "speerd.toml"));
  REQUIRE(server.has_value());
  CHECK(check_defaults(service::server_table(), *server, service::ServerConfig{}) ==
        53);  // the daemon rows but the three required [tls] ones

  std::istringstream resolver_text(
      "[[dns.stub]]\nzone = \"e164.example\"\nservers = [\"192.0.2.53\"]\n"
      "[[enum.tree]]\nsuffix = \"e164.arpa\"\n");
  const auto resolver =
      config::parse_resolver_config(toml::parse(resolver_text, "speerd.toml"), ".");
  INFO((resolver ? std::string("ok") : resolver.error()));
  REQUIRE(resolver.has_value());
  config::ResolverConfig blank;
  blank.dns.stubs.emplace_back();
  blank.trees.emplace_back();
  // 26 rows: the stub's zone and servers and the tree's suffix are required,
  // the tree's name has no value of its own (it is the suffix).
  CHECK(check_defaults(config::resolver_table(), *resolver, blank) == 22);
  CHECK(resolver->trees.at(0).name == resolver->trees.at(0).suffix);
}
