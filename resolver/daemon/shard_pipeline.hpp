// One shard's pipeline: its own libunbound context (UnboundClient) and the
// Pipeline (with its cache) on top, both on the shard's io_context.
#pragma once

#include <memory>

#include <boost/asio/io_context.hpp>

#include "enum/expected.hpp"
#include "resolver/config/config.hpp"
#include "resolver/dns/unbound_client.hpp"
#include "resolver/pipeline/pipeline.hpp"

namespace speerd::daemon {

class ShardPipeline final : public pipeline::LookupService {
 public:
  static Expected<std::shared_ptr<ShardPipeline>> create(
      boost::asio::io_context& io, std::shared_ptr<const config::ResolverConfig> cfg);

  void lookup(const pipeline::LookupRequest& req, Callback cb) override {
    pipeline_->lookup(req, std::move(cb));
  }
  void route(const pipeline::RouteRequest& req, Callback cb) override {
    pipeline_->route(req, std::move(cb));
  }
  pipeline::Pipeline& pipeline() { return *pipeline_; }

 private:
  ShardPipeline() = default;
  std::unique_ptr<dns::UnboundClient> dns_;  // outlives pipeline_
  std::unique_ptr<pipeline::Pipeline> pipeline_;
};

}  // namespace speerd::daemon
