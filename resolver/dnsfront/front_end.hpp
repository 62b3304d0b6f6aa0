// ENUM over DNS as one of a shard's front ends (service::FrontEnd), beside
// the HTTP API (server::HttpFrontEnd). Per shard: a duplicate of each
// listening socket (listeners.hpp; UDP read and written in batches,
// udp_port.hpp), the Handler with this shard's source
// directory, and the open TCP and DoT sessions (stream.hpp). Everything here
// runs on the shard's thread. DoT sessions take the shard's generation's DoT
// context (service::Generation::dot_tls) when they are accepted.
#pragma once

#include <array>
#include <memory>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "resolver/dnsfront/handler.hpp"
#include "resolver/dnsfront/listeners.hpp"
#include "resolver/dnsfront/udp_port.hpp"
#include "resolver/service/front_end.hpp"
#include "resolver/service/settings.hpp"
#include "resolver/service/shard.hpp"

namespace speerd::dnsfront {

class Session;

// The [dns_front] limits a TCP or DoT session needs.
struct StreamLimits {
  std::chrono::milliseconds idle{10000};
  std::int64_t max_connections = 1000;
  std::int64_t max_queries = 10000;
  std::int64_t max_inflight = 32;
  std::int64_t max_tls_connections = 1000;
  std::chrono::milliseconds handshake{5000};
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
  // DoT sessions whose client certificate g's CRLs revoke close now.
  // Source prefixes and client records come from the store's snapshot.
  void generation_changed(const service::Generation& g) override;
  void drain() override;
  void abort() override;
  void stop() override;

  Handler& handler() { return handler_; }
  const StreamLimits& limits() const { return limits_; }
  bool draining() const { return draining_; }
  Listeners& listeners() { return *listeners_; }
  service::Shard& shard() { return shard_; }
  void attach(Session* s);
  void detach(Session* s);

 private:
  void open_sockets();
  void accept(boost::asio::ip::tcp::acceptor& a, bool tls);
  void open_stream(boost::asio::ip::tcp::socket s, bool tls);

  service::Shard& shard_;
  std::shared_ptr<Listeners> listeners_;
  Handler handler_;
  StreamLimits limits_;
  std::vector<std::shared_ptr<UdpPort>> udp_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  std::unordered_set<Session*> sessions_;
  bool opened_ = false;
  bool draining_ = false;
};

}  // namespace speerd::dnsfront
