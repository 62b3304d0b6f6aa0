// One DNS stream connection (RFC 7766), over TCP or over TLS (RFC 7858):
// 2-byte length framing, pipelined queries answered as soon as each is ready
// (out of order), at most tcp_max_inflight in progress (the next one is read
// when one is answered), tcp_max_queries_per_connection in all, closed after
// tcp_idle_timeout_ms with nothing in progress or when the client stops
// reading its answers.
//
// One implementation for both: StreamSession<Socket> with Socket a TCP
// socket or a TLS stream on one. What TLS adds is at the start and in who
// asks: the handshake under tls_handshake_timeout_ms (a half-open client
// holds its slot no longer, RFC 6404 2.1.3), then the client certificate's
// identity mapped to a client by the shard's client directory (the API's);
// no enabled client: the connection closes (close_notify) with no answer
// data. Each query looks the client up again (a client disabled since is
// closed on, like the API's 403 + close), and is answered for that client
// with no source-prefix table.
//
// States: handshake (TLS only), reading (waiting for a length or a
// message), full (inflight at the bound: nothing read), finishing (no more
// reads: answers still due, then close), closed. One timer, re-armed lazily:
// it runs only during the handshake and while the session is idle or writing.
//
// Reads take what the socket has (up to kStreamReadChunk bytes, more for a
// larger message) and every complete message in it is a query, in order,
// as long as the state lets one in; answers ready while a write is out go
// in the next write together (one send, one TLS record, for many
// answers). One read and one send per query each were half of the CPU per
// TCP answer under a pipelining client (tools/bench/dns-frontend).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include "resolver/service/client_directory.hpp"

namespace speerd::dnsfront {

class DnsFrontEnd;

// What a stream read asks the socket for, at least.
inline constexpr std::size_t kStreamReadChunk = 4096;

using TcpSocket = boost::asio::ip::tcp::socket;
using TlsSocket = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

// What the front end holds of a session, whatever its transport.
class Session {
 public:
  virtual ~Session() = default;
  // Drain: stop reading; close once the answers due are sent.
  virtual void finish() = 0;
  // Close now.
  virtual void close() = 0;
  // A reload loaded CRLs (`ctx`'s store): close when they revoke the
  // client's certificate. TCP sessions have none.
  virtual void check_revoked(SSL_CTX* ctx) = 0;
  virtual bool tls() const = 0;
};

template <typename Socket>
class StreamSession final : public Session,
                            public std::enable_shared_from_this<StreamSession<Socket>> {
 public:
  static constexpr bool kTls = std::is_same_v<Socket, TlsSocket>;

  // TCP: `socket` is the accepted socket. TLS: a stream over it, with the
  // generation's DoT context.
  StreamSession(DnsFrontEnd& fe, Socket socket);
  ~StreamSession() override;

  void start();
  void finish() override;
  void close() override;
  void check_revoked(SSL_CTX* ctx) override;
  bool tls() const override { return kTls; }

 private:
  enum class State { handshake, reading, full, finishing, closed };

  void on_handshake(const boost::system::error_code& ec);
  void handshake_timed_out();
  // TLS: the client of the certificate now, or nothing (then the
  // connection is closed unanswered).
  std::optional<service::ClientRecord> client();
  // The complete messages read, while the state takes queries; then a read
  // when it still does.
  void pump();
  bool read_done(const boost::system::error_code& ec);
  void on_query(std::span<const std::uint8_t> message);
  void answered(std::vector<std::uint8_t> bytes);
  void write_next();
  void arm_timer();
  // TLS: close_notify, bounded by the timer, then close.
  void close_gracefully();
  bool idle() const { return inflight_ == 0 && out_.empty() && !writing_; }
  TcpSocket::lowest_layer_type& tcp() { return socket_.lowest_layer(); }

  DnsFrontEnd& fe_;
  Socket socket_;
  boost::asio::ip::address peer_;
  boost::asio::steady_timer timer_;
  State state_ = State::reading;
  bool reading_ = false;  // a read is outstanding
  bool writing_ = false;
  bool pumping_ = false;
  std::vector<std::uint8_t> in_;  // read, not yet taken: in_[in_start_, in_end_)
  std::size_t in_start_ = 0;
  std::size_t in_end_ = 0;
  std::vector<std::uint8_t> out_;             // framed answers not yet written
  std::vector<std::uint8_t> writing_buffer_;  // the write in progress
  std::int64_t inflight_ = 0;
  std::int64_t queries_ = 0;
  service::CertIdentity identity_;  // TLS: the verified client certificate's
};

extern template class StreamSession<TcpSocket>;
extern template class StreamSession<TlsSocket>;

}  // namespace speerd::dnsfront
