// speerctl route-group: route groups, the destination groups they serve.
#include "sed-store/limits.hpp"
#include "tools/speerctl/command.hpp"
#include "tools/speerctl/store_opt.hpp"

namespace speerctl {

namespace st = speerd::store;

void register_route_group(CLI::App& app) {
  auto* group = app.add_subcommand("route-group", "Route groups (SED records hang off them)");
  group->require_subcommand(1);
  {
    struct Opts : StoreOptions {
      st::AddRouteGroup g;
      bool disabled = false;
    };
    auto o = std::make_shared<Opts>();
    o->g.priority = st::kDefaultPriority;
    auto* cmd = group->add_subcommand("add", "Add a route group");
    cmd->add_option("name", o->g.name, "its name")->required();
    cmd->add_option("--priority", o->g.priority, "0-65535, lower is preferred")
        ->capture_default_str();
    add_list_option(cmd, "--dest-group", o->g.destination_groups, "a destination group it serves");
    cmd->add_flag("--disabled", o->disabled, "add it disabled (out of service)");
    cmd->add_option("--description", o->g.description, "free text");
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o] {
      o->g.enabled = !o->disabled;
      auto s = open_or_exit(*o);
      apply_or_exit(*s, {o->g}, *o);
      say("route group " + o->g.name + " added");
    });
  }
  {
    struct Opts : StoreOptions {
      std::string name;
      int priority = 0;
      std::string description;
      bool enable = false, disable = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand("update", "Change a route group (only the options given)");
    cmd->add_option("name", o->name, "its name")->required();
    auto* prio = cmd->add_option("--priority", o->priority, "0-65535");
    auto* en = cmd->add_flag("--enable", o->enable, "put in service");
    cmd->add_flag("--disable", o->disable, "take out of service")->excludes(en);
    auto* desc = cmd->add_option("--description", o->description, "free text");
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o, prio, desc] {
      st::UpdateRouteGroup u;
      u.name = o->name;
      if (prio->count() > 0) u.priority = o->priority;
      if (o->enable) u.enabled = true;
      if (o->disable) u.enabled = false;
      if (desc->count() > 0) u.description = o->description;
      auto s = open_or_exit(*o);
      apply_or_exit(*s, {u}, *o);
      say("route group " + o->name + " updated");
    });
  }
  for (const bool attach : {true, false}) {
    struct Opts : StoreOptions {
      std::string rg, dg;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand(attach ? "attach" : "detach",
                                      attach ? "The route group starts serving a destination group"
                                             : "The route group stops serving a destination group");
    cmd->add_option("route-group", o->rg, "the route group")->required();
    cmd->add_option("dest-group", o->dg, "the destination group")->required();
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o, attach] {
      auto s = open_or_exit(*o);
      if (attach) {
        apply_or_exit(*s, {st::AttachDestination{o->rg, o->dg}}, *o);
      } else {
        apply_or_exit(*s, {st::DetachDestination{o->rg, o->dg}}, *o);
      }
      say("route group " + o->rg + (attach ? " serves " : " no longer serves ") + o->dg);
    });
  }
  {
    struct Opts : StoreOptions {
      std::string name;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand("remove", "Remove a route group (its SED and offers first)");
    cmd->add_option("name", o->name, "its name")->required();
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o] {
      auto s = open_or_exit(*o);
      apply_or_exit(*s, {st::RemoveRouteGroup{o->name}}, *o);
      say("route group " + o->name + " removed");
    });
  }
  {
    auto o = std::make_shared<StoreOptions>();
    auto* cmd = group->add_subcommand("list", "List route groups");
    add_store_option(cmd, *o);
    add_json_option(cmd, *o);
    cmd->callback([o] {
      auto s = open_or_exit(*o);
      st::Json items = st::Json::array();
      for (const auto& g : value_or_exit(s->list_route_groups())) items.push_back(st::to_json(g));
      print_listing(*o, items, {"id", "name", "priority", "enabled", "dest_groups", "description"});
    });
  }
}

}  // namespace speerctl
