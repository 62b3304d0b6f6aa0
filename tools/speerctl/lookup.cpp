// speerctl lookup: one ENUM lookup in local mode (no server), printed.
#include <boost/asio/io_context.hpp>
#include <cstdio>

#include "resolver/config/config.hpp"
#include "tools/speerctl/command.hpp"

namespace speerctl {

void register_lookup(CLI::App& app) {
  struct Opts {
    std::string number;
    std::string config;
    std::string service;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("lookup", "Resolve an E.164 number through the ENUM trees (local mode)");
  cmd->add_option("number", o->number, "E.164 number, e.g. +12155551234")->required();
  cmd->add_option("-c,--config", o->config, "speerd.toml")->required();
  cmd->add_option("-s,--service", o->service, "enumservice (default: the config's)");
  cmd->add_flag("--json", o->json, "print the result as JSON");
  cmd->callback([o] {
    auto cfg = speerd::config::load_resolver_config(o->config);
    if (!cfg) throw Exit(exit_code::kConfig, cfg.error());
    throw Exit(exit_code::kInternal, "lookup: not wired yet");
  });
}

}  // namespace speerctl
