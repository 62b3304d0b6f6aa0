// Helpers for integration tests against the real signed-zone testbed
// (tools/testbed; ctest starts it as the `testbed` fixture and sets
// SPEERD_TESTBED to its folder).
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "resolver/config/config.hpp"

namespace speerd::testing {

inline std::filesystem::path testbed_dir() {
  const char* d = std::getenv("SPEERD_TESTBED");
  if (d == nullptr || *d == '\0') FAIL("SPEERD_TESTBED is not set: run this test through ctest");
  return d;
}

inline std::filesystem::path testbed_config_path() {
  return testbed_dir() / "speerd.toml";
}

// The testbed's generated configuration (trees private-a and private-b,
// stubs for every zone, all trust anchors).
inline config::ResolverConfig testbed_config() {
  auto cfg = config::load_resolver_config(testbed_config_path());
  if (!cfg) FAIL("cannot load the testbed config: " << cfg.error());
  return *cfg;
}

inline config::TreeConfig tree(std::string name, std::string suffix,
                               config::TreePolicy policy = config::TreePolicy::require_secure) {
  config::TreeConfig t;
  t.name = std::move(name);
  t.suffix = std::move(suffix);
  t.policy = policy;
  return t;
}

}  // namespace speerd::testing
