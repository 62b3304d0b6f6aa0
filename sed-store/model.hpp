// The SED store's data model (modelled on SPPF, RFC 7877, simplified): plain
// value types, shared by the Store interface, the backends, speerctl and the
// resolver. See sed-store/README.md for the schema behind them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "enum/names.hpp"

namespace speerd::store {

// Row ids are database-assigned and only meaningful within one store.
using Id = std::int64_t;

// Success without a value (speerd::Expected needs a value type).
struct Done {};

// A client as the lookup path refers to it: the id from find_client().
struct ClientRef {
  Id id = 0;
};

// ---------------------------------------------------------------------------
// client: an SBE identity and its scope.

// per_second 0 (stored as NULL): no rate of its own, the client follows the
// node's [limits] rate_per_second / rate_burst (and their reloads).
struct RateLimit {
  std::uint32_t per_second = 0;
  std::uint32_t burst = 0;
  bool from_config() const { return per_second == 0; }
};

// A TSIG key (RFC 8945) of a client, for the DNS front end: the key name
// (a DNS name, lower case, trailing dot) names the key and the client; it
// is unique across clients. hmac-sha256 only (migration 0006).
struct TsigKey {
  std::string name;
  std::string algorithm = "hmac-sha256";
  // Canonical base64 of at least kMinTsigSecretBytes. Never listed, printed
  // or audited (to_json writes key names only).
  std::string secret;
};

struct Client {
  Id id = 0;
  std::string name;                // the operator's handle for it (unique)
  std::string cert_name;           // certificate subject or SAN name; empty: none
  std::string spki_pin;            // base64 SHA-256 of the SubjectPublicKeyInfo; empty: none
  std::vector<std::string> trees;  // ENUM trees it may query (lowercase, trailing dot)
  // Source prefixes of its DNS queries (canonical CIDR, sed-store/prefix.hpp).
  std::vector<std::string> sources;
  std::vector<TsigKey> tsig_keys;  // by key name
  // An unsigned query from its source prefixes is refused (DNS front end).
  bool tsig_required = false;
  RateLimit rate;
  bool enabled = true;
  std::string description;
  // Default answer options and dial plan, canonical `key=value&...` text of
  // enum/client_options.hpp ("" = none; a request's own options win).
  std::string options;
};

// How the TLS server identifies a peer. A client that has both a cert_name and
// a spki_pin must present both: the server looks it up by one and checks the
// other against the returned Client.
struct ClientIdentity {
  enum class Kind { cert_name, spki_pin };
  Kind kind = Kind::cert_name;
  std::string value;
};

// ---------------------------------------------------------------------------
// destination_group and its public identifiers.

struct DestinationGroup {
  Id id = 0;
  std::string name;
  std::string description;
};

// number: one E.164 number (digits without '+'), matched exactly.
// range: [value, end], both the same number of digits, matches numbers of that
//        length in between; ranges never overlap.
// prefix: matches every number that starts with it; the longest prefix wins.
// routing_number: a routing number (number portability), matched exactly, and
//        only through Store::find_routing_number().
enum class IdentifierKind { number, range, prefix, routing_number };
SPEERD_ENUM_NAMES(IdentifierKind, routing_number, "number", "range", "prefix", "rn");

// Identified by (kind, value): there is no row id.
struct PublicIdentifier {
  std::string destination_group;
  IdentifierKind kind = IdentifierKind::number;
  std::string value;
  std::string end;  // range only: the last number of the range
};

// ---------------------------------------------------------------------------
// route_group, its SED records, and peering offers.

struct RouteGroup {
  Id id = 0;
  std::string name;
  int priority = 0;  // lower is preferred
  bool enabled = true;
  std::string description;
  std::vector<std::string> destination_groups;  // the groups it serves, sorted
};

// uri: a SIP URI (sip: or sips:); host/port/transport are derived from it.
// next_hop: a host (name or IP literal) with an optional port (0: not set) and
//           transport (empty: any).
enum class SedKind { uri, next_hop };
SPEERD_ENUM_NAMES(SedKind, next_hop, "uri", "next-hop");

struct SedRecord {
  Id id = 0;
  Id route_group_id = 0;
  std::string route_group;
  int route_group_priority = 0;
  SedKind kind = SedKind::next_hop;
  std::string uri;   // uri records only
  std::string host;  // lowercase, no trailing dot, IPv6 without brackets
  std::uint16_t port = 0;
  std::string transport;  // "", udp, tcp, tls, sctp, ws, wss
  int priority = 0;       // lower is preferred
};

struct PeeringOffer {
  Id id = 0;
  std::string route_group;
  std::string client;
};

// ---------------------------------------------------------------------------
// What find_destination() answers: the identifier that matched, its
// destination group, and the SED records of the route groups the client may
// see, ordered by route group priority, then record priority.
struct Destination {
  Id destination_group_id = 0;
  std::string destination_group;
  PublicIdentifier matched;
  std::vector<SedRecord> routes;
};

// ---------------------------------------------------------------------------
// trust_anchor: DNSSEC anchors the resolver loads from the store.

enum class AnchorKind { ds, dnskey };
SPEERD_ENUM_NAMES(AnchorKind, dnskey, "DS", "DNSKEY");
enum class AnchorState { active, inactive };
SPEERD_ENUM_NAMES(AnchorState, inactive, "active", "inactive");

struct TrustAnchor {
  Id id = 0;
  std::string zone;  // lowercase, trailing dot
  AnchorKind kind = AnchorKind::ds;
  std::string rr;  // canonical presentation form (as ldns prints it)
  int key_tag = 0;
  AnchorState state = AnchorState::active;
  std::string added_by;
  std::string added_at;  // UTC, ISO 8601
};

// ---------------------------------------------------------------------------
// audit: one row per change.

struct AuditEntry {
  Id id = 0;
  std::string at;  // UTC, ISO 8601 with microseconds
  std::string actor;
  std::string action;                // create | update | delete
  std::string object_type;           // client, destination_group, public_identifier, ...
  std::string object_key;            // the object's natural key (name, kind:value, id)
  std::string before;                // JSON object, empty on create
  std::string after;                 // JSON object, empty on delete
  std::uint64_t change_counter = 0;  // the write transaction it belongs to
};

struct AuditQuery {
  std::optional<std::string> actor;
  std::optional<std::string> object_type;
  std::optional<std::string> since;  // ISO 8601, inclusive
  std::size_t limit = 100;           // newest first
};

// One page of a keyset-paginated listing of public identifiers, ordered by
// (kind, value). Pass the last row of a page as `after` to get the next one.
struct IdentifierPage {
  std::optional<std::string> destination_group;
  std::optional<PublicIdentifier> after;
  std::size_t limit = 1000;
};

// ---------------------------------------------------------------------------
// Store-wide facts (speerctl store info; tests compare row counts).
struct StoreInfo {
  std::string backend;  // sqlite | postgresql
  int schema_version = 0;
  std::uint64_t change_counter = 0;
  std::uint64_t clients = 0;
  std::uint64_t destination_groups = 0;
  std::uint64_t public_identifiers = 0;
  std::uint64_t route_groups = 0;
  std::uint64_t sed_records = 0;
  std::uint64_t peering_offers = 0;
  std::uint64_t trust_anchors = 0;
  std::uint64_t audit_entries = 0;
};

// Names used in the CLI, import/export, JSON and the database.
std::string_view to_string(IdentifierKind k);
std::string_view to_string(SedKind k);
std::string_view to_string(AnchorKind k);
std::string_view to_string(AnchorState s);
std::optional<IdentifierKind> parse_identifier_kind(std::string_view s);
std::optional<SedKind> parse_sed_kind(std::string_view s);
std::optional<AnchorKind> parse_anchor_kind(std::string_view s);
std::optional<AnchorState> parse_anchor_state(std::string_view s);

}  // namespace speerd::store
