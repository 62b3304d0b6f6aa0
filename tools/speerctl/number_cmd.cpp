// speerctl number: public identifiers (numbers, ranges, prefixes, routing
// numbers) of destination groups, and a longest-match lookup for checking.
#include "sed-store/limits.hpp"
#include "sed-store/validate.hpp"
#include "tools/speerctl/command.hpp"
#include "tools/speerctl/store_opt.hpp"

namespace speerctl {

namespace st = speerd::store;

namespace {

// "--kind" value, or inferred: START-END is a range, anything else a number.
st::IdentifierKind kind_of(const std::string& kind, const std::string& value) {
  if (kind.empty()) {
    return value.find('-') != std::string::npos ? st::IdentifierKind::range
                                                : st::IdentifierKind::number;
  }
  auto k = st::parse_identifier_kind(kind);
  if (!k) throw Exit(exit_code::kUsage, "--kind must be number, range, prefix or rn");
  return *k;
}

// A range is written START-END.
std::pair<std::string, std::string> split_range(const std::string& value) {
  const auto dash = value.find('-');
  if (dash == std::string::npos) {
    throw Exit(exit_code::kUsage,
               "a range is written START-END, e.g. 12155550000-12155559999 (got " +
                   st::validate::quote(value) + ")");
  }
  return {value.substr(0, dash), value.substr(dash + 1)};
}

}  // namespace

void register_number(CLI::App& app) {
  auto* group = app.add_subcommand(
      "number", "Public identifiers: numbers, ranges (START-END), prefixes, routing numbers");
  group->require_subcommand(1);
  {
    struct Opts : StoreOptions {
      std::string dest_group;
      std::vector<std::string> values;
      std::string kind;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd =
        group->add_subcommand("add", "Add identifiers to a destination group (one transaction)");
    cmd->add_option("dest-group", o->dest_group, "the destination group")->required();
    cmd->add_option("value", o->values, "E.164 digits without '+', or START-END for a range")
        ->required();
    cmd->add_option("--kind", o->kind,
                    "number | range | prefix | rn (default: number, or range for START-END)");
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o] {
      std::vector<st::Change> changes;
      for (const auto& v : o->values) {
        st::AddIdentifier a;
        a.destination_group = o->dest_group;
        a.kind = kind_of(o->kind, v);
        if (a.kind == st::IdentifierKind::range) {
          std::tie(a.value, a.end) = split_range(v);
        } else {
          a.value = v;
        }
        changes.push_back(a);
      }
      auto s = open_or_exit(*o);
      apply_or_exit(*s, changes, *o);
      say(std::to_string(changes.size()) + " identifier(s) added to " + o->dest_group);
    });
  }
  {
    struct Opts : StoreOptions {
      std::vector<std::string> values;
      std::string kind;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd =
        group->add_subcommand("remove", "Remove identifiers (a range by START or START-END)");
    cmd->add_option("value", o->values, "the identifiers")->required();
    cmd->add_option("--kind", o->kind, "number | range | prefix | rn");
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o] {
      std::vector<st::Change> changes;
      for (const auto& v : o->values) {
        st::RemoveIdentifier r;
        r.kind = kind_of(o->kind, v);
        r.value = r.kind == st::IdentifierKind::range && v.find('-') != std::string::npos
                      ? split_range(v).first
                      : v;
        changes.push_back(r);
      }
      auto s = open_or_exit(*o);
      apply_or_exit(*s, changes, *o);
      say(std::to_string(changes.size()) + " identifier(s) removed");
    });
  }
  {
    struct Opts : StoreOptions {
      std::string dest_group;
      std::size_t limit = 1000;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand("list", "List identifiers (ordered by kind, value)");
    cmd->add_option("--dest-group", o->dest_group, "only this destination group");
    cmd->add_option("--limit", o->limit, "at most this many")->capture_default_str();
    add_store_option(cmd, *o);
    add_json_option(cmd, *o);
    cmd->callback([o] {
      auto s = open_or_exit(*o);
      st::IdentifierPage page;
      if (!o->dest_group.empty()) page.destination_group = o->dest_group;
      st::Json items = st::Json::array();
      std::size_t left = o->limit;
      while (left > 0) {
        page.limit = std::min<std::size_t>(left, st::kPageSize);
        auto ids = value_or_exit(s->list_identifiers(page));
        for (const auto& p : ids) items.push_back(st::to_json(p));
        left -= ids.size();
        if (ids.size() < page.limit) break;
        page.after = ids.back();
      }
      print_listing(*o, items, {"dest_group", "kind", "value", "end"});
    });
  }
  {
    struct Opts : StoreOptions {
      std::string digits;
      std::string client;
      bool routing_number = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand(
        "find", "Longest match for a number as a client sees it (exit 4: nothing visible)");
    cmd->add_option("digits", o->digits, "E.164 digits without '+'")->required();
    cmd->add_option("--client", o->client, "the client's name")->required();
    cmd->add_flag("--rn", o->routing_number, "look up a routing number");
    add_store_option(cmd, *o);
    add_json_option(cmd, *o);
    cmd->callback([o] {
      if (auto d = st::validate::digits(o->digits); !d) {
        throw Exit(exit_code::kUsage, "digits " + d.error());
      }
      auto s = open_or_exit(*o);
      std::optional<st::Client> client;
      for (auto& c : value_or_exit(s->list_clients())) {
        if (c.name == o->client) client = std::move(c);
      }
      if (!client) throw Exit(exit_code::kNotFound, "no client " + st::validate::quote(o->client));
      auto found = o->routing_number ? s->find_routing_number(o->digits, {client->id})
                                     : s->find_destination(o->digits, {client->id});
      if (!found) throw Exit(exit_code::kConfig, "store: " + found.error());
      if (!*found) throw Exit(exit_code::kNotFound, "nothing visible to " + o->client);
      const auto& d = **found;
      if (o->json) {
        std::printf("%s\n", st::to_json(d).dump(2).c_str());
        return;
      }
      say("destination group " + d.destination_group + " (" +
          std::string(st::to_string(d.matched.kind)) + " " + d.matched.value +
          (d.matched.end.empty() ? "" : "-" + d.matched.end) + ")");
      st::Json items = st::Json::array();
      for (const auto& r : d.routes) items.push_back(st::to_json(r));
      print_listing(*o, items,
                    {"id", "route_group", "priority", "uri", "host", "port", "transport"});
    });
  }
}

}  // namespace speerctl
