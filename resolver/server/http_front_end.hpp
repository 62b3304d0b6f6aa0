// The HTTP API as one of a shard's front ends: the shard's Api (bound to its
// current pipeline) and the TLS connections the acceptor handed to this
// shard. The acceptor (server.hpp) stays on the control thread; everything
// here runs on the shard's thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include <boost/asio/ip/tcp.hpp>

#include "resolver/server/api.hpp"
#include "resolver/service/admission.hpp"
#include "resolver/service/front_end.hpp"
#include "resolver/service/shard.hpp"

namespace speerd::server {

class Connection;

class HttpFrontEnd final : public service::FrontEnd {
 public:
  explicit HttpFrontEnd(service::Shard& shard) : shard_(shard) {}

  std::string_view name() const override { return "http"; }
  void start(std::shared_ptr<pipeline::LookupService> service) override;
  void generation_changed(const service::Generation& g) override;
  void drain() override;
  void abort() override;
  void stop() override { api_.reset(); }

  // A connection the acceptor admitted (posted to this shard's loop).
  void adopt(boost::asio::ip::tcp::socket socket, service::Admission::Ticket ticket,
             std::string peer);

  service::Shard& shard() { return shard_; }
  const std::shared_ptr<Api>& api() const { return api_; }
  void attach(Connection* c);
  void detach(Connection* c);

 private:
  service::Shard& shard_;
  std::shared_ptr<Api> api_;
  std::unordered_set<Connection*> connections_;
};

}  // namespace speerd::server
