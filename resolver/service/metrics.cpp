#include "resolver/service/metrics.hpp"

#include <cstdio>
#include <sstream>

#include "resolver/service/errors.hpp"

namespace speerd::service {
namespace {

std::vector<std::string_view> error_codes() {
  std::vector<std::string_view> v;
  for (const auto& e : kErrors) v.push_back(e.code);
  return v;
}

std::vector<std::string_view> ede_codes() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (std::size_t i = 0; i < kDnsEdeCodes; ++i) v.push_back(std::to_string(i));
    return v;
  }();
  return {names.begin(), names.end()};
}

std::size_t label_combinations(const MetricDef& d) {
  std::size_t n = 1;
  for (const auto& v : d.values) n *= v.size();
  return n;
}

std::size_t slots_of(const MetricDef& d) {
  const std::size_t per = d.type == MetricType::histogram ? latency_buckets().size() + 3 : 1;
  return label_combinations(d) * per;
}

}  // namespace

const std::vector<MetricDef>& metric_table() {
  using T = MetricType;
  static const std::vector<std::string_view> endpoints = enum_name_list<Endpoint>();
  static const std::vector<MetricDef> table = {
      {Metric::requests,
       "speerd_requests_total",
       T::counter,
       "API requests answered, by endpoint and outcome class.",
       {"endpoint", "status"},
       {endpoints, enum_name_list<Status>()}},
      {Metric::lookups,
       "speerd_lookups_total",
       T::counter,
       "Lookups answered, by endpoint and verdict (a batch counts once per number).",
       {"endpoint", "verdict"},
       {endpoints, enum_name_list<VerdictLabel>()}},
      {Metric::request_seconds,
       "speerd_request_duration_seconds",
       T::histogram,
       "Time from a complete request to its response being ready.",
       {"endpoint"},
       {endpoints}},
      {Metric::dnssec,
       "speerd_dnssec_outcomes_total",
       T::counter,
       "DNSSEC outcome (weakest step) of each lookup answered.",
       {"state"},
       {enum_name_list<StateLabel>()}},
      {Metric::cache,
       "speerd_cache_lookups_total",
       T::counter,
       "Lookups answered from the cache (hit), stale from the cache, or resolved (miss).",
       {"result"},
       {enum_name_list<CacheLabel>()}},
      {Metric::rate_limited,
       "speerd_rate_limited_total",
       T::counter,
       "Requests refused with 429 by the per-client rate limit.",
       {"endpoint"},
       {endpoints}},
      {Metric::errors,
       "speerd_errors_total",
       T::counter,
       "Error responses, by stable error code.",
       {"code"},
       {error_codes()}},
      {Metric::connections_open,
       "speerd_connections_open",
       T::gauge,
       "API connections open now (accepted, not yet closed).",
       {}},
      {Metric::connections_accepted,
       "speerd_connections_accepted_total",
       T::counter,
       "API connections accepted and handed to a shard.",
       {}},
      {Metric::connections_refused,
       "speerd_connections_refused_total",
       T::counter,
       "Connections refused before any request was served, by reason.",
       {"reason"},
       {enum_name_list<Refused>()}},
      {Metric::connections_closed,
       "speerd_connections_closed_total",
       T::counter,
       "Authenticated connections closed, by reason.",
       {"reason"},
       {enum_name_list<Closed>()}},
      {Metric::handshakes,
       "speerd_tls_handshakes_total",
       T::counter,
       "Completed TLS handshakes, full or resumed from a session ticket.",
       {"kind"},
       {enum_name_list<Handshake>()}},
      {Metric::config_reloads,
       "speerd_config_reloads_total",
       T::counter,
       "Configuration reloads (SIGHUP, and each apply of the store's trust anchors), applied or "
       "refused.",
       {"result"},
       {enum_name_list<ReloadLabel>()}},
      {Metric::upstream_servers,
       "speerd_upstream_servers",
       T::gauge,
       "Configured authoritative servers (stub zones) answering the health probe, or not.",
       {"state"},
       {enum_name_list<UpstreamLabel>()}},
      {Metric::failure_cache_entries,
       "speerd_failure_cache_entries",
       T::gauge,
       "Failure-cache entries held (bogus and indeterminate outcomes, with their backoff).",
       {}},
      {Metric::failure_cache,
       "speerd_failure_cache_events_total",
       T::counter,
       "Failure cache: lookups answered from it (hit), failures stored (insert), entries found "
       "expired (expiry), entries dropped by a success, a store change or a flush (drop). Counts "
       "of the pipelines serving now (a pipeline rebuilt by a reload starts at 0).",
       {"event"},
       {enum_name_list<FailureCacheLabel>()}},
      {Metric::pipeline,
       "speerd_pipeline_events_total",
       T::counter,
       "Pipeline: lookups taken (lookup), sent to DNS (resolution), joined to an identical one in "
       "flight (joined), answered stale (stale_served), routed, rejected, store queries failed "
       "(store_error), answered without the store's word (degraded: store-unavailable errors, "
       "not-checked DNS answers, cached answers served stale because the store failed), cached "
       "answers and failures a store change dropped (invalidated). Counts of the pipelines "
       "serving now (a reload's new pipeline starts at 0).",
       {"event"},
       {enum_name_list<PipelineLabel>()}},
      {Metric::result_cache_entries,
       "speerd_result_cache_entries",
       T::gauge,
       "Results held in the pipelines' result caches.",
       {}},
      {Metric::result_cache,
       "speerd_result_cache_events_total",
       T::counter,
       "Result cache: hits, misses, stale hits, inserts, evictions (LRU bound), results refused "
       "(never cached: bogus, indeterminate), results a store change dropped (invalidated). "
       "Counts of the pipelines serving now.",
       {"event"},
       {enum_name_list<ResultCacheLabel>()}},
      {Metric::regexp_cache_entries,
       "speerd_regexp_cache_entries",
       T::gauge,
       "Compiled NAPTR regexps held (bounded, LRU).",
       {}},
      {Metric::regexp_cache,
       "speerd_regexp_cache_events_total",
       T::counter,
       "Compiled NAPTR regexps: found compiled (hit) or compiled (miss). Counts of the pipelines "
       "serving now.",
       {"event"},
       {enum_name_list<RegexpCacheLabel>()}},
      {Metric::upstream_probes,
       "speerd_upstream_probes_total",
       T::counter,
       "Health probes of the configured authoritative servers, answered (ok) or not (failed).",
       {"result"},
       {enum_name_list<ProbeLabel>()}},
      {Metric::store_seconds,
       "speerd_store_seconds",
       T::histogram,
       "SED store reads of the lookups (on the store threads), queueing included, until the "
       "answer or the deadline ([store] timeout_ms).",
       {"op"},
       {{"lookup"}}},
      {Metric::store_errors,
       "speerd_store_errors_total",
       T::counter,
       "SED store reads that failed: past the deadline (timeout), store unreachable or "
       "reconnecting (unavailable), too many waiting (overload), an error from the store (error).",
       {"kind"},
       {{"timeout", "unavailable", "overload", "error"}}},
      {Metric::store_up,
       "speerd_store_up",
       T::gauge,
       "1 when the store watcher's last poll reached the SED store.",
       {}},
      {Metric::store_degraded,
       "speerd_store_degraded",
       T::gauge,
       "1 while the node serves without its store (down now, or not loaded since start): known "
       "clients from the snapshot, cached answers, and the store_policy's degraded answers.",
       {}},
      {Metric::store_snapshot_age,
       "speerd_client_snapshot_age_ms",
       T::gauge,
       "Milliseconds since the store last confirmed the client snapshot (-1: never loaded).",
       {}},
      {Metric::store_reconnects,
       "speerd_store_reconnects_total",
       T::counter,
       "Store connections the watcher opened again after losing one.",
       {}},
      {Metric::store_polls_failed,
       "speerd_store_polls_failed_total",
       T::counter,
       "Store watcher polls that did not reach the store.",
       {}},
      {Metric::store_clients,
       "speerd_client_snapshot_clients",
       T::gauge,
       "Clients in the client snapshot.",
       {}},
      {Metric::store_changes,
       "speerd_store_changes_total",
       T::counter,
       "Store writes (change counter steps) this node has applied.",
       {}},
      {Metric::cache_invalidated,
       "speerd_cache_invalidated_total",
       T::counter,
       "Cached answers (failures included) dropped because a store write reached them (per "
       "change: divide by speerd_store_changes_total).",
       {}},
      {Metric::store_counter,
       "speerd_store_change_counter",
       T::gauge,
       "The store's change counter as this node last saw it (compare nodes: equal once every "
       "node has seen every write).",
       {}},
      {Metric::anchors_store,
       "speerd_trust_anchors_store",
       T::gauge,
       "Trust anchors from the store active on this node (beside the configuration's).",
       {}},
      {Metric::anchors_pending,
       "speerd_trust_anchors_pending",
       T::gauge,
       "1 while the store's active trust anchors differ from the ones applied (an apply failed "
       "and is retried; /readyz check trust_anchors says why).",
       {}},
      {Metric::anchor_reloads,
       "speerd_trust_anchor_reloads_total",
       T::counter,
       "Attempts to apply a change of the store's trust anchors (new pipelines), applied (ok) "
       "or not (failed: the previous anchors stay active).",
       {"result"},
       {enum_name_list<ReloadLabel>()}},
      {Metric::dns_queries,
       "speerd_dns_queries_total",
       T::counter,
       "DNS front end: queries answered (or dropped), by transport and rcode.",
       {"transport", "rcode"},
       {enum_name_list<DnsTransport>(), enum_name_list<DnsRcode>()}},
      {Metric::dns_ede,
       "speerd_dns_ede_total",
       T::counter,
       "DNS front end: Extended DNS Errors (RFC 8914) sent, by info code.",
       {"code"},
       {ede_codes()}},
      {Metric::dns_refused,
       "speerd_dns_refused_total",
       T::counter,
       "DNS front end: queries refused before any lookup, by reason (unknown_client: DoT "
       "connections of a valid certificate of no enabled client, closed unanswered).",
       {"reason"},
       {enum_name_list<DnsRefused>()}},
      {Metric::dns_tls_handshakes,
       "speerd_dns_tls_handshakes_total",
       T::counter,
       "DNS front end: DNS-over-TLS handshakes, by result (failed: no, untrusted, revoked or "
       "unfit client certificate, or no common protocol; timeout: not complete in "
       "tls_handshake_timeout_ms).",
       {"result"},
       {enum_name_list<DnsTlsHandshake>()}},
      {Metric::dns_rrl,
       "speerd_dns_rrl_total",
       T::counter,
       "DNS front end, UDP answers under response-rate limiting ([dns_front] "
       "rrl_responses_per_second; not counted when it is 0): sent within the rate (send), sent "
       "empty with TC=1 (slip), not sent (drop).",
       {"action"},
       {enum_name_list<DnsRrlAction>()}},
      {Metric::dns_tsig,
       "speerd_dns_tsig_total",
       T::counter,
       "DNS front end: TSIG (RFC 8945) of queries, by result (ok: verified, answer signed; "
       "badkey, badsig, badtime: NOTAUTH with that TSIG error; missing: unsigned from a client "
       "that requires TSIG, REFUSED).",
       {"result"},
       {enum_name_list<DnsTsig>()}},
      {Metric::dns_memo,
       "speerd_dns_memo_total",
       T::counter,
       "DNS front end: its per-shard memos of ldns's work, by memo (answer: answers built; "
       "query: queries checked) and result (hit: copied from the memo, only the message ID "
       "rewritten; miss: done by ldns). Signed queries and answers never use them.",
       {"memo", "result"},
       {enum_name_list<DnsMemoKind>(), enum_name_list<DnsMemo>()}},
  };
  return table;
}

const std::vector<double>& latency_buckets() {
  static const std::vector<double> b = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                        0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   2.5};
  return b;
}

Metrics::Metrics() {
  const auto& table = metric_table();
  offset_.resize(table.size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    offset_[i] = size_;
    size_ += slots_of(table[i]);
  }
  slots_ = std::make_unique<std::atomic<std::int64_t>[]>(size_);
  for (std::size_t i = 0; i < size_; ++i) slots_[i].store(0, std::memory_order_relaxed);
}

void Metrics::inc(Metric m, std::size_t label, std::int64_t n) {
  slots_[offset_[L(m)] + label].fetch_add(n, std::memory_order_relaxed);
}

void Metrics::set(Metric m, std::size_t label, std::int64_t v) {
  slots_[offset_[L(m)] + label].store(v, std::memory_order_relaxed);
}

void Metrics::inc2(Metric m, std::size_t l1, std::size_t l2, std::int64_t n) {
  const auto& d = metric_table()[L(m)];
  inc(m, l1 * d.values[1].size() + l2, n);
}

std::int64_t Metrics::value(Metric m, std::size_t label) const {
  return slots_[offset_[L(m)] + label].load(std::memory_order_relaxed);
}

std::int64_t Metrics::value2(Metric m, std::size_t l1, std::size_t l2) const {
  const auto& d = metric_table()[L(m)];
  return value(m, l1 * d.values[1].size() + l2);
}

void Metrics::observe(Metric m, std::size_t label, std::chrono::nanoseconds d) {
  const auto& b = latency_buckets();
  const std::size_t per = b.size() + 3;
  const std::size_t base = offset_[L(m)] + label * per;
  const double s = std::chrono::duration<double>(d).count();
  std::size_t i = 0;
  while (i < b.size() && s > b[i]) ++i;
  slots_[base + i].fetch_add(1, std::memory_order_relaxed);  // i == size(): +Inf
  slots_[base + b.size() + 1].fetch_add(d.count(), std::memory_order_relaxed);
  slots_[base + b.size() + 2].fetch_add(1, std::memory_order_relaxed);
}

namespace {

std::string format_double(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// The HELP and TYPE lines that open a family, for the table's families and the
// run-time ones alike.
void write_family_header(std::ostringstream& out, std::string_view name, MetricType type,
                         std::string_view help) {
  out << "# HELP " << name << ' ' << help << '\n';
  out << "# TYPE " << name << ' ' << enum_name(type) << '\n';
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string labels_text(const MetricDef& d, std::size_t combo, const std::string& extra = {}) {
  std::string out;
  std::size_t rest = combo;
  std::vector<std::size_t> idx(d.labels.size());
  for (std::size_t k = d.labels.size(); k-- > 0;) {
    idx[k] = rest % d.values[k].size();
    rest /= d.values[k].size();
  }
  for (std::size_t k = 0; k < d.labels.size(); ++k) {
    out += (out.empty() ? "" : ",") + std::string(d.labels[k]) + "=\"" +
           std::string(d.values[k][idx[k]]) + "\"";
  }
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? out : "{" + out + "}";
}

}  // namespace

std::string render_metrics(const std::vector<const Metrics*>& all) {
  std::ostringstream out;
  const auto& table = metric_table();
  auto sum = [&](std::size_t slot) {
    std::int64_t s = 0;
    for (const auto* m : all) s += m->slots_[slot].load(std::memory_order_relaxed);
    return s;
  };
  if (all.empty()) return {};
  const Metrics& layout = *all.front();
  for (std::size_t f = 0; f < table.size(); ++f) {
    const auto& d = table[f];
    write_family_header(out, d.name, d.type, d.help);
    const std::size_t combos = label_combinations(d);
    if (d.type != MetricType::histogram) {
      for (std::size_t c = 0; c < combos; ++c) {
        out << d.name << labels_text(d, c) << ' ' << sum(layout.offset_[f] + c) << '\n';
      }
      continue;
    }
    const auto& b = latency_buckets();
    const std::size_t per = b.size() + 3;
    for (std::size_t c = 0; c < combos; ++c) {
      const std::size_t base = layout.offset_[f] + c * per;
      std::int64_t cumulative = 0;
      for (std::size_t i = 0; i <= b.size(); ++i) {
        cumulative += sum(base + i);
        const std::string le = i < b.size() ? format_double(b[i]) : "+Inf";
        out << d.name << "_bucket" << labels_text(d, c, "le=\"" + le + "\"") << ' ' << cumulative
            << '\n';
      }
      out << d.name << "_sum" << labels_text(d, c) << ' '
          << format_double(static_cast<double>(sum(base + b.size() + 1)) / 1e9) << '\n';
      out << d.name << "_count" << labels_text(d, c) << ' ' << sum(base + b.size() + 2) << '\n';
    }
  }
  return out.str();
}

std::string render_family(std::string_view name, MetricType type, std::string_view help,
                          const std::vector<RuntimeRow>& rows) {
  std::ostringstream out;
  write_family_header(out, name, type, help);
  for (const auto& r : rows) {
    out << name;
    for (std::size_t i = 0; i < r.labels.size(); ++i) {
      out << (i == 0 ? "{" : ",") << r.labels[i].first << "=\""
          << escape_label_value(r.labels[i].second) << '"';
    }
    out << (r.labels.empty() ? "" : "}") << ' ' << format_double(r.value) << '\n';
  }
  return out.str();
}

}  // namespace speerd::service
