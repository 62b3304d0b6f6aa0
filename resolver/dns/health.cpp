#include "resolver/dns/health.hpp"

#include <ldns/ldns.h>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <map>

namespace speerd::dns {

namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

// "IP" or "IP@port" (libunbound's syntax) -> endpoint; port 53 by default.
bool parse_server(const std::string& s, udp::endpoint& ep) {
  const auto at = s.find('@');
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(s.substr(0, at), ec);
  if (ec) return false;
  unsigned long port = 53;
  if (at != std::string::npos) {
    try {
      port = std::stoul(s.substr(at + 1));
    } catch (const std::exception&) {
      return false;
    }
  }
  if (port == 0 || port > 65535) return false;
  ep = udp::endpoint(addr, static_cast<unsigned short>(port));
  return true;
}

std::vector<std::uint8_t> soa_query(const std::string& zone, std::uint16_t id) {
  std::vector<std::uint8_t> out;
  ldns_pkt* q = nullptr;
  if (ldns_pkt_query_new_frm_str(&q, zone.c_str(), LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0) !=
      LDNS_STATUS_OK) {
    return out;
  }
  ldns_pkt_set_id(q, id);
  std::uint8_t* wire = nullptr;
  std::size_t len = 0;
  if (ldns_pkt2wire(&wire, q, &len) == LDNS_STATUS_OK) out.assign(wire, wire + len);
  free(wire);  // NOLINT(cppcoreguidelines-no-malloc): ldns allocates with malloc
  ldns_pkt_free(q);
  return out;
}

// Empty string: an authoritative NOERROR answer with the matching id.
std::string check_reply(const std::uint8_t* data, std::size_t len, std::uint16_t id) {
  ldns_pkt* p = nullptr;
  if (ldns_wire2pkt(&p, data, len) != LDNS_STATUS_OK) return "unparsable reply";
  std::string err;
  if (ldns_pkt_id(p) != id) {
    err = "reply id mismatch";
  } else if (ldns_pkt_get_rcode(p) != LDNS_RCODE_NOERROR) {
    char* rc = ldns_pkt_rcode2str(ldns_pkt_get_rcode(p));
    err = std::string("rcode ") + (rc != nullptr ? rc : "?");
    free(rc);  // NOLINT(cppcoreguidelines-no-malloc)
  } else if (!ldns_pkt_aa(p)) {
    err = "not authoritative for the zone";
  }
  ldns_pkt_free(p);
  return err;
}

struct Probe : std::enable_shared_from_this<Probe> {
  udp::socket socket;
  asio::steady_timer timer;
  std::vector<std::uint8_t> query;
  std::array<std::uint8_t, 1500> buf{};
  std::uint16_t id = 0;
  std::chrono::steady_clock::time_point started;
  std::function<void(std::string error, double rtt_ms)> done;
  bool finished = false;

  explicit Probe(asio::io_context& io) : socket(io), timer(io) {}

  void finish(std::string error) {
    if (finished) return;
    finished = true;
    timer.cancel();
    boost::system::error_code ec;
    socket.close(ec);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    done(std::move(error), ms);
  }
};

}  // namespace

std::shared_ptr<HealthProber> HealthProber::create(asio::io_context& io,
                                                   const std::vector<StubZone>& stubs,
                                                   std::chrono::milliseconds interval,
                                                   std::chrono::milliseconds timeout) {
  std::shared_ptr<HealthProber> p(new HealthProber(io, interval, timeout));
  for (const auto& z : stubs) {
    for (const auto& s : z.servers) {
      ServerHealth h;
      h.zone = z.zone;
      h.server = s;
      p->servers_.push_back(std::move(h));
    }
  }
  return p;
}

void HealthProber::start() {
  running_ = true;
  probe_once([self = shared_from_this()] { self->schedule(); });
}

void HealthProber::stop() {
  running_ = false;
  timer_.cancel();
}

void HealthProber::schedule() {
  if (!running_) return;
  timer_.expires_after(interval_);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || !self->running_) return;
    self->probe_once([self] { self->schedule(); });
  });
}

void HealthProber::probe_once(std::function<void()> done) {
  if (servers_.empty()) {
    asio::post(io_, std::move(done));
    return;
  }
  auto remaining = std::make_shared<std::size_t>(servers_.size());
  auto all = std::make_shared<std::function<void()>>(std::move(done));
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    probe(i, [remaining, all] {
      if (--*remaining == 0) (*all)();
    });
  }
}

void HealthProber::probe(std::size_t index, std::function<void()> done) {
  auto self = shared_from_this();
  auto record = [self, index, done](std::string error, double rtt_ms) {
    ServerHealth& h = self->servers_[index];
    h.probed = true;
    ++h.probes;
    if (error.empty()) {
      h.up = true;
      h.consecutive_failures = 0;
      h.last_rtt_ms = rtt_ms;
      h.last_error.clear();
    } else {
      ++h.failures;
      ++h.consecutive_failures;
      h.last_error = error;
      if (h.consecutive_failures >= kDownAfter || !h.up) h.up = false;
    }
    done();
  };
  udp::endpoint ep;
  if (!parse_server(servers_[index].server, ep)) {
    asio::post(io_, [record] { record("bad server address", 0); });
    return;
  }
  auto p = std::make_shared<Probe>(io_);
  p->id = next_id_++;
  p->query = soa_query(servers_[index].zone, p->id);
  p->done = record;
  p->started = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  p->socket.open(ep.protocol(), ec);
  if (ec || p->query.empty()) {
    asio::post(io_, [p, ec] { p->finish("socket: " + ec.message()); });
    return;
  }
  p->timer.expires_after(timeout_);
  p->timer.async_wait([p](boost::system::error_code e) {
    if (!e) p->finish("timeout");
  });
  p->socket.async_send_to(
      asio::buffer(p->query), ep, [p](boost::system::error_code e, std::size_t) {
        if (e) return p->finish("send: " + e.message());
        p->socket.async_receive(asio::buffer(p->buf), [p](boost::system::error_code e2,
                                                          std::size_t n) {
          if (e2)
            return p->finish(e2 == asio::error::connection_refused ? "connection refused"
                                                                   : "receive: " + e2.message());
          p->finish(check_reply(p->buf.data(), n, p->id));
        });
      });
}

bool HealthProber::all_zones_reachable() const {
  std::map<std::string, bool> zone_up;
  for (const auto& s : servers_) zone_up[s.zone] = zone_up[s.zone] || s.up;
  for (const auto& [z, up] : zone_up) {
    if (!up) return false;
  }
  return true;
}

}  // namespace speerd::dns
