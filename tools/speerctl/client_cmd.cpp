// speerctl client: SBE identities (certificate name and/or SPKI pin), their
// ENUM trees and rate limits.
#include <iostream>

#include "sed-store/limits.hpp"
#include "sed-store/validate.hpp"
#include "tools/speerctl/command.hpp"
#include "tools/speerctl/store_opt.hpp"

namespace speerctl {

namespace st = speerd::store;

namespace {

// An empty tree list is no access (the daemon and `speerctl lookup --client`
// refuse every lookup of such a client): say so, on stderr, where it happens.
void warn_if_no_tree(const std::string& name, const std::vector<std::string>& trees) {
  if (trees.empty()) {
    std::cerr << "speerctl: warning: client " << name
              << " has no ENUM tree: it has no access until one is added (--tree)\n";
  }
}

const std::vector<std::string> kColumns{"name",  "cert_name", "spki_pin", "rate",
                                        "burst", "enabled",   "trees",    "description"};

}  // namespace

void register_client(CLI::App& app) {
  auto* group = app.add_subcommand("client", "Clients (SBEs): identity, scope, rate limit");
  group->require_subcommand(1);

  {
    struct Opts : StoreOptions {
      st::AddClient c;
      std::uint32_t rate = st::kDefaultRatePerSecond;
      std::uint32_t burst = st::kDefaultBurst;
      bool disabled = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand("add", "Add a client");
    cmd->add_option("name", o->c.name, "the client's name")->required();
    cmd->add_option("--cert-name", o->c.cert_name, "certificate subject or SAN name it presents");
    cmd->add_option("--spki-pin", o->c.spki_pin, "base64 SHA-256 of its public key (SPKI)");
    add_list_option(cmd, "--tree", o->c.trees, "an ENUM tree it may query, e.g. e164.arpa");
    cmd->add_option("--rate", o->rate, "lookups per second")->capture_default_str();
    cmd->add_option("--burst", o->burst, "burst size")->capture_default_str();
    cmd->add_flag("--disabled", o->disabled, "add it disabled");
    cmd->add_option("--description", o->c.description, "free text");
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o] {
      o->c.rate_per_second = o->rate;
      o->c.burst = o->burst;
      o->c.enabled = !o->disabled;
      auto s = open_or_exit(*o);
      apply_or_exit(*s, {o->c}, *o);
      say("client " + o->c.name + " added");
      warn_if_no_tree(o->c.name, o->c.trees);
    });
  }
  {
    struct Opts : StoreOptions {
      std::string name;
      std::string cert_name, spki_pin, description;
      std::vector<std::string> trees;
      std::uint32_t rate = 0, burst = 0;
      bool clear_trees = false, clear_cert = false, clear_pin = false, enable = false,
           disable = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand("update", "Change a client (only the options given)");
    cmd->add_option("name", o->name, "the client's name")->required();
    auto* cert = cmd->add_option("--cert-name", o->cert_name, "new certificate name");
    auto* pin = cmd->add_option("--spki-pin", o->spki_pin, "new SPKI pin");
    cmd->add_flag("--clear-cert-name", o->clear_cert, "remove the certificate name")
        ->excludes(cert);
    cmd->add_flag("--clear-spki-pin", o->clear_pin, "remove the SPKI pin")->excludes(pin);
    auto* trees = add_list_option(cmd, "--tree", o->trees, "replace the ENUM trees");
    cmd->add_flag("--clear-trees", o->clear_trees,
                  "remove all ENUM trees (the client then has no access)")
        ->excludes(trees);
    auto* rate = cmd->add_option("--rate", o->rate, "lookups per second");
    auto* burst = cmd->add_option("--burst", o->burst, "burst size");
    auto* en = cmd->add_flag("--enable", o->enable, "enable the client");
    cmd->add_flag("--disable", o->disable, "disable the client")->excludes(en);
    auto* desc = cmd->add_option("--description", o->description, "free text");
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o, cert, pin, trees, rate, burst, desc] {
      st::UpdateClient u;
      u.name = o->name;
      if (cert->count() > 0) u.cert_name = o->cert_name;
      if (o->clear_cert) u.cert_name = "";
      if (pin->count() > 0) u.spki_pin = o->spki_pin;
      if (o->clear_pin) u.spki_pin = "";
      if (trees->count() > 0) u.trees = o->trees;
      if (o->clear_trees) u.trees = std::vector<std::string>{};
      if (rate->count() > 0) u.rate_per_second = o->rate;
      if (burst->count() > 0) u.burst = o->burst;
      if (o->enable) u.enabled = true;
      if (o->disable) u.enabled = false;
      if (desc->count() > 0) u.description = o->description;
      auto s = open_or_exit(*o);
      apply_or_exit(*s, {u}, *o);
      say("client " + o->name + " updated");
      if (u.trees) warn_if_no_tree(o->name, *u.trees);
    });
  }
  {
    struct Opts : StoreOptions {
      std::string name;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand("remove", "Remove a client (its offers first)");
    cmd->add_option("name", o->name, "the client's name")->required();
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o] {
      auto s = open_or_exit(*o);
      apply_or_exit(*s, {st::RemoveClient{o->name}}, *o);
      say("client " + o->name + " removed");
    });
  }
  {
    auto o = std::make_shared<StoreOptions>();
    auto* cmd = group->add_subcommand("list", "List clients");
    add_store_option(cmd, *o);
    add_json_option(cmd, *o);
    cmd->callback([o] {
      auto s = open_or_exit(*o);
      st::Json items = st::Json::array();
      for (const auto& c : value_or_exit(s->list_clients())) items.push_back(st::to_json(c));
      print_listing(*o, items, kColumns);
    });
  }
  {
    struct Opts : StoreOptions {
      std::string name;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand("show", "Show one client");
    cmd->add_option("name", o->name, "the client's name")->required();
    add_store_option(cmd, *o);
    add_json_option(cmd, *o);
    cmd->callback([o] {
      auto s = open_or_exit(*o);
      for (const auto& c : value_or_exit(s->list_clients())) {
        if (c.name != o->name) continue;
        st::Json items = st::Json::array();
        items.push_back(st::to_json(c));
        print_listing(*o, items, kColumns);
        return;
      }
      throw Exit(exit_code::kNotFound, "no client " + st::validate::quote(o->name));
    });
  }
}

}  // namespace speerctl
