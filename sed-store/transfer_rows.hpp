// The row types of the bulk import/export format (sed-store/transfer.hpp):
// one table that the parser (transfer.cpp) and the writer
// (transfer_export.cpp) share. Internal to sed-store.
#pragma once

#include <string_view>
#include <vector>

namespace speerd::store::transfer::detail {

enum class RowKind {
  client,
  dest_group,
  number,
  range,
  prefix,
  rn,
  route_group,
  sed,
  offer,
  trust_anchor,
  tsig_key
};

struct RowType {
  RowKind kind;
  std::string_view name;
  std::vector<std::string_view> fields;
  std::vector<std::string_view> required;  // must not be empty
  std::vector<std::string_view> lists;     // list-valued fields
};

// Every row type, in export order of the CSV header.
const std::vector<RowType>& row_types();
// The row type called `name` ("client", "dest-group", ...), or null.
const RowType* find_type(std::string_view name);

}  // namespace speerd::store::transfer::detail
