// speerctl store: create, migrate and describe a SED store.
#include "tools/speerctl/command.hpp"
#include "tools/speerctl/store_opt.hpp"

namespace speerctl {

namespace st = speerd::store;

void register_store(CLI::App& app) {
  auto* group = app.add_subcommand("store", "Create, migrate and inspect the SED store");
  group->require_subcommand(1);

  auto init = std::make_shared<StoreOptions>();
  auto* c_init = group->add_subcommand(
      "init",
      "Create the store (a new SQLite file, or the schema in an empty PostgreSQL database)");
  add_store_option(c_init, *init);
  c_init->callback([init] {
    st::OpenOptions o;
    o.create = true;
    auto s = open_or_exit(*init, o);
    const auto info = value_or_exit(s->info());
    say("store ready: " + info.backend + ", schema version " + std::to_string(info.schema_version));
  });

  auto mig = std::make_shared<StoreOptions>();
  auto* c_mig =
      group->add_subcommand("migrate", "Upgrade the schema to this build's newest version");
  add_store_option(c_mig, *mig);
  c_mig->callback([mig] {
    st::OpenOptions o;
    o.allow_old_schema = true;
    auto s = open_or_exit(*mig, o);
    const int v = value_or_exit(s->migrate());
    say("schema version " + std::to_string(v));
  });

  auto info = std::make_shared<StoreOptions>();
  auto* c_info = group->add_subcommand("info", "Schema version, change counter and row counts");
  add_store_option(c_info, *info);
  add_json_option(c_info, *info);
  c_info->callback([info] {
    auto s = open_or_exit(*info);
    const st::Json j = st::to_json(value_or_exit(s->info()));
    if (info->json) {
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    for (const auto& [k, v] : j.items()) {
      say(k + ": " + (v.is_string() ? v.get<std::string>() : v.dump()));
    }
  });
}

}  // namespace speerctl
