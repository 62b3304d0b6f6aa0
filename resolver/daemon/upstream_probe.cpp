#include "resolver/daemon/upstream_probe.hpp"

#include <string>
#include <vector>

namespace speerd::daemon {

Expected<bool> UpstreamProbe::check() {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (checked_ != std::chrono::steady_clock::time_point{} && now - checked_ < kProbeCacheTime) {
    return last_;
  }
  last_ = probe();
  checked_ = std::chrono::steady_clock::now();
  return last_;
}

Expected<bool> UpstreamProbe::probe() {
  if (!dns_) {
    auto d = dns::UnboundClient::create(io_, cfg_->dns);
    if (!d) return fail("resolver: " + d.error());
    dns_ = std::move(*d);
  }
  struct State {
    std::size_t pending = 0;
    std::size_t answered = 0;
    std::string last_error;
  };
  auto st = std::make_shared<State>();
  for (const auto& t : cfg_->trees) {
    ++st->pending;
    dns_->resolve(t.suffix, dns::rrtype::SOA, [st, suffix = t.suffix](dns::Answer a) {
      --st->pending;
      if (a.answered()) {
        ++st->answered;
      } else {
        st->last_error = suffix + " SOA: rcode " + std::to_string(a.rcode) +
                         (a.outcome.reason.empty() ? "" : " (" + a.outcome.reason + ")");
      }
    });
  }
  io_.restart();
  const auto until = std::chrono::steady_clock::now() + kProbeTimeout;
  while (st->pending > 0 && std::chrono::steady_clock::now() < until) {
    io_.run_one_until(until);
  }
  if (st->answered > 0) return true;
  if (st->pending > 0) return fail("no ENUM tree answered within 3 s");
  return fail(st->last_error.empty() ? "no ENUM tree configured" : st->last_error);
}

}  // namespace speerd::daemon
