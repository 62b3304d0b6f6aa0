// JSON forms of the store's objects, as speerctl --json lists them and as the
// audit trail records them (before/after). Key order is fixed (ordered_json),
// so the same object always serializes to the same text.
#pragma once

#include <nlohmann/json.hpp>

#include "sed-store/model.hpp"

namespace speerd::store {

using Json = nlohmann::ordered_json;

// with_id: include the row id (listings); the audit trail leaves it out for
// objects that have a natural key (names, kind:value).
Json to_json(const Client& c, bool with_id = true);
Json to_json(const DestinationGroup& g, bool with_id = true);
Json to_json(const PublicIdentifier& p);
Json to_json(const RouteGroup& g, bool with_id = true);
Json to_json(const SedRecord& s);
Json to_json(const PeeringOffer& o, bool with_id = true);
Json to_json(const TrustAnchor& t);
Json to_json(const AuditEntry& a);
Json to_json(const Destination& d);
Json to_json(const StoreInfo& i);

}  // namespace speerd::store
