#include "sed-store/json.hpp"

namespace speerd::store {

Json to_json(const Client& c, bool with_id) {
  Json j;
  if (with_id) j["id"] = c.id;
  j["name"] = c.name;
  j["cert_name"] = c.cert_name;
  j["spki_pin"] = c.spki_pin;
  // null: no rate of its own, [limits] applies.
  j["rate"] = c.rate.from_config() ? Json(nullptr) : Json(c.rate.per_second);
  j["burst"] = c.rate.from_config() ? Json(nullptr) : Json(c.rate.burst);
  j["enabled"] = c.enabled;
  j["trees"] = c.trees;
  j["sources"] = c.sources;
  // Key names only: a secret is never listed, printed or audited.
  Json keys = Json::array();
  for (const auto& k : c.tsig_keys) keys.push_back(k.name);
  j["tsig_keys"] = keys;
  j["tsig_required"] = c.tsig_required;
  j["description"] = c.description;
  j["options"] = c.options;
  return j;
}

Json to_json(const DestinationGroup& g, bool with_id) {
  Json j;
  if (with_id) j["id"] = g.id;
  j["name"] = g.name;
  j["description"] = g.description;
  return j;
}

Json to_json(const PublicIdentifier& p) {
  Json j;
  j["dest_group"] = p.destination_group;
  j["kind"] = std::string(to_string(p.kind));
  j["value"] = p.value;
  if (p.kind == IdentifierKind::range) j["end"] = p.end;
  return j;
}

Json to_json(const RouteGroup& g, bool with_id) {
  Json j;
  if (with_id) j["id"] = g.id;
  j["name"] = g.name;
  j["priority"] = g.priority;
  j["enabled"] = g.enabled;
  j["dest_groups"] = g.destination_groups;
  j["description"] = g.description;
  return j;
}

Json to_json(const SedRecord& s) {
  Json j;
  j["id"] = s.id;
  j["route_group"] = s.route_group;
  j["kind"] = std::string(to_string(s.kind));
  j["priority"] = s.priority;
  j["uri"] = s.uri;
  j["host"] = s.host;
  j["port"] = s.port;
  j["transport"] = s.transport;
  return j;
}

Json to_json(const PeeringOffer& o, bool with_id) {
  Json j;
  if (with_id) j["id"] = o.id;
  j["route_group"] = o.route_group;
  j["client"] = o.client;
  return j;
}

Json to_json(const TrustAnchor& t) {
  Json j;
  j["id"] = t.id;
  j["zone"] = t.zone;
  j["kind"] = std::string(to_string(t.kind));
  j["key_tag"] = t.key_tag;
  j["state"] = std::string(to_string(t.state));
  j["rr"] = t.rr;
  j["added_by"] = t.added_by;
  j["added_at"] = t.added_at;
  return j;
}

namespace {
// Audit before/after are stored as JSON text; show them as JSON again.
Json embedded(const std::string& text) {
  if (text.empty()) return nullptr;
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) return text;
  return j;
}
}  // namespace

Json to_json(const AuditEntry& a) {
  Json j;
  j["id"] = a.id;
  j["at"] = a.at;
  j["actor"] = a.actor;
  j["action"] = a.action;
  j["object_type"] = a.object_type;
  j["object_key"] = a.object_key;
  j["before"] = embedded(a.before);
  j["after"] = embedded(a.after);
  j["change_counter"] = a.change_counter;
  return j;
}

Json to_json(const Destination& d) {
  Json j;
  j["destination_group_id"] = d.destination_group_id;
  j["destination_group"] = d.destination_group;
  j["matched"] = to_json(d.matched);
  Json routes = Json::array();
  for (const auto& r : d.routes) {
    Json s = to_json(r);
    s["route_group_priority"] = r.route_group_priority;
    routes.push_back(std::move(s));
  }
  j["routes"] = std::move(routes);
  return j;
}

Json to_json(const StoreInfo& i) {
  Json j;
  j["backend"] = i.backend;
  j["schema_version"] = i.schema_version;
  j["change_counter"] = i.change_counter;
  j["clients"] = i.clients;
  j["destination_groups"] = i.destination_groups;
  j["public_identifiers"] = i.public_identifiers;
  j["route_groups"] = i.route_groups;
  j["sed_records"] = i.sed_records;
  j["peering_offers"] = i.peering_offers;
  j["trust_anchors"] = i.trust_anchors;
  j["audit_entries"] = i.audit_entries;
  return j;
}

}  // namespace speerd::store
