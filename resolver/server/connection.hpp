// One API connection on one shard: TLS handshake (client certificate
// required), client lookup in the directory, then HTTP/1.1 keep-alive
// requests one at a time until the client closes, a limit is hit, or the
// server drains.
//
// Timeouts (RFC 6404 2.1.3: incomplete requests must not hold state): one
// deadline per phase -- handshake, idle (waiting for a request's first byte),
// request (first byte to last, and the lookup), write -- enforced by one
// lazily re-armed timer per connection. When a deadline passes the socket is
// closed; nothing is sent to a client that stalls.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "resolver/server/http_text.hpp"
#include "resolver/service/admission.hpp"
#include "resolver/service/client_directory.hpp"
#include "resolver/service/errors.hpp"
#include "resolver/service/metrics.hpp"

namespace speerd::service {
class Shard;
}  // namespace speerd::service

namespace speerd::server {

class HttpFrontEnd;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpFrontEnd& front_end, boost::asio::ip::tcp::socket socket,
             std::shared_ptr<boost::asio::ssl::context> tls, service::Admission::Ticket ticket,
             std::string peer);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();
  void drain();  // close if idle; otherwise after the response in progress
  void abort();  // close now
  // At a reload: closes the connection if its certificate is revoked by the
  // CRLs of `ctx` (now if idle, else after the response in progress).
  void check_revoked(SSL_CTX* ctx);

 private:
  enum class Phase { handshake, idle, reading, processing, writing, closing, closed };
  using Clock = std::chrono::steady_clock;
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  void on_handshake(const boost::system::error_code& ec);
  void read_next();
  void on_first_bytes(const boost::system::error_code& ec);
  void read_request();
  void on_header(const boost::system::error_code& ec);
  void on_body(const boost::system::error_code& ec);
  void on_read_error(const boost::system::error_code& ec);
  void process();
  void respond(Response r);
  void on_write(const boost::system::error_code& ec);
  void reply_and_close(service::ErrorCode code, std::string_view message, service::Closed reason);

  void last_response(service::Closed reason);  // the response being made is the last
  void refuse(service::Refused reason, const std::string& detail);
  void note_refused(service::Refused reason, const std::string& detail);  // metric + log only
  void note_renegotiation();  // logs refused TLS renegotiation attempts (warn, with the client)
  // Per request: the client record as the directory has it now (a client
  // disabled or narrowed in the store is not served on its old record).
  bool recheck_client();
  void account(service::Closed reason);  // metrics and log, once
  void finish(service::Closed reason);   // account, then close_notify and close
  void close(service::Closed reason);    // account, then close now
  void shutdown_gracefully();
  void close_socket();

  void set_deadline(std::chrono::milliseconds d);
  void arm_timer();
  void on_timer(const boost::system::error_code& ec);
  void on_timeout();

  HttpFrontEnd& http_;
  service::Shard& shard_;
  std::shared_ptr<boost::asio::ssl::context> tls_;  // outlives stream_
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
  boost::asio::steady_timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point armed_at_ = Clock::time_point::max();
  bool timer_pending_ = false;
  std::chrono::milliseconds tick_;  // the timer wakes at least this often
  service::Admission::Ticket ticket_;
  std::string peer_;
  boost::beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  std::optional<service::ClientRecord> client_;
  service::CertIdentity identity_;  // the certificate's identities, for the per-request check
  // A valid certificate of no enabled client: its first request is answered
  // 403 with this text, then the connection closes (the SBE's operator sees
  // why instead of a bare close).
  std::optional<std::string> forbidden_;
  std::string out_;    // the response being written
  std::string spare_;  // a body buffer to lend the next request (ApiRequest::scratch)
  Phase phase_ = Phase::handshake;
  std::uint64_t served_ = 0;
  bool close_after_ = false;  // the response being made is the last
  service::Closed close_reason_ = service::Closed::peer_closed;
  bool authenticated_ = false;  // closes count in connections_closed, refusals before
  bool accounted_ = false;
};

}  // namespace speerd::server
