// One shard's pipeline: its own libunbound context (UnboundClient), its
// access to the SED store through the store threads (answers on this
// shard's loop, with a deadline), and the Pipeline (with its cache) on top,
// all used only on the shard's io_context thread.
#pragma once

#include <memory>

#include <boost/asio/io_context.hpp>

#include "enum/expected.hpp"
#include "resolver/config/config.hpp"
#include "resolver/dns/unbound_client.hpp"
#include "resolver/pipeline/pipeline.hpp"
#include "resolver/pipeline/validators.hpp"
#include "resolver/service/metrics.hpp"
#include "resolver/service/store_workers.hpp"

namespace speerd::daemon {

class ShardPipeline final : public pipeline::LookupService {
 public:
  static Expected<std::shared_ptr<ShardPipeline>> create(
      boost::asio::io_context& io, std::shared_ptr<const config::ResolverConfig> cfg,
      service::StoreWorkers& workers, service::Metrics* metrics, bool keep_received);

  void lookup(const pipeline::LookupRequest& req, Callback cb) override {
    pipeline_->lookup(req, std::move(cb));
  }
  void route(const pipeline::RouteRequest& req, Callback cb) override {
    pipeline_->route(req, std::move(cb));
  }
  bool counters(pipeline::PipelineCounters& out) const override { return pipeline_->counters(out); }
  pipeline::Pipeline& pipeline() { return *pipeline_; }

 private:
  ShardPipeline() = default;
  // Declared before pipeline_ so that both outlive it.
  std::unique_ptr<pipeline::Validators> dns_;  // one libunbound context per anchor set
  std::unique_ptr<service::PooledStoreAccess> store_;
  std::unique_ptr<pipeline::Pipeline> pipeline_;
};

}  // namespace speerd::daemon
