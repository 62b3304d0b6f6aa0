#include "resolver/daemon/shard_pipeline.hpp"

namespace speerd::daemon {

Expected<std::shared_ptr<ShardPipeline>> ShardPipeline::create(
    boost::asio::io_context& io, std::shared_ptr<const config::ResolverConfig> cfg) {
  auto dns = dns::UnboundClient::create(io, cfg->dns);
  if (!dns) return fail(dns.error());
  std::shared_ptr<ShardPipeline> p(new ShardPipeline());
  p->dns_ = std::move(*dns);
  p->pipeline_ = std::make_unique<pipeline::Pipeline>(io, *p->dns_, std::move(cfg));
  return p;
}

}  // namespace speerd::daemon
