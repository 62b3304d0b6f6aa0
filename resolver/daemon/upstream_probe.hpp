// /readyz's "upstream" check: asks each ENUM tree's apex for its SOA through
// a libunbound context of its own (so a probe never disturbs a shard), and
// calls the upstream reachable when any tree answers. Results are reused for
// kProbeCacheTime, so a scraper hammering /readyz does not become DNS load.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>

#include <boost/asio/io_context.hpp>

#include "enum/expected.hpp"
#include "resolver/config/config.hpp"
#include "resolver/dns/unbound_client.hpp"

namespace speerd::daemon {

inline constexpr std::chrono::seconds kProbeCacheTime{5};
inline constexpr std::chrono::seconds kProbeTimeout{3};

class UpstreamProbe {
 public:
  explicit UpstreamProbe(std::shared_ptr<const config::ResolverConfig> cfg)
      : cfg_(std::move(cfg)) {}
  Expected<bool> check();  // thread-safe; blocks up to kProbeTimeout

 private:
  Expected<bool> probe();
  std::mutex mutex_;
  std::shared_ptr<const config::ResolverConfig> cfg_;
  boost::asio::io_context io_{1};
  std::unique_ptr<dns::UnboundClient> dns_;
  std::chrono::steady_clock::time_point checked_{};
  Expected<bool> last_ = true;
};

}  // namespace speerd::daemon
