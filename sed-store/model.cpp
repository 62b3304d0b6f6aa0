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

std::string_view to_string(ErrorCode c) {
  switch (c) {
    case ErrorCode::invalid:
      return "invalid";
    case ErrorCode::not_found:
      return "not-found";
    case ErrorCode::conflict:
      return "conflict";
    case ErrorCode::unavailable:
      return "unavailable";
    case ErrorCode::not_a_store:
      return "not-a-store";
    case ErrorCode::schema_too_new:
      return "schema-too-new";
    case ErrorCode::schema_too_old:
      return "schema-too-old";
    case ErrorCode::corrupt:
      return "corrupt";
    case ErrorCode::read_only:
      return "read-only";
    case ErrorCode::internal:
      return "internal";
  }
  return "?";
}

}  // namespace speerd::store
