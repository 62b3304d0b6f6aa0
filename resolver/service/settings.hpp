// The daemon's own configuration sections: [server], [tls], [limits],
// [admin], [store], [log], [dns_front]. Every setting is one row of the
// table in settings.cpp (key, type, default, bounds, help, reloadable); the
// TOML parser, `speerd --help-config` and the reload's restart warnings come
// from it. The struct defaults below are the rows' defaults again, for code
// that builds a ServerConfig without a file (tests/house/test_conf_keys.cpp
// holds the two together).
//
// The resolver sections ([dns], [[dns.stub]], [[enum.tree]], [lookup],
// [cache]) are rows of resolver/config/'s table, with the same mechanism;
// the daemon combines both (resolver/daemon/config.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <toml.hpp>

#include "enum/expected.hpp"
#include "enum/names.hpp"
#include "resolver/config/settings_table.hpp"

namespace speerd::service {

struct ServerSection {
  std::string listen = "0.0.0.0:5443";
  std::int64_t threads = 0;  // 0: one shard per core
  std::int64_t drain_timeout_ms = 10000;
};

struct TlsSection {
  std::string certificate;        // PEM chain, leaf first
  std::string private_key;        // PEM
  std::string client_ca;          // PEM bundle of CAs that issue client certificates
  std::vector<std::string> crls;  // PEM CRL files
  std::string min_version = "1.3";
  bool require_client_auth_eku = true;
  bool session_tickets = true;
  std::int64_t session_lifetime_s = 3600;
};

// Every limit that protects the API from one client or from many (RFC 6404
// 2.1.3, 2.2.3). The help text of each is in the table in settings.cpp.
struct LimitsSection {
  std::int64_t max_connections = 10000;
  std::int64_t max_connections_per_address = 256;
  // The per-address cap counts every address in the same prefix together
  // (one IPv6 /64 is one subscriber; one host may hold many addresses).
  std::int64_t address_prefix_v4 = 32;
  std::int64_t address_prefix_v6 = 64;
  std::int64_t handshake_timeout_ms = 5000;
  std::int64_t idle_timeout_ms = 60000;
  std::int64_t request_timeout_ms = 10000;
  std::int64_t write_timeout_ms = 10000;
  std::int64_t max_header_bytes = 8192;
  std::int64_t max_body_bytes = 65536;
  std::int64_t max_requests_per_connection = 100000;
  std::int64_t max_batch = 100;
  std::int64_t rate_per_second = 2000;
  std::int64_t rate_burst = 4000;
};

struct AdminSection {
  bool enabled = true;
  std::string listen = "127.0.0.1:9153";
  bool allow_remote = false;  // a listen address off loopback needs this
  std::int64_t max_connections = 32;
  std::int64_t timeout_ms = 2000;
};

struct StoreSection {
  std::string uri = "sqlite:/var/lib/speerd/speerd.db";
  std::int64_t refresh_interval_ms = 500;
  std::int64_t timeout_ms = 250;
  std::int64_t threads = 2;
  std::int64_t reconnect_max_ms = 5000;
};

struct LogSection {
  std::string level = "info";
  std::string file;  // empty: stderr (the journal under systemd)
};

// What a routed DNS answer carries (issue #14): speerd's terminal rules, one
// per usable URI, or the number's NAPTR RRset as its zone served it.
enum class NaptrAnswer { synthesized, as_received };
SPEERD_ENUM_NAMES(NaptrAnswer, as_received, "synthesized", "as-received");

// The DNS front end (resolver/dnsfront/, issue #14): ENUM over UDP and TCP.
struct DnsFrontSection {
  bool enabled = false;
  std::vector<std::string> listen = {"127.0.0.1:53", "[::1]:53"};
  std::int64_t max_udp_size = 1232;
  std::int64_t tcp_idle_timeout_ms = 10000;
  std::int64_t tcp_max_connections = 1000;
  std::int64_t tcp_max_queries_per_connection = 10000;
  std::int64_t tcp_max_inflight = 32;
  // Response-rate limiting on UDP (resolver/dnsfront/rrl.hpp).
  std::int64_t rrl_responses_per_second = 1000;
  std::int64_t rrl_slip = 2;
  std::int64_t rrl_ipv4_prefix = 24;
  std::int64_t rrl_ipv6_prefix = 56;
  // DNS over TLS (RFC 7858): off when empty; [tls]'s certificate, key, CA, CRLs.
  std::vector<std::string> tls_listen;
  std::int64_t tls_max_connections = 1000;
  std::int64_t tls_handshake_timeout_ms = 5000;
  std::int64_t negative_ttl_s = 60;
  std::string soa_mname = "speerd.invalid.";
  std::string soa_rname = "hostmaster.speerd.invalid.";
  NaptrAnswer naptr_answer = NaptrAnswer::synthesized;
  bool additional_next_hops = false;  // SRV/A/AAAA of the next hops in additional
};

struct ServerConfig {
  ServerSection server;
  TlsSection tls;
  LimitsSection limits;
  AdminSection admin;
  StoreSection store;
  LogSection log;
  DnsFrontSection dns_front;
};

// Every setting of the daemon's sections, in the order they are read: one
// row each (key, type, default, bounds or choices, help, reloadable), with
// the mechanism of resolver/config/settings_table.hpp.
const config::Table<ServerConfig>& server_table();

// The sections parse_server_config owns.
const std::vector<std::string_view>& server_sections();

// All of speerd.toml: the daemon's sections, then the resolver's
// (config::resolver_table()). --help-config prints this.
const std::vector<config::SectionInfo>& speerd_toml();

// One row of speerd_toml() with its section (the flat view).
struct Setting : config::RowInfo {
  std::string_view section;
  bool array = false;  // a row of a table array ([[enum.tree]])
};
const std::vector<Setting>& settings();

// Reads the server sections of `root` (other top-level keys are ignored
// here; the daemon rejects unknown sections). Unknown keys, wrong types and
// out-of-range values are errors that name file, line and key.
Expected<ServerConfig> parse_server_config(const toml::value& root);

// The non-reloadable settings that differ, one message each.
std::vector<std::string> restart_only_changes(const ServerConfig& before,
                                              const ServerConfig& after);

// Every setting of speerd.toml as text (speerd --help-config).
std::string describe_settings();

// host:port (IPv6 as "[::1]:443") split; port 0 allowed (tests).
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};
Expected<HostPort> parse_host_port(std::string_view text);

}  // namespace speerd::service
