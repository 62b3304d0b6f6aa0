// The admin listener: plain HTTP/1.1 (one request per connection), loopback
// by default, on its own thread so that a busy API or a slow store check
// cannot make it unresponsive.
//   GET /healthz   200 while the process runs
//   GET /readyz    200 or 503 with each check's state (JSON)
//   GET /metrics   Prometheus text
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>

#include "enum/expected.hpp"

namespace speerd::server {

inline constexpr int kMaxAdminConnections = 32;        // at once; more are closed at accept
inline constexpr std::int64_t kAdminTimeoutMs = 5000;  // whole request, read to write
inline constexpr std::uint32_t kAdminMaxHeaderBytes = 4096;

struct AdminHandlers {
  std::function<std::string()> metrics;
  // {ready, details}: details is a JSON object of check name -> "ok" or why not.
  std::function<std::pair<bool, nlohmann::json>()> ready;
};

class AdminServer {
 public:
  static Expected<std::unique_ptr<AdminServer>> start(const std::string& listen,
                                                      AdminHandlers handlers);
  ~AdminServer();
  std::uint16_t port() const { return port_; }

  class Session;

 private:
  AdminServer(AdminHandlers handlers);
  void accept();

  AdminHandlers handlers_;
  int open_ = 0;  // sessions; declared before io_, whose handlers hold them
  std::uint16_t port_ = 0;
  boost::asio::io_context io_{1};
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  std::thread thread_;
};

}  // namespace speerd::server
