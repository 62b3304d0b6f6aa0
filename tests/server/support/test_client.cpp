#include "tests/server/support/test_client.hpp"

#include <openssl/ssl.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

namespace speerd::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

TestClient::TestClient(std::uint16_t port, ClientOptions options)
    : port_(port),
      address_(options.address),
      source_(options.source),
      ctx_(asio::ssl::context::tls_client) {
  ctx_.set_verify_mode(asio::ssl::verify_peer);
  if (!options.ca.empty()) ctx_.load_verify_file(options.ca);
  if (!options.cert.empty()) {
    ctx_.use_certificate_chain_file(options.cert);
    ctx_.use_private_key_file(options.key, asio::ssl::context::pem);
  }
  if (options.max_version) SSL_CTX_set_max_proto_version(ctx_.native_handle(), options.max_version);
  // No internal cache: freeing the context would mark cached sessions not
  // resumable, and tests resume the session of a client that went away.
  SSL_CTX_set_session_cache_mode(ctx_.native_handle(), SSL_SESS_CACHE_OFF);
  for (const auto& p : options.alpn) {
    alpn_wire_.push_back(static_cast<char>(p.size()));
    alpn_wire_ += p;
  }
  stream_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket>>(io_, ctx_);
  if (!alpn_wire_.empty()) {
    SSL_set_alpn_protos(stream_->native_handle(),
                        reinterpret_cast<const unsigned char*>(alpn_wire_.data()),
                        static_cast<unsigned>(alpn_wire_.size()));
  }
  SSL_set_tlsext_host_name(stream_->native_handle(), "localhost");
}

TestClient::~TestClient() {
  // Freeing an SSL that did not shut down marks its session not resumable;
  // the tests resume sessions of clients that just went away.
  SSL_set_shutdown(stream_->native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  error_code ignored;
  stream_->next_layer().close(ignored);
}

bool TestClient::run(std::chrono::milliseconds timeout, const bool& done) {
  io_.restart();
  const auto deadline = Clock::now() + timeout;
  while (!done && Clock::now() < deadline) {
    io_.run_one_for(deadline - Clock::now());
  }
  if (done) return true;
  error_code ignored;
  stream_->next_layer().cancel(ignored);
  io_.restart();
  const auto grace = Clock::now() + 2s;
  while (!done && Clock::now() < grace) io_.run_one_for(grace - Clock::now());
  return false;
}

Expected<bool> TestClient::connect(std::chrono::milliseconds timeout) {
  if (connected_) return true;
  bool done = false;
  error_code result;
  const asio::ip::tcp::endpoint ep(asio::ip::make_address(address_), port_);
  if (!source_.empty()) {
    error_code ec;
    auto& sock = stream_->next_layer();
    sock.open(ep.protocol(), ec);
    if (!ec) sock.bind(asio::ip::tcp::endpoint(asio::ip::make_address(source_, ec), 0), ec);
    if (ec) return fail("bind to " + source_ + ": " + ec.message());
  }
  stream_->next_layer().async_connect(ep, [&](const error_code& ec) {
    result = ec;
    done = true;
  });
  if (!run(timeout, done)) return fail("connect: timeout");
  if (result) return fail("connect: " + result.message());
  connected_ = true;
  return true;
}

Expected<bool> TestClient::renegotiate(std::chrono::milliseconds timeout) {
  if (!handshaken_) return fail("renegotiate: no session");
  if (SSL_renegotiate(stream_->native_handle()) != 1) return fail("renegotiate: refused locally");
  bool done = false;
  error_code result;
  stream_->async_handshake(asio::ssl::stream_base::client, [&](const error_code& ec) {
    result = ec;
    done = true;
  });
  if (!run(timeout, done)) return fail("renegotiate: timeout");
  if (result) return fail("renegotiate: " + result.message());
  return true;
}

Expected<bool> TestClient::handshake(std::chrono::milliseconds timeout) {
  if (auto c = connect(timeout); !c) return c;
  bool done = false;
  error_code result;
  stream_->async_handshake(asio::ssl::stream_base::client, [&](const error_code& ec) {
    result = ec;
    done = true;
  });
  if (!run(timeout, done)) return fail("handshake: timeout");
  if (result) return fail("handshake: " + result.message());
  handshaken_ = true;
  return true;
}

Expected<bool> TestClient::write(const std::string& bytes, std::chrono::milliseconds timeout) {
  bool done = false;
  error_code result;
  asio::async_write(*stream_, asio::buffer(bytes), [&](const error_code& ec, std::size_t) {
    result = ec;
    done = true;
  });
  if (!run(timeout, done)) return fail("write: timeout");
  if (result) return fail("write: " + result.message());
  return true;
}

Expected<bool> TestClient::write_tcp(const std::string& bytes, std::chrono::milliseconds timeout) {
  if (auto c = connect(timeout); !c) return c;
  bool done = false;
  error_code result;
  asio::async_write(stream_->next_layer(), asio::buffer(bytes),
                    [&](const error_code& ec, std::size_t) {
                      result = ec;
                      done = true;
                    });
  if (!run(timeout, done)) return fail("write: timeout");
  if (result) return fail("write: " + result.message());
  return true;
}

Expected<HttpResponse> TestClient::read_response(std::chrono::milliseconds timeout) {
  bool done = false;
  error_code result;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  http::async_read(*stream_, buffer_, parser, [&](const error_code& ec, std::size_t) {
    result = ec;
    done = true;
  });
  if (!run(timeout, done)) return fail("read: timeout");
  if (result) return fail("read: " + result.message());
  const auto& m = parser.get();
  HttpResponse r;
  r.status = static_cast<int>(m.result_int());
  for (const auto& f : m) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = std::string(f.value());
  }
  r.body = m.body();
  r.keep_alive = m.keep_alive();
  return r;
}

Expected<HttpResponse> TestClient::request(const std::string& method, const std::string& target,
                                           const std::string& body, const std::string& content_type,
                                           std::chrono::milliseconds timeout) {
  if (!handshaken_) {
    if (auto h = handshake(timeout); !h) return fail(h.error());
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n";
  if (!body.empty() || method == "POST") {
    req += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n";
  }
  req += "\r\n" + body;
  if (auto w = write(req, timeout); !w) return fail(w.error());
  return read_response(timeout);
}

bool TestClient::wait_closed(std::chrono::milliseconds timeout) {
  for (;;) {
    bool done = false;
    error_code result;
    char buf[4096];
    stream_->async_read_some(asio::buffer(buf), [&](const error_code& ec, std::size_t) {
      result = ec;
      done = true;
    });
    if (!run(timeout, done)) return false;
    if (result) return true;
  }
}

bool TestClient::wait_closed_tcp(std::chrono::milliseconds timeout) {
  for (;;) {
    bool done = false;
    error_code result;
    char buf[4096];
    stream_->next_layer().async_read_some(asio::buffer(buf),
                                          [&](const error_code& ec, std::size_t) {
                                            result = ec;
                                            done = true;
                                          });
    if (!run(timeout, done)) return false;
    if (result) return true;
  }
}

std::string TestClient::alpn_selected() {
  const unsigned char* p = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(stream_->native_handle(), &p, &len);
  return p ? std::string(reinterpret_cast<const char*>(p), len) : std::string();
}

bool TestClient::resumed() {
  return SSL_session_reused(stream_->native_handle()) == 1;
}

SSL_SESSION* TestClient::get1_session() {
  return SSL_get1_session(stream_->native_handle());
}

void TestClient::set_session(SSL_SESSION* s) {
  SSL_set_session(stream_->native_handle(), s);
}

}  // namespace speerd::test
