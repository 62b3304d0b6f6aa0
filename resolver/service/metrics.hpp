// Every metric speerd exports, defined once in the table in metrics.cpp
// (name, type, help, labels and their values); /metrics is rendered from it.
//
// Each shard owns one Metrics (written only by its thread, relaxed atomics)
// and the control thread owns one more; a scrape sums them, so the data path
// never shares a cache line with another core.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "enum/names.hpp"

namespace speerd::service {

enum class MetricType { counter, gauge, histogram };
SPEERD_ENUM_NAMES(MetricType, histogram, "counter", "gauge", "histogram");

// Families, in table order.
enum class Metric : std::uint8_t {
  requests,               // {endpoint, status}
  lookups,                // {endpoint, verdict}
  request_seconds,        // histogram {endpoint}
  dnssec,                 // {state}
  cache,                  // {result}
  rate_limited,           // {endpoint}
  errors,                 // {code}
  connections_open,       // gauge
  connections_accepted,   // counter
  connections_refused,    // {reason}
  connections_closed,     // {reason}
  handshakes,             // {kind}
  config_reloads,         // {result}
  upstream_servers,       // gauge {state}
  failure_cache_entries,  // gauge
  failure_cache,          // {event}
  pipeline,               // {event}, from each shard's pipeline (counters.hpp)
  result_cache_entries,   // gauge
  result_cache,           // {event}
  regexp_cache_entries,   // gauge
  regexp_cache,           // {event}
  upstream_probes,        // {result}
  // The SED store (issue 12): the store threads' reads and the watcher.
  store_seconds,       // histogram {op}
  store_errors,        // {kind}: pipeline::StoreFailure
  store_up,            // gauge: the watcher's last poll reached the store
  store_degraded,      // gauge: serving without the store (down, or never loaded)
  store_snapshot_age,  // gauge, ms since the client snapshot was last confirmed
  store_reconnects,    // counter
  store_polls_failed,  // counter
  store_clients,       // gauge: clients in the snapshot
  store_changes,       // counter: store writes seen
  cache_invalidated,   // counter: cached answers dropped by those writes
  store_counter,       // gauge: the store's change counter as last seen
  anchors_store,       // gauge: store trust anchors active here (issue 13)
  anchors_pending,     // gauge: 1 while the store's anchors are not applied
  anchor_reloads,      // {result}: ReloadLabel
  dns_queries,         // {transport, rcode}: the DNS front end's answers
  dns_ede,             // {code}: Extended DNS Errors it sent
  dns_refused,         // {reason}
  dns_tls_handshakes,  // {result}: DNS over TLS handshakes
  dns_rrl,             // {action}: UDP answers over the response rate
  dns_tsig,            // {result}: TSIG (RFC 8945) outcomes of queries
  dns_memo,            // {memo, result}: the DNS front end's memos of ldns's work
  kCount
};

// Label values: each enum's names (enum/names.hpp) are its label values in
// the table, so a label value is written once.
enum class Endpoint : std::uint8_t { lookup, route, batch, other };
SPEERD_ENUM_NAMES(Endpoint, other, "lookup", "route", "batch", "other");
enum class Status : std::uint8_t { ok, client_error, rate_limited, server_error };
SPEERD_ENUM_NAMES(Status, server_error, "ok", "client_error", "rate_limited", "server_error");
enum class VerdictLabel : std::uint8_t { route, reject, error };
SPEERD_ENUM_NAMES(VerdictLabel, error, "route", "reject", "error");
enum class StateLabel : std::uint8_t { secure, insecure, bogus, indeterminate, not_applicable };
SPEERD_ENUM_NAMES(StateLabel, not_applicable, "secure", "insecure", "bogus", "indeterminate",
                  "not-applicable");
enum class CacheLabel : std::uint8_t { hit, stale, miss };
SPEERD_ENUM_NAMES(CacheLabel, miss, "hit", "stale", "miss");
enum class Refused : std::uint8_t {
  max_connections,
  per_address,
  tls_handshake,
  handshake_timeout,
  unknown_client,
  directory_error,
  draining
};
SPEERD_ENUM_NAMES(Refused, draining, "max_connections", "per_address", "tls_handshake",
                  "handshake_timeout", "unknown_client", "directory_error", "draining");
enum class Closed : std::uint8_t {
  peer_closed,
  idle_timeout,
  request_timeout,
  write_timeout,
  header_too_large,
  body_too_large,
  bad_request,
  max_requests,
  drain,
  io_error,
  revoked,        // its certificate is in a CRL loaded by a reload
  not_authorized  // its client record is gone or disabled (checked per request)
};
SPEERD_ENUM_NAMES(Closed, not_authorized, "peer_closed", "idle_timeout", "request_timeout",
                  "write_timeout", "header_too_large", "body_too_large", "bad_request",
                  "max_requests", "drain", "io_error", "revoked", "not_authorized");
enum class Handshake : std::uint8_t { full, resumed };
SPEERD_ENUM_NAMES(Handshake, resumed, "full", "resumed");
enum class ReloadLabel : std::uint8_t { ok, failed };
SPEERD_ENUM_NAMES(ReloadLabel, failed, "ok", "failed");
enum class UpstreamLabel : std::uint8_t { up, down };
SPEERD_ENUM_NAMES(UpstreamLabel, down, "up", "down");
enum class FailureCacheLabel : std::uint8_t { hit, insert, expiry, drop };
SPEERD_ENUM_NAMES(FailureCacheLabel, drop, "hit", "insert", "expiry", "drop");
enum class PipelineLabel : std::uint8_t {
  lookup,
  resolution,
  joined,
  stale_served,
  routed,
  rejected,
  store_error,
  degraded,
  invalidated
};
SPEERD_ENUM_NAMES(PipelineLabel, invalidated, "lookup", "resolution", "joined", "stale_served",
                  "routed", "rejected", "store_error", "degraded", "invalidated");
enum class ResultCacheLabel : std::uint8_t {
  hit,
  miss,
  stale_hit,
  insert,
  eviction,
  refused,
  invalidated
};
SPEERD_ENUM_NAMES(ResultCacheLabel, invalidated, "hit", "miss", "stale_hit", "insert", "eviction",
                  "refused", "invalidated");
enum class RegexpCacheLabel : std::uint8_t { hit, miss };
SPEERD_ENUM_NAMES(RegexpCacheLabel, miss, "hit", "miss");
enum class ProbeLabel : std::uint8_t { ok, failed };
SPEERD_ENUM_NAMES(ProbeLabel, failed, "ok", "failed");
// The DNS front end (resolver/dnsfront/): how a query came, what it got.
enum class DnsTransport : std::uint8_t { udp, tcp, tls };
SPEERD_ENUM_NAMES(DnsTransport, tls, "udp", "tcp", "tls");
enum class DnsRcode : std::uint8_t {
  noerror,
  formerr,
  servfail,
  nxdomain,
  notimp,
  refused,
  badvers,
  notauth,  // a TSIG error (RFC 8945 5.2: BADKEY, BADSIG, BADTIME)
  dropped   // no answer sent (a response, a runt)
};
SPEERD_ENUM_NAMES(DnsRcode, dropped, "noerror", "formerr", "servfail", "nxdomain", "notimp",
                  "refused", "badvers", "notauth", "dropped");
enum class DnsRefused : std::uint8_t {
  unknown_source,
  not_a_tree,
  out_of_scope,
  rate_limited,
  directory_error,
  unknown_client,  // DoT: a valid certificate of no enabled client (connection closed, no answer)
  tsig_required,   // an unsigned query of a client whose queries must be signed
  tsig_mismatch    // signed with one client's key, from another's prefix or certificate
};
SPEERD_ENUM_NAMES(DnsRefused, tsig_mismatch, "unknown_source", "not_a_tree", "out_of_scope",
                  "rate_limited", "directory_error", "unknown_client", "tsig_required",
                  "tsig_mismatch");
// TSIG of a query (resolver/dnsfront/tsig.hpp): verified; unknown key or
// algorithm; wrong MAC; time outside the fudge; unsigned where required.
enum class DnsTsig : std::uint8_t { ok, badkey, badsig, badtime, missing };
SPEERD_ENUM_NAMES(DnsTsig, missing, "ok", "badkey", "badsig", "badtime", "missing");
// DoT handshakes: completed, failed (no, untrusted, revoked or unfit client
// certificate; no common protocol), or not done within tls_handshake_timeout_ms.
enum class DnsTlsHandshake : std::uint8_t { ok, failed, timeout };
SPEERD_ENUM_NAMES(DnsTlsHandshake, timeout, "ok", "failed", "timeout");
// What the UDP response-rate limiter did with an answer (resolver/dnsfront/rrl.hpp).
enum class DnsRrlAction : std::uint8_t { send, slip, drop };
SPEERD_ENUM_NAMES(DnsRrlAction, drop, "send", "slip", "drop");
// The DNS front end's memos of ldns's work (resolver/dnsfront/memo.hpp):
// answers built, queries checked.
enum class DnsMemoKind : std::uint8_t { answer, query };
SPEERD_ENUM_NAMES(DnsMemoKind, query, "answer", "query");
enum class DnsMemo : std::uint8_t { hit, miss };
SPEERD_ENUM_NAMES(DnsMemo, miss, "hit", "miss");
// EDE info codes are counted as label values "0".."kDnsEdeCodes - 1".
inline constexpr std::size_t kDnsEdeCodes = 30;

struct MetricDef {
  Metric id;
  std::string_view name;
  MetricType type;
  std::string_view help;
  std::vector<std::string_view> labels;                    // 0, 1 or 2 label names
  std::vector<std::vector<std::string_view>> values = {};  // values per label
};

const std::vector<MetricDef>& metric_table();

// Upper bounds of the latency histogram buckets, seconds.
const std::vector<double>& latency_buckets();

class Metrics {
 public:
  Metrics();

  // Label indices are the enum values above; two-label families take both.
  void inc(Metric m, std::size_t label = 0, std::int64_t n = 1);
  void inc2(Metric m, std::size_t l1, std::size_t l2, std::int64_t n = 1);
  void add_gauge(Metric m, std::int64_t delta) { inc(m, 0, delta); }
  void set(Metric m, std::size_t label, std::int64_t v);
  void observe(Metric m, std::size_t label, std::chrono::nanoseconds d);

  std::int64_t value(Metric m, std::size_t label = 0) const;
  std::int64_t value2(Metric m, std::size_t l1, std::size_t l2) const;

 private:
  friend std::string render_metrics(const std::vector<const Metrics*>& all);
  std::vector<std::size_t> offset_;  // per family: first slot
  std::unique_ptr<std::atomic<std::int64_t>[]> slots_;
  std::size_t size_ = 0;
};

// Prometheus text exposition (version 0.0.4) of the sum of `all`.
std::string render_metrics(const std::vector<const Metrics*>& all);

// A family whose label values are known only at run time (one row per
// configured upstream server), rendered beside the table's families. Label
// values are escaped as the exposition format wants (\\, \", \n).
struct RuntimeRow {
  std::vector<std::pair<std::string_view, std::string>> labels;
  double value = 0;
};
std::string render_family(std::string_view name, MetricType type, std::string_view help,
                          const std::vector<RuntimeRow>& rows);

template <typename E>
constexpr std::size_t L(E e) {
  return static_cast<std::size_t>(e);
}

}  // namespace speerd::service
