// speerctl lookup: one lookup in local mode (no server): the configured trees
// and trust anchors, libunbound in this process, the result printed.
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "enum/e164.hpp"
#include "enum/enumservice.hpp"
#include "resolver/config/config.hpp"
#include "resolver/dns/unbound_client.hpp"
#include "resolver/luf/enum_resolver.hpp"
#include "tools/speerctl/command.hpp"

namespace speerctl {

namespace {

struct LookupOpts {
  std::string number;
  std::string config;
  std::string service;
  bool json = false;
};

void run_lookup(const LookupOpts& o) {
  auto number = speerd::luf::parse_e164(o.number);
  if (!number) throw Exit(exit_code::kUsage, "bad number '" + o.number + "': " + number.error());
  auto cfg = speerd::config::load_resolver_config(o.config);
  if (!cfg) throw Exit(exit_code::kConfig, cfg.error());
  const std::string service_text = o.service.empty() ? cfg->lookup.service : o.service;
  auto service = speerd::luf::parse_enumservice(service_text);
  if (!service) throw Exit(exit_code::kUsage, "bad service '" + service_text + "': " + service.error());

  boost::asio::io_context io;
  auto client = speerd::dns::UnboundClient::create(io, cfg->dns);
  if (!client) throw Exit(exit_code::kConfig, client.error());
  auto shared_cfg = std::make_shared<const speerd::config::ResolverConfig>(std::move(*cfg));
  speerd::luf::EnumResolver luf(**client, shared_cfg);
  speerd::luf::LufResult result;
  luf.lookup(*number, *service, {}, [&](speerd::luf::LufResult r) { result = std::move(r); });
  io.run();

  const bool ok = result.status == speerd::luf::LufStatus::found;
  if (o.json) {
    nlohmann::json j;
    j["number"] = number->aus();
    j["status"] = speerd::luf::to_string(result.status);
    j["reason"] = result.reason;
    j["tree"] = result.tree;
    j["dnssec"] = {{"state", speerd::dns::to_string(result.outcome.state)},
                   {"reason", result.outcome.reason}};
    if (result.outcome.ede) j["dnssec"]["ede"] = *result.outcome.ede;
    j["uris"] = nlohmann::json::array();
    for (const auto& u : result.uris) {
      j["uris"].push_back({{"uri", u.uri}, {"order", u.order}, {"preference", u.preference},
                           {"services", u.services}});
    }
    j["ttl"] = result.ttl;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "number:  " << number->aus() << "\n";
    std::cout << "dnssec:  " << speerd::dns::to_string(result.outcome.state);
    if (!result.outcome.reason.empty()) std::cout << " (" << result.outcome.reason << ")";
    if (result.outcome.ede) std::cout << " [EDE " << *result.outcome.ede << "]";
    std::cout << "\n";
    if (!result.tree.empty()) std::cout << "tree:    " << result.tree << "\n";
    std::cout << "status:  " << speerd::luf::to_string(result.status) << ": " << result.reason << "\n";
    if (ok) {
      std::size_t i = 0;
      for (const auto& u : result.uris) {
        std::cout << (i++ == 0 ? "uri:     " : "fallback:") << " " << u.uri << "  (order "
                  << u.order << ", preference " << u.preference << ", " << u.services << ")\n";
      }
      std::cout << "ttl:     " << result.ttl << "\n";
    }
  }
  if (!ok) throw Exit(exit_code::kRejected, "");
}

}  // namespace

void register_lookup(CLI::App& app) {
  auto o = std::make_shared<LookupOpts>();
  auto* cmd = app.add_subcommand("lookup", "Resolve an E.164 number through the ENUM trees (local mode)");
  cmd->add_option("number", o->number, "E.164 number, e.g. +12155551234")->required();
  cmd->add_option("-c,--config", o->config, "speerd.toml")->required();
  cmd->add_option("-s,--service", o->service, "enumservice (default: the config's [lookup] service)");
  cmd->add_flag("--json", o->json, "print the result as JSON");
  cmd->callback([o] { run_lookup(*o); });
}

}  // namespace speerctl
