#include "resolver/daemon/shard_pipeline.hpp"

namespace speerd::daemon {

Expected<std::shared_ptr<ShardPipeline>> ShardPipeline::create(
    boost::asio::io_context& io, std::shared_ptr<const config::ResolverConfig> cfg,
    const std::string& store_uri) {
  auto dns = pipeline::Validators::create(io, *cfg);
  if (!dns) return fail(dns.error());
  auto st = store::open_store(store_uri);
  if (!st) return fail("[store] uri: " + st.error().message);
  std::shared_ptr<ShardPipeline> p(new ShardPipeline());
  p->dns_ = std::move(*dns);
  p->store_ = std::move(*st);
  pipeline::PipelineOptions options;
  options.store = p->store_.get();
  options.tree_dns = p->dns_->trees();
  p->pipeline_ = std::make_unique<pipeline::Pipeline>(io, p->dns_->global(), std::move(cfg),
                                                      std::move(options));
  return p;
}

}  // namespace speerd::daemon
