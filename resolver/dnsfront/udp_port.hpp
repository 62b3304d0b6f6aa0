// One shard's duplicate of a UDP listening socket, read and written in
// batches: recvmmsg() takes up to kUdpBatch waiting queries in one system
// call, and the answers due on this port go out together with sendmmsg()
// once the handlers already queued on the shard's loop have run (the
// answers to a batch of cached names are all ready by then). On this
// machine's (paravirtualized) kernel a system call's entry and exit was a
// fifth of the front end's CPU per UDP answer with one recvfrom and one
// sendto each. Every query is still handled on its own and every answer
// is its own datagram to its own client; sends stay non-blocking (a full
// socket buffer drops that answer, as the network could).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "resolver/service/limits.hpp"

namespace speerd::dnsfront {

// Datagrams read per recvmmsg() call; when a call fills them all, the next
// one runs after the handlers it queued (a flood does not starve the loop).
inline constexpr std::size_t kUdpBatch = 32;

class UdpPort : public std::enable_shared_from_this<UdpPort> {
 public:
  using Endpoint = boost::asio::ip::udp::endpoint;
  // Called once per datagram; `send` takes the answer (empty: none), now
  // or later.
  using Send = std::function<void(std::vector<std::uint8_t>)>;
  using OnQuery = std::function<void(std::span<const std::uint8_t>, const Endpoint&, Send)>;

  explicit UdpPort(boost::asio::io_context& io) : socket_(io) {}

  boost::asio::ip::udp::socket& socket() { return socket_; }

  // Reads until cancel(); `stopped` is asked before each batch. After
  // cancel() neither is called again; answers still due are sent.
  void start(OnQuery on_query, std::function<bool()> stopped);
  void cancel();

 private:
  struct Out {
    Endpoint to;
    std::vector<std::uint8_t> bytes;
  };
  void wait();
  void read_batch();
  void queue(const Endpoint& to, std::vector<std::uint8_t> bytes);
  void schedule_flush();
  void flush();

  boost::asio::ip::udp::socket socket_;
  OnQuery on_query_;
  std::function<bool()> stopped_;
  // One more byte than a query may have: a larger one is seen (FORMERR).
  std::array<std::array<std::uint8_t, service::kMaxQueryBytes + 1>, kUdpBatch> buffers_{};
  std::array<sockaddr_storage, kUdpBatch> from_{};
  std::array<iovec, kUdpBatch> iov_{};
  std::array<mmsghdr, kUdpBatch> msgs_{};
  std::vector<Out> out_;  // answers not yet sent
  bool cancelled_ = false;
  bool in_batch_ = false;
  bool flush_posted_ = false;
};

}  // namespace speerd::dnsfront
