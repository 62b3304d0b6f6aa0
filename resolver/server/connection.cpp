#include "resolver/server/connection.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include "resolver/server/http_front_end.hpp"
#include "resolver/service/log.hpp"
#include "resolver/service/shard.hpp"
#include "resolver/service/tls.hpp"

namespace speerd::server {
using service::Admission;
using service::CertIdentity;
using service::Closed;
using service::ErrorCode;
using service::Handshake;
using service::handshake_failure;
using service::info;
using service::L;
using service::Metric;
using service::metric_table;
using service::peer_identity;
using service::peer_revoked;
using service::Refused;
using service::session_resumed;
using service::Shard;
using service::take_renegotiation_attempts;
namespace log = service::log;
namespace {

// Retry-After of a 503 directory-unavailable (the snapshot loads as soon as
// the store answers).
constexpr long kDirectoryRetryAfterS = 1;

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using std::chrono::milliseconds;

// Lingering after a close_notify for the peer's own is bounded by this.
constexpr milliseconds kShutdownTimeout{2000};

// Bytes read at once while waiting for a request to start.
constexpr std::size_t kReadChunk = 4096;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

const char* closed_name(Closed c) {
  return metric_table()[L(Metric::connections_closed)].values[0][L(c)].data();
}
const char* refused_name(Refused r) {
  return metric_table()[L(Metric::connections_refused)].values[0][L(r)].data();
}

std::string_view sv(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

bool is_http_error(const error_code& ec) {
  return &ec.category() == &http::make_error_code(http::error::bad_method).category();
}

// RFC 9112 3.2: an HTTP/1.1 request without Host, any request with more
// than one Host line or with an invalid Host value gets 400.
template <class Request>
std::optional<std::string> host_problem(const Request& req) {
  const auto n = req.count(http::field::host);
  if (n > 1) return "more than one Host header (RFC 9112 section 3.2)";
  if (n == 0) {
    if (req.version() >= 11) return "no Host header (RFC 9112 section 3.2)";
    return std::nullopt;
  }
  const auto v = req[http::field::host];
  for (const char c : v) {
    const auto u = static_cast<unsigned char>(c);
    const bool ok = std::isalnum(u) != 0 ||
                    std::string_view("-._~%!$&'()*+,;=:[]").find(c) != std::string_view::npos;
    if (!ok) return "invalid Host header value (RFC 9112 section 3.2)";
  }
  return std::nullopt;
}

}  // namespace

Connection::Connection(HttpFrontEnd& front_end, asio::ip::tcp::socket socket,
                       std::shared_ptr<asio::ssl::context> tls, Admission::Ticket ticket,
                       std::string peer)
    : http_(front_end),
      shard_(front_end.shard()),
      tls_(std::move(tls)),
      stream_(std::move(socket), *tls_),
      timer_(shard_.io()),
      ticket_(std::move(ticket)),
      peer_(std::move(peer)) {
  http_.attach(this);
}

Connection::~Connection() {
  http_.detach(this);
}

// --- deadlines ---------------------------------------------------------

void Connection::set_deadline(milliseconds d) {
  deadline_ = Clock::now() + d;
  if (!timer_pending_ || deadline_ < armed_at_) arm_timer();
}

void Connection::arm_timer() {
  // Wake at the deadline or one tick from now, whichever is first: later
  // deadlines never need the timer moved, so a keep-alive request costs no
  // timer operation (deadlines are always at least one tick away).
  armed_at_ = std::min(deadline_, Clock::now() + tick_);
  timer_.expires_at(armed_at_);
  timer_pending_ = true;
  timer_.async_wait([self = shared_from_this()](const error_code& ec) { self->on_timer(ec); });
}

void Connection::on_timer(const error_code& ec) {
  if (ec == asio::error::operation_aborted) return;  // re-armed or closing
  timer_pending_ = false;
  if (phase_ == Phase::closed) return;
  if (Clock::now() >= deadline_) return on_timeout();
  arm_timer();
}

void Connection::on_timeout() {
  switch (phase_) {
    case Phase::handshake:
      return refuse(Refused::handshake_timeout, "no complete TLS handshake in time");
    case Phase::idle:
      return close(Closed::idle_timeout);
    case Phase::reading:
    case Phase::processing:
      return close(Closed::request_timeout);
    case Phase::writing:
      return close(Closed::write_timeout);
    case Phase::closing:
      phase_ = Phase::closed;
      return close_socket();
    case Phase::closed:
      return;
  }
}

// --- handshake ---------------------------------------------------------

void Connection::start() {
  const auto& limits = shard_.generation().config->limits;
  tick_ = milliseconds(std::min({limits.handshake_timeout_ms, limits.request_timeout_ms,
                                 limits.write_timeout_ms, limits.idle_timeout_ms}));
  error_code ignored;
  stream_.next_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
  const std::size_t max_message =
      static_cast<std::size_t>(limits.max_header_bytes + limits.max_body_bytes) + 1024;
  buffer_ = boost::beast::flat_buffer(max_message);
  set_deadline(milliseconds(limits.handshake_timeout_ms));
  stream_.async_handshake(
      asio::ssl::stream_base::server,
      [self = shared_from_this()](const error_code& ec) { self->on_handshake(ec); });
}

void Connection::on_handshake(const error_code& ec) {
  if (phase_ == Phase::closed) return;
  if (ec) return refuse(Refused::tls_handshake, handshake_failure(stream_.native_handle(), ec));
  SSL* ssl = stream_.native_handle();
  const bool resumed = session_resumed(ssl);
  shard_.metrics().inc(Metric::handshakes, L(resumed ? Handshake::resumed : Handshake::full));
  const CertIdentity id = peer_identity(ssl);
  if (shard_.draining()) return refuse(Refused::draining, "server is shutting down");
  auto found = shard_.directory().find(id);
  if (!found) {
    // Nobody can be told apart yet (the client snapshot is not loaded): the
    // first request is answered 503 with the reason, then the connection
    // closes (fail closed, and say why).
    note_refused(Refused::directory_error, "client directory: " + found.error());
    unavailable_ = "client directory: " + found.error();
    return read_next();
  }
  if (!found->record) {
    std::string ids;
    for (const auto& c : id.candidates()) ids += (ids.empty() ? "" : " ") + c;
    note_refused(Refused::unknown_client, "valid certificate, " + found->refusal + " [" +
                                              id.subject + "] identities: " + ids);
    forbidden_ = "the client certificate is valid but not authorized here: " + found->refusal;
    return read_next();
  }
  client_ = std::move(*found->record);
  identity_ = id;
  authenticated_ = true;
  if (log::enabled(spdlog::level::debug)) {
    log::event(spdlog::level::debug, log::kAccepted,
               {{"peer", peer_},
                {"client", client_->id},
                {"identity", client_->matched_identity},
                {"resumed", resumed},
                {"shard", shard_.index()}});
  }
  read_next();
}

// --- reading -----------------------------------------------------------

void Connection::read_next() {
  if (shard_.draining()) last_response(Closed::drain);
  if (close_after_) return finish(close_reason_);
  const auto& limits = shard_.generation().config->limits;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser_->body_limit(static_cast<std::uint64_t>(limits.max_body_bytes));
  if (buffer_.size() > 0) return read_request();  // pipelined: already here
  phase_ = Phase::idle;
  set_deadline(milliseconds(limits.idle_timeout_ms));
  // Wait for raw bytes, not for the parser: it consumes nothing until a
  // whole header is there, so a trickled header would otherwise get the
  // idle timeout instead of the (shorter) request timeout.
  stream_.async_read_some(buffer_.prepare(kReadChunk),
                          [self = shared_from_this()](const error_code& ec, std::size_t n) {
                            self->buffer_.commit(n);
                            self->on_first_bytes(ec);
                          });
}

void Connection::note_renegotiation() {
  const int n = take_renegotiation_attempts(stream_.native_handle());
  if (n == 0) return;
  log::throttled(spdlog::level::warn, "tls-renegotiation-refused", "renegotiation",
                 {{"peer", peer_}, {"client", client_ ? client_->id : ""}, {"attempts", n}});
}

void Connection::on_first_bytes(const error_code& ec) {
  if (phase_ == Phase::closed) return;
  note_renegotiation();
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    return close(Closed::peer_closed);
  }
  if (ec) return on_read_error(ec);
  read_request();
}

void Connection::read_request() {
  phase_ = Phase::reading;
  set_deadline(milliseconds(shard_.generation().config->limits.request_timeout_ms));
  if (parser_->is_header_done()) return on_header({});
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_header(ec); });
}

void Connection::on_header(const error_code& ec) {
  if (phase_ == Phase::closed) return;
  note_renegotiation();
  if (ec) return on_read_error(ec);
  if (parser_->is_done()) return process();
  auto read_body = [this, self = shared_from_this()] {
    http::async_read(stream_, buffer_, *parser_,
                     [self](const error_code& e, std::size_t) { self->on_body(e); });
  };
  const auto& req = parser_->get();
  auto expect = req[http::field::expect];
  if (expect.size() == 12 && boost::beast::iequals(expect, "100-continue")) {
    out_.assign(kContinue);
    asio::async_write(stream_, asio::buffer(out_),
                      [self = shared_from_this(), read_body](const error_code& e, std::size_t) {
                        if (self->phase_ == Phase::closed) return;
                        if (e) return self->close(Closed::io_error);
                        read_body();
                      });
    return;
  }
  read_body();
}

void Connection::on_body(const error_code& ec) {
  if (phase_ == Phase::closed) return;
  if (ec) return on_read_error(ec);
  process();
}

void Connection::on_read_error(const error_code& ec) {
  note_renegotiation();
  if (ec == http::error::end_of_stream) return close(Closed::peer_closed);
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return reply_and_close(ErrorCode::headers_too_large, "request headers too large",
                           Closed::header_too_large);
  }
  if (ec == http::error::body_limit) {
    return reply_and_close(ErrorCode::body_too_large, "request body too large",
                           Closed::body_too_large);
  }
  if (is_http_error(ec) && ec != http::error::partial_message) {
    return reply_and_close(ErrorCode::bad_request, "malformed HTTP request: " + ec.message(),
                           Closed::bad_request);
  }
  close(phase_ == Phase::idle ? Closed::peer_closed : Closed::io_error);
}

// --- processing --------------------------------------------------------

void Connection::process() {
  phase_ = Phase::processing;
  const auto& cfg = *shard_.generation().config;
  set_deadline(milliseconds(cfg.limits.request_timeout_ms));
  ++served_;
  const auto& req = parser_->get();
  if (!req.keep_alive()) last_response(Closed::peer_closed);
  if (static_cast<std::int64_t>(served_) >= cfg.limits.max_requests_per_connection) {
    last_response(Closed::max_requests);
  }
  if (shard_.draining()) last_response(Closed::drain);
  if (forbidden_) {
    return reply_and_close(ErrorCode::forbidden, *forbidden_, Closed::bad_request);
  }
  if (unavailable_) {
    return reply_and_close(ErrorCode::directory_unavailable, *unavailable_, Closed::not_authorized,
                           kDirectoryRetryAfterS);
  }
  if (!recheck_client()) return;
  if (auto bad = host_problem(req)) {
    return reply_and_close(ErrorCode::bad_request, *bad, Closed::bad_request);
  }
  ApiRequest ar;
  ar.method = sv(req.method_string());
  ar.target = sv(req.target());
  ar.content_type = sv(req[http::field::content_type]);
  ar.body = req.body();
  ar.scratch = std::move(spare_);
  // Hold the Api (and its pipeline) for the request even if a reload
  // replaces it meanwhile.
  std::shared_ptr<Api> api = http_.api();
  api->handle(ar, *client_, cfg.limits,
              [self = shared_from_this()](Response r) { self->respond(std::move(r)); });
}

bool Connection::recheck_client() {
  auto found = shard_.directory().find(identity_);
  if (!found) {
    reply_and_close(ErrorCode::directory_unavailable, "client directory: " + found.error(),
                    Closed::not_authorized);
    return false;
  }
  if (!found->record) {
    log::throttled(spdlog::level::warn, log::kClosed, "not_authorized",
                   {{"peer", peer_},
                    {"client", client_->id},
                    {"reason", "not_authorized"},
                    {"detail", found->refusal}});
    reply_and_close(ErrorCode::forbidden,
                    "the client certificate is no longer authorized here: " + found->refusal,
                    Closed::not_authorized);
    return false;
  }
  client_ = std::move(*found->record);  // scope and rate as the store says now
  return true;
}

void Connection::check_revoked(SSL_CTX* ctx) {
  if (!authenticated_ || phase_ == Phase::closed || phase_ == Phase::closing) return;
  if (!peer_revoked(stream_.native_handle(), ctx)) return;
  log::event(spdlog::level::warn, log::kClosed,
             {{"peer", peer_},
              {"client", client_ ? client_->id : ""},
              {"reason", "revoked"},
              {"detail", "certificate revoked by a CRL loaded at reload: " + identity_.subject}});
  if (phase_ == Phase::idle) return close(Closed::revoked);
  last_response(Closed::revoked);
}

void Connection::respond(Response r) {
  if (phase_ == Phase::closed) return;
  r.close = r.close || close_after_;
  if (r.close) last_response(Closed::peer_closed);
  out_.clear();  // keeps its capacity from the last response
  serialize(r, out_);
  spare_ = std::move(r.body);  // the next answer is written into it
  phase_ = Phase::writing;
  set_deadline(milliseconds(shard_.generation().config->limits.write_timeout_ms));
  asio::async_write(
      stream_, asio::buffer(out_),
      [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_write(ec); });
}

void Connection::on_write(const error_code& ec) {
  if (phase_ == Phase::closed) return;
  if (ec) return close(Closed::io_error);
  if (close_after_) return finish(close_reason_);
  read_next();
}

void Connection::reply_and_close(ErrorCode code, std::string_view message, Closed reason,
                                 std::optional<long> retry_after_s) {
  last_response(reason);
  shard_.metrics().inc(Metric::errors, L(code));
  Response r;
  r.status = info(code).status;
  r.body = error_body(code, message);
  r.close = true;
  r.retry_after_s = retry_after_s;
  respond(std::move(r));
}

// --- closing -----------------------------------------------------------

void Connection::last_response(Closed reason) {
  if (close_after_) return;  // the first reason wins
  close_after_ = true;
  close_reason_ = reason;
}

void Connection::note_refused(Refused reason, const std::string& detail) {
  shard_.metrics().inc(Metric::connections_refused, L(reason));
  log::throttled(spdlog::level::warn, log::kRefused, refused_name(reason),
                 {{"peer", peer_}, {"reason", refused_name(reason)}, {"detail", detail}});
}

void Connection::refuse(Refused reason, const std::string& detail) {
  if (phase_ == Phase::closed || phase_ == Phase::closing) return;
  note_refused(reason, detail);
  if (phase_ == Phase::handshake && reason != Refused::tls_handshake &&
      reason != Refused::handshake_timeout) {
    return shutdown_gracefully();  // the handshake completed: send close_notify
  }
  phase_ = Phase::closed;
  close_socket();
}

void Connection::account(Closed reason) {
  if (!authenticated_ || accounted_) return;
  accounted_ = true;
  shard_.metrics().inc(Metric::connections_closed, L(reason));
  const auto lvl =
      reason == Closed::peer_closed || reason == Closed::max_requests || reason == Closed::drain
          ? spdlog::level::debug
          : spdlog::level::info;
  if (log::enabled(lvl)) {
    log::throttled(lvl, log::kClosed, closed_name(reason),
                   {{"peer", peer_},
                    {"client", client_ ? client_->id : ""},
                    {"reason", closed_name(reason)},
                    {"requests", served_}});
  }
}

void Connection::finish(Closed reason) {
  account(reason);
  shutdown_gracefully();
}

void Connection::shutdown_gracefully() {
  if (phase_ == Phase::closed || phase_ == Phase::closing) return;
  phase_ = Phase::closing;
  set_deadline(kShutdownTimeout);
  stream_.async_shutdown([self = shared_from_this()](const error_code&) {
    self->phase_ = Phase::closed;
    self->close_socket();
  });
}

void Connection::close(Closed reason) {
  account(reason);
  phase_ = Phase::closed;
  close_socket();
}

void Connection::close_socket() {
  error_code ignored;
  timer_.cancel();
  auto& sock = stream_.next_layer();
  if (sock.is_open()) {
    sock.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    sock.close(ignored);
  }
}

void Connection::drain() {
  switch (phase_) {
    case Phase::handshake:
      phase_ = Phase::closed;
      close_socket();
      return;
    case Phase::idle:
      return close(Closed::drain);
    case Phase::reading:
    case Phase::processing:
    case Phase::writing:
      last_response(Closed::drain);
      return;
    case Phase::closing:
    case Phase::closed:
      return;
  }
}

void Connection::abort() {
  if (phase_ == Phase::closed) return;
  close(Closed::drain);
}

}  // namespace speerd::server
