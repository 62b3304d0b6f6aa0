// The startup self-check behind /readyz (issue 12, item 5): before the node
// says it is ready, it asks one validated question per ENUM tree (the SOA
// of the tree's apex) through validators built from the running
// configuration, and wants an answer that validates as the tree's policy
// requires (secure for require-secure trees; never bogus). Until then
// /readyz names the tree and what was wrong; the check is repeated every
// second until it passes, and again after a reload that changed the
// resolver. Readiness so comes from speerd's own query, not from the first
// client's lookup. A reload that changed only the trust anchors (a store
// anchor change) re-primes `again`: a verdict that had passed stands while
// the new round runs, so /readyz does not flap on every anchor change; a
// round that fails reports as any other.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "enum/guarded.hpp"
#include "resolver/config/config.hpp"
#include "resolver/pipeline/validators.hpp"

namespace speerd::daemon {

class Priming : public std::enable_shared_from_this<Priming> {
 public:
  // `io`: the main loop (the queries and the retry timer run there).
  // `state` gets the verdict: "" once passed, else why not (read from any
  // thread). `again`: keep a passed verdict until this round has answered.
  static std::shared_ptr<Priming> start(boost::asio::io_context& io,
                                        std::shared_ptr<const config::ResolverConfig> cfg,
                                        std::shared_ptr<Guarded<std::string>> state,
                                        bool again = false);
  void stop();

 private:
  Priming(boost::asio::io_context& io, std::shared_ptr<const config::ResolverConfig> cfg,
          std::shared_ptr<Guarded<std::string>> state)
      : io_(io), timer_(io), cfg_(std::move(cfg)), state_(std::move(state)) {}
  void run();
  void retry();

  boost::asio::io_context& io_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<const config::ResolverConfig> cfg_;
  std::unique_ptr<pipeline::Validators> dns_;
  std::shared_ptr<Guarded<std::string>> state_;
  bool stopped_ = false;
};

}  // namespace speerd::daemon
