#include "tools/speerctl/command.hpp"

#include <cstdio>
#include <exception>

#include "tools/speerctl/durable_write.hpp"

namespace speerctl {

const std::vector<Registrar>& command_groups() {
  static const std::vector<Registrar> kGroups{
      &register_lookup,       &register_store,         &register_client, &register_dest_group,
      &register_number,       &register_route_group,   &register_sed,    &register_offer,
      &register_trust_anchor, &register_import_export, &register_audit,  &register_cache,
  };
  return kGroups;
}

int run(int argc, const char* const* argv) {
  CLI::App app{"speerctl: administer and query speerd (DNSSEC-validated ENUM/SIP lookups)"};
  app.require_subcommand(1);
  for (auto reg : command_groups()) reg(app);
  set_invocation(argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : exit_code::kUsage;
  } catch (const Exit& e) {
    if (!e.message.empty()) std::fprintf(stderr, "speerctl: %s\n", e.message.c_str());
    return e.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "speerctl: internal error: %s\n", e.what());
    return exit_code::kInternal;
  }
  return exit_code::kOk;
}

}  // namespace speerctl
