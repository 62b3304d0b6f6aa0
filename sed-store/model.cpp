#include "sed-store/model.hpp"

#include "sed-store/store.hpp"

namespace speerd::store {

std::string_view to_string(IdentifierKind k) {
  return enum_name(k);
}
std::string_view to_string(SedKind k) {
  return enum_name(k);
}
std::string_view to_string(AnchorKind k) {
  return enum_name(k);
}
std::string_view to_string(AnchorState s) {
  return enum_name(s);
}

std::optional<IdentifierKind> parse_identifier_kind(std::string_view s) {
  return parse_enum<IdentifierKind>(s);
}
std::optional<SedKind> parse_sed_kind(std::string_view s) {
  return parse_enum<SedKind>(s);
}
std::optional<AnchorKind> parse_anchor_kind(std::string_view s) {
  return parse_enum<AnchorKind>(s);
}
std::optional<AnchorState> parse_anchor_state(std::string_view s) {
  return parse_enum<AnchorState>(s);
}

}  // namespace speerd::store
