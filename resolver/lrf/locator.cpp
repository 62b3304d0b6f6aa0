#include "resolver/lrf/locator.hpp"

#include <memory>
#include <utility>

#include "resolver/lrf/locate_job.hpp"

namespace speerd::lrf {

using dns::Security;
namespace reason = model::reason;

Locator::Locator(dns::Client& dns, boost::asio::any_io_executor executor, LocatorOptions options)
    : dns_(dns),
      executor_(std::move(executor)),
      options_(std::move(options)),
      rng_(options_.seed ? *options_.seed : std::random_device{}()) {}

void Locator::locate(const std::string& uri, Callback cb) {
  const std::uint64_t seed = rng_();
  auto job =
      std::make_shared<detail::LocateJob>(dns_, executor_, options_, seed, uri, std::move(cb));
  job->start();
}

void apply_insecure_policy(LocateResult& result, bool allow_insecure_targets,
                           const std::function<bool(const model::Target&)>& vouched,
                           bool allow_ip_literal_targets) {
  if (!result.routable()) return;
  std::vector<model::Target> kept;
  std::optional<dns::Outcome> dropped;
  for (auto& t : result.targets) {
    const bool insecure = t.outcome.state == Security::insecure;
    const bool vouch = insecure && !allow_insecure_targets && vouched && vouched(t);
    const bool literal = t.outcome.state == Security::not_applicable;
    const bool ok = t.outcome.state == Security::secure || (allow_insecure_targets && insecure) ||
                    vouch || (literal && allow_ip_literal_targets);
    if (vouch) {
      result.notes.push_back("target " + t.host + " " + t.address + ":" + std::to_string(t.port) +
                             " is insecure; kept because the SED store provisions it");
    }
    if (ok) {
      kept.push_back(std::move(t));
      continue;
    }
    result.notes.push_back("target " + t.host + " " + t.address + ":" + std::to_string(t.port) +
                           " (" + t.transport +
                           ") removed by policy: " + detail::outcome_text(t.outcome));
    if (!dropped) dropped = t.outcome;
  }
  result.targets = std::move(kept);
  if (!result.targets.empty()) {
    result.outcome = result.targets.front().outcome;
    for (const auto& t : result.targets) result.outcome = dns::weakest(result.outcome, t.outcome);
    return;
  }
  result.verdict = model::Verdict::reject;
  const bool insecure = dropped && dropped->state == Security::insecure;
  const bool literal = dropped && dropped->state == Security::not_applicable;
  result.code = insecure || literal ? reason::kInsecureNotAllowed : reason::kIndeterminate;
  result.reason = insecure  ? "every target is insecure and insecure targets are not allowed"
                  : literal ? "the target is an IP literal (no DNS, nothing validated) and "
                              "allow_ip_literal_targets is false"
                            : "no target has a validated outcome";
}

}  // namespace speerd::lrf