#include "resolver/dnsfront/stream.hpp"

#include <stdbool.h>  // before ldns, which otherwise defines bool, true and false

#include <ldns/ldns.h>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "resolver/dnsfront/front_end.hpp"
#include "resolver/service/log.hpp"
#include "resolver/service/tls.hpp"

namespace speerd::dnsfront {
namespace {

namespace asio = boost::asio;
namespace log = service::log;
using service::DnsTlsHandshake;
using service::L;
using service::Metric;

// How long a closing TLS session waits for its close_notify to go out.
constexpr std::chrono::milliseconds kCloseNotifyWait{1000};

}  // namespace

template <typename Socket>
StreamSession<Socket>::StreamSession(DnsFrontEnd& fe, Socket socket)
    : fe_(fe), socket_(std::move(socket)), timer_(socket_.get_executor()) {
  boost::system::error_code ec;
  const auto ep = tcp().remote_endpoint(ec);
  if (!ec) peer_ = ep.address();
  if constexpr (kTls) state_ = State::handshake;
}

template <typename Socket>
StreamSession<Socket>::~StreamSession() {
  fe_.detach(this);
}

template <typename Socket>
void StreamSession<Socket>::start() {
  fe_.attach(this);
  if (fe_.draining()) return close();
  if constexpr (kTls) {
    arm_timer();
    socket_.async_handshake(asio::ssl::stream_base::server,
                            [self = this->shared_from_this()](const boost::system::error_code& ec) {
                              self->on_handshake(ec);
                            });
  } else {
    pump();
  }
}

template <typename Socket>
void StreamSession<Socket>::on_handshake(const boost::system::error_code& ec) {
  if constexpr (kTls) {
    // Closed first: the deadline passed (counted by the timer), or a drain.
    if (state_ == State::closed) return;
    timer_.cancel();
    if (ec) {
      fe_.shard().metrics().inc(Metric::dns_tls_handshakes, L(DnsTlsHandshake::failed));
      log::throttled(spdlog::level::warn, log::kRefused, "dns_tls_handshake",
                     {{"peer", peer_.to_string()},
                      {"transport", "tls"},
                      {"reason", "tls_handshake"},
                      {"detail", service::handshake_failure(socket_.native_handle(), ec)}});
      return close();
    }
    fe_.shard().metrics().inc(Metric::dns_tls_handshakes, L(DnsTlsHandshake::ok));
    identity_ = service::peer_identity(socket_.native_handle());
    if (fe_.draining()) return close_gracefully();
    const auto c = client();
    if (!c) return close_gracefully();
    if (log::enabled(spdlog::level::debug)) {
      log::event(spdlog::level::debug, log::kAccepted,
                 {{"peer", peer_.to_string()},
                  {"transport", "tls"},
                  {"client", c->id},
                  {"identity", c->matched_identity},
                  {"shard", fe_.shard().index()}});
    }
    state_ = State::reading;
    pump();
  } else {
    (void)ec;
  }
}

template <typename Socket>
void StreamSession<Socket>::handshake_timed_out() {
  fe_.shard().metrics().inc(Metric::dns_tls_handshakes, L(DnsTlsHandshake::timeout));
  log::throttled(spdlog::level::warn, log::kRefused, "dns_tls_handshake_timeout",
                 {{"peer", peer_.to_string()},
                  {"transport", "tls"},
                  {"reason", "handshake_timeout"},
                  {"detail", "no complete TLS handshake in time"}});
}

template <typename Socket>
std::optional<service::ClientRecord> StreamSession<Socket>::client() {
  auto found = fe_.shard().directory().find(identity_);
  std::string why;
  if (!found) {
    why = "client directory: " + found.error();
  } else if (!found->record) {
    why = "valid certificate, " + found->refusal + " [" + identity_.subject + "]";
  } else {
    return std::move(*found->record);
  }
  fe_.handler().refuse(peer_, service::DnsRefused::unknown_client, "DoT: " + why);
  return std::nullopt;
}

template <typename Socket>
void StreamSession<Socket>::arm_timer() {
  if (state_ == State::closed) return;
  std::chrono::milliseconds after = fe_.limits().idle;
  if (state_ == State::handshake) {
    after = fe_.limits().handshake;
  } else if (!(idle() || writing_)) {
    // Only while idle (no query in progress) or while an answer is being
    // written; a lookup in progress has its own timeouts in the pipeline.
    timer_.cancel();
    return;
  }
  timer_.expires_after(after);
  timer_.async_wait([self = this->shared_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (self->state_ == State::handshake) self->handshake_timed_out();
    self->close();
  });
}

template <typename Socket>
void StreamSession<Socket>::pump() {
  // An answer sent from inside on_query() (a refusal) lands here again:
  // the loop below goes on with the state it leaves.
  if (pumping_) return;
  pumping_ = true;
  while (state_ == State::reading && in_end_ - in_start_ >= 2) {
    const std::size_t size = ldns_read_uint16(in_.data() + in_start_);
    if (in_end_ - in_start_ < 2 + size) break;
    const std::span<const std::uint8_t> message(in_.data() + in_start_ + 2, size);
    in_start_ += 2 + size;
    on_query(message);
  }
  pumping_ = false;
  if (state_ != State::reading || reading_) return;
  // Room for the rest of a message begun, and a chunk at least.
  const std::size_t have = in_end_ - in_start_;
  if (in_start_ > 0) {
    std::copy(in_.begin() + static_cast<std::ptrdiff_t>(in_start_),
              in_.begin() + static_cast<std::ptrdiff_t>(in_end_), in_.begin());
    in_start_ = 0;
    in_end_ = have;
  }
  const std::size_t want = have >= 2 ? 2 + std::size_t{ldns_read_uint16(in_.data())} : 2;
  const std::size_t room = std::max(want, in_end_ + kStreamReadChunk);
  if (in_.size() < room) in_.resize(room);
  reading_ = true;
  arm_timer();
  socket_.async_read_some(
      asio::buffer(in_.data() + in_end_, in_.size() - in_end_),
      [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (self->read_done(ec)) return;
        self->in_end_ += n;
        self->pump();
      });
}

// After a read: true when it failed (EOF or reset) and the session stops
// reading. Answers still due are dropped only when the write fails too.
template <typename Socket>
bool StreamSession<Socket>::read_done(const boost::system::error_code& ec) {
  reading_ = false;
  if (state_ == State::closed) return true;
  if (!ec) return false;
  if (idle()) {
    close();
  } else {
    state_ = State::finishing;
  }
  return true;
}

template <typename Socket>
void StreamSession<Socket>::on_query(std::span<const std::uint8_t> message) {
  std::optional<service::ClientRecord> c;
  if constexpr (kTls) {
    // The record as the directory has it now (scope, rate); gone or
    // disabled: close, the answers due still go out.
    c = client();
    if (!c) {
      state_ = State::finishing;
      if (idle()) close_gracefully();
      return;
    }
  }
  ++inflight_;
  ++queries_;
  timer_.cancel();
  if (queries_ >= fe_.limits().max_queries) state_ = State::finishing;
  auto reply = [self = this->shared_from_this()](std::vector<std::uint8_t> bytes) {
    self->answered(std::move(bytes));
  };
  if constexpr (kTls) {
    fe_.handler().handle_client(message, peer_, Transport::tls, *c, std::move(reply));
  } else {
    fe_.handler().handle(message, peer_, Transport::tcp, std::move(reply));
  }
  if (state_ == State::reading && inflight_ >= fe_.limits().max_inflight) state_ = State::full;
}

template <typename Socket>
void StreamSession<Socket>::answered(std::vector<std::uint8_t> bytes) {
  --inflight_;
  if (state_ == State::closed) return;
  if (!bytes.empty()) {
    const std::size_t at = out_.size();
    out_.resize(at + 2 + bytes.size());
    ldns_write_uint16(out_.data() + at, static_cast<std::uint16_t>(bytes.size()));
    std::copy(bytes.begin(), bytes.end(), out_.begin() + static_cast<std::ptrdiff_t>(at + 2));
  }
  if (state_ == State::full && inflight_ < fe_.limits().max_inflight) {
    state_ = State::reading;
    pump();
  }
  write_next();
}

template <typename Socket>
void StreamSession<Socket>::write_next() {
  if (state_ == State::closed || writing_) return;
  if (out_.empty()) {
    if (state_ == State::finishing && inflight_ == 0) return close_gracefully();
    arm_timer();
    return;
  }
  // Every answer ready so far, in the order they became ready.
  writing_buffer_.swap(out_);
  out_.clear();
  writing_ = true;
  arm_timer();
  asio::async_write(
      socket_, asio::buffer(writing_buffer_),
      [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t) {
        self->writing_ = false;
        if (ec) return self->close();
        if (self->state_ == State::closed) return;
        self->writing_buffer_.clear();
        self->write_next();
      });
}

template <typename Socket>
void StreamSession<Socket>::finish() {
  if (state_ == State::closed) return;
  if (state_ == State::handshake) return close();
  state_ = State::finishing;
  if (idle()) return close_gracefully();
  if (reading_) {
    // The outstanding read would start a new query: stop it by closing the
    // read side; answers due still go out.
    boost::system::error_code ignored;
    tcp().shutdown(asio::ip::tcp::socket::shutdown_receive, ignored);
  }
}

template <typename Socket>
void StreamSession<Socket>::check_revoked(SSL_CTX* ctx) {
  if constexpr (kTls) {
    if (state_ == State::closed || state_ == State::handshake) return;
    if (!service::peer_revoked(socket_.native_handle(), ctx)) return;
    log::event(spdlog::level::warn, log::kClosed,
               {{"peer", peer_.to_string()}, {"transport", "tls"}, {"reason", "revoked"}});
    close();
  } else {
    (void)ctx;
  }
}

template <typename Socket>
void StreamSession<Socket>::close_gracefully() {
  if constexpr (kTls) {
    // close_notify only when no read or write is outstanding on the TLS
    // stream (it would interleave with them); else as close().
    if (state_ == State::closed || reading_ || writing_) return close();
    state_ = State::closed;
    out_.clear();
    fe_.detach(this);
    timer_.expires_after(kCloseNotifyWait);
    timer_.async_wait([self = this->shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      boost::system::error_code ignored;
      self->tcp().close(ignored);
    });
    socket_.async_shutdown([self = this->shared_from_this()](const boost::system::error_code&) {
      boost::system::error_code ignored;
      self->timer_.cancel();
      self->tcp().close(ignored);
    });
  } else {
    close();
  }
}

template <typename Socket>
void StreamSession<Socket>::close() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  boost::system::error_code ignored;
  timer_.cancel();
  tcp().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  tcp().close(ignored);
  out_.clear();
  fe_.detach(this);
}

template class StreamSession<TcpSocket>;
template class StreamSession<TlsSocket>;

}  // namespace speerd::dnsfront
