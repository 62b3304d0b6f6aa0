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

}  // namespace

Listeners::~Listeners() {
  for (auto& s : sockets_) {
    if (s.fd >= 0) ::close(s.fd);
  }
}

Expected<std::shared_ptr<Listeners>> Listeners::open(const std::vector<std::string>& listen) {
  std::shared_ptr<Listeners> out(new Listeners());
  asio::io_context io;
  for (const auto& text : listen) {
    auto hp = service::parse_host_port(text);
    if (!hp) return fail("[dns_front] listen: " + hp.error());
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(hp->host, ec);
    if (ec) return fail("[dns_front] listen: \"" + text + "\": not an IP address");
    std::string last_error;
    bool bound = false;
    for (int attempt = 0; attempt < kPortTries && !bound; ++attempt) {
      tcp::acceptor a(io);
      const tcp::endpoint tep(addr, hp->port);
      a.open(tep.protocol(), ec);
      if (!ec && addr.is_v6()) a.set_option(asio::ip::v6_only(true), ec);
      if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
      if (!ec) a.bind(tep, ec);
      if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
      if (ec) return fail("[dns_front] listen: TCP " + text + ": " + ec.message());
      const std::uint16_t port = a.local_endpoint().port();
      udp::socket u(io);
      const udp::endpoint uep(addr, port);
      u.open(uep.protocol(), ec);
      if (!ec && addr.is_v6()) u.set_option(asio::ip::v6_only(true), ec);
      if (!ec) u.bind(uep, ec);
      if (ec) {
        last_error = ec.message();
        if (hp->port != 0) break;
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
  return out;
}

}  // namespace speerd::dnsfront
