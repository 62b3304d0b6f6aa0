#include "tests/server/support/harness.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace speerd::test {

namespace asio = boost::asio;

std::string pki_dir() {
  if (const char* d = std::getenv("SPEERD_TEST_PKI")) return d;
  if (const char* b = std::getenv("SPEERD_BINARY_DIR")) {
    return std::string(b) + "/tests/server/pki";
  }
  throw std::runtime_error("SPEERD_TEST_PKI or SPEERD_BINARY_DIR must be set");
}

std::string pki(const std::string& file) {
  return pki_dir() + "/" + file;
}

namespace {

class Sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> copy() {
    std::lock_guard<std::mutex> l(mutex_);
    return lines_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines_.emplace_back(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;
};

std::string pin_of(const std::string& name) {
  std::ifstream in(pki("pins.txt"));
  std::string n, pin;
  while (in >> n >> pin) {
    if (n == name) return pin;
  }
  throw std::runtime_error("no pin for " + name);
}

}  // namespace

LogCapture::LogCapture() {
  auto sink = std::make_shared<Sink>();
  sink_ = sink;
  auto logger = std::make_shared<spdlog::logger>("speerd", sink);
  logger->set_level(spdlog::level::debug);
  spdlog::set_default_logger(logger);
}

LogCapture::~LogCapture() {
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("null"));
}

std::vector<std::string> LogCapture::lines() {
  return static_cast<Sink*>(sink_.get())->copy();
}

bool LogCapture::has(std::initializer_list<std::string> parts, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (const auto& line : lines()) {
      bool all = true;
      for (const auto& p : parts) all = all && line.find(p) != std::string::npos;
      if (all) return true;
    }
    if (std::chrono::steady_clock::now() >= until) {
      // Show what was logged, to make the failure readable.
      for (const auto& line : lines()) std::fprintf(stderr, "log: %s\n", line.c_str());
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

service::ServerConfig test_config() {
  service::ServerConfig c;
  c.server.listen = "127.0.0.1:0";
  c.server.threads = 2;
  c.server.drain_timeout_ms = 3000;
  c.tls.certificate = pki("server.crt");
  c.tls.private_key = pki("server.key");
  c.tls.client_ca = pki("ca.crt");
  c.tls.crls = {pki("crl.pem")};
  c.limits.handshake_timeout_ms = 400;
  c.limits.idle_timeout_ms = 600;
  c.limits.request_timeout_ms = 500;
  c.limits.write_timeout_ms = 1000;
  c.admin.listen = "127.0.0.1:0";
  return c;
}

std::unique_ptr<service::ClientDirectory> test_directory() {
  using service::ClientRecord;
  using service::MemoryDirectory;
  std::vector<MemoryDirectory::Entry> e;
  ClientRecord a;
  a.id = "sbc-a";
  a.scope.client_id = "sbc-a";
  a.scope.trees = {"private-a"};
  e.push_back({"urn:speerd:client:sbc-a", a});
  ClientRecord b;
  b.id = "sbc-b";
  b.scope.client_id = "sbc-b";
  b.scope.trees = {"private-a", "private-b"};
  e.push_back({pin_of("client-b"), b});  // by SPKI pin
  for (const char* n : {"expired", "revoked", "serverauth", "noeku"}) {
    ClientRecord r;
    r.id = n;
    r.scope.client_id = n;
    r.scope.trees = {"private-a"};
    e.push_back({std::string(n) + ".example", r});
  }
  return std::make_unique<MemoryDirectory>(std::move(e));
}

Harness::Harness(std::function<void(service::ServerConfig&)> tweak) {
  auto c = test_config();
  if (tweak) tweak(c);
  config = std::make_shared<const service::ServerConfig>(c);
  auto data = fake;
  hooks.make_service = [data](asio::io_context& io,
                              std::size_t) -> Expected<std::shared_ptr<pipeline::LookupService>> {
    return std::shared_ptr<pipeline::LookupService>(std::make_shared<FakePipeline>(io, data));
  };
  hooks.make_directory = []() -> Expected<std::unique_ptr<service::ClientDirectory>> {
    return test_directory();
  };
  auto s = server::Server::start(config, hooks);
  if (!s) throw std::runtime_error("server start: " + s.error());
  server = std::move(*s);
}

Harness::~Harness() {
  server.reset();
}

ClientOptions client_options(const std::string& name) {
  ClientOptions o;
  o.ca = pki("ca.crt");
  if (!name.empty()) {
    o.cert = pki(name + ".crt");
    o.key = pki(name + ".key");
  }
  return o;
}

ClientOptions Harness::client(const std::string& name) const {
  return client_options(name);
}

std::string Harness::admin_get(const std::string& path) {
  return http_get(server->admin_port(), path).second;
}

std::pair<int, std::string> http_get(std::uint16_t port, const std::string& path,
                                     const std::string& address) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address(address), port});
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
  asio::write(s, asio::buffer(req));
  std::string all;
  boost::system::error_code ec;
  char buf[4096];
  for (;;) {
    const std::size_t n = s.read_some(asio::buffer(buf), ec);
    all.append(buf, n);
    if (ec) break;
  }
  int status = 0;
  if (all.size() > 12) status = std::stoi(all.substr(9, 3));
  const auto body = all.find("\r\n\r\n");
  return {status, body == std::string::npos ? std::string() : all.substr(body + 4)};
}

}  // namespace speerd::test
