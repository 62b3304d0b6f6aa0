#include "resolver/service/settings.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <sstream>

#include <boost/asio/ip/address.hpp>

namespace speerd::service {
namespace {

using S = Setting;

// The container's open-file limit is about 20,000; connections, resolver
// sockets, the store and the logs share it, so the connection cap stays well
// below that.
constexpr std::int64_t kMaxConnectionsCeiling = 18000;

}  // namespace

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = {
      // [server]
      {"server",
       "listen",
       S::StringField{[](ServerConfig& c) -> std::string& { return c.server.listen; }},
       "API listener, host:port ([v6]:port for IPv6). One acceptor hands each new connection to "
       "the shard with the fewest open connections.",
       0,
       0,
       {},
       false},
      {"server",
       "threads",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.server.threads; }},
       "Shards (event-loop threads, each with its own pipeline, cache and store handle); 0: one "
       "per "
       "core.",
       0,
       256,
       {},
       false},
      {"server", "drain_timeout_ms",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.server.drain_timeout_ms; }},
       "On SIGTERM: how long requests in progress may take to finish before connections are cut.",
       0, 600000},
      // [tls]
      {"tls", "certificate",
       S::StringField{[](ServerConfig& c) -> std::string& { return c.tls.certificate; }},
       "Server certificate chain (PEM, leaf first). Reloaded on SIGHUP."},
      {"tls", "private_key",
       S::StringField{[](ServerConfig& c) -> std::string& { return c.tls.private_key; }},
       "Server private key (PEM). Reloaded on SIGHUP."},
      {"tls", "client_ca",
       S::StringField{[](ServerConfig& c) -> std::string& { return c.tls.client_ca; }},
       "CA bundle (PEM) that client certificates must chain to. Reloaded on SIGHUP."},
      {"tls", "crls",
       S::ListField{[](ServerConfig& c) -> std::vector<std::string>& { return c.tls.crls; }},
       "CRL files (PEM); when given, every client certificate is checked against them and an "
       "expired CRL refuses everyone (fail closed). Reloaded on SIGHUP."},
      {"tls",
       "min_version",
       S::StringField{[](ServerConfig& c) -> std::string& { return c.tls.min_version; }},
       "Lowest TLS version accepted. \"1.2\" is an opt-in for old clients (ECDHE AEAD suites only, "
       "no renegotiation).",
       0,
       0,
       {"1.3", "1.2"}},
      {"tls", "require_client_auth_eku",
       S::BoolField{[](ServerConfig& c) -> bool& { return c.tls.require_client_auth_eku; }},
       "Refuse client certificates whose extended key usage does not list clientAuth (also when "
       "the extension is absent)."},
      {"tls", "session_tickets",
       S::BoolField{[](ServerConfig& c) -> bool& { return c.tls.session_tickets; }},
       "Issue TLS 1.3 session tickets so clients can resume without a full handshake. A reload "
       "rotates the ticket key, so revoked certificates cannot resume."},
      {"tls", "session_lifetime_s",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.tls.session_lifetime_s; }},
       "Lifetime of a session ticket, seconds.", 60, 86400},
      // [limits]
      {"limits", "max_connections",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.limits.max_connections; }},
       "Open API connections, all clients together; beyond it new connections are closed at "
       "accept. Kept below the process's open-file limit.",
       1, kMaxConnectionsCeiling},
      {"limits", "max_connections_per_address", S::IntField{[](ServerConfig& c) -> std::int64_t& {
         return c.limits.max_connections_per_address;
       }},
       "Open API connections from one client address prefix (address_prefix_v4/_v6); beyond "
       "it new connections from that prefix are closed at accept.",
       1, kMaxConnectionsCeiling},
      {"limits", "address_prefix_v4",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.limits.address_prefix_v4; }},
       "IPv4 prefix length that max_connections_per_address counts together (32: each "
       "address).",
       8, 32},
      {"limits", "address_prefix_v6",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.limits.address_prefix_v6; }},
       "IPv6 prefix length that max_connections_per_address counts together (64: one "
       "subscriber's /64, so one host cannot escape the cap with many addresses).",
       16, 128},
      {"limits", "handshake_timeout_ms",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.limits.handshake_timeout_ms; }},
       "From accept to a completed TLS handshake (a silent or half ClientHello is cut here).", 10,
       60000},
      {"limits", "idle_timeout_ms",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.limits.idle_timeout_ms; }},
       "A keep-alive connection waiting for the first byte of its next request is closed after "
       "this.",
       10, 3600000},
      {"limits", "request_timeout_ms",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.limits.request_timeout_ms; }},
       "From the first byte of a request to its last (a half-sent request is cut here); "
       "again from then to the answer (a safety net: the pipeline answers within its own DNS "
       "timeouts).",
       10, 600000},
      {"limits", "write_timeout_ms",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.limits.write_timeout_ms; }},
       "A response the client does not read within this is abandoned and the connection closed.",
       10, 600000},
      {"limits", "max_header_bytes",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.limits.max_header_bytes; }},
       "Request line plus headers; larger gets 431 and the connection is closed.", 256, 1048576},
      {"limits", "max_body_bytes",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.limits.max_body_bytes; }},
       "Request body (batch lookups); larger gets 413 and the connection is closed.", 0, 16777216},
      {"limits", "max_requests_per_connection", S::IntField{[](ServerConfig& c) -> std::int64_t& {
         return c.limits.max_requests_per_connection;
       }},
       "Requests served on one connection; the last response says `Connection: close`.", 1,
       1000000000},
      {"limits", "max_batch",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.limits.max_batch; }},
       "Numbers in one POST /v1/lookup; more gets 413 batch-too-large.", 1, 10000},
      {"limits", "rate_per_second",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.limits.rate_per_second; }},
       "Per-client token bucket: lookups per second (one token per number, batches included) for "
       "every client whose store record has no rate of its own (speerctl client add without "
       "--rate); each such client has its own bucket of this size, not a share of a total, and "
       "a reload reaches them. A stored rate wins. Beyond it: 429 with Retry-After.",
       1, 100000000},
      {"limits", "rate_burst",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.limits.rate_burst; }},
       "Per-client token bucket depth (lookups allowed at once after a quiet period).", 1,
       100000000},
      // [admin]
      {"admin",
       "enabled",
       S::BoolField{[](ServerConfig& c) -> bool& { return c.admin.enabled; }},
       "Run the plain-HTTP admin listener (/healthz, /readyz, /metrics).",
       0,
       0,
       {},
       false},
      {"admin",
       "listen",
       S::StringField{[](ServerConfig& c) -> std::string& { return c.admin.listen; }},
       "Admin listener, host:port. Plain HTTP without authentication: loopback unless "
       "allow_remote is set.",
       0,
       0,
       {},
       false},
      {"admin",
       "allow_remote",
       S::BoolField{[](ServerConfig& c) -> bool& { return c.admin.allow_remote; }},
       "Allow an admin listen address off loopback (a management network). Non-loopback peers "
       "get /readyz without the reasons (upstream addresses, store errors).",
       0,
       0,
       {},
       false},
      {"admin",
       "max_connections",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.admin.max_connections; }},
       "Admin connections at once; when full, a new one evicts the oldest still waiting for "
       "its request (idle connections cannot lock monitoring out).",
       1,
       1024,
       {},
       false},
      {"admin",
       "timeout_ms",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.admin.timeout_ms; }},
       "One admin request, from accept to the written answer.",
       100,
       60000,
       {},
       false},
      // [store]
      {"store",
       "uri",
       S::StringField{[](ServerConfig& c) -> std::string& { return c.store.uri; }},
       "SED store: sqlite:PATH or postgresql://... (a replica for reads; a multi-host URI for "
       "failover).",
       0,
       0,
       {},
       false},
      {"store",
       "refresh_interval_ms",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.store.refresh_interval_ms; }},
       "How often the store watcher polls the store's change counter; a change reloads the "
       "client snapshot and invalidates what it touched. A client change is in effect within "
       "about one interval.",
       50,
       3600000,
       {},
       false},
      {"store",
       "timeout_ms",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.store.timeout_ms; }},
       "Deadline of one store read of a lookup (queueing included; on PostgreSQL also the "
       "statement timeout). Past it the lookup gets its store_policy's degraded answer.",
       10,
       10000,
       {},
       false},
      {"store",
       "threads",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.store.threads; }},
       "Store threads (each with its own connection) that run the lookups' store reads off "
       "the shards' event loops.",
       1,
       64,
       {},
       false},
      {"store",
       "reconnect_max_ms",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.store.reconnect_max_ms; }},
       "Cap of the reconnect backoff (100 ms, doubling) after the store is lost.",
       100,
       600000,
       {},
       false},
      // [log]
      {"log",
       "level",
       S::StringField{[](ServerConfig& c) -> std::string& { return c.log.level; }},
       "Lowest level logged (JSON lines).",
       0,
       0,
       {"trace", "debug", "info", "warn", "error", "critical", "off"}},
      {"log", "file", S::StringField{[](ServerConfig& c) -> std::string& { return c.log.file; }},
       "Log file; empty: stderr (the journal under systemd). Reopened on SIGHUP."},
      // [dns_front]
      {"dns_front",
       "enabled",
       S::BoolField{[](ServerConfig& c) -> bool& { return c.dns_front.enabled; }},
       "Answer ENUM NAPTR queries over DNS (UDP and TCP) for clients known by their source "
       "prefixes (`speerctl client add --source`), through the same pipeline as the API.",
       0,
       0,
       {},
       false},
      {"dns_front",
       "listen",
       S::ListField{
           [](ServerConfig& c) -> std::vector<std::string>& { return c.dns_front.listen; }},
       "DNS listeners, host:port ([v6]:port for IPv6); each listens on UDP and TCP on the same "
       "port (port 0: one the kernel picks, for tests).",
       0,
       0,
       {},
       false},
      {"dns_front",
       "max_udp_size",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.dns_front.max_udp_size; }},
       "Cap on the EDNS(0) buffer size a client announces; a larger answer is sent with TC=1 "
       "and no records (the client retries over TCP). Also the size speerd advertises.",
       512,
       4096,
       {},
       false},
      {"dns_front",
       "tcp_idle_timeout_ms",
       S::IntField{
           [](ServerConfig& c) -> std::int64_t& { return c.dns_front.tcp_idle_timeout_ms; }},
       "A TCP connection with no query in progress is closed after this (RFC 7766 6.2.3).",
       100,
       3600000,
       {},
       false},
      {"dns_front",
       "tcp_max_connections",
       S::IntField{
           [](ServerConfig& c) -> std::int64_t& { return c.dns_front.tcp_max_connections; }},
       "Open DNS TCP connections, all clients together; beyond it new ones are closed at accept.",
       1,
       kMaxConnectionsCeiling,
       {},
       false},
      {"dns_front",
       "tcp_max_queries_per_connection",
       S::IntField{[](ServerConfig& c) -> std::int64_t& {
         return c.dns_front.tcp_max_queries_per_connection;
       }},
       "Queries answered on one TCP connection; then it is closed after its last answer.",
       1,
       1000000000,
       {},
       false},
      {"dns_front",
       "tcp_max_inflight",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.dns_front.tcp_max_inflight; }},
       "Pipelined queries of one TCP connection in progress at once (RFC 7766 6.2.1.1); more "
       "wait unread until an answer is sent. Answers go out as they are ready, in any order.",
       1,
       1024,
       {},
       false},
      {"dns_front",
       "tls_listen",
       S::ListField{
           [](ServerConfig& c) -> std::vector<std::string>& { return c.dns_front.tls_listen; }},
       "DNS over TLS listeners (RFC 7858), host:port ([v6]:port); empty: no DoT. TLS 1.3 only, "
       "ALPN \"dot\"; the server certificate, key, client CA and CRLs of [tls]. A client "
       "certificate is required and names the client as in the API; source prefixes are not "
       "used. Framing and limits as over TCP (the tcp_* rows).",
       0,
       0,
       {},
       false},
      {"dns_front",
       "tls_max_connections",
       S::IntField{
           [](ServerConfig& c) -> std::int64_t& { return c.dns_front.tls_max_connections; }},
       "Open DNS-over-TLS connections, all clients together (handshakes included); beyond it "
       "new ones are closed at accept.",
       1,
       kMaxConnectionsCeiling,
       {},
       false},
      {"dns_front",
       "tls_handshake_timeout_ms",
       S::IntField{
           [](ServerConfig& c) -> std::int64_t& { return c.dns_front.tls_handshake_timeout_ms; }},
       "A DoT connection without a complete TLS handshake after this is closed (a half-open "
       "client holds no slot for long, RFC 6404 2.1.3).",
       100,
       60000,
       {},
       false},
      {"dns_front",
       "negative_ttl_s",
       S::IntField{[](ServerConfig& c) -> std::int64_t& { return c.dns_front.negative_ttl_s; }},
       "TTL and MINIMUM of the SOA sent with NXDOMAIN and NODATA (RFC 2308), never longer than "
       "the TTL behind the answer.",
       0,
       86400,
       {},
       false},
      {"dns_front",
       "soa_mname",
       S::StringField{[](ServerConfig& c) -> std::string& { return c.dns_front.soa_mname; }},
       "MNAME of that SOA (a name, with the trailing dot).",
       0,
       0,
       {},
       false},
      {"dns_front",
       "soa_rname",
       S::StringField{[](ServerConfig& c) -> std::string& { return c.dns_front.soa_rname; }},
       "RNAME of that SOA (the operator's mailbox as a name).",
       0,
       0,
       {},
       false},
  };
  return table;
}

const std::vector<std::string_view>& server_sections() {
  static const std::vector<std::string_view> s = {"server", "tls", "limits",   "admin",
                                                  "store",  "log", "dns_front"};
  return s;
}

namespace {

std::string where(const toml::value& v) {
  const auto loc = v.location();
  if (loc.file_name() == "unknown file") return {};
  return " (" + loc.file_name() + ":" + std::to_string(loc.line()) + ")";
}

std::string type_name(const toml::value& v) {
  switch (v.type()) {
    case toml::value_t::boolean:
      return "a boolean";
    case toml::value_t::integer:
      return "an integer";
    case toml::value_t::floating:
      return "a float";
    case toml::value_t::string:
      return "a string";
    case toml::value_t::array:
      return "an array";
    case toml::value_t::table:
      return "a table";
    default:
      return "a date/time";
  }
}

std::string name_of(const Setting& s) {
  return "[" + std::string(s.section) + "] " + std::string(s.key);
}

Expected<bool> assign(const Setting& s, const toml::value& v, ServerConfig& c) {
  auto wrong = [&](const char* want) {
    return fail(name_of(s) + ": expected " + want + ", got " + type_name(v) + where(v));
  };
  if (auto* f = std::get_if<S::IntField>(&s.field)) {
    if (!v.is_integer()) return wrong("an integer");
    const std::int64_t x = v.as_integer();
    if (x < s.min || x > s.max) {
      return fail(name_of(s) + ": " + std::to_string(x) + " is outside " + std::to_string(s.min) +
                  ".." + std::to_string(s.max) + where(v));
    }
    (*f)(c) = x;
  } else if (auto* f = std::get_if<S::BoolField>(&s.field)) {
    if (!v.is_boolean()) return wrong("a boolean");
    (*f)(c) = v.as_boolean();
  } else if (auto* f = std::get_if<S::StringField>(&s.field)) {
    if (!v.is_string()) return wrong("a string");
    std::string x = v.as_string().str;
    if (!s.choices.empty() &&
        std::find(s.choices.begin(), s.choices.end(), std::string_view(x)) == s.choices.end()) {
      std::string allowed;
      for (auto ch : s.choices) allowed += (allowed.empty() ? "" : ", ") + std::string(ch);
      return fail(name_of(s) + ": \"" + x + "\" is not one of " + allowed + where(v));
    }
    (*f)(c) = std::move(x);
  } else if (auto* f = std::get_if<S::ListField>(&s.field)) {
    if (!v.is_array()) return wrong("an array of strings");
    std::vector<std::string> out;
    for (const auto& e : v.as_array()) {
      if (!e.is_string()) return wrong("an array of strings");
      out.push_back(e.as_string().str);
    }
    (*f)(c) = std::move(out);
  }
  return true;
}

// Relations between settings that one row cannot express.
Expected<bool> check(const ServerConfig& c) {
  if (auto hp = parse_host_port(c.server.listen); !hp)
    return fail("[server] listen: " + hp.error());
  if (c.admin.enabled) {
    auto hp = parse_host_port(c.admin.listen);
    if (!hp) return fail("[admin] listen: " + hp.error());
    boost::system::error_code ec;
    const auto a = boost::asio::ip::make_address(hp->host, ec);
    if (!ec && !a.is_loopback() && !c.admin.allow_remote) {
      return fail("[admin] listen: " + hp->host +
                  " is not a loopback address (the admin listener has no authentication; set "
                  "[admin] allow_remote = true to serve a management network)");
    }
  }
  for (auto [key, value] :
       {std::pair{"certificate", &c.tls.certificate}, std::pair{"private_key", &c.tls.private_key},
        std::pair{"client_ca", &c.tls.client_ca}}) {
    if (value->empty()) return fail(std::string("[tls] ") + key + ": required");
  }
  if (c.dns_front.enabled) {
    if (c.dns_front.listen.empty()) return fail("[dns_front] listen: empty");
    for (const auto& l : c.dns_front.listen) {
      if (auto hp = parse_host_port(l); !hp) return fail("[dns_front] listen: " + hp.error());
    }
    for (const auto& l : c.dns_front.tls_listen) {
      if (auto hp = parse_host_port(l); !hp) {
        return fail("[dns_front] tls_listen: " + hp.error());
      }
    }
  }
  for (auto [key, value] : {std::pair{"soa_mname", &c.dns_front.soa_mname},
                            std::pair{"soa_rname", &c.dns_front.soa_rname}}) {
    if (value->empty() || value->back() != '.') {
      return fail(std::string("[dns_front] ") + key + ": a name with the trailing dot");
    }
  }
  if (c.limits.max_connections_per_address > c.limits.max_connections) {
    return fail("[limits] max_connections_per_address: larger than max_connections");
  }
  if (c.limits.rate_burst < c.limits.max_batch) {
    return fail("[limits] rate_burst: smaller than max_batch (a full batch could never pass)");
  }
  return true;
}

}  // namespace

Expected<ServerConfig> parse_server_config(const toml::value& root) {
  ServerConfig c;
  if (!root.is_table()) return fail("configuration: not a TOML table");
  std::map<std::string, const Setting*> by_name;
  for (const auto& s : settings()) {
    by_name[std::string(s.section) + "." + std::string(s.key)] = &s;
  }
  for (auto section : server_sections()) {
    const auto& top = root.as_table();
    auto it = top.find(std::string(section));
    if (it == top.end()) continue;
    if (!it->second.is_table()) {
      return fail("[" + std::string(section) + "]: expected a table, got " + type_name(it->second) +
                  where(it->second));
    }
    // Sorted, so that the first error reported does not depend on hashing.
    std::map<std::string, const toml::value*> keys;
    for (const auto& [k, v] : it->second.as_table()) keys[k] = &v;
    for (const auto& [k, v] : keys) {
      auto s = by_name.find(std::string(section) + "." + k);
      if (s == by_name.end()) {
        return fail("[" + std::string(section) + "] " + k + ": unknown key" + where(*v));
      }
      if (auto r = assign(*s->second, *v, c); !r) return fail(r.error());
    }
  }
  if (auto r = check(c); !r) return fail(r.error());
  return c;
}

std::string format_value(const Setting& s, ServerConfig& c) {
  std::ostringstream out;
  if (auto* f = std::get_if<S::IntField>(&s.field)) {
    out << (*f)(c);
  } else if (auto* f = std::get_if<S::BoolField>(&s.field)) {
    out << ((*f)(c) ? "true" : "false");
  } else if (auto* f = std::get_if<S::StringField>(&s.field)) {
    out << '"' << (*f)(c) << '"';
  } else if (auto* f = std::get_if<S::ListField>(&s.field)) {
    out << '[';
    bool first = true;
    for (const auto& e : (*f)(c)) {
      out << (first ? "" : ", ") << '"' << e << '"';
      first = false;
    }
    out << ']';
  }
  return out.str();
}

std::string describe_settings() {
  ServerConfig defaults;
  std::ostringstream out;
  std::string_view section;
  for (const auto& s : settings()) {
    if (s.section != section) {
      section = s.section;
      out << "\n[" << section << "]\n";
    }
    out << "  " << s.key << " = " << format_value(s, defaults);
    if (std::holds_alternative<S::IntField>(s.field)) {
      out << "   (" << s.min << ".." << s.max << ")";
    }
    if (!s.reloadable) out << "   (restart to change)";
    out << "\n      " << s.help << "\n";
  }
  return out.str();
}

Expected<HostPort> parse_host_port(std::string_view text) {
  HostPort hp;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail("\"" + std::string(text) + "\" is not [address]:port");
    }
    hp.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return fail("\"" + std::string(text) + "\" is not host:port");
    }
    hp.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || ptr != port.data() + port.size() || value > 65535 || port.empty()) {
    return fail("\"" + std::string(text) + "\": bad port");
  }
  hp.port = static_cast<std::uint16_t>(value);
  return hp;
}

}  // namespace speerd::service
