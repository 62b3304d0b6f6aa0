// speerctl cache flush NUMBER|ZONE: drops cached answers (failure cache
// included) on every node. The flush is a write to the SED store (an audit
// row, object type "cache"), whose change counter every node polls
// ([store] refresh_interval_ms): so it reaches every node of a cluster,
// including nodes that are down now, without speerctl knowing the nodes.
#include "tools/speerctl/command.hpp"
#include "tools/speerctl/store_opt.hpp"

namespace speerctl {

namespace st = speerd::store;

void register_cache(CLI::App& app) {
  auto* group = app.add_subcommand("cache", "Cached answers on every node");
  group->require_subcommand(1);
  struct Opts : StoreOptions {
    std::string target;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = group->add_subcommand(
      "flush", "Drop cached answers (failures too) for a number or zone on every node");
  cmd->add_option("target", o->target, "+E.164 number or DNS zone (e.g. 1.e164.example)")
      ->required();
  add_store_option(cmd, *o);
  add_actor_option(cmd, *o);
  cmd->callback([o] {
    auto s = open_or_exit(*o);
    const auto report = apply_or_exit(*s, {st::FlushCache{o->target}}, *o);
    say("cache flush of " + o->target + " recorded (change " +
        std::to_string(report.change_counter) + "); nodes apply it at their next store poll");
  });
}

}  // namespace speerctl
