// The resolver's part of speerd.toml: [dns], [[dns.stub]], [[enum.tree]],
// [lookup], [cache]. The daemon's own sections ([server], [tls], [limits],
// [admin], [store], [log], [dns_front]) are in resolver/service/settings.hpp.
//
// Every setting is one row of resolver_table() (config.cpp: key, type,
// default, bounds, help; settings_table.hpp is the mechanism); the parser
// rejects unknown keys and names file, line and key. The struct defaults
// below are the same values (tests/house/test_conf_keys.cpp holds them
// together) for code that builds these structs without a file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <toml.hpp>

#include "enum/expected.hpp"
#include "enum/limits.hpp"
#include "enum/names.hpp"
#include "resolver/config/settings_table.hpp"
#include "resolver/dns/unbound_client.hpp"
#include "sed-store/crosscheck.hpp"

namespace speerd::config {

enum class TreePolicy {
  require_secure,  // only secure answers route
  allow_insecure,  // secure and insecure answers route (bogus never does)
};
SPEERD_ENUM_NAMES(TreePolicy, allow_insecure, "require-secure", "allow-insecure");

// How a DNS answer is checked against the SED store (ARCHITECTURE.md, "The
// store check"): the cross-check's own policy (strict: a mismatch rejects;
// advisory: it is flagged and routed; store_authoritative: provisioned SED
// answers without DNS), one enum with one name table.
using StorePolicy = store::crosscheck::Policy;

struct TreeConfig {
  std::string name;    // short name, used in client scopes and responses
  std::string suffix;  // "e164.arpa.", lower case, trailing dot
  TreePolicy policy = TreePolicy::require_secure;
  std::vector<std::string> servers;  // authoritative servers (stub), "IP[@port]"
  // This tree's own anchors: its ENUM answers are validated with [dns]'s
  // anchors plus these, and no other tree's (pipeline/validators.hpp).
  std::vector<std::string> trust_anchor_files;
  // The Enumservices this tree accepts when a request names none (e.g.
  // "E2U+sip+voice:sip+pstn:sip"); empty: [lookup] service.
  std::string service;
};

struct LookupSettings {
  // The Enumservices accepted when a request names none: what deployed SBC
  // ENUM modules accept for SIP (RFC 3764 "sip", RFC 4415 "voice:sip").
  std::string service = "E2U+sip+voice:sip";
  unsigned max_nonterminal_hops = luf::kMaxNonTerminalHops;  // non-terminal NAPTR rules per lookup
  StorePolicy store_policy = StorePolicy::advisory;
  // Insecure answers for names outside the ENUM trees (peer domains in the
  // LRF) route only when this is true; a store match vouches for them anyway.
  bool allow_insecure_targets = false;
  // A URI whose host is an IP literal needs no DNS: its target's outcome is
  // not-applicable, and it routes only when this is true.
  bool allow_ip_literal_targets = true;
  // number_portability = "route-by-rn" (default) | "ignore": an ENUM result
  // with an RFC 4694 routing number (rn) routes by that number's SED where
  // the store provisions it for the client.
  bool route_ported_by_rn = true;
};

struct CacheSettings {
  std::size_t max_entries = 100000;      // LRU bound on entries
  std::size_t max_bytes = 64u << 20;     // LRU bound on approximate memory use
  std::uint32_t max_ttl = 3600;          // seconds; a result's TTL is capped to this
  std::uint32_t negative_max_ttl = 300;  // seconds; cap for negative answers
  std::uint32_t stale_window = 300;      // seconds after expiry a validated answer may be
                                         // served while upstreams fail; 0 = never
  // The failure cache (resolver/pipeline/failure_cache.hpp): bogus and
  // indeterminate outcomes, kept failure_min_ttl seconds, doubling while the
  // failure persists, at most failure_max_ttl. failure_min_ttl 0: off.
  std::uint32_t failure_min_ttl = 5;
  std::uint32_t failure_max_ttl = 300;
  std::size_t failure_max_entries = 10000;
};

struct ResolverConfig {
  dns::UnboundOptions dns;
  std::vector<TreeConfig> trees;
  LookupSettings lookup;
  CacheSettings cache;
};

// Every setting of the resolver sections, in the order they are read.
const Table<ResolverConfig>& resolver_table();

// Parses a TOML file. Errors carry the file name, line and what is wrong.
Expected<toml::value> load_toml(const std::filesystem::path& file);
// The bytes of `file` (a regular file; errors name it).
Expected<std::string> read_config_file(const std::filesystem::path& file);
// Parses TOML text read from a file called `name` (errors start with it). The
// text must be UTF-8, as TOML requires: the first byte that is not is refused
// with its line and column before toml11 sees the text (toml11 3.7 reads past
// the end of its buffer when it reports invalid UTF-8 in a multi-line string,
// which fuzz_config found).
Expected<toml::value> parse_toml(const std::string& text, const std::string& name);

// Parses the resolver's sections of an already loaded file. Relative paths in
// it (trust anchor files) are resolved against `base_dir`. Errors name the
// file and line (from the TOML value's location), the section and the key.
Expected<ResolverConfig> parse_resolver_config(const toml::value& root,
                                               const std::filesystem::path& base_dir);

// The top-level keys parse_resolver_config reads ("dns", "enum", "lookup", "cache").
const std::vector<std::string>& resolver_sections();

// Convenience for tools: load + parse, base_dir = the file's folder.
Expected<ResolverConfig> load_resolver_config(const std::filesystem::path& file);

}  // namespace speerd::config
