#include "resolver/server/server.hpp"

#include <thread>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/asio/post.hpp>

#include "resolver/service/log.hpp"
#include "resolver/service/tls.hpp"

namespace speerd::server {
using service::Admission;
using service::Generation;
using service::L;
using service::LimitsSection;
using service::Metric;
using service::metric_table;
using service::Metrics;
using service::parse_host_port;
using service::RateLimiter;
using service::Refused;
using service::ReloadLabel;
using service::render_metrics;
using service::ServerConfig;
using service::Shard;
namespace log = service::log;
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using std::chrono::milliseconds;

constexpr milliseconds kAcceptPauseOnExhaustion{100};  // EMFILE and friends: back off
// Every second: the suppressed-log counts go out; idle rate-limit buckets
// are dropped every kForgetEvery rounds.
constexpr std::chrono::seconds kHousekeepingInterval{1};
constexpr int kForgetEvery = 30;
constexpr std::chrono::seconds kIdleBucketAge{300};  // rate buckets forgotten when full this long
constexpr milliseconds kAbortGrace{1000};            // after drain: closing what remains

std::string fold_address(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

// The key the per-address cap counts by: the address's prefix of the
// configured length, as "addr/len" (the address itself at /32 and /128).
std::string cap_key(const std::string& folded, const LimitsSection& limits) {
  error_code ec;
  const auto a = asio::ip::make_address(folded, ec);
  if (ec) return folded;
  if (a.is_v4()) {
    const auto len = static_cast<unsigned>(limits.address_prefix_v4);
    if (len >= 32) return folded;
    const auto net = asio::ip::make_network_v4(a.to_v4(), len).network();
    return net.to_string() + "/" + std::to_string(len);
  }
  const auto len = static_cast<unsigned>(limits.address_prefix_v6);
  if (len >= 128) return folded;
  const auto net = asio::ip::make_network_v6(a.to_v6(), len).network();
  return net.to_string() + "/" + std::to_string(len);
}

std::string peer_text(const std::string& address, std::uint16_t port) {
  if (address.find(':') != std::string::npos) return "[" + address + "]:" + std::to_string(port);
  return address + ":" + std::to_string(port);
}

bool exhausted(const error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory || ec.value() == ENFILE;
}

}  // namespace

Expected<std::unique_ptr<Server>> Server::start(std::shared_ptr<const ServerConfig> config,
                                                ServerHooks hooks) {
  if (!hooks.make_service || !hooks.make_directory) {
    return fail("server: make_service and make_directory are required");
  }
  auto tls = service::make_server_contexts(*config);
  if (!tls) return fail(tls.error());
  std::unique_ptr<Server> s(new Server());
  s->hooks_ = std::move(hooks);
  auto gen = std::make_shared<Generation>(Generation{1, config, tls->api, tls->dot});
  s->current_.with([&](auto& g) { g = gen; });

  std::size_t n = static_cast<std::size_t>(config->server.threads);
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t i = 0; i < n; ++i) {
    auto shard = std::make_unique<Shard>(i, s->limiter_);
    auto http = std::make_unique<HttpFrontEnd>(*shard);
    s->http_.push_back(http.get());
    shard->add_front_end(std::move(http));
    shard->start();
    auto r = shard->call([&]() -> Expected<bool> {
      auto dir = s->hooks_.make_directory();
      if (!dir) return fail("store: " + dir.error());
      auto svc = s->hooks_.make_service(shard->io(), i);
      if (!svc) return fail("pipeline: " + svc.error());
      shard->set_generation(gen);
      for (const auto& make : s->hooks_.front_ends) {
        auto fe = make(*shard);
        if (!fe) return fail(fe.error());
        shard->add_front_end(std::move(*fe));
      }
      shard->set_directory(std::move(*dir));
      shard->set_service(std::move(*svc));
      return true;
    });
    s->shards_.push_back(std::move(shard));
    if (!r) return fail(r.error());
  }
  if (auto r = s->listen(config->server.listen); !r) return fail(r.error());
  if (config->admin.enabled) {
    auto dir = s->hooks_.make_directory();
    if (!dir) return fail("store: " + dir.error());
    s->admin_directory_ = std::move(*dir);
    Server* raw = s.get();
    auto admin = AdminServer::start(
        config->admin.listen,
        {[raw] { return raw->metrics_text(); }, [raw] { return raw->readiness(); }},
        AdminLimits{config->admin.max_connections, config->admin.timeout_ms});
    if (!admin) return fail(admin.error());
    s->admin_ = std::move(*admin);
  }
  s->accept();
  s->housekeeping();
  s->control_thread_ = std::thread([raw = s.get()] {
    for (;;) {
      try {
        raw->control_.run();
        return;
      } catch (const std::exception& e) {
        log::event(spdlog::level::err, "control-exception", {{"what", e.what()}});
      }
    }
  });
  log::event(spdlog::level::info, log::kListening,
             {{"listener", "api"},
              {"address", config->server.listen},
              {"port", s->api_port_},
              {"shards", s->shards_.size()}});
  return s;
}

Expected<bool> Server::listen(const std::string& address) {
  auto hp = parse_host_port(address);
  if (!hp) return fail("[server] listen: " + hp.error());
  error_code ec;
  const auto addr = asio::ip::make_address(hp->host, ec);
  if (ec) return fail("[server] listen: \"" + hp->host + "\" is not an IP address");
  const tcp::endpoint ep(addr, hp->port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("[server] listen: cannot listen on " + address + ": " + ec.message());
  api_port_ = acceptor_.local_endpoint().port();
  return true;
}

// --- accepting (control thread) -----------------------------------------

void Server::accept() {
  if (!acceptor_.is_open()) return;
  // The least-loaded shard (ties: round robin) gets the next connection;
  // the socket is accepted straight onto its io_context.
  std::size_t best = next_shard_ % shards_.size();
  for (std::size_t k = 1; k < shards_.size(); ++k) {
    const std::size_t i = (next_shard_ + k) % shards_.size();
    if (shards_[i]->load() < shards_[best]->load()) best = i;
  }
  next_shard_ = best + 1;
  acceptor_.async_accept(shards_[best]->io(), [this, best](const error_code& ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      if (exhausted(ec)) {
        log::event(spdlog::level::err, "accept-failed",
                   {{"error", ec.message()}, {"pause_ms", kAcceptPauseOnExhaustion.count()}});
        accept_pause_.expires_after(kAcceptPauseOnExhaustion);
        accept_pause_.async_wait([this](const error_code& e) {
          if (!e) accept();
        });
        return;
      }
      return accept();
    }
    error_code rec;
    const auto remote = s.remote_endpoint(rec);
    if (rec) return accept();  // already gone
    const std::string address = fold_address(remote.address());
    std::string peer = peer_text(address, remote.port());
    const auto gen = generation();
    const auto& limits = gen->config->limits;
    const std::string key = cap_key(address, limits);
    auto admitted =
        admission_.admit(key, limits.max_connections, limits.max_connections_per_address);
    if (auto* refused = std::get_if<Refused>(&admitted)) {
      control_metrics_.inc(Metric::connections_refused, L(*refused));
      const std::string reason(
          metric_table()[L(Metric::connections_refused)].values[0][L(*refused)]);
      log::throttled(spdlog::level::warn, log::kRefused, reason,
                     {{"peer", peer},
                      {"reason", reason},
                      {"detail", *refused == Refused::max_connections
                                     ? "max_connections (" +
                                           std::to_string(limits.max_connections) + ") reached"
                                     : "max_connections_per_address (" +
                                           std::to_string(limits.max_connections_per_address) +
                                           ") reached for " + key}});
      error_code ignored;
      s.close(ignored);
      return accept();
    }
    control_metrics_.inc(Metric::connections_accepted);
    dispatch(std::move(s), std::get<Admission::Ticket>(std::move(admitted)), std::move(peer), best);
    accept();
  });
}

void Server::dispatch(tcp::socket socket, Admission::Ticket ticket, std::string peer,
                      std::size_t index) {
  Shard& shard = *shards_[index];
  HttpFrontEnd& http = *http_[index];
  shard.note_incoming();
  // Move-only state travels in a shared holder: asio handlers must be
  // copyable in Boost 1.74's post().
  struct Handoff {
    tcp::socket socket;
    Admission::Ticket ticket;
    std::string peer;
  };
  auto h =
      std::make_shared<Handoff>(Handoff{std::move(socket), std::move(ticket), std::move(peer)});
  asio::post(shard.io(), [&http, h] {
    http.adopt(std::move(h->socket), std::move(h->ticket), std::move(h->peer));
  });
}

void Server::housekeeping() {
  housekeeping_timer_.expires_after(kHousekeepingInterval);
  housekeeping_timer_.async_wait([this](const error_code& ec) {
    if (ec) return;
    log::flush_suppressed();
    if (++housekeeping_rounds_ % kForgetEvery == 0) {
      limiter_.forget_idle(RateLimiter::Clock::now(), kIdleBucketAge);
    }
    housekeeping();
  });
}

// --- reload ---------------------------------------------------------------

std::shared_ptr<const Generation> Server::generation() {
  return current_.with([](auto& g) { return g; });
}

Expected<std::vector<std::string>> Server::reload(std::shared_ptr<const ServerConfig> config,
                                                  ServerHooks::ServiceFactory make_service,
                                                  bool reload_tls) {
  std::lock_guard<std::mutex> lock(reload_mutex_);
  auto failed = [&](const std::string& why) {
    reload_failed(why);
    return fail(why);
  };
  if (stopped_ || draining_) return failed("server is shutting down");
  const auto old = generation();
  auto tls = reload_tls
                 ? service::make_server_contexts(*config)
                 : Expected<service::TlsContexts>(service::TlsContexts{old->tls, old->dot_tls});
  if (!tls) return failed(tls.error());
  auto warnings = service::restart_only_changes(*old->config, *config);

  // Build every shard's new pipeline before switching any of them.
  std::vector<std::shared_ptr<pipeline::LookupService>> services(shards_.size());
  if (make_service) {
    for (std::size_t i = 0; i < shards_.size(); ++i) {
      auto r = shards_[i]->call([&]() -> Expected<std::shared_ptr<pipeline::LookupService>> {
        return make_service(shards_[i]->io(), i);
      });
      if (!r) {
        for (std::size_t k = 0; k < i; ++k) {
          shards_[k]->call([&] { services[k].reset(); });  // destroyed on its own thread
        }
        return failed("pipeline: " + r.error());
      }
      services[i] = std::move(*r);
    }
  }
  auto gen = std::make_shared<Generation>(Generation{old->number + 1, config, tls->api, tls->dot});
  current_.with([&](auto& g) { g = gen; });
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    shards_[i]->call([&] {
      shards_[i]->set_generation(gen);
      if (services[i]) shards_[i]->set_service(std::move(services[i]));
    });
  }
  if (make_service) hooks_.make_service = std::move(make_service);
  control_metrics_.inc(Metric::config_reloads, L(ReloadLabel::ok));
  return warnings;
}

void Server::reload_failed(const std::string& why) {
  control_metrics_.inc(Metric::config_reloads, L(ReloadLabel::failed));
  log::event(spdlog::level::err, log::kReload,
             {{"result", "failed"}, {"error", why}, {"kept_generation", generation()->number}});
}

void Server::post_to_shard(std::size_t index, std::function<void()> f) {
  if (index < shards_.size()) asio::post(shards_[index]->io(), std::move(f));
}

// --- shutdown -------------------------------------------------------------

bool Server::wait_for_close(milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (admission_.open() > 0) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

void Server::shutdown() {
  if (stopped_.exchange(true)) return;
  std::lock_guard<std::mutex> lock(reload_mutex_);
  draining_ = true;
  const auto gen = generation();
  log::event(spdlog::level::info, log::kDrain,
             {{"open_connections", admission_.open()},
              {"drain_timeout_ms", gen->config->server.drain_timeout_ms}});
  std::promise<void> closed;
  asio::post(control_, [&] {
    error_code ignored;
    acceptor_.close(ignored);
    accept_pause_.cancel();
    housekeeping_timer_.cancel();
    closed.set_value();
  });
  closed.get_future().wait();
  for (auto& s : shards_) s->call([&] { s->drain(); });
  if (!wait_for_close(milliseconds(gen->config->server.drain_timeout_ms))) {
    log::event(spdlog::level::warn, log::kDrain,
               {{"cut_connections", admission_.open()}, {"reason", "drain timeout"}});
    for (auto& s : shards_) s->call([&] { s->abort_all(); });
    wait_for_close(kAbortGrace);
  }
  admin_.reset();
  control_.stop();
  if (control_thread_.joinable()) control_thread_.join();
  for (auto& s : shards_) s->stop_and_join();
  log::event(spdlog::level::info, log::kDrain, {{"done", true}});
}

Server::~Server() {
  shutdown();
  http_.clear();
  shards_.clear();
}

// --- admin ------------------------------------------------------------------

std::string Server::metrics_text() const {
  std::vector<const Metrics*> all;
  all.push_back(&control_metrics_);
  for (const auto& s : shards_) all.push_back(&s->metrics());
  all.insert(all.end(), hooks_.metrics.begin(), hooks_.metrics.end());
  auto text = render_metrics(all);
  if (hooks_.more_metrics) text += hooks_.more_metrics();
  return text;
}

std::pair<bool, nlohmann::json> Server::readiness() {
  nlohmann::json checks = nlohmann::json::object();
  bool ready = true;
  auto put = [&](const std::string& name, const Expected<bool>& r) {
    if (r) {
      checks[name] = "ok";
    } else {
      checks[name] = r.error();
      ready = false;
    }
  };
  put("accepting", draining_ ? Expected<bool>(fail("draining")) : Expected<bool>(true));
  if (admin_directory_) {
    Expected<bool> r = admin_directory_->ping();
    put("store", r);
  }
  for (const auto& c : hooks_.readiness) put(c.name, c.check());
  return {ready, checks};
}

}  // namespace speerd::server
