#include "resolver/dnsfront/stream.hpp"

#include <stdbool.h>  // before ldns, which otherwise defines bool, true and false

#include <ldns/ldns.h>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "resolver/dnsfront/front_end.hpp"

namespace speerd::dnsfront {
namespace {

namespace asio = boost::asio;

}  // namespace

StreamSession::StreamSession(DnsFrontEnd& fe, asio::ip::tcp::socket socket)
    : fe_(fe), socket_(std::move(socket)), timer_(socket_.get_executor()) {
  boost::system::error_code ec;
  const auto ep = socket_.remote_endpoint(ec);
  if (!ec) peer_ = ep.address();
}

StreamSession::~StreamSession() {
  fe_.detach(this);
}

void StreamSession::start() {
  fe_.attach(this);
  if (fe_.draining()) return close();
  read_length();
}

void StreamSession::arm_timer() {
  if (state_ == State::closed) return;
  // Only while idle (no query in progress) or while an answer is being
  // written; a lookup in progress has its own timeouts in the pipeline.
  if (!(idle() || writing_)) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(fe_.limits().idle);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->close();
  });
}

void StreamSession::read_length() {
  if (state_ != State::reading || reading_) return;
  reading_ = true;
  arm_timer();
  asio::async_read(socket_, asio::buffer(length_),
                   [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                     if (self->read_done(ec)) return;
                     const std::size_t size = ldns_read_uint16(self->length_.data());
                     self->read_message(size);
                   });
}

// After a read: true when it failed (EOF or reset) and the session stops
// reading. Answers still due are dropped only when the write fails too.
bool StreamSession::read_done(const boost::system::error_code& ec) {
  reading_ = false;
  if (!ec) return false;
  if (idle()) {
    close();
  } else {
    state_ = State::finishing;
  }
  return true;
}

void StreamSession::read_message(std::size_t size) {
  message_.resize(size);
  reading_ = true;
  asio::async_read(socket_, asio::buffer(message_),
                   [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                     if (self->read_done(ec)) return;
                     self->on_query();
                   });
}

void StreamSession::on_query() {
  ++inflight_;
  ++queries_;
  timer_.cancel();
  if (queries_ >= fe_.limits().max_queries) state_ = State::finishing;
  fe_.handler().handle(message_, peer_, Transport::tcp,
                       [self = shared_from_this()](std::vector<std::uint8_t> bytes) {
                         self->answered(std::move(bytes));
                       });
  if (state_ == State::reading && inflight_ >= fe_.limits().max_inflight) state_ = State::full;
  read_length();
}

void StreamSession::answered(std::vector<std::uint8_t> bytes) {
  --inflight_;
  if (state_ == State::closed) return;
  if (!bytes.empty()) {
    std::vector<std::uint8_t> framed(2 + bytes.size());
    ldns_write_uint16(framed.data(), static_cast<std::uint16_t>(bytes.size()));
    std::copy(bytes.begin(), bytes.end(), framed.begin() + 2);
    out_.push_back(std::move(framed));
  }
  if (state_ == State::full && inflight_ < fe_.limits().max_inflight) {
    state_ = State::reading;
    read_length();
  }
  write_next();
}

void StreamSession::write_next() {
  if (state_ == State::closed || writing_) return;
  if (out_.empty()) {
    if (state_ == State::finishing && inflight_ == 0) return close();
    arm_timer();
    return;
  }
  writing_ = true;
  arm_timer();
  asio::async_write(socket_, asio::buffer(out_.front()),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      self->writing_ = false;
                      if (ec) return self->close();
                      self->out_.pop_front();
                      self->write_next();
                    });
}

void StreamSession::finish() {
  if (state_ == State::closed) return;
  state_ = State::finishing;
  if (idle()) return close();
  if (reading_) {
    // The outstanding read would start a new query: stop it by closing the
    // read side; answers due still go out.
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_receive, ignored);
  }
}

void StreamSession::close() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  boost::system::error_code ignored;
  timer_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  out_.clear();
  fe_.detach(this);
}

}  // namespace speerd::dnsfront
