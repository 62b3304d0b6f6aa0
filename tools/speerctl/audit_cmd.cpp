// speerctl audit: the audit trail (every change: who, when, what, before/after).
#include "tools/speerctl/command.hpp"
#include "tools/speerctl/store_opt.hpp"

namespace speerctl {

namespace st = speerd::store;

void register_audit(CLI::App& app) {
  auto* group = app.add_subcommand("audit", "The audit trail of the store");
  group->require_subcommand(1);
  struct Opts : StoreOptions {
    std::string actor_filter, type, since;
    std::size_t limit = 100;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = group->add_subcommand("list", "Changes, newest first");
  cmd->add_option("--by", o->actor_filter, "only changes by this actor");
  cmd->add_option("--type", o->type,
                  "only this object type (client, destination_group, public_identifier, "
                  "route_group, route_group_destination, sed_record, peering_offer, trust_anchor)");
  cmd->add_option("--since", o->since, "only changes at or after this UTC time (ISO 8601)");
  cmd->add_option("--limit", o->limit, "at most this many")->capture_default_str();
  add_store_option(cmd, *o);
  add_json_option(cmd, *o);
  cmd->callback([o] {
    st::AuditQuery q;
    if (!o->actor_filter.empty()) q.actor = o->actor_filter;
    if (!o->type.empty()) q.object_type = o->type;
    if (!o->since.empty()) q.since = o->since;
    q.limit = o->limit;
    auto s = open_or_exit(*o);
    st::Json items = st::Json::array();
    for (const auto& a : value_or_exit(s->list_audit(q))) items.push_back(st::to_json(a));
    print_listing(*o, items,
                  {"id", "at", "actor", "action", "object_type", "object_key", "change_counter"});
  });
}

}  // namespace speerctl
