#include "resolver/dnsfront/udp_port.hpp"

#include <cerrno>
#include <cstring>

#include <boost/asio/post.hpp>

namespace speerd::dnsfront {
namespace {

namespace asio = boost::asio;

// Answers handed to one sendmmsg() call.
constexpr std::size_t kSendBatch = 64;

}  // namespace

void UdpPort::start(OnQuery on_query, std::function<bool()> stopped) {
  on_query_ = std::move(on_query);
  stopped_ = std::move(stopped);
  // Read first: datagrams may be waiting already.
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->read_batch(); });
}

void UdpPort::cancel() {
  cancelled_ = true;
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

void UdpPort::wait() {
  socket_.async_wait(asio::ip::udp::socket::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       if (ec == asio::error::operation_aborted) return;
                       self->read_batch();
                     });
}

void UdpPort::read_batch() {
  if (cancelled_ || stopped_()) return;
  for (std::size_t i = 0; i < kUdpBatch; ++i) {
    iov_[i] = {buffers_[i].data(), buffers_[i].size()};
    msgs_[i] = {};
    msgs_[i].msg_hdr.msg_name = &from_[i];
    msgs_[i].msg_hdr.msg_namelen = sizeof(from_[i]);
    msgs_[i].msg_hdr.msg_iov = &iov_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
  }
  const int n = ::recvmmsg(socket_.native_handle(), msgs_.data(), kUdpBatch, MSG_DONTWAIT, nullptr);
  // Nothing (EAGAIN) or an error (read again once readable, as before):
  // wait. Fewer than a full batch: the queue was empty, so a datagram
  // arriving from now on wakes the wait.
  if (n <= 0) return wait();
  in_batch_ = true;
  for (int i = 0; i < n; ++i) {
    const auto& h = msgs_[static_cast<std::size_t>(i)];
    Endpoint from;
    if (h.msg_hdr.msg_namelen > from.capacity()) continue;
    std::memcpy(from.data(), h.msg_hdr.msg_name, h.msg_hdr.msg_namelen);
    from.resize(h.msg_hdr.msg_namelen);
    on_query_(
        std::span<const std::uint8_t>(buffers_[static_cast<std::size_t>(i)].data(), h.msg_len),
        from, [self = shared_from_this(), from](std::vector<std::uint8_t> bytes) {
          self->queue(from, std::move(bytes));
        });
  }
  in_batch_ = false;
  // After the answers this batch queued on the loop (cache hits are
  // delivered by posted handlers): one flush for them all.
  schedule_flush();
  if (static_cast<std::size_t>(n) == kUdpBatch) {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->read_batch(); });
  } else {
    wait();
  }
}

void UdpPort::queue(const Endpoint& to, std::vector<std::uint8_t> bytes) {
  if (bytes.empty()) return;
  out_.push_back({to, std::move(bytes)});
  if (!in_batch_) schedule_flush();
}

void UdpPort::schedule_flush() {
  if (flush_posted_) return;
  flush_posted_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->flush(); });
}

void UdpPort::flush() {
  flush_posted_ = false;
  std::array<mmsghdr, kSendBatch> msgs{};
  std::array<iovec, kSendBatch> iov{};
  std::size_t done = 0;
  while (done < out_.size()) {
    const std::size_t count = std::min(kSendBatch, out_.size() - done);
    for (std::size_t i = 0; i < count; ++i) {
      auto& o = out_[done + i];
      iov[i] = {o.bytes.data(), o.bytes.size()};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_name = o.to.data();
      msgs[i].msg_hdr.msg_namelen = static_cast<socklen_t>(o.to.size());
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    std::size_t sent = 0;
    while (sent < count) {
      const int n = ::sendmmsg(socket_.native_handle(), msgs.data() + sent,
                               static_cast<unsigned>(count - sent), MSG_DONTWAIT);
      // An answer that cannot go out (a full socket buffer, an error for
      // its address) is dropped, as one sendto() would have; the next one
      // is tried.
      sent += n > 0 ? static_cast<std::size_t>(n) : 1;
    }
    done += count;
  }
  out_.clear();
}

}  // namespace speerd::dnsfront
