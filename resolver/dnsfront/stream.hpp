// One DNS TCP connection (RFC 7766): 2-byte length framing, pipelined
// queries answered as soon as each is ready (out of order), at most
// tcp_max_inflight in progress (the next one is read when one is answered),
// tcp_max_queries_per_connection in all, closed after tcp_idle_timeout_ms
// with nothing in progress or when the client stops reading its answers.
//
// States: reading (waiting for a length or a message), full (inflight at
// the bound: nothing read), finishing (no more reads: answers still due,
// then close), closed. One timer, re-armed lazily: it runs only while the
// session is idle or writing.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace speerd::dnsfront {

class DnsFrontEnd;

class StreamSession : public std::enable_shared_from_this<StreamSession> {
 public:
  StreamSession(DnsFrontEnd& fe, boost::asio::ip::tcp::socket socket);
  ~StreamSession();

  void start();
  // Drain: stop reading; close once the answers due are sent.
  void finish();
  // Close now.
  void close();

 private:
  enum class State { reading, full, finishing, closed };

  void read_length();
  void read_message(std::size_t size);
  bool read_done(const boost::system::error_code& ec);
  void on_query();
  void answered(std::vector<std::uint8_t> bytes);
  void write_next();
  void arm_timer();
  bool idle() const { return inflight_ == 0 && out_.empty(); }

  DnsFrontEnd& fe_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::ip::address peer_;
  boost::asio::steady_timer timer_;
  State state_ = State::reading;
  bool reading_ = false;  // a read is outstanding
  bool writing_ = false;
  std::array<std::uint8_t, 2> length_{};
  std::vector<std::uint8_t> message_;
  std::deque<std::vector<std::uint8_t>> out_;  // framed answers not yet written
  std::int64_t inflight_ = 0;
  std::int64_t queries_ = 0;
};

}  // namespace speerd::dnsfront
