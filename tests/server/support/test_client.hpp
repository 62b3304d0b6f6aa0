// A blocking-style TLS client for the server tests: every operation runs the
// client's own io_context for at most a given time, so a test never hangs on
// a server that misbehaves.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <nlohmann/json.hpp>

#include "enum/expected.hpp"

namespace speerd::test {

using namespace std::chrono_literals;

struct ClientOptions {
  std::string cert;  // PEM; empty: present no client certificate
  std::string key;
  std::string ca;                                // verifies the server
  std::vector<std::string> alpn = {"http/1.1"};  // empty: offer no ALPN
  int max_version = 0;                           // e.g. TLS1_2_VERSION; 0: library default
  std::string address = "127.0.0.1";             // the server's: "::1" for IPv6
  std::string source;                            // local address to connect from; "": any
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool keep_alive = true;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class TestClient {
 public:
  TestClient(std::uint16_t port, ClientOptions options);
  ~TestClient();

  // TCP connect only.
  Expected<bool> connect(std::chrono::milliseconds timeout = 5s);
  // TCP connect (if not yet) and TLS handshake.
  Expected<bool> handshake(std::chrono::milliseconds timeout = 5s);
  Expected<bool> write(const std::string& bytes, std::chrono::milliseconds timeout = 5s);
  // Raw bytes on the TCP socket, under TLS (slowloris tests).
  Expected<bool> write_tcp(const std::string& bytes, std::chrono::milliseconds timeout = 5s);
  Expected<HttpResponse> read_response(std::chrono::milliseconds timeout = 10s);
  Expected<HttpResponse> request(const std::string& method, const std::string& target,
                                 const std::string& body = {},
                                 const std::string& content_type = "application/json",
                                 std::chrono::milliseconds timeout = 10s);
  Expected<HttpResponse> get(const std::string& target) { return request("GET", target); }

  // Waits for the server to close the connection (TLS or TCP level). True if
  // it did within `timeout`; any application data read meanwhile is dropped.
  bool wait_closed(std::chrono::milliseconds timeout);
  bool wait_closed_tcp(std::chrono::milliseconds timeout);

  // Asks for a TLS renegotiation (TLS 1.2 sessions); the result of the new
  // handshake (speerd refuses it).
  Expected<bool> renegotiate(std::chrono::milliseconds timeout = 5s);

  std::string alpn_selected();
  bool resumed();
  // The TLS session to resume with (a new reference: SSL_SESSION_free it).
  SSL_SESSION* get1_session();
  void set_session(SSL_SESSION* s);  // before handshake()

 private:
  bool run(std::chrono::milliseconds timeout, const bool& done);

  std::uint16_t port_;
  std::string address_;
  std::string source_;
  boost::asio::io_context io_;
  boost::asio::ssl::context ctx_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> stream_;
  boost::beast::flat_buffer buffer_;
  std::string alpn_wire_;
  bool connected_ = false;
  bool handshaken_ = false;
};

}  // namespace speerd::test
