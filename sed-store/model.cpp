#include "sed-store/model.hpp"

#include "sed-store/store.hpp"

namespace speerd::store {

std::string_view to_string(IdentifierKind k) {
  switch (k) {
    case IdentifierKind::number:
      return "number";
    case IdentifierKind::range:
      return "range";
    case IdentifierKind::prefix:
      return "prefix";
    case IdentifierKind::routing_number:
      return "rn";
  }
  return "?";
}

std::string_view to_string(SedKind k) {
  return k == SedKind::uri ? "uri" : "next-hop";
}
std::string_view to_string(AnchorKind k) {
  return k == AnchorKind::ds ? "DS" : "DNSKEY";
}
std::string_view to_string(AnchorState s) {
  return s == AnchorState::active ? "active" : "inactive";
}

std::optional<IdentifierKind> parse_identifier_kind(std::string_view s) {
  if (s == "number") return IdentifierKind::number;
  if (s == "range") return IdentifierKind::range;
  if (s == "prefix") return IdentifierKind::prefix;
  if (s == "rn") return IdentifierKind::routing_number;
  return std::nullopt;
}

std::optional<SedKind> parse_sed_kind(std::string_view s) {
  if (s == "uri") return SedKind::uri;
  if (s == "next-hop") return SedKind::next_hop;
  return std::nullopt;
}

std::optional<AnchorKind> parse_anchor_kind(std::string_view s) {
  if (s == "DS") return AnchorKind::ds;
  if (s == "DNSKEY") return AnchorKind::dnskey;
  return std::nullopt;
}

std::optional<AnchorState> parse_anchor_state(std::string_view s) {
  if (s == "active") return AnchorState::active;
  if (s == "inactive") return AnchorState::inactive;
  return std::nullopt;
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
