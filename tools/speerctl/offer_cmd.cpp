// speerctl offer: peering offers (which client may see which route group).
#include "tools/speerctl/command.hpp"
#include "tools/speerctl/store_opt.hpp"

namespace speerctl {

namespace st = speerd::store;

void register_offer(CLI::App& app) {
  auto* group = app.add_subcommand("offer", "Peering offers: which client sees which route group");
  group->require_subcommand(1);
  for (const bool add : {true, false}) {
    struct Opts : StoreOptions {
      std::string rg, client;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd =
        group->add_subcommand(add ? "add" : "remove", add ? "Offer a route group to a client"
                                                          : "Withdraw a route group from a client");
    cmd->add_option("route-group", o->rg, "the route group")->required();
    cmd->add_option("client", o->client, "the client")->required();
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o, add] {
      auto s = open_or_exit(*o);
      if (add) {
        apply_or_exit(*s, {st::AddOffer{o->rg, o->client}}, *o);
      } else {
        apply_or_exit(*s, {st::RemoveOffer{o->rg, o->client}}, *o);
      }
      say("route group " + o->rg + (add ? " offered to " : " withdrawn from ") + o->client);
    });
  }
  {
    struct Opts : StoreOptions {
      std::string rg, client;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand("list", "List peering offers");
    cmd->add_option("--route-group", o->rg, "only this route group");
    cmd->add_option("--client", o->client, "only this client");
    add_store_option(cmd, *o);
    add_json_option(cmd, *o);
    cmd->callback([o] {
      auto s = open_or_exit(*o);
      st::Json items = st::Json::array();
      for (const auto& x : value_or_exit(s->list_offers())) {
        if (!o->rg.empty() && x.route_group != o->rg) continue;
        if (!o->client.empty() && x.client != o->client) continue;
        items.push_back(st::to_json(x));
      }
      print_listing(*o, items, {"id", "route_group", "client"});
    });
  }
}

}  // namespace speerctl
