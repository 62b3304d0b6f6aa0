#include "resolver/daemon/shard_pipeline.hpp"

namespace speerd::daemon {

Expected<std::shared_ptr<ShardPipeline>> ShardPipeline::create(
    boost::asio::io_context& io, std::shared_ptr<const config::ResolverConfig> cfg,
    service::StoreWorkers& workers, service::Metrics* metrics, bool keep_received) {
  auto dns = pipeline::Validators::create(io, *cfg);
  if (!dns) return fail(dns.error());
  std::shared_ptr<ShardPipeline> p(new ShardPipeline());
  p->dns_ = std::move(*dns);
  service::PooledStoreAccess::Observer observe;
  if (metrics != nullptr) {
    observe = [metrics](std::chrono::nanoseconds d, std::optional<pipeline::StoreFailure> f) {
      metrics->observe(service::Metric::store_seconds, 0, d);
      if (f) metrics->inc(service::Metric::store_errors, static_cast<std::size_t>(*f));
    };
  }
  p->store_ =
      std::make_unique<service::PooledStoreAccess>(workers, io.get_executor(), std::move(observe));
  pipeline::PipelineOptions options;
  options.store_access = p->store_.get();
  options.tree_dns = p->dns_->trees();
  options.keep_received = keep_received;
  p->pipeline_ = std::make_unique<pipeline::Pipeline>(io, p->dns_->global(), std::move(cfg),
                                                      std::move(options));
  return p;
}

}  // namespace speerd::daemon
