#include "resolver/service/settings.hpp"

#include <charconv>

#include <boost/asio/ip/address.hpp>

#include "resolver/config/config.hpp"
#include "resolver/service/limits.hpp"

namespace speerd::service {
namespace {

using R = config::Rows<ServerConfig>;

// Relations between settings that one row cannot express.
Expected<bool> check(const ServerConfig& c, const toml::value& root) {
  auto error = [&](std::string_view section, std::string_view key, const std::string& what) {
    return config::setting_error(config::source_at(root, section, key),
                                 "[" + std::string(section) + "]", key, what);
  };
  if (auto hp = parse_host_port(c.server.listen); !hp) {
    return error("server", "listen", hp.error());
  }
  if (c.admin.enabled) {
    auto hp = parse_host_port(c.admin.listen);
    if (!hp) return error("admin", "listen", hp.error());
    boost::system::error_code ec;
    const auto a = boost::asio::ip::make_address(hp->host, ec);
    if (!ec && !a.is_loopback() && !c.admin.allow_remote) {
      return error("admin", "listen",
                   hp->host +
                       " is not a loopback address (the admin listener has no authentication; "
                       "set [admin] allow_remote = true to serve a management network)");
    }
  }
  for (auto [key, value] :
       {std::pair{"certificate", &c.tls.certificate}, std::pair{"private_key", &c.tls.private_key},
        std::pair{"client_ca", &c.tls.client_ca}}) {
    if (value->empty()) return error("tls", key, "required");
  }
  if (c.dns_front.enabled) {
    if (c.dns_front.listen.empty()) return error("dns_front", "listen", "empty");
    for (const auto& l : c.dns_front.listen) {
      if (auto hp = parse_host_port(l); !hp) return error("dns_front", "listen", hp.error());
    }
    for (const auto& l : c.dns_front.tls_listen) {
      if (auto hp = parse_host_port(l); !hp) return error("dns_front", "tls_listen", hp.error());
    }
  }
  for (auto [key, value] : {std::pair{"soa_mname", &c.dns_front.soa_mname},
                            std::pair{"soa_rname", &c.dns_front.soa_rname}}) {
    if (value->empty() || value->back() != '.') {
      return error("dns_front", key, "a name with the trailing dot");
    }
  }
  if (c.limits.max_connections_per_address > c.limits.max_connections) {
    return error("limits", "max_connections_per_address", "larger than max_connections");
  }
  if (c.limits.rate_burst < c.limits.max_batch) {
    return error("limits", "rate_burst", "smaller than max_batch (a full batch could never pass)");
  }
  return true;
}

config::Table<ServerConfig> make_table() {
  config::Table<ServerConfig> t;
  t.sections.push_back(config::plain_section<ServerConfig>(
      "server", "the API listener",
      {
          R::string("listen", [](auto& c) -> auto& { return c.server.listen; }, "0.0.0.0:5443",
                    "API listener, host:port ([v6]:port for IPv6). One acceptor hands each new "
                    "connection to the shard with the fewest open connections.",
                    {}, {.reloadable = false}),
          R::integer("threads", [](auto& c) -> auto& { return c.server.threads; }, 0, 0, 256,
                     "Shards (event-loop threads, each with its own pipeline, cache and store "
                     "handle); 0: one per core.",
                     {.reloadable = false}),
          R::integer(
              "drain_timeout_ms", [](auto& c) -> auto& { return c.server.drain_timeout_ms; }, 10000,
              0, 600000,
              "On SIGTERM: how long requests in progress may take to finish before connections are "
              "cut."),
      }));
  t.sections.push_back(config::plain_section<ServerConfig>(
      "tls", "the API's TLS (mTLS: every client has a certificate)",
      {
          R::string("certificate", [](auto& c) -> auto& { return c.tls.certificate; }, "",
                    "Server certificate chain (PEM, leaf first). Reloaded on SIGHUP.", {},
                    {.required = true}),
          R::string("private_key", [](auto& c) -> auto& { return c.tls.private_key; }, "",
                    "Server private key (PEM). Reloaded on SIGHUP.", {}, {.required = true}),
          R::string("client_ca", [](auto& c) -> auto& { return c.tls.client_ca; }, "",
                    "CA bundle (PEM) that client certificates must chain to. Reloaded on SIGHUP.",
                    {}, {.required = true}),
          R::strings(
              "crls", [](auto& c) -> auto& { return c.tls.crls; }, {},
              "CRL files (PEM); when given, every client certificate is checked against them and "
              "an expired CRL refuses everyone (fail closed). Reloaded on SIGHUP."),
          R::string("min_version", [](auto& c) -> auto& { return c.tls.min_version; }, "1.3",
                    "Lowest TLS version accepted. \"1.2\" is an opt-in for old clients (ECDHE AEAD "
                    "suites only, no renegotiation).",
                    {"1.3", "1.2"}),
          R::boolean(
              "require_client_auth_eku",
              [](auto& c) -> auto& { return c.tls.require_client_auth_eku; }, true,
              "Refuse client certificates whose extended key usage does not list clientAuth (also "
              "when the extension is absent)."),
          R::boolean(
              "session_tickets", [](auto& c) -> auto& { return c.tls.session_tickets; }, true,
              "Issue TLS 1.3 session tickets so clients can resume without a full handshake. A "
              "reload rotates the ticket key, so revoked certificates cannot resume."),
          R::integer(
              "session_lifetime_s", [](auto& c) -> auto& { return c.tls.session_lifetime_s; }, 3600,
              60, 86400, "Lifetime of a session ticket, seconds."),
      }));
  t.sections.push_back(config::plain_section<ServerConfig>(
      "limits", "what protects the API from one client and from many (RFC 6404 2.1.3, 2.2.3)",
      {
          R::integer(
              "max_connections", [](auto& c) -> auto& { return c.limits.max_connections; }, 10000,
              1, kMaxConnectionsCeiling,
              "Open API connections, all clients together; beyond it new connections are closed at "
              "accept. Kept below the process's open-file limit."),
          R::integer(
              "max_connections_per_address",
              [](auto& c) -> auto& { return c.limits.max_connections_per_address; }, 256, 1,
              kMaxConnectionsCeiling,
              "Open API connections from one client address prefix (address_prefix_v4/_v6); beyond "
              "it new connections from that prefix are closed at accept."),
          R::integer(
              "address_prefix_v4", [](auto& c) -> auto& { return c.limits.address_prefix_v4; }, 32,
              8, 32,
              "IPv4 prefix length that max_connections_per_address counts together (32: each "
              "address)."),
          R::integer(
              "address_prefix_v6", [](auto& c) -> auto& { return c.limits.address_prefix_v6; }, 64,
              16, 128,
              "IPv6 prefix length that max_connections_per_address counts together (64: one "
              "subscriber's /64, so one host cannot escape the cap with many addresses)."),
          R::integer(
              "handshake_timeout_ms",
              [](auto& c) -> auto& { return c.limits.handshake_timeout_ms; }, 5000, 10, 60000,
              "From accept to a completed TLS handshake (a silent or half ClientHello is cut "
              "here)."),
          R::integer(
              "idle_timeout_ms", [](auto& c) -> auto& { return c.limits.idle_timeout_ms; }, 60000,
              10, 3600000,
              "A keep-alive connection waiting for the first byte of its next request is closed "
              "after this."),
          R::integer(
              "request_timeout_ms", [](auto& c) -> auto& { return c.limits.request_timeout_ms; },
              10000, 10, 600000,
              "From the first byte of a request to its last (a half-sent request is cut here); "
              "again from then to the answer (a safety net: the pipeline answers within its own "
              "DNS timeouts)."),
          R::integer(
              "write_timeout_ms", [](auto& c) -> auto& { return c.limits.write_timeout_ms; }, 10000,
              10, 600000,
              "A response the client does not read within this is abandoned and the connection "
              "closed."),
          R::integer(
              "max_header_bytes", [](auto& c) -> auto& { return c.limits.max_header_bytes; }, 8192,
              256, 1048576,
              "Request line plus headers; larger gets 431 and the connection is closed."),
          R::integer(
              "max_body_bytes", [](auto& c) -> auto& { return c.limits.max_body_bytes; }, 65536, 0,
              16777216,
              "Request body (batch lookups); larger gets 413 and the connection is closed."),
          R::integer(
              "max_requests_per_connection",
              [](auto& c) -> auto& { return c.limits.max_requests_per_connection; }, 100000, 1,
              1000000000,
              "Requests served on one connection; the last response says `Connection: close`."),
          R::integer(
              "max_batch", [](auto& c) -> auto& { return c.limits.max_batch; }, 100, 1, 10000,
              "Numbers in one POST /v1/lookup; more gets 413 batch-too-large."),
          R::integer(
              "rate_per_second", [](auto& c) -> auto& { return c.limits.rate_per_second; }, 2000, 1,
              100000000,
              "Per-client token bucket: lookups per second (one token per number, batches "
              "included) for every client whose store record has no rate of its own (speerctl "
              "client add without --rate); each such client has its own bucket of this size, not a "
              "share of a total, and a reload reaches them. A stored rate wins. Beyond it: 429 "
              "with Retry-After."),
          R::integer(
              "rate_burst", [](auto& c) -> auto& { return c.limits.rate_burst; }, 4000, 1,
              100000000,
              "Per-client token bucket depth (lookups allowed at once after a quiet period)."),
      }));
  t.sections.push_back(config::plain_section<ServerConfig>(
      "admin", "the plain-HTTP admin listener",
      {
          R::boolean("enabled", [](auto& c) -> auto& { return c.admin.enabled; }, true,
                     "Run the plain-HTTP admin listener (/healthz, /readyz, /metrics).",
                     {.reloadable = false}),
          R::string("listen", [](auto& c) -> auto& { return c.admin.listen; }, "127.0.0.1:9153",
                    "Admin listener, host:port. Plain HTTP without authentication: loopback unless "
                    "allow_remote is set.",
                    {}, {.reloadable = false}),
          R::boolean(
              "allow_remote", [](auto& c) -> auto& { return c.admin.allow_remote; }, false,
              "Allow an admin listen address off loopback (a management network). Non-loopback "
              "peers get /readyz without the reasons (upstream addresses, store errors).",
              {.reloadable = false}),
          R::integer("max_connections", [](auto& c) -> auto& { return c.admin.max_connections; },
                     32, 1, 1024,
                     "Admin connections at once; when full, a new one evicts the oldest still "
                     "waiting for its request (idle connections cannot lock monitoring out).",
                     {.reloadable = false}),
          R::integer("timeout_ms", [](auto& c) -> auto& { return c.admin.timeout_ms; }, 2000, 100,
                     60000, "One admin request, from accept to the written answer.",
                     {.reloadable = false}),
      }));
  t.sections.push_back(config::plain_section<ServerConfig>(
      "store", "the SED store",
      {
          R::string("uri", [](auto& c) -> auto& { return c.store.uri; },
                    "sqlite:/var/lib/speerd/speerd.db",
                    "SED store: sqlite:PATH or postgresql://... (a replica for reads; a multi-host "
                    "URI for failover).",
                    {}, {.reloadable = false}),
          R::integer("refresh_interval_ms",
                     [](auto& c) -> auto& { return c.store.refresh_interval_ms; }, 500, 50, 3600000,
                     "How often the store watcher polls the store's change counter; a change "
                     "reloads the client snapshot and invalidates what it touched. A client change "
                     "is in effect within about one interval.",
                     {.reloadable = false}),
          R::integer(
              "timeout_ms", [](auto& c) -> auto& { return c.store.timeout_ms; }, 250, 10, 10000,
              "Deadline of one store read of a lookup (queueing included; on PostgreSQL also the "
              "statement timeout). Past it the lookup gets its store_policy's degraded answer.",
              {.reloadable = false}),
          R::integer("threads", [](auto& c) -> auto& { return c.store.threads; }, 2, 1, 64,
                     "Store threads (each with its own connection) that run the lookups' store "
                     "reads off the shards' event loops.",
                     {.reloadable = false}),
          R::integer("reconnect_max_ms", [](auto& c) -> auto& { return c.store.reconnect_max_ms; },
                     5000, 100, 600000,
                     "Cap of the reconnect backoff (100 ms, doubling) after the store is lost.",
                     {.reloadable = false}),
      }));
  t.sections.push_back(config::plain_section<ServerConfig>(
      "log", "the event log",
      {
          R::string("level", [](auto& c) -> auto& { return c.log.level; }, "info",
                    "Lowest level logged (JSON lines).",
                    {"trace", "debug", "info", "warn", "error", "critical", "off"}),
          R::string(
              "file", [](auto& c) -> auto& { return c.log.file; }, "",
              "Log file; empty: stderr (the journal under systemd). Reopened on SIGHUP."),
      }));
  t.sections.push_back(config::plain_section<ServerConfig>(
      "dns_front", "ENUM over DNS (resolver/dnsfront/)",
      {
          R::boolean(
              "enabled", [](auto& c) -> auto& { return c.dns_front.enabled; }, false,
              "Answer ENUM NAPTR queries over DNS (UDP and TCP) for clients known by their source "
              "prefixes (`speerctl client add --source`), through the same pipeline as the API.",
              {.reloadable = false}),
          R::strings("listen", [](auto& c) -> auto& { return c.dns_front.listen; },
                     {"127.0.0.1:53", "[::1]:53"},
                     "DNS listeners, host:port ([v6]:port for IPv6); each listens on UDP and TCP "
                     "on the same port (port 0: one the kernel picks, for tests).",
                     {.reloadable = false}),
          R::integer(
              "max_udp_size", [](auto& c) -> auto& { return c.dns_front.max_udp_size; }, 1232, 512,
              4096,
              "Cap on the EDNS(0) buffer size a client announces; a larger answer is sent with "
              "TC=1 and no records (the client retries over TCP). Also the size speerd advertises.",
              {.reloadable = false}),
          R::integer(
              "tcp_idle_timeout_ms",
              [](auto& c) -> auto& { return c.dns_front.tcp_idle_timeout_ms; }, 10000, 100, 3600000,
              "A TCP connection with no query in progress is closed after this (RFC 7766 6.2.3).",
              {.reloadable = false}),
          R::integer("tcp_max_connections",
                     [](auto& c) -> auto& { return c.dns_front.tcp_max_connections; }, 1000, 1,
                     kMaxConnectionsCeiling,
                     "Open DNS TCP connections, all clients together; beyond it new ones are "
                     "closed at accept.",
                     {.reloadable = false}),
          R::integer(
              "tcp_max_queries_per_connection",
              [](auto& c) -> auto& { return c.dns_front.tcp_max_queries_per_connection; }, 10000, 1,
              1000000000,
              "Queries answered on one TCP connection; then it is closed after its last answer.",
              {.reloadable = false}),
          R::integer("tcp_max_inflight",
                     [](auto& c) -> auto& { return c.dns_front.tcp_max_inflight; }, 32, 1, 1024,
                     "Pipelined queries of one TCP connection in progress at once (RFC 7766 "
                     "6.2.1.1); more wait unread until an answer is sent. Answers go out as they "
                     "are ready, in any order.",
                     {.reloadable = false}),
          R::integer("rrl_responses_per_second",
                     [](auto& c) -> auto& { return c.dns_front.rrl_responses_per_second; }, 1000, 0,
                     10000000,
                     "UDP response-rate limiting (RFC 6404 2.1.3: forged sources must not turn "
                     "speerd into an amplifier): answers per second to one source prefix, "
                     "refusals included; beyond it answers are dropped, and every rrl_slip-th goes "
                     "out empty with TC=1 so a real client retries over TCP (not limited). 0: "
                     "off. Counted in speerd_dns_rrl_total.",
                     {.reloadable = false}),
          R::integer("rrl_slip", [](auto& c) -> auto& { return c.dns_front.rrl_slip; }, 2, 0, 10,
                     "Of the answers over the rate, every this-th is sent truncated (TC=1, no "
                     "records) instead of dropped; 0: none, 1: all.",
                     {.reloadable = false}),
          R::integer("rrl_ipv4_prefix",
                     [](auto& c) -> auto& { return c.dns_front.rrl_ipv4_prefix; }, 24, 8, 32,
                     "IPv4 sources in one prefix of this length share one rate.",
                     {.reloadable = false}),
          R::integer("rrl_ipv6_prefix",
                     [](auto& c) -> auto& { return c.dns_front.rrl_ipv6_prefix; }, 56, 16, 128,
                     "IPv6 sources in one prefix of this length share one rate.",
                     {.reloadable = false}),
          R::strings("tls_listen", [](auto& c) -> auto& { return c.dns_front.tls_listen; }, {},
                     "DNS over TLS listeners (RFC 7858), host:port ([v6]:port); empty: no DoT. "
                     "TLS 1.3 only, ALPN \"dot\"; the server certificate, key, client CA and CRLs "
                     "of [tls]. A client certificate is required and names the client as in the "
                     "API; source prefixes are not used. Framing and limits as over TCP (the tcp_* "
                     "rows).",
                     {.reloadable = false}),
          R::integer("tls_max_connections",
                     [](auto& c) -> auto& { return c.dns_front.tls_max_connections; }, 1000, 1,
                     kMaxConnectionsCeiling,
                     "Open DNS-over-TLS connections, all clients together (handshakes included); "
                     "beyond it new ones are closed at accept.",
                     {.reloadable = false}),
          R::integer("tls_handshake_timeout_ms",
                     [](auto& c) -> auto& { return c.dns_front.tls_handshake_timeout_ms; }, 5000,
                     100, 60000,
                     "A DoT connection without a complete TLS handshake after this is closed (a "
                     "half-open client holds no slot for long, RFC 6404 2.1.3).",
                     {.reloadable = false}),
          R::integer("negative_ttl_s", [](auto& c) -> auto& { return c.dns_front.negative_ttl_s; },
                     60, 0, 86400,
                     "TTL and MINIMUM of the SOA sent with NXDOMAIN and NODATA (RFC 2308), never "
                     "longer than the TTL behind the answer.",
                     {.reloadable = false}),
          R::string("soa_mname", [](auto& c) -> auto& { return c.dns_front.soa_mname; },
                    "speerd.invalid.", "MNAME of that SOA (a name, with the trailing dot).", {},
                    {.reloadable = false}),
          R::string("soa_rname", [](auto& c) -> auto& { return c.dns_front.soa_rname; },
                    "hostmaster.speerd.invalid.",
                    "RNAME of that SOA (the operator's mailbox as a name).", {},
                    {.reloadable = false}),
          R::choice("naptr_answer", [](auto& c) -> auto& { return c.dns_front.naptr_answer; },
                    NaptrAnswer::synthesized,
                    "What a routed answer carries: \"synthesized\", one terminal rule per usable "
                    "URI in speerd's order (regexp !^.*$!<uri>!); \"as-received\", the number's "
                    "NAPTR RRset as its zone served it (validated), for clients that apply the "
                    "rules themselves. A route whose URIs came through a non-terminal rule, or "
                    "from the SED store, is answered synthesized either way.",
                    {.reloadable = false}),
          R::boolean("additional_next_hops",
                     [](auto& c) -> auto& { return c.dns_front.additional_next_hops; }, false,
                     "A routed answer also carries the located next hops in its additional "
                     "section: the SRV records that named them and their A/AAAA records, as "
                     "speerd validated them (dropped, without TC, when they do not fit).",
                     {.reloadable = false}),
      }));
  t.check = check;
  return t;
}

}  // namespace

const config::Table<ServerConfig>& server_table() {
  static const config::Table<ServerConfig> table = make_table();
  return table;
}

const std::vector<std::string_view>& server_sections() {
  static const std::vector<std::string_view> s = [] {
    std::vector<std::string_view> out;
    for (const auto& section : server_table().sections) out.push_back(section.info.name);
    return out;
  }();
  return s;
}

const std::vector<config::SectionInfo>& speerd_toml() {
  static const std::vector<config::SectionInfo> all = [] {
    auto out = config::resolver_table().infos();
    const auto mine = server_table().infos();
    out.insert(out.begin(), mine.begin(), mine.end());
    return out;
  }();
  return all;
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> flat = [] {
    std::vector<Setting> out;
    for (const auto& s : speerd_toml()) {
      for (const auto& r : *s.rows) out.push_back(Setting{r, s.name, s.array});
    }
    return out;
  }();
  return flat;
}

Expected<ServerConfig> parse_server_config(const toml::value& root) {
  return server_table().parse(root, config::Context{});
}

std::vector<std::string> restart_only_changes(const ServerConfig& before,
                                              const ServerConfig& after) {
  std::vector<std::string> out;
  for (const auto& s : server_table().sections) {
    const auto a = s.values(before, 0);
    const auto b = s.values(after, 0);
    for (std::size_t i = 0; i < s.rows.size(); ++i) {
      if (!s.rows[i].flags.reloadable && a[i] != b[i]) {
        out.push_back("[" + std::string(s.info.name) + "] " + std::string(s.rows[i].key) +
                      " changed: restart speerd to apply it");
      }
    }
  }
  return out;
}

std::string describe_settings() {
  return config::describe(speerd_toml());
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
