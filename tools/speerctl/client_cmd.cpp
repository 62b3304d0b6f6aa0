// speerctl client: SBE identities (certificate name and/or SPKI pin), their
// ENUM trees, the source prefixes of their DNS queries, rate limits and
// default answer options / dial plan.
#include <iostream>

#include <toml.hpp>

#include "resolver/service/settings.hpp"
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

const std::vector<std::string> kColumns{"name",      "cert_name",     "spki_pin",    "rate",
                                        "burst",     "enabled",       "trees",       "sources",
                                        "tsig_keys", "tsig_required", "description", "options"};

// What a client without a rate of its own gets: [limits] of --config FILE
// (the node's speerd.toml), or the built-in default when the file does not
// set it. Without --config the listing says only "from config".
struct ConfigLimits {
  std::string file;
};

std::string inherited_rate(const ConfigLimits& c) {
  if (c.file.empty()) return "from config";
  // [limits] as speerd reads it: the settings table's rows (defaults, bounds,
  // the error naming file, line and key), not keys read here by hand.
  toml::value root;
  try {
    root = toml::parse(c.file);
  } catch (const std::exception& e) {
    throw Exit(exit_code::kConfig, "--config " + c.file + ": " + e.what());
  }
  const auto parsed = speerd::service::parse_server_config(root);
  if (!parsed) throw Exit(exit_code::kConfig, "--config " + c.file + ": " + parsed.error());
  const speerd::service::LimitsSection& limits = parsed->limits;
  return "from config (" + std::to_string(limits.rate_per_second) + "/s, burst " +
         std::to_string(limits.rate_burst) + ")";
}

// A client's listing row: a client without a rate of its own says where its
// rate comes from (JSON: rate and burst null, rate_source "config").
st::Json client_item(const st::Client& c, const StoreOptions& o, const std::string& inherited) {
  st::Json j = st::to_json(c);
  j["rate_source"] = c.rate.from_config() ? "config" : "client";
  if (c.rate.from_config() && !o.json) {
    j["rate"] = inherited;
    j["burst"] = "";
  }
  return j;
}

void add_options_options(CLI::App* cmd, std::string& options) {
  cmd->add_option("--options", options,
                  "default answer options and dial plan, e.g. "
                  "'view=compact&transport=udp,tcp&max_targets=4&country_code=1&trunk_prefix=1&"
                  "intl_prefix=011' (a request's own options win; see the README)");
}

}  // namespace

void register_client_tsig(CLI::App* client);  // client_tsig_cmd.cpp

void register_client(CLI::App& app) {
  auto* group = app.add_subcommand("client", "Clients (SBEs): identity, scope, rate limit");
  group->require_subcommand(1);
  register_client_tsig(group);

  {
    struct Opts : StoreOptions {
      st::AddClient c;
      std::uint32_t rate = 0, burst = 0;
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
    auto* rate = cmd->add_option(
        "--rate", o->rate, "lookups per second (default: none, [limits] rate_per_second applies)");
    auto* burst =
        cmd->add_option("--burst", o->burst, "burst size (default with --rate: twice the rate)");
    cmd->add_flag("--disabled", o->disabled, "add it disabled");
    cmd->add_flag("--tsig-required", o->c.tsig_required,
                  "refuse its unsigned DNS queries (keys: speerctl client tsig add)");
    cmd->add_option("--description", o->c.description, "free text");
    add_options_options(cmd, o->c.options);
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o, rate, burst] {
      if (rate->count() > 0) o->c.rate_per_second = o->rate;
      if (burst->count() > 0) o->c.burst = o->burst;
      o->c.enabled = !o->disabled;
      auto s = open_or_exit(*o);
      apply_or_exit(*s, {o->c}, *o);
      say("client " + o->c.name + " added");
      warn_if_no_tree(o->c.name, o->c.trees);
      if (o->c.tsig_required) {
        std::cerr << "speerctl: warning: client " << o->c.name
                  << " requires TSIG and has no key yet: its UDP/TCP DNS queries are refused "
                     "until one is added (speerctl client tsig add)\n";
      }
    });
  }
  {
    struct Opts : StoreOptions {
      std::string name;
      std::string cert_name, spki_pin, description;
      std::vector<std::string> trees, sources;
      std::uint32_t rate = 0, burst = 0;
      std::string options;
      bool clear_sources = false;
      bool tsig_required = false, tsig_optional = false;
      bool clear_trees = false, clear_cert = false, clear_pin = false, enable = false,
           disable = false, rate_from_config = false;
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
    auto* sources = add_list_option(cmd, "--source", o->sources,
                                    "replace the source prefixes of its DNS queries (CIDR)");
    cmd->add_flag("--clear-sources", o->clear_sources, "remove all source prefixes")
        ->excludes(sources);
    auto* req = cmd->add_flag("--tsig-required", o->tsig_required,
                              "refuse its unsigned DNS queries from its source prefixes");
    cmd->add_flag("--tsig-optional", o->tsig_optional, "answer its unsigned DNS queries again")
        ->excludes(req);
    auto* rate = cmd->add_option("--rate", o->rate, "lookups per second");
    auto* burst = cmd->add_option("--burst", o->burst, "burst size");
    cmd->add_flag("--rate-from-config", o->rate_from_config,
                  "drop the client's own rate: [limits] applies (and its reloads)")
        ->excludes(rate)
        ->excludes(burst);
    auto* opts = cmd->add_option("--options", o->options,
                                 "replace the default answer options and dial plan ('' clears)");
    auto* en = cmd->add_flag("--enable", o->enable, "enable the client");
    cmd->add_flag("--disable", o->disable, "disable the client")->excludes(en);
    auto* desc = cmd->add_option("--description", o->description, "free text");
    add_store_option(cmd, *o);
    add_actor_option(cmd, *o);
    cmd->callback([o, cert, pin, trees, sources, rate, burst, desc, opts] {
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
      if (o->tsig_required) u.tsig_required = true;
      if (o->tsig_optional) u.tsig_required = false;
      if (rate->count() > 0) u.rate_per_second = o->rate;
      if (burst->count() > 0) u.burst = o->burst;
      u.rate_from_config = o->rate_from_config;
      if (opts->count() > 0) u.options = o->options;
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
    struct Opts : StoreOptions, ConfigLimits {};
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand("list", "List clients");
    add_store_option(cmd, *o);
    add_json_option(cmd, *o);
    cmd->add_option("-c,--config", o->file, "speerd.toml: show the [limits] rate clients inherit");
    cmd->callback([o] {
      auto s = open_or_exit(*o);
      const std::string inherited = inherited_rate(*o);
      st::Json items = st::Json::array();
      for (const auto& c : value_or_exit(s->list_clients())) {
        items.push_back(client_item(c, *o, inherited));
      }
      print_listing(*o, items, kColumns);
    });
  }
  {
    struct Opts : StoreOptions, ConfigLimits {
      std::string name;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = group->add_subcommand("show", "Show one client");
    cmd->add_option("name", o->name, "the client's name")->required();
    add_store_option(cmd, *o);
    add_json_option(cmd, *o);
    cmd->add_option("-c,--config", o->file, "speerd.toml: show the [limits] rate it inherits");
    cmd->callback([o] {
      auto s = open_or_exit(*o);
      for (const auto& c : value_or_exit(s->list_clients())) {
        if (c.name != o->name) continue;
        st::Json items = st::Json::array();
        items.push_back(client_item(c, *o, inherited_rate(*o)));
        print_listing(*o, items, kColumns);
        return;
      }
      throw Exit(exit_code::kNotFound, "no client " + st::validate::quote(o->name));
    });
  }
}

}  // namespace speerctl
