#include "resolver/dnsfront/listeners.hpp"

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>

#include "resolver/service/log.hpp"

namespace speerd::dnsfront {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

// With port 0 the TCP port is the kernel's pick and UDP must get the same
// one; another process may hold it on UDP, so a few picks are tried.
constexpr int kPortTries = 20;

Expected<tcp::acceptor> listen_tcp(asio::io_context& io, const tcp::endpoint& ep) {
  tcp::acceptor a(io);
  boost::system::error_code ec;
  a.open(ep.protocol(), ec);
  if (!ec && ep.address().is_v6()) a.set_option(asio::ip::v6_only(true), ec);
  if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ec.message());
  return a;
}

}  // namespace

Listeners::~Listeners() {
  for (auto& s : sockets_) {
    if (s.fd >= 0) ::close(s.fd);
  }
}

namespace {

// A [dns_front] listen or tls_listen entry ("host:port", "[v6]:port") as an
// endpoint; the error names the key and the entry.
Expected<tcp::endpoint> listen_endpoint(const char* key, const std::string& text) {
  auto hp = service::parse_host_port(text);
  if (!hp) return fail(std::string("[dns_front] ") + key + ": " + hp.error());
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(hp->host, ec);
  if (ec) return fail(std::string("[dns_front] ") + key + ": \"" + text + "\": not an IP address");
  return tcp::endpoint(addr, hp->port);
}

}  // namespace

Expected<std::shared_ptr<Listeners>> Listeners::open(const std::vector<std::string>& listen,
                                                     const std::vector<std::string>& tls_listen) {
  std::shared_ptr<Listeners> out(new Listeners());
  asio::io_context io;
  for (const auto& text : listen) {
    auto ep = listen_endpoint("listen", text);
    if (!ep) return fail(ep.error());
    const auto addr = ep->address();
    const std::uint16_t wanted = ep->port();
    boost::system::error_code ec;
    std::string last_error;
    bool bound = false;
    for (int attempt = 0; attempt < kPortTries && !bound; ++attempt) {
      auto listening = listen_tcp(io, tcp::endpoint(addr, wanted));
      if (!listening) return fail("[dns_front] listen: TCP " + text + ": " + listening.error());
      tcp::acceptor& a = *listening;
      const std::uint16_t port = a.local_endpoint().port();
      udp::socket u(io);
      const udp::endpoint uep(addr, port);
      u.open(uep.protocol(), ec);
      if (!ec && addr.is_v6()) u.set_option(asio::ip::v6_only(true), ec);
      if (!ec) u.bind(uep, ec);
      if (ec) {
        last_error = ec.message();
        if (wanted != 0) break;
        continue;  // port 0: try another pick
      }
      const std::string where = addr.to_string();
      out->sockets_.push_back({Transport::udp, addr.is_v6(), u.release(), where, port});
      out->sockets_.push_back({Transport::tcp, addr.is_v6(), a.release(), where, port});
      bound = true;
      for (auto t : {"udp", "tcp"}) {
        service::log::event(spdlog::level::info, "dns-listening",
                            {{"transport", t}, {"address", where}, {"port", port}});
      }
    }
    if (!bound)
      return fail(
          std::string("[dns_front] listen: UDP ").append(text).append(": ").append(last_error));
  }
  for (const auto& text : tls_listen) {
    auto ep = listen_endpoint("tls_listen", text);
    if (!ep) return fail(ep.error());
    const auto addr = ep->address();
    auto a = listen_tcp(io, *ep);
    if (!a) return fail("[dns_front] tls_listen: " + text + ": " + a.error());
    const std::uint16_t port = a->local_endpoint().port();
    const std::string where = addr.to_string();
    out->sockets_.push_back({Transport::tls, addr.is_v6(), a->release(), where, port});
    service::log::event(spdlog::level::info, "dns-listening",
                        {{"transport", "tls"}, {"address", where}, {"port", port}});
  }
  return out;
}

}  // namespace speerd::dnsfront
