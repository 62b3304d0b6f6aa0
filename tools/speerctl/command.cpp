#include "tools/speerctl/command.hpp"

namespace speerctl {

const std::vector<Registrar>& command_groups() {
  static const std::vector<Registrar> kGroups{
      &register_lookup,       &register_store,         &register_client, &register_dest_group,
      &register_number,       &register_route_group,   &register_sed,    &register_offer,
      &register_trust_anchor, &register_import_export, &register_audit,  &register_cache,
  };
  return kGroups;
}

}  // namespace speerctl
