// conf/speerd.toml, the example every operator starts from, against what
// speerd reads: every row of the settings table is in the example under its
// section, every daemon key of the example is a row, and the resolver
// parser (which refuses unknown keys) accepts every resolver key of it.
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <catch2/catch.hpp>
#include <toml.hpp>

#include "resolver/config/config.hpp"
#include "resolver/service/settings.hpp"

namespace {

std::filesystem::path example() {
  return std::filesystem::path(SPEERD_SOURCE_DIR_FOR_HOUSE) / "conf" / "speerd.toml";
}

}  // namespace

TEST_CASE("every setting of the table is in conf/speerd.toml and nothing else is", "[house]") {
  const auto root = toml::parse(example().string());
  std::set<std::string> rows;
  for (const auto& s : speerd::service::settings()) {
    const std::string key = std::string(s.section) + "." + std::string(s.key);
    rows.insert(key);
    INFO(key);
    REQUIRE(root.contains(std::string(s.section)));
    CHECK(root.at(std::string(s.section)).contains(std::string(s.key)));
  }
  for (const auto& section : speerd::service::server_sections()) {
    REQUIRE(root.contains(std::string(section)));
    for (const auto& [k, _] : root.at(std::string(section)).as_table()) {
      INFO(std::string(section) + "." + k);
      CHECK(rows.contains(std::string(section) + "." + k));
    }
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
  const auto cfg = speerd::config::parse_resolver_config(root, example().parent_path());
  INFO((cfg ? std::string("ok") : cfg.error()));
  CHECK(cfg.has_value());
  std::filesystem::remove(anchors);
}
