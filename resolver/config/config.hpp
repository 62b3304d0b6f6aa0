// The resolver's part of speerd.toml: [dns], [[dns.stub]], [[enum.tree]],
// [lookup], [cache]. The daemon's own sections ([server], [tls], [limits],
// [admin], [store], [log]) are parsed in resolver/daemon.
//
// Every setting is declared once below, with its default and meaning; the
// parser rejects unknown keys and names the key and the file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <toml.hpp>

#include "enum/expected.hpp"
#include "resolver/dns/unbound_client.hpp"

namespace speerd::config {

enum class TreePolicy {
  require_secure,  // only secure answers route
  allow_insecure,  // secure and insecure answers route (bogus never does)
};

// How a DNS answer is checked against the SED store (ARCHITECTURE.md, "The store check").
enum class StorePolicy {
  strict,               // a mismatch rejects
  advisory,             // a mismatch is flagged and routed
  store_authoritative,  // provisioned SED answers without DNS
};

struct TreeConfig {
  std::string name;    // short name, used in client scopes and responses
  std::string suffix;  // "e164.arpa.", lower case, trailing dot
  TreePolicy policy = TreePolicy::require_secure;
  std::vector<std::string> servers;             // authoritative servers (stub), "IP[@port]"
  std::vector<std::string> trust_anchor_files;  // extra anchors for this tree
};

struct LookupSettings {
  std::string service = "E2U+sip";    // default enumservice when a request names none
  unsigned max_nonterminal_hops = 5;  // non-terminal NAPTR rules followed per lookup
  StorePolicy store_policy = StorePolicy::advisory;
  // Insecure answers for names outside the ENUM trees (peer domains in the
  // LRF) route only when this is true; a store match vouches for them anyway.
  bool allow_insecure_targets = false;
};

struct CacheSettings {
  std::size_t max_entries = 100000;      // LRU bound on entries
  std::size_t max_bytes = 64u << 20;     // LRU bound on approximate memory use
  std::uint32_t max_ttl = 3600;          // seconds; a result's TTL is capped to this
  std::uint32_t negative_max_ttl = 300;  // seconds; cap for negative answers
  std::uint32_t stale_window = 300;      // seconds after expiry a validated answer may be
                                         // served while upstreams fail; 0 = never
};

struct ResolverConfig {
  dns::UnboundOptions dns;
  std::vector<TreeConfig> trees;
  LookupSettings lookup;
  CacheSettings cache;
};

// Parses a TOML file. Errors carry the file name, line and what is wrong.
Expected<toml::value> load_toml(const std::filesystem::path& file);

// Parses the resolver's sections of an already loaded file. Relative paths in
// it (trust anchor files) are resolved against `base_dir`. Errors name the
// section and key.
Expected<ResolverConfig> parse_resolver_config(const toml::value& root,
                                               const std::filesystem::path& base_dir);

// The top-level keys parse_resolver_config reads ("dns", "enum", "lookup", "cache").
const std::vector<std::string>& resolver_sections();

// Convenience for tools: load + parse, base_dir = the file's folder.
Expected<ResolverConfig> load_resolver_config(const std::filesystem::path& file);

}  // namespace speerd::config
