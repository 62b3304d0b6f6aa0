#include "resolver/dnsfront/front_end.hpp"

#include <unistd.h>

#include "resolver/dnsfront/stream.hpp"
#include "resolver/service/log.hpp"

namespace speerd::dnsfront {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
namespace log = service::log;

}  // namespace

StreamLimits stream_limits(const service::DnsFrontSection& s) {
  return StreamLimits{std::chrono::milliseconds(s.tcp_idle_timeout_ms),
                      s.tcp_max_connections,
                      s.tcp_max_queries_per_connection,
                      s.tcp_max_inflight,
                      s.tls_max_connections,
                      std::chrono::milliseconds(s.tls_handshake_timeout_ms)};
}

HandlerConfig handler_config(const service::ServerConfig& c, std::vector<Tree> trees) {
  HandlerConfig h;
  h.trees = std::move(trees);
  h.max_udp_size = static_cast<std::size_t>(c.dns_front.max_udp_size);
  h.answer.negative_ttl = static_cast<std::uint32_t>(c.dns_front.negative_ttl_s);
  h.answer.soa_mname = c.dns_front.soa_mname;
  h.answer.soa_rname = c.dns_front.soa_rname;
  h.answer.udp_size = static_cast<std::uint16_t>(c.dns_front.max_udp_size);
  h.answer.as_received = c.dns_front.naptr_answer == service::NaptrAnswer::as_received;
  h.answer.next_hops = c.dns_front.additional_next_hops;
  h.default_rate = service::RateLimit{c.limits.rate_per_second, c.limits.rate_burst};
  if (c.dns_front.rrl_responses_per_second > 0) {
    RrlSettings r;
    r.rate = static_cast<std::uint32_t>(c.dns_front.rrl_responses_per_second);
    r.slip = static_cast<std::uint32_t>(c.dns_front.rrl_slip);
    r.ipv4_prefix = static_cast<unsigned>(c.dns_front.rrl_ipv4_prefix);
    r.ipv6_prefix = static_cast<unsigned>(c.dns_front.rrl_ipv6_prefix);
    h.rrl = std::make_shared<ResponseRateLimiter>(r);
  }
  return h;
}

DnsFrontEnd::DnsFrontEnd(service::Shard& shard, std::shared_ptr<Listeners> listeners,
                         HandlerConfig config, StreamLimits limits,
                         std::unique_ptr<SourceDirectory> sources)
    : shard_(shard),
      listeners_(std::move(listeners)),
      handler_(std::move(config), std::move(sources), shard.limiter(), shard.metrics()),
      limits_(limits) {}

DnsFrontEnd::~DnsFrontEnd() = default;

void DnsFrontEnd::open_sockets() {
  for (const auto& s : listeners_->sockets()) {
    const int fd = ::dup(s.fd);
    if (fd < 0) {
      log::event(spdlog::level::err, "dns-socket",
                 {{"shard", shard_.index()}, {"error", "dup failed"}, {"port", s.port}});
      continue;
    }
    boost::system::error_code ec;
    if (s.transport == Transport::udp) {
      auto port = std::make_shared<UdpPort>(shard_.io());
      port->socket().assign(s.v6 ? udp::v6() : udp::v4(), fd, ec);
      if (!ec) port->socket().non_blocking(true, ec);
      if (ec) {
        ::close(fd);
        continue;
      }
      udp_.push_back(port);
      port->start(
          [this](std::span<const std::uint8_t> wire, const UdpPort::Endpoint& from,
                 UdpPort::Send send) {
            handler_.handle(wire, from.address(), Transport::udp, std::move(send));
          },
          [this] { return draining_; });
    } else {
      auto a = std::make_unique<tcp::acceptor>(shard_.io());
      a->assign(s.v6 ? tcp::v6() : tcp::v4(), fd, ec);
      if (ec) {
        ::close(fd);
        continue;
      }
      acceptors_.push_back(std::move(a));
      accept(*acceptors_.back(), s.transport == Transport::tls);
    }
  }
}

void DnsFrontEnd::start(std::shared_ptr<pipeline::LookupService> service) {
  handler_.set_service(std::move(service));
  if (!opened_) {
    opened_ = true;
    open_sockets();
  }
}

void DnsFrontEnd::accept(tcp::acceptor& a, bool tls) {
  a.async_accept(shard_.io(), [this, &a, tls](const boost::system::error_code& ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted || draining_) return;
    if (!ec) open_stream(std::move(s), tls);
    accept(a, tls);
  });
}

void DnsFrontEnd::open_stream(tcp::socket s, bool tls) {
  const auto& open = tls ? listeners_->tls_open : listeners_->tcp_open;
  const auto cap = tls ? limits_.max_tls_connections : limits_.max_connections;
  const auto& ctx = shard_.generation().dot_tls;
  if (open.load(std::memory_order_relaxed) >= cap || (tls && !ctx)) {
    boost::system::error_code ignored;
    s.close(ignored);
    return;
  }
  boost::system::error_code ignored;
  s.set_option(tcp::no_delay(true), ignored);
  if (tls) {
    std::make_shared<StreamSession<TlsSocket>>(*this, TlsSocket(std::move(s), *ctx))->start();
  } else {
    std::make_shared<StreamSession<TcpSocket>>(*this, std::move(s))->start();
  }
}

void DnsFrontEnd::attach(Session* s) {
  if (!sessions_.insert(s).second) return;
  (s->tls() ? listeners_->tls_open : listeners_->tcp_open).fetch_add(1, std::memory_order_relaxed);
  shard_.session_opened();
}

void DnsFrontEnd::detach(Session* s) {
  if (sessions_.erase(s) == 0) return;
  (s->tls() ? listeners_->tls_open : listeners_->tcp_open).fetch_sub(1, std::memory_order_relaxed);
  shard_.session_closed();
}

void DnsFrontEnd::generation_changed(const service::Generation& g) {
  if (!g.dot_tls) return;
  const std::vector<Session*> open(sessions_.begin(), sessions_.end());
  for (auto* s : open) s->check_revoked(g.dot_tls->native_handle());
}

void DnsFrontEnd::drain() {
  draining_ = true;
  boost::system::error_code ignored;
  for (auto& u : udp_) u->cancel();
  for (auto& a : acceptors_) a->close(ignored);
  const std::vector<Session*> open(sessions_.begin(), sessions_.end());
  for (auto* s : open) s->finish();
}

void DnsFrontEnd::abort() {
  const std::vector<Session*> open(sessions_.begin(), sessions_.end());
  for (auto* s : open) s->close();
}

void DnsFrontEnd::stop() {
  draining_ = true;
  abort();
  handler_.set_service(nullptr);
  for (auto& u : udp_) u->cancel();
  udp_.clear();
  acceptors_.clear();
}

}  // namespace speerd::dnsfront
