// speerctl client: SBE identities (certificate name and/or SPKI pin), their
// ENUM trees, the source prefixes of their DNS queries, and rate limits.
#include "sed-store/limits.hpp"
#include "sed-store/validate.hpp"
#include "tools/speerctl/command.hpp"
#include "tools/speerctl/store_opt.hpp"

namespace speerctl {

namespace st = speerd::store;

namespace {

const std::vector<std::string> kColumns{"name",    "cert_name", "spki_pin", "rate",       "burst",
                                        "enabled", "trees",     "sources",  "description"};

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
    add_list_option(cmd, "--source", o->c.sources,
                    "a source prefix of its DNS queries (CIDR), e.g. 192.0.2.0/24");
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
    });
  }
  {
    struct Opts : StoreOptions {
      std::string name;
      std::string cert_name, spki_pin, description;
      std::vector<std::string> trees, sources;
      std::uint32_t rate = 0, burst = 0;
      bool clear_sources = false;
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
    cmd->add_flag("--clear-trees", o->clear_trees, "remove all ENUM trees")->excludes(trees);
    auto* sources = add_list_option(cmd, "--source", o->sources,
                                    "replace the source prefixes of its DNS queries (CIDR)");
    cmd->add_flag("--clear-sources", o->clear_sources, "remove all source prefixes")
        ->excludes(sources);
    auto* rate = cmd->add_option("--rate", o->rate, "lookups per second");
    auto* burst = cmd->add_option("--burst", o->burst, "burst size");
    auto* en = cmd->add_flag("--enable", o->enable, "enable the client");
    cmd->add_flag("--disable", o->disable, "disable the client")->excludes(en);
    auto* desc = cmd->add_option("--description", o->description, "free text");
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o, cert, pin, trees, sources, rate, burst, desc] {
      st::UpdateClient u;
      u.name = o->name;
      if (cert->count() > 0) u.cert_name = o->cert_name;
      if (o->clear_cert) u.cert_name = "";
      if (pin->count() > 0) u.spki_pin = o->spki_pin;
      if (o->clear_pin) u.spki_pin = "";
      if (trees->count() > 0) u.trees = o->trees;
      if (o->clear_trees) u.trees = std::vector<std::string>{};
      if (sources->count() > 0) u.sources = o->sources;
      if (o->clear_sources) u.sources = std::vector<std::string>{};
      if (rate->count() > 0) u.rate_per_second = o->rate;
      if (burst->count() > 0) u.burst = o->burst;
      if (o->enable) u.enabled = true;
      if (o->disable) u.enabled = false;
      if (desc->count() > 0) u.description = o->description;
      auto s = open_or_exit(*o);
      apply_or_exit(*s, {u}, *o);
      say("client " + o->name + " updated");
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
