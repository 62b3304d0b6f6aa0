// ENUM over DNS as one of a shard's front ends (service::FrontEnd), beside
// the HTTP API (server::HttpFrontEnd). Per shard: a duplicate of each
// listening socket (listeners.hpp), the Handler with this shard's source
// directory, and the open TCP sessions (stream.hpp). Everything here runs on
// the shard's thread.
#pragma once

#include <array>
#include <memory>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "resolver/dnsfront/handler.hpp"
#include "resolver/dnsfront/limits.hpp"
#include "resolver/dnsfront/listeners.hpp"
#include "resolver/service/front_end.hpp"
#include "resolver/service/settings.hpp"
#include "resolver/service/shard.hpp"

namespace speerd::dnsfront {

class StreamSession;

// The [dns_front] limits a TCP session needs.
struct StreamLimits {
  std::chrono::milliseconds idle{10000};
  std::int64_t max_connections = 1000;
  std::int64_t max_queries = 10000;
  std::int64_t max_inflight = 32;
};
StreamLimits stream_limits(const service::DnsFrontSection& s);

// The handler's configuration from the daemon's [dns_front] and [limits]
// and the configured trees.
HandlerConfig handler_config(const service::ServerConfig& c, std::vector<Tree> trees);

class DnsFrontEnd final : public service::FrontEnd {
 public:
  DnsFrontEnd(service::Shard& shard, std::shared_ptr<Listeners> listeners, HandlerConfig config,
              StreamLimits limits, std::unique_ptr<SourceDirectory> sources);
  ~DnsFrontEnd() override;

  std::string_view name() const override { return "dns"; }
  void start(std::shared_ptr<pipeline::LookupService> service) override;
  // No client certificates over UDP/TCP (DoT is not built yet): nothing to
  // close. Source prefixes come from the store, re-read on its changes.
  void generation_changed(const service::Generation&) override {}
  void drain() override;
  void abort() override;
  void stop() override;

  Handler& handler() { return handler_; }
  const StreamLimits& limits() const { return limits_; }
  bool draining() const { return draining_; }
  Listeners& listeners() { return *listeners_; }
  service::Shard& shard() { return shard_; }
  void attach(StreamSession* s);
  void detach(StreamSession* s);

 private:
  struct UdpPort {
    explicit UdpPort(boost::asio::io_context& io) : socket(io) {}
    boost::asio::ip::udp::socket socket;
    boost::asio::ip::udp::endpoint from;
    std::array<std::uint8_t, kMaxQueryBytes + 1> buffer{};  // one more: a larger one is seen
  };
  void open_sockets();
  void receive(const std::shared_ptr<UdpPort>& port);
  void accept(boost::asio::ip::tcp::acceptor& a);

  service::Shard& shard_;
  std::shared_ptr<Listeners> listeners_;
  Handler handler_;
  StreamLimits limits_;
  std::vector<std::shared_ptr<UdpPort>> udp_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  std::unordered_set<StreamSession*> sessions_;
  bool opened_ = false;
  bool draining_ = false;
};

}  // namespace speerd::dnsfront
