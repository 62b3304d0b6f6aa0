#include "tools/speerctl/local_pipeline.hpp"

#include <boost/asio/io_context.hpp>
#include <iostream>

#include "resolver/config/config.hpp"
#include "resolver/dns/unbound_client.hpp"
#include "resolver/pipeline/pipeline.hpp"
#include "resolver/pipeline/validators.hpp"
#include "sed-store/store.hpp"
#include "tools/speerctl/command.hpp"

namespace speerctl {

namespace pl = speerd::pipeline;

std::unique_ptr<LocalPipeline> open_local(speerd::config::ResolverConfig cfg,
                                          const std::string& store_uri) {
  auto local = std::make_unique<LocalPipeline>();
  if (!store_uri.empty()) {
    auto opened = speerd::store::open_store(store_uri);
    if (!opened) throw Exit(exit_code::kConfig, "store: " + opened.error().message);
    local->store = std::move(*opened);
    // The store's trust anchors, exactly as the daemon adds them
    // (resolver/daemon/runtime.cpp): beside the [dns] ones, for every tree.
    auto anchors = local->store->trust_anchors();
    if (!anchors) throw Exit(exit_code::kConfig, "store: trust anchors: " + anchors.error());
    for (const auto& a : *anchors) cfg.dns.trust_anchors.push_back(a.rr);
  }
  // One validator context per anchor set, as in the daemon.
  auto validators = pl::Validators::create(local->io, cfg);
  if (!validators) throw Exit(exit_code::kConfig, validators.error());
  local->validators = std::move(*validators);
  local->config = std::make_shared<const speerd::config::ResolverConfig>(std::move(cfg));
  pl::PipelineOptions popts;
  popts.store = local->store.get();
  popts.tree_dns = local->validators->trees();
  // One lookup at a time: keep the RRset as received, so `trace --dns` shows
  // what a front end with naptr_answer = "as-received" answers.
  popts.keep_received = true;
  local->pipeline =
      std::make_unique<pl::Pipeline>(local->io, local->validators->global(), local->config, popts);
  return local;
}

pl::LookupResult run_local(const LocalOptions& options, Request kind, const std::string& input,
                           const std::string& service) {
  auto cfg = speerd::config::load_resolver_config(options.config_path);
  if (!cfg) throw Exit(exit_code::kConfig, cfg.error());
  if (!options.client.empty() && options.store_uri.empty()) {
    throw Exit(exit_code::kUsage, "--client needs --store (or SPEERD_STORE)");
  }
  auto local = open_local(std::move(*cfg), options.store_uri);
  pl::ClientScope scope;
  if (!options.client.empty()) {
    auto clients = local->store->list_clients();
    if (!clients) throw Exit(exit_code::kConfig, "store: " + clients.error().message);
    for (const auto& c : *clients) {
      if (c.name == options.client) {
        scope.client_id = c.name;
        scope.trees = c.trees;
        scope.store_client = c.id;
      }
    }
    if (scope.store_client == 0)
      throw Exit(exit_code::kNotFound, "no client named '" + options.client + "'");
  }
  pl::LookupResult out;
  auto cb = [&out](pl::ResultPtr r) { out = *r; };
  if (kind == Request::lookup) {
    local->pipeline->lookup({input, service, scope}, cb);
  } else {
    local->pipeline->route({input, scope}, cb);
  }
  local->io.run();
  if (out.code == speerd::model::reason::kBadInput || out.code == speerd::model::reason::kBadNumber)
    throw Exit(exit_code::kUsage, out.reason);
  return out;
}

namespace {
std::string outcome_text(const speerd::dns::Outcome& o) {
  std::string s(speerd::dns::to_string(o.state));
  if (!o.reason.empty()) s += " (" + o.reason + ")";
  if (o.ede) s += " [EDE " + std::to_string(*o.ede) + "]";
  return s;
}
}  // namespace

void print_result(const pl::LookupResult& r, bool verbose) {
  auto& out = std::cout;
  if (verbose) {
    out << "steps:\n";
    int n = 0;
    for (const auto& s : r.dnssec) {
      out << "  " << ++n << ". " << s.name << " " << s.type << " -> " << s.result << ", ttl "
          << s.ttl << ", " << outcome_text(s.outcome) << "\n";
      if (!s.detail.empty()) out << "       " << s.detail << "\n";
    }
    if (!r.notes.empty()) {
      out << "rules and records:\n";
      for (const auto& note : r.notes) out << "  - " << note << "\n";
    }
  }
  if (!r.number.empty()) out << "number:   " << r.number << "\n";
  if (!r.tree.empty()) out << "tree:     " << r.tree << "\n";
  out << "verdict:  " << speerd::model::to_string(r.verdict) << " ("
      << speerd::model::to_string(r.code) << "): " << r.reason << "\n";
  out << "dnssec:   " << outcome_text(r.outcome) << "\n";
  for (const auto& u : r.uris) {
    out << "uri:      " << u.uri << "  [" << u.status << "]";
    if (u.order != 0 || u.preference != 0) {
      out << " (order " << u.order << ", preference " << u.preference << ")";
    }
    out << "\n";
  }
  int i = 0;
  for (const auto& t : r.targets) {
    out << "target " << ++i << ": " << t.transport << " " << t.host << " " << t.address << ":"
        << t.port << " (priority " << t.priority << ", weight " << t.weight << ", "
        << speerd::dns::to_string(t.outcome.state) << ")\n";
  }
  if (r.store.check != pl::StoreCheck::not_checked || !r.store.detail.empty()) {
    out << "store:    " << pl::to_string(r.store.check);
    if (!r.store.record_id.empty()) out << " (record " << r.store.record_id << ")";
    if (!r.store.detail.empty()) out << ": " << r.store.detail;
    out << "\n";
  }
  out << "ttl:      " << r.ttl << (r.cached ? " (cached)" : "") << (r.stale ? " (stale)" : "")
      << "\n";
}

}  // namespace speerctl
