// A speerd API server on 127.0.0.1 port 0 with the test PKI, a fake pipeline
// and a fixed client directory, plus a log capture to check refusals are
// logged with their reason.
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "resolver/server/server.hpp"
#include "tests/server/support/fake_pipeline.hpp"
#include "tests/server/support/test_client.hpp"

namespace speerd::test {

// The PKI made by tools/pki/mkpki for the tests (ctest fixture server-pki).
std::string pki_dir();
std::string pki(const std::string& file);

// Captures every log line (the JSON payload of each event).
class LogCapture {
 public:
  LogCapture();  // installs itself as spdlog's default logger
  ~LogCapture();
  // True once a line contains every one of `parts` (waits up to `timeout`).
  bool has(std::initializer_list<std::string> parts,
           std::chrono::milliseconds timeout = std::chrono::seconds(5));
  std::vector<std::string> lines();
  std::shared_ptr<void> sink_;  // the spdlog sink (type-erased)
};

// Short timeouts so that the slowloris tests finish quickly.
service::ServerConfig test_config();

// The directory: every mkpki client except client-unknown (stranger.example).
std::unique_ptr<service::ClientDirectory> test_directory();

// Client TLS options with the test PKI: "client-a", ...; "" = no certificate.
ClientOptions client_options(const std::string& name);

class Harness {
 public:
  explicit Harness(std::function<void(service::ServerConfig&)> tweak = {});
  ~Harness();

  std::uint16_t port() const { return server->api_port(); }
  ClientOptions client(const std::string& name) const;  // "client-a", ...; "" = no cert
  TestClient connect(const std::string& name) const { return TestClient(port(), client(name)); }
  std::string admin_get(const std::string& path);  // body of a plain HTTP GET

  LogCapture logs;
  std::shared_ptr<FakeData> fake = std::make_shared<FakeData>();
  std::shared_ptr<const service::ServerConfig> config;
  std::unique_ptr<server::Server> server;
  server::ServerHooks hooks;
};

// Plain HTTP GET to address:port (admin listener): {status, body}.
std::pair<int, std::string> http_get(std::uint16_t port, const std::string& path,
                                     const std::string& address = "127.0.0.1");

}  // namespace speerd::test
