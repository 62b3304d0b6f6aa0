// speerctl sed: SED records of route groups (a URI, or a next hop).
#include <charconv>

#include "sed-store/limits.hpp"
#include "sed-store/validate.hpp"
#include "tools/speerctl/command.hpp"
#include "tools/speerctl/store_opt.hpp"

namespace speerctl {

namespace st = speerd::store;

void register_sed(CLI::App& app) {
  auto* group = app.add_subcommand("sed", "SED records: a SIP URI or a next hop, with priority");
  group->require_subcommand(1);
  {
    struct Opts : StoreOptions {
      st::AddSed s;
    };
    auto o = std::make_shared<Opts>();
    o->s.priority = st::kDefaultPriority;
    auto* cmd = group->add_subcommand("add", "Add a SED record; prints its id");
    cmd->add_option("route-group", o->s.route_group, "the route group")->required();
    auto* uri = cmd->add_option("--uri", o->s.uri, "a sip: or sips: URI");
    auto* host = cmd->add_option("--host", o->s.host, "next hop: host name or IP address");
    cmd->add_option("--port", o->s.port, "next hop port (default: per RFC 3263)")->needs(host);
    cmd->add_option("--transport", o->s.transport, "next hop transport: udp tcp tls sctp ws wss")
        ->needs(host);
    uri->excludes(host);
    cmd->add_option("--priority", o->s.priority, "0-65535, lower is preferred")
        ->capture_default_str();
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o] {
      auto s = open_or_exit(*o);
      const auto report = apply_or_exit(*s, {o->s}, *o);
      say("SED record " + std::to_string(report.created_ids.at(0)) + " added to " +
          o->s.route_group);
    });
  }
  {
    struct Opts : StoreOptions {
      std::string id;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand("remove", "Remove a SED record by id");
    cmd->add_option("id", o->id, "the record's id (sed list)")->required();
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o] {
      st::Id id = 0;
      const auto [p, ec] = std::from_chars(o->id.data(), o->id.data() + o->id.size(), id);
      if (ec != std::errc{} || p != o->id.data() + o->id.size() || id <= 0) {
        throw Exit(exit_code::kUsage, "id " + st::validate::quote(o->id) + " is not a record id");
      }
      auto s = open_or_exit(*o);
      apply_or_exit(*s, {st::RemoveSed{id}}, *o);
      say("SED record " + o->id + " removed");
    });
  }
  {
    struct Opts : StoreOptions {
      std::string route_group;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand("list", "List SED records");
    cmd->add_option("--route-group", o->route_group, "only this route group");
    add_store_option(cmd, *o);
    add_json_option(cmd, *o);
    cmd->callback([o] {
      auto s = open_or_exit(*o);
      std::optional<std::string> rg;
      if (!o->route_group.empty()) rg = o->route_group;
      st::Json items = st::Json::array();
      for (const auto& r : value_or_exit(s->list_sed(rg))) items.push_back(st::to_json(r));
      print_listing(*o, items,
                    {"id", "route_group", "kind", "priority", "uri", "host", "port", "transport"});
    });
  }
}

}  // namespace speerctl
