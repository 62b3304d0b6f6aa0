// speerctl trust-anchor: DNSSEC trust anchors the resolver nodes load from
// the store. Records are DS or DNSKEY in presentation format, checked with
// ldns (owner = zone, algorithm, digest) before they are stored.
#include <charconv>
#include <fstream>

#include "sed-store/validate.hpp"
#include "tools/speerctl/command.hpp"
#include "tools/speerctl/store_opt.hpp"

namespace speerctl {

namespace st = speerd::store;

namespace {

st::Id parse_id(const std::string& text) {
  st::Id id = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || p != text.data() + text.size() || id <= 0) {
    throw Exit(exit_code::kUsage, "id " + st::validate::quote(text) + " is not an anchor id");
  }
  return id;
}

}  // namespace

void register_trust_anchor(CLI::App& app) {
  auto* group = app.add_subcommand("trust-anchor", "DNSSEC trust anchors (DS or DNSKEY)");
  group->require_subcommand(1);
  {
    struct Opts : StoreOptions {
      std::string zone, rr, file;
      bool inactive = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand(
        "add", "Add anchors: one record as an argument, or --file with one record per line");
    cmd->add_option("zone", o->zone, "the zone the anchor is for, e.g. e164.arpa.")->required();
    auto* rr = cmd->add_option("record", o->rr, "e.g. 'e164.arpa. IN DS 12345 13 2 ABCD...'");
    auto* file = cmd->add_option("--file", o->file, "read records from this file ('-': stdin)");
    rr->excludes(file);
    cmd->add_flag("--inactive", o->inactive, "store it, but do not use it yet (key rollover)");
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o, rr, file] {
      if (rr->count() == 0 && file->count() == 0) {
        throw Exit(exit_code::kUsage, "give a record, or --file");
      }
      std::vector<std::string> records;
      if (rr->count() > 0) {
        records.push_back(o->rr);
      } else {
        std::ifstream f;
        std::istream* in = &std::cin;
        if (o->file != "-") {
          f.open(o->file);
          if (!f) throw Exit(exit_code::kUsage, "cannot read " + st::validate::quote(o->file));
          in = &f;
        }
        for (std::string line; std::getline(*in, line);) {
          if (!line.empty() && line.back() == '\r') line.pop_back();
          const auto first = line.find_first_not_of(" \t");
          if (first == std::string::npos || line[first] == ';' || line[first] == '#') continue;
          records.push_back(line);
        }
        if (records.empty()) throw Exit(exit_code::kUsage, "no records in the file");
      }
      std::vector<st::Change> changes;
      for (const auto& r : records) {
        changes.push_back(st::AddTrustAnchor{
            o->zone, r, o->inactive ? st::AnchorState::inactive : st::AnchorState::active});
      }
      auto s = open_or_exit(*o);
      const auto report = apply_or_exit(*s, changes, *o);
      for (const auto id : report.created_ids) say("trust anchor " + std::to_string(id) + " added");
    });
  }
  {
    struct Opts : StoreOptions {
      bool all = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand("list", "List the active anchors (--all: every state)");
    cmd->add_flag("--all", o->all, "include inactive anchors");
    add_store_option(cmd, *o);
    add_json_option(cmd, *o);
    cmd->callback([o] {
      auto s = open_or_exit(*o);
      std::vector<st::TrustAnchor> anchors;
      if (o->all) {
        anchors = value_or_exit(s->list_trust_anchors());
      } else {
        auto active = s->trust_anchors();
        if (!active) throw Exit(exit_code::kConfig, "store: " + active.error());
        anchors = std::move(*active);
      }
      st::Json items = st::Json::array();
      for (const auto& t : anchors) items.push_back(st::to_json(t));
      print_listing(*o, items,
                    {"id", "zone", "kind", "key_tag", "state", "added_by", "added_at", "rr"});
    });
  }
  {
    struct Opts : StoreOptions {
      std::string id;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand("remove", "Remove an anchor by id");
    cmd->add_option("id", o->id, "the anchor's id (trust-anchor list)")->required();
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o] {
      const st::Id id = parse_id(o->id);
      auto s = open_or_exit(*o);
      apply_or_exit(*s, {st::RemoveTrustAnchor{id}}, *o);
      say("trust anchor " + o->id + " removed");
    });
  }
  {
    struct Opts : StoreOptions {
      std::string id, state;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand("set-state", "Activate or deactivate an anchor");
    cmd->add_option("id", o->id, "the anchor's id")->required();
    cmd->add_option("state", o->state, "active | inactive")->required();
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o] {
      const st::Id id = parse_id(o->id);
      auto state = st::parse_anchor_state(o->state);
      if (!state) throw Exit(exit_code::kUsage, "state must be active or inactive");
      auto s = open_or_exit(*o);
      apply_or_exit(*s, {st::SetTrustAnchorState{id, *state}}, *o);
      say("trust anchor " + o->id + " is " + o->state);
    });
  }
}

}  // namespace speerctl
