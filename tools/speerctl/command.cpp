#include "tools/speerctl/command.hpp"

namespace speerctl {

const std::vector<Registrar>& command_groups() {
  static const std::vector<Registrar> kGroups{
      &register_lookup,
  };
  return kGroups;
}

}  // namespace speerctl
