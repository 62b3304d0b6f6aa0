#include "resolver/daemon/priming.hpp"

#include "resolver/dns/outcome.hpp"
#include "resolver/dns/wire.hpp"

namespace speerd::daemon {

std::shared_ptr<Priming> Priming::start(boost::asio::io_context& io,
                                        std::shared_ptr<const config::ResolverConfig> cfg,
                                        std::shared_ptr<Guarded<std::string>> state, bool again) {
  std::shared_ptr<Priming> p(new Priming(io, std::move(cfg), std::move(state)));
  p->state_->with([again](auto& s) {
    if (!again || !s.empty()) s = "the priming query has not been answered yet";
  });
  p->run();
  return p;
}

void Priming::stop() {
  stopped_ = true;
  timer_.cancel();
}

void Priming::retry() {
  if (stopped_) return;
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && !self->stopped_) self->run();
  });
}

void Priming::run() {
  if (!dns_) {
    auto v = pipeline::Validators::create(io_, *cfg_);
    if (!v) {
      state_->with([&](auto& s) { s = "validators: " + v.error(); });
      return retry();
    }
    dns_ = std::move(*v);
  }
  if (cfg_->trees.empty()) {
    state_->with([](auto& s) { s.clear(); });
    return;
  }
  // Every tree answers; the first problem found is the one reported.
  struct Round {
    std::size_t left;
    std::string problem;
  };
  auto round = std::make_shared<Round>(Round{cfg_->trees.size(), {}});
  for (const auto& tree : cfg_->trees) {
    dns::Client* client = &dns_->global();
    if (auto it = dns_->trees().find(tree.name); it != dns_->trees().end()) client = it->second;
    const bool need_secure = tree.policy == config::TreePolicy::require_secure;
    client->resolve(tree.suffix, dns::rrtype::SOA,
                    [self = shared_from_this(), round, name = tree.name, suffix = tree.suffix,
                     need_secure](dns::Answer a) {
                      std::string why;
                      if (!a.answered()) {
                        why = "no answer (rcode " + std::to_string(a.rcode) + ")";
                      } else if (a.outcome.state == dns::Security::bogus) {
                        why = "bogus: " + a.outcome.reason;
                      } else if (need_secure && a.outcome.state != dns::Security::secure) {
                        why =
                            std::string(dns::to_string(a.outcome.state)) + ": " + a.outcome.reason;
                      }
                      if (!why.empty() && round->problem.empty()) {
                        round->problem = "tree " + name + ": SOA " + suffix + ": " + why;
                      }
                      if (--round->left > 0 || self->stopped_) return;
                      if (!round->problem.empty()) {
                        round->problem = "priming query failed: " + round->problem;
                      }
                      self->state_->with([&](auto& s) { s = round->problem; });
                      if (!round->problem.empty()) self->retry();
                    });
  }
}

}  // namespace speerd::daemon
