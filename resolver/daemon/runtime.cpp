#include "resolver/daemon/runtime.hpp"

#include <boost/asio/post.hpp>

#include "resolver/daemon/logging.hpp"
#include "resolver/dnsfront/front_end.hpp"
#include "resolver/service/log.hpp"
#include "resolver/service/store_directory.hpp"

namespace speerd::daemon {
namespace {

namespace log = service::log;

std::map<std::string, std::string> tree_names(const config::ResolverConfig& r) {
  std::map<std::string, std::string> m;
  for (const auto& t : r.trees) m[t.suffix] = t.name;
  return m;
}

Expected<std::unique_ptr<store::Store>> open(const std::string& uri) {
  auto s = store::open_store(uri);
  if (!s) return fail("[store] uri: " + s.error().message);
  return std::move(*s);
}

}  // namespace

std::size_t anchor_count(const config::ResolverConfig& r) {
  std::size_t n = r.dns.trust_anchors.size() + r.dns.trust_anchor_files.size();
  for (const auto& t : r.trees) n += t.trust_anchor_files.size();
  return n;
}

Expected<std::shared_ptr<const Config>> Runtime::with_anchors(std::shared_ptr<const Config> cfg) {
  auto anchors = store_->trust_anchors();
  if (!anchors) return fail("[store] trust anchors: " + anchors.error());
  auto c = std::make_shared<Config>(*cfg);
  store_anchors_.clear();
  for (const auto& a : *anchors) {
    store_anchors_.push_back(a.rr);
    c->resolver.dns.trust_anchors.push_back(a.rr);
  }
  return std::shared_ptr<const Config>(std::move(c));
}

server::ServerHooks::ServiceFactory Runtime::service_factory(std::shared_ptr<const Config> cfg) {
  auto resolver = std::make_shared<const config::ResolverConfig>(cfg->resolver);
  auto pipelines = pipelines_;
  const auto uri = cfg->server.store.uri;
  return [resolver, pipelines, uri](
             boost::asio::io_context& io,
             std::size_t index) -> Expected<std::shared_ptr<pipeline::LookupService>> {
    auto p = ShardPipeline::create(io, resolver, uri);
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
  auto st = open(cfg->server.store.uri);
  if (!st) return fail(st.error());
  rt->store_ = std::move(*st);
  if (auto c = rt->store_->change_counter()) rt->store_counter_ = *c;
  auto full = rt->with_anchors(cfg);
  if (!full) return fail(full.error());
  rt->current_ = *full;
  rt->pipelines_ = std::make_shared<Guarded<std::vector<std::weak_ptr<ShardPipeline>>>>();
  rt->upstream_ = std::make_shared<Guarded<std::string>>("not probed yet");
  rt->ready_cfg_ = std::make_shared<Guarded<std::shared_ptr<const Config>>>(rt->current_);

  server::ServerHooks hooks;
  hooks.make_service = rt->service_factory(rt->current_);
  const auto uri = cfg->server.store.uri;
  const auto names = tree_names(rt->current_->resolver);
  const auto refresh = std::chrono::milliseconds(cfg->server.store.refresh_interval_ms);
  hooks.make_directory = [uri, names,
                          refresh]() -> Expected<std::unique_ptr<service::ClientDirectory>> {
    auto s = open(uri);
    if (!s) return fail(s.error());
    return std::unique_ptr<service::ClientDirectory>(
        std::make_unique<service::StoreDirectory>(std::move(*s), names, refresh));
  };
  if (cfg->server.dns_front.enabled) {
    auto listeners = dnsfront::Listeners::open(cfg->server.dns_front.listen);
    if (!listeners) return fail(listeners.error());
    std::vector<dnsfront::Tree> trees;
    for (const auto& t : rt->current_->resolver.trees) trees.push_back({t.name, t.suffix});
    const auto handler = dnsfront::handler_config(cfg->server, trees);
    const auto limits = dnsfront::stream_limits(cfg->server.dns_front);
    hooks.front_ends.push_back(
        [listeners = *listeners, handler, limits, uri, names,
         refresh](service::Shard& shard) -> Expected<std::unique_ptr<service::FrontEnd>> {
          auto s = open(uri);
          if (!s) return fail(s.error());
          auto sources = std::make_unique<dnsfront::StoreSources>(std::move(*s), names, refresh);
          return std::unique_ptr<service::FrontEnd>(std::make_unique<dnsfront::DnsFrontEnd>(
              shard, listeners, handler, limits, std::move(sources)));
        });
  }
  auto ready_cfg = rt->ready_cfg_;
  hooks.readiness.push_back({"trust_anchors", [ready_cfg]() -> Expected<bool> {
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
  auto server = server::Server::start(
      std::make_shared<const service::ServerConfig>(rt->current_->server), std::move(hooks));
  if (!server) return fail(server.error());
  rt->server_ = std::move(*server);
  rt->start_prober();
  rt->publish_health();
  rt->poll_store();
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
  const auto old_anchors = store_anchors_;
  auto full = with_anchors(*loaded);
  if (!full) {
    store_anchors_ = old_anchors;
    return refused(full.error(), false);
  }
  const bool resolver_changed =
      (*full)->resolver_toml != current_->resolver_toml || store_anchors_ != old_anchors;
  auto factory = resolver_changed ? service_factory(*full) : server::ServerHooks::ServiceFactory{};
  auto r = server_->reload(std::make_shared<const service::ServerConfig>((*full)->server), factory);
  if (!r) {
    store_anchors_ = old_anchors;
    return refused(r.error(), true);
  }
  current_ = *full;
  if (auto l = setup_logging(current_->server.log); !l) {
    log::event(spdlog::level::err, log::kReload, {{"log", l.error()}});
  }
  ready_cfg_->with([&](auto& p) { p = current_; });
  if (resolver_changed) start_prober();
  log::event(spdlog::level::info, log::kReload,
             {{"result", "ok"},
              {"generation", server_->generation()->number},
              {"pipelines_rebuilt", resolver_changed},
              {"warnings", *r}});
  return r;
}

// Polls the store's change counter: a change drops every shard's result
// cache (client directories notice on their own); a change of the active
// trust anchors reloads like SIGHUP.
void Runtime::poll_store() {
  poll_timer_.expires_after(std::chrono::milliseconds(current_->server.store.refresh_interval_ms));
  poll_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    auto c = store_->change_counter();
    const auto now_t = std::chrono::steady_clock::now();
    const bool retry = anchors_pending_ && now_t >= anchor_retry_at_;
    if (c && (*c != store_counter_ || retry)) {
      const bool changed = *c != store_counter_;
      store_counter_ = *c;
      auto anchors = store_->trust_anchors();
      std::vector<std::string> now;
      if (anchors) {
        for (const auto& a : *anchors) now.push_back(a.rr);
      }
      if (anchors && now != store_anchors_) {
        log::event(spdlog::level::info, "store-change", {{"trust_anchors", "changed"}});
        // Not applied: the old anchors stay active, and the change is
        // retried (kAnchorRetry) until it applies or the store changes again.
        auto r = reload();
        anchors_pending_ = !r;
        if (!r) {
          anchor_retry_at_ = now_t + kAnchorRetry;
          log::event(spdlog::level::err, "store-change",
                     {{"trust_anchors", "not applied: the previous anchors stay active"},
                      {"error", r.error()},
                      {"retry_s",
                       std::chrono::duration_cast<std::chrono::seconds>(kAnchorRetry).count()}});
        }
      } else if (!changed) {
        if (anchors) anchors_pending_ = false;  // the store went back to the active anchors
      } else {
        if (anchors) anchors_pending_ = false;
        log::event(spdlog::level::info, "store-change", {{"counter", *c}, {"cache", "dropped"}});
        auto list = pipelines_->with([](auto& v) { return v; });
        for (std::size_t i = 0; i < list.size(); ++i) {
          server_->post_to_shard(i, [w = list[i]] {
            if (auto p = w.lock()) p->pipeline().drop_cache();
          });
        }
      }
    }
    poll_store();
  });
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

void Runtime::shutdown() {
  poll_timer_.cancel();
  health_timer_.cancel();
  if (prober_) prober_->stop();
  if (server_) server_->shutdown();
}

Runtime::~Runtime() {
  shutdown();
}

}  // namespace speerd::daemon
