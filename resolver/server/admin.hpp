// The admin listener: plain HTTP/1.1 (one request per connection), loopback
// by default, on its own thread so that a busy API or a slow store check
// cannot make it unresponsive.
//   GET /healthz   200 while the process runs
//   GET /readyz    200 or 503 with each check's state (JSON)
//   GET /metrics   Prometheus text
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>

#include "enum/expected.hpp"

namespace speerd::server {

// The admin listener's own caps ([admin] max_connections, timeout_ms). When
// it is full, a new connection evicts the oldest one still waiting for its
// request, so idle connections can delay a monitor but never lock it out.
struct AdminLimits {
  std::int64_t max_connections = 32;
  std::int64_t timeout_ms = 2000;  // whole request, accept to written answer
};

struct AdminHandlers {
  std::function<std::string()> metrics;
  // {ready, details}: details is a JSON object of check name -> "ok" or why not.
  // Why not (upstream addresses, store errors) is shown to loopback peers
  // only; others see "ok" or "failed".
  std::function<std::pair<bool, nlohmann::json>()> ready;
};

class AdminServer {
 public:
  static Expected<std::unique_ptr<AdminServer>> start(const std::string& listen,
                                                      AdminHandlers handlers,
                                                      AdminLimits limits = {});
  ~AdminServer();
  std::uint16_t port() const { return port_; }

  class Session;

 private:
  AdminServer(AdminHandlers handlers, AdminLimits limits);
  void accept();
  bool evict_oldest_waiting();

  AdminHandlers handlers_;
  AdminLimits limits_;
  int open_ = 0;  // sessions; declared before io_, whose handlers hold them
  std::list<std::weak_ptr<Session>> sessions_;  // oldest first (admin thread only)
  std::uint16_t port_ = 0;
  boost::asio::io_context io_{1};
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  std::thread thread_;
};

}  // namespace speerd::server
