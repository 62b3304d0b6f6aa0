#include "resolver/daemon/runtime.hpp"

#include <boost/asio/post.hpp>

#include "resolver/daemon/logging.hpp"
#include "resolver/dnsfront/front_end.hpp"
#include "resolver/service/client_snapshot.hpp"
#include "resolver/service/log.hpp"

namespace speerd::daemon {
namespace {

namespace log = service::log;

std::map<std::string, std::string> tree_names(const config::ResolverConfig& r) {
  std::map<std::string, std::string> m;
  for (const auto& t : r.trees) m[t.suffix] = t.name;
  return m;
}

Expected<std::unique_ptr<store::Store>> open(const std::string& uri, int statement_timeout_ms = 0) {
  store::OpenOptions o;
  o.statement_timeout_ms = statement_timeout_ms;
  auto s = store::open_store(uri, o);
  if (!s) return fail("[store] uri: " + s.error().message);
  return std::move(*s);
}

// A URI that names no store kind is a configuration error, refused at
// start (an unreachable store is not: the node starts without it).
bool known_scheme(const std::string& uri) {
  return uri.rfind("sqlite:", 0) == 0 || uri.rfind("postgresql://", 0) == 0 ||
         uri.rfind("postgres://", 0) == 0;
}

// One row per configured authoritative server (stub zone and address, as
// configured): the health prober's last verdict, its failures in a row and
// the last probe's round trip. speerd_upstream_servers counts them.
std::string upstream_server_rows(const std::vector<dns::ServerHealth>& servers) {
  using service::MetricType;
  using service::RuntimeRow;
  std::vector<RuntimeRow> up, failing, rtt;
  for (const auto& s : servers) {
    const std::vector<std::pair<std::string_view, std::string>> labels{{"zone", s.zone},
                                                                       {"server", s.server}};
    up.push_back({labels, s.up ? 1.0 : 0.0});
    failing.push_back({labels, static_cast<double>(s.consecutive_failures)});
    rtt.push_back({labels, s.last_rtt_ms / 1000.0});
  }
  return service::render_family("speerd_upstream_server_up", MetricType::gauge,
                                "1 when the configured authoritative server answered its last "
                                "health probe, else 0 (also 0 before the first probe).",
                                up) +
         service::render_family("speerd_upstream_server_consecutive_failures", MetricType::gauge,
                                "Health probes of this server that failed in a row (0 after an "
                                "answer).",
                                failing) +
         service::render_family("speerd_upstream_server_rtt_seconds", MetricType::gauge,
                                "Round trip of this server's last answered health probe.", rtt);
}

}  // namespace

std::size_t anchor_count(const config::ResolverConfig& r) {
  std::size_t n = r.dns.trust_anchors.size() + r.dns.trust_anchor_files.size();
  for (const auto& t : r.trees) n += t.trust_anchor_files.size();
  return n;
}

// The store's anchors as the watcher last saw them (never a store read
// here: a reload works with the store down, on the anchors known).
std::shared_ptr<const Config> Runtime::with_anchors(
    const std::shared_ptr<const Config>& cfg) const {
  auto c = std::make_shared<Config>(*cfg);
  for (const auto& rr : latest_anchors_) c->resolver.dns.trust_anchors.push_back(rr);
  return std::shared_ptr<const Config>(std::move(c));
}

server::ServerHooks::ServiceFactory Runtime::service_factory(std::shared_ptr<const Config> cfg) {
  auto resolver = std::make_shared<const config::ResolverConfig>(cfg->resolver);
  auto pipelines = pipelines_;
  auto workers = workers_;
  auto* metrics = &store_metrics_;
  // The as-received RRset only for a DNS front end that answers with it.
  const bool keep_received = cfg->server.dns_front.enabled && cfg->server.dns_front.naptr_answer ==
                                                                  service::NaptrAnswer::as_received;
  return [resolver, pipelines, workers, metrics, keep_received](
             boost::asio::io_context& io,
             std::size_t index) -> Expected<std::shared_ptr<pipeline::LookupService>> {
    auto p = ShardPipeline::create(io, resolver, *workers, metrics, keep_received);
    if (!p) return fail(p.error());
    pipelines->with([&](auto& v) {
      if (v.size() <= index) v.resize(index + 1);
      v[index] = *p;
    });
    return std::shared_ptr<pipeline::LookupService>(*p);
  };
}

Expected<std::unique_ptr<Runtime>> Runtime::start(boost::asio::io_context& io,
                                                  std::shared_ptr<const Config> cfg) {
  std::unique_ptr<Runtime> rt(new Runtime(io));
  const auto& st = cfg->server.store;
  if (!known_scheme(st.uri)) {
    return fail("[store] uri: unknown store URI: use sqlite:PATH or postgresql://...");
  }
  const auto uri = st.uri;
  const auto backoff_max = std::chrono::milliseconds(st.reconnect_max_ms);
  rt->snapshot_ = std::make_shared<service::ClientSnapshot>();
  service::StoreWatcherSettings ws;
  ws.interval = std::chrono::milliseconds(st.refresh_interval_ms);
  ws.backoff_max = backoff_max;
  ws.tree_names = tree_names(cfg->resolver);
  Runtime* raw = rt.get();
  rt->watcher_ = std::make_unique<service::StoreWatcher>(
      [uri] { return open(uri); }, ws, rt->snapshot_,
      [raw, &io](service::StoreChange c) {
        if (raw->starting_) {
          raw->first_ = std::move(c);  // the first poll, on this thread, inside start()
          return;
        }
        boost::asio::post(
            io, [raw, c = std::move(c)]() mutable { raw->on_store_change(std::move(c)); });
      });
  if (rt->watcher_->poll_now() && rt->first_) {
    rt->store_counter_ = rt->first_->counter;
    rt->latest_anchors_ = rt->first_->anchors;
  } else {
    log::event(spdlog::level::warn, "store-unreachable",
               {{"error", rt->watcher_->health().problem},
                {"effect",
                 "starting without the store: not ready until it answers; anchors from the "
                 "configuration only"}});
  }
  rt->base_ = cfg;
  rt->current_ = rt->with_anchors(cfg);
  rt->store_anchors_ = rt->latest_anchors_;
  service::StoreWorkerSettings wk;
  wk.threads = static_cast<std::size_t>(st.threads);
  wk.timeout = std::chrono::milliseconds(st.timeout_ms);
  wk.backoff_max = backoff_max;
  const int statement_ms = static_cast<int>(st.timeout_ms);
  rt->workers_ = std::make_shared<service::StoreWorkers>(
      [uri, statement_ms] { return open(uri, statement_ms); }, wk);
  rt->pipelines_ = std::make_shared<Guarded<std::vector<std::weak_ptr<ShardPipeline>>>>();
  rt->upstream_ = std::make_shared<Guarded<std::string>>("not probed yet");
  rt->ready_cfg_ = std::make_shared<Guarded<std::shared_ptr<const Config>>>(rt->current_);

  server::ServerHooks hooks;
  hooks.make_service = rt->service_factory(rt->current_);
  auto snapshot = rt->snapshot_;
  hooks.make_directory = [snapshot]() -> Expected<std::unique_ptr<service::ClientDirectory>> {
    return std::unique_ptr<service::ClientDirectory>(
        std::make_unique<service::SnapshotDirectory>(snapshot));
  };
  hooks.metrics.push_back(&rt->store_metrics_);
  hooks.more_metrics = [servers = rt->servers_] {
    return upstream_server_rows(servers->with([](const auto& v) { return v; }));
  };
  if (cfg->server.dns_front.enabled) {
    auto listeners =
        dnsfront::Listeners::open(cfg->server.dns_front.listen, cfg->server.dns_front.tls_listen);
    if (!listeners) return fail(listeners.error());
    std::vector<dnsfront::Tree> trees;
    for (const auto& t : rt->current_->resolver.trees) trees.push_back({t.name, t.suffix});
    const auto handler = dnsfront::handler_config(cfg->server, trees);
    const auto limits = dnsfront::stream_limits(cfg->server.dns_front);
    // Source prefixes from the client snapshot (matched in memory); DoT
    // clients by certificate from the shard's client directory (the API's);
    // the lookups go through the shard's pipeline and so the store threads.
    hooks.front_ends.push_back(
        [listeners = *listeners, handler, limits,
         snapshot](service::Shard& shard) -> Expected<std::unique_ptr<service::FrontEnd>> {
          return std::unique_ptr<service::FrontEnd>(std::make_unique<dnsfront::DnsFrontEnd>(
              shard, listeners, handler, limits,
              std::make_unique<dnsfront::SnapshotSources>(snapshot)));
        });
  }
  auto ready_cfg = rt->ready_cfg_;
  auto anchors_problem = rt->anchors_problem_;
  hooks.readiness.push_back({"trust_anchors", [ready_cfg, anchors_problem]() -> Expected<bool> {
                               auto why = anchors_problem->with([](auto& s) { return s; });
                               if (!why.empty()) return fail(why);
                               const auto c = ready_cfg->with([](auto& p) { return p; });
                               if (anchor_count(c->resolver) == 0) {
                                 return fail("no trust anchor configured or in the store");
                               }
                               return true;
                             }});
  auto upstream = rt->upstream_;
  hooks.readiness.push_back({"upstream", [upstream]() -> Expected<bool> {
                               auto why = upstream->with([](auto& s) { return s; });
                               if (!why.empty()) return fail(why);
                               return true;
                             }});
  rt->priming_ = Priming::start(
      io, std::make_shared<const config::ResolverConfig>(rt->current_->resolver), rt->primed_);
  auto primed = rt->primed_;
  hooks.readiness.push_back({"priming", [primed]() -> Expected<bool> {
                               auto why = primed->with([](auto& s) { return s; });
                               if (!why.empty()) return fail(why);
                               return true;
                             }});
  auto server = server::Server::start(
      std::make_shared<const service::ServerConfig>(rt->current_->server), std::move(hooks));
  if (!server) return fail(server.error());
  rt->server_ = std::move(*server);
  rt->starting_ = false;
  rt->store_metrics_.set(service::Metric::store_counter, 0,
                         static_cast<std::int64_t>(rt->store_counter_));
  rt->publish_anchors();
  rt->watcher_->start();
  rt->start_prober();
  rt->publish_health();
  return rt;
}

// A refused reload changes nothing: not even [log] (the current log is
// only reopened, for rotation). An accepted one applies all of it.
Expected<std::vector<std::string>> Runtime::reload() {
  auto refused = [&](const std::string& why, bool reported) -> Expected<std::vector<std::string>> {
    (void)setup_logging(current_->server.log);
    if (!reported) server_->reload_failed(why);
    return fail(why);
  };
  auto loaded = load_config(current_->file);
  if (!loaded) return refused(loaded.error(), false);
  if (auto l = check_logging((*loaded)->server.log); !l) return refused(l.error(), false);
  if ((*loaded)->server.store.uri != current_->server.store.uri) {
    log::event(spdlog::level::warn, log::kReload,
               {{"warning", "[store] uri changed: restart speerd to apply it"}});
  }
  auto r = apply(*loaded, true);
  if (!r) return refused(r.error(), true);
  if (auto l = setup_logging(current_->server.log); !l) {
    log::event(spdlog::level::err, log::kReload, {{"log", l.error()}});
  }
  return r;
}

// Shared by SIGHUP and a store anchor change. New pipelines when the
// resolver sections or the store's anchors changed; the prober restarts
// only for new sections (the anchors do not change what it probes), and
// priming for anchors alone keeps a passed verdict while it runs again.
Expected<std::vector<std::string>> Runtime::apply(std::shared_ptr<const Config> base,
                                                  bool reload_tls) {
  auto full = with_anchors(base);
  const bool sections_changed = full->resolver_toml != current_->resolver_toml;
  const bool resolver_changed = sections_changed || latest_anchors_ != store_anchors_;
  auto factory = resolver_changed ? service_factory(full) : server::ServerHooks::ServiceFactory{};
  auto r = server_->reload(std::make_shared<const service::ServerConfig>(full->server), factory,
                           reload_tls);
  if (!r) return r;  // the server logged and counted it
  base_ = std::move(base);
  current_ = full;
  store_anchors_ = latest_anchors_;
  watcher_->set_tree_names(tree_names(current_->resolver));
  ready_cfg_->with([&](auto& p) { p = current_; });
  if (sections_changed) start_prober();
  if (resolver_changed) {
    if (priming_) priming_->stop();
    priming_ =
        Priming::start(io_, std::make_shared<const config::ResolverConfig>(current_->resolver),
                       primed_, !sections_changed);
  }
  if (anchors_pending_) anchors_settled();
  publish_anchors();
  log::event(spdlog::level::info, log::kReload,
             {{"result", "ok"},
              {"cause", reload_tls ? "sighup" : "store-trust-anchors"},
              {"generation", server_->generation()->number},
              {"pipelines_rebuilt", resolver_changed},
              {"store_anchors", store_anchors_.size()},
              {"warnings", *r}});
  return r;
}

// A store change the watcher saw (main thread): a change of the active
// trust anchors is applied (new pipelines, so new caches); any other change
// invalidates what the writes touched in every shard's caches. The client
// snapshot is the watcher's own business.
void Runtime::on_store_change(service::StoreChange c) {
  const bool changed = c.counter != store_counter_ || c.first;
  store_counter_ = c.counter;
  store_metrics_.set(service::Metric::store_counter, 0, static_cast<std::int64_t>(c.counter));
  const bool anchors_moved = c.anchors != latest_anchors_;
  latest_anchors_ = std::move(c.anchors);
  bool rebuilt = false;
  if (latest_anchors_ == store_anchors_) {
    if (anchors_pending_) {
      log::event(spdlog::level::info, "store-change",
                 {{"trust_anchors", "back to the active set: nothing left to apply"}});
      anchors_settled();
    }
  } else if (anchors_moved || !anchors_pending_) {
    // A new set: tried now. The same set still pending waits for its retry.
    log::event(spdlog::level::info, "store-change",
               {{"trust_anchors", "changed"}, {"store_anchors", latest_anchors_.size()}});
    anchor_attempts_ = 0;
    anchor_retry_delay_ = kAnchorRetryMin;
    apply_store_anchors();
    rebuilt = !anchors_pending_;
  }
  if (!changed) return;
  const auto writes = static_cast<std::int64_t>(c.counter - std::min(c.counter, c.previous));
  store_metrics_.inc(service::Metric::store_changes, 0, c.first ? 1 : writes);
  if (rebuilt) return;  // every shard's pipeline is new, its caches empty
  // What the writes touched (the change log), as the caches see it; all
  // when the log does not cover them.
  std::vector<pipeline::Invalidation> inv;
  if (c.first || !c.complete) {
    inv.push_back({pipeline::Invalidation::Kind::all, {}, {}});
  } else {
    for (auto& e : c.changes) {
      auto i = pipeline::invalidation_of(e.kind, std::move(e.value), std::move(e.end));
      if (i.kind != pipeline::Invalidation::Kind::none) inv.push_back(std::move(i));
    }
  }
  log::event(spdlog::level::info, "store-change",
             {{"counter", c.counter},
              {"cache", inv.empty()                                             ? "kept"
                        : inv.front().kind == pipeline::Invalidation::Kind::all ? "dropped"
                                                                                : "invalidated"},
              {"entries", inv.size()}});
  if (inv.empty()) return;
  auto list = pipelines_->with([](auto& v) { return v; });
  auto* metrics = &store_metrics_;
  auto shared = std::make_shared<const std::vector<pipeline::Invalidation>>(std::move(inv));
  for (std::size_t i = 0; i < list.size(); ++i) {
    server_->post_to_shard(i, [w = list[i], shared, metrics] {
      if (auto p = w.lock()) {
        const auto n = p->pipeline().invalidate(*shared);
        metrics->inc(service::Metric::cache_invalidated, 0, static_cast<std::int64_t>(n));
      }
    });
  }
}

// One attempt at the store's latest anchors on the base configuration (no
// file read). Not applied: the anchors active now stay, /readyz and
// /metrics say so, and the attempt is repeated (publish_health) after 1 s,
// then 2, 4, 8, 10, 10... until it applies or the store changes again.
void Runtime::apply_store_anchors() {
  auto r = apply(base_, false);
  store_metrics_.inc(service::Metric::anchor_reloads,
                     service::L(r ? service::ReloadLabel::ok : service::ReloadLabel::failed));
  if (r) {
    log::event(spdlog::level::info, "store-change",
               {{"trust_anchors", "applied"}, {"store_anchors", store_anchors_.size()}});
    return;
  }
  ++anchor_attempts_;
  anchors_pending_ = true;
  const auto delay = anchor_retry_delay_;
  anchor_retry_at_ = std::chrono::steady_clock::now() + delay;
  anchor_retry_delay_ = std::min<std::chrono::milliseconds>(delay * 2, kAnchorRetryMax);
  const auto why = "the store's trust anchors are not applied (" +
                   std::to_string(latest_anchors_.size()) + " active in the store; the " +
                   std::to_string(store_anchors_.size()) +
                   " applied before stay active): " + r.error();
  anchors_problem_->with([&](auto& s) { s = why; });
  log::event(spdlog::level::err, "store-change",
             {{"trust_anchors", "not applied: the previous anchors stay active"},
              {"error", r.error()},
              {"attempt", anchor_attempts_},
              {"retry_ms", delay.count()}});
  publish_anchors();
}

void Runtime::anchors_settled() {
  anchors_pending_ = false;
  anchor_attempts_ = 0;
  anchor_retry_delay_ = kAnchorRetryMin;
  anchors_problem_->with([](auto& s) { s.clear(); });
  publish_anchors();
}

void Runtime::publish_anchors() {
  store_metrics_.set(service::Metric::anchors_store, 0,
                     static_cast<std::int64_t>(store_anchors_.size()));
  store_metrics_.set(service::Metric::anchors_pending, 0, anchors_pending_ ? 1 : 0);
}

void Runtime::start_prober() {
  if (prober_) prober_->stop();
  prober_ = dns::HealthProber::create(io_, current_->resolver.dns.stubs);
  prober_->start();
}

// Copies the prober's view (main thread) to what /readyz and /metrics read.
void Runtime::publish_health() {
  std::int64_t up = 0, down = 0, probes = 0, failures = 0;
  bool probed = true;
  for (const auto& s : prober_->servers()) {
    probed = probed && s.probed;
    (s.up ? up : down) += 1;
    probes += static_cast<std::int64_t>(s.probes);
    failures += static_cast<std::int64_t>(s.failures);
  }
  std::string why;
  if (!probed) {
    why = "not probed yet";
  } else if (!prober_->all_zones_reachable()) {
    for (const auto& s : prober_->servers()) {
      if (!s.up) why += (why.empty() ? "" : "; ") + s.zone + " @" + s.server + ": " + s.last_error;
    }
    why = "a stub zone has no server answering: " + why;
  }
  upstream_->with([&](auto& s) { s = why; });
  servers_->with([&](auto& v) { v = prober_->servers(); });
  publish_store_health();
  if (anchors_pending_ && std::chrono::steady_clock::now() >= anchor_retry_at_) {
    apply_store_anchors();
  }
  auto& m = server_->control_metrics();
  m.set(service::Metric::upstream_servers, service::L(service::UpstreamLabel::up), up);
  m.set(service::Metric::upstream_servers, service::L(service::UpstreamLabel::down), down);
  m.set(service::Metric::upstream_probes, service::L(service::ProbeLabel::ok), probes - failures);
  m.set(service::Metric::upstream_probes, service::L(service::ProbeLabel::failed), failures);
  health_timer_.expires_after(std::chrono::seconds(1));
  health_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) publish_health();
  });
}

// The store's state as /metrics shows it (every second).
void Runtime::publish_store_health() {
  const auto h = watcher_->health();
  auto& m = store_metrics_;
  m.set(service::Metric::store_up, 0, h.up ? 1 : 0);
  m.set(service::Metric::store_degraded, 0, h.up && h.loaded ? 0 : 1);
  const auto age = h.loaded ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - h.last_ok)
                                  .count()
                            : -1;
  m.set(service::Metric::store_snapshot_age, 0, age);
  m.set(service::Metric::store_reconnects, 0, static_cast<std::int64_t>(h.reconnects));
  m.set(service::Metric::store_polls_failed, 0, static_cast<std::int64_t>(h.failures));
  if (auto t = snapshot_->current()) {
    m.set(service::Metric::store_clients, 0, static_cast<std::int64_t>(t->size()));
  }
}

// Order: the watcher and the store threads stop before the shards' loops
// go (a store answer is posted to a shard's loop).
void Runtime::shutdown() {
  health_timer_.cancel();
  if (prober_) prober_->stop();
  if (priming_) priming_->stop();
  if (watcher_) watcher_->stop();
  if (server_) server_->shutdown();
  if (workers_) workers_->stop();
}

Runtime::~Runtime() {
  shutdown();
}

}  // namespace speerd::daemon
