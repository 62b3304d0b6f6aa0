// speerctl dest-group: destination groups (the public identifiers hang off them).
#include "tools/speerctl/command.hpp"
#include "tools/speerctl/store_opt.hpp"

namespace speerctl {

namespace st = speerd::store;

void register_dest_group(CLI::App& app) {
  auto* group = app.add_subcommand("dest-group", "Destination groups");
  group->require_subcommand(1);
  {
    struct Opts : StoreOptions {
      st::AddDestinationGroup g;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand("add", "Add a destination group");
    cmd->add_option("name", o->g.name, "its name")->required();
    cmd->add_option("--description", o->g.description, "free text");
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o] {
      auto s = open_or_exit(*o);
      apply_or_exit(*s, {o->g}, *o);
      say("destination group " + o->g.name + " added");
    });
  }
  {
    struct Opts : StoreOptions {
      std::string name;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand(
        "remove", "Remove a destination group (no identifiers, no route group serving it)");
    cmd->add_option("name", o->name, "its name")->required();
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o] {
      auto s = open_or_exit(*o);
      apply_or_exit(*s, {st::RemoveDestinationGroup{o->name}}, *o);
      say("destination group " + o->name + " removed");
    });
  }
  {
    auto o = std::make_shared<StoreOptions>();
    auto* cmd = group->add_subcommand("list", "List destination groups");
    add_store_option(cmd, *o);
    add_json_option(cmd, *o);
    cmd->callback([o] {
      auto s = open_or_exit(*o);
      st::Json items = st::Json::array();
      for (const auto& g : value_or_exit(s->list_destination_groups())) {
        items.push_back(st::to_json(g));
      }
      print_listing(*o, items, {"id", "name", "description"});
    });
  }
}

}  // namespace speerctl
