// Health of the configured authoritative servers (stub zones), probed by
// speerd itself: libunbound picks among a zone's servers and skips dead ones
// on its own, but does not say which are dead. The prober sends a SOA query
// for the zone straight to each server (UDP, no recursion) at an interval and
// keeps, per server, whether it answers authoritatively and how fast. Used by
// /readyz, /metrics and the failover tests. Probe answers never feed lookups.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "resolver/dns/unbound_client.hpp"

namespace speerd::dns {

// Probe defaults: a server is down after kDownAfter consecutive failures.
inline constexpr std::chrono::milliseconds kDefaultProbeInterval{5000};
inline constexpr std::chrono::milliseconds kDefaultProbeTimeout{1000};
inline constexpr unsigned kDownAfter = 2;

struct ServerHealth {
  std::string zone;
  std::string server;  // as configured: "127.0.0.1@5353"
  bool up = false;     // unknown until the first probe completes
  bool probed = false;
  unsigned consecutive_failures = 0;
  std::uint64_t probes = 0;
  std::uint64_t failures = 0;
  double last_rtt_ms = 0;
  std::string last_error;
};

class HealthProber : public std::enable_shared_from_this<HealthProber> {
 public:
  static std::shared_ptr<HealthProber> create(
      boost::asio::io_context& io, const std::vector<StubZone>& stubs,
      std::chrono::milliseconds interval = kDefaultProbeInterval,
      std::chrono::milliseconds timeout = kDefaultProbeTimeout);
  // Probes every server now, then every interval until stop().
  void start();
  void stop();
  // Probes every server once; `done` runs when all have answered or timed out.
  void probe_once(std::function<void()> done);

  const std::vector<ServerHealth>& servers() const { return servers_; }
  // Every zone has at least one server up.
  bool all_zones_reachable() const;

 private:
  HealthProber(boost::asio::io_context& io, std::chrono::milliseconds interval,
               std::chrono::milliseconds timeout)
      : io_(io), timer_(io), interval_(interval), timeout_(timeout) {}
  void schedule();
  void probe(std::size_t index, std::function<void()> done);

  boost::asio::io_context& io_;
  boost::asio::steady_timer timer_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds timeout_;
  std::vector<ServerHealth> servers_;
  bool running_ = false;
  std::uint16_t next_id_ = 1;
};

}  // namespace speerd::dns
