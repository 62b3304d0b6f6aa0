// Writes to the SED store are lists of Changes applied in one transaction
// (Store::apply): a CLI command is a list of one, an import a list of a
// million. Fields hold the caller's raw text; Store::apply validates and
// normalizes every field before any SQL runs, so the rules live in one place
// (validate.hpp) for the CLI and the importer alike.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sed-store/limits.hpp"
#include "sed-store/model.hpp"

namespace speerd::store {

struct AddClient {
  std::string name;
  std::string cert_name;  // empty: none
  std::string spki_pin;   // empty: none
  std::vector<std::string> trees;
  std::vector<std::string> sources;  // DNS front end source prefixes (CIDR)
  std::vector<TsigKey> tsig_keys;    // DNS front end TSIG keys (hmac-sha256)
  bool tsig_required = false;        // refuse its unsigned DNS queries
  // Unset: no rate of its own, [limits] applies. A burst needs a rate; a
  // rate without a burst gets a burst of twice the rate.
  std::optional<std::uint32_t> rate_per_second;
  std::optional<std::uint32_t> burst;
  bool enabled = true;
  std::string description;
  std::string options;  // enum/client_options.hpp text; "" = none
};

// Only the fields that are set change. An empty string clears cert_name or
// spki_pin (one of them must remain).
struct UpdateClient {
  std::string name;
  std::optional<std::string> cert_name;
  std::optional<std::string> spki_pin;
  std::optional<std::vector<std::string>> trees;
  std::optional<std::vector<std::string>> sources;
  // TSIG keys to add (a key name of any client is a conflict) and to remove
  // (by key name; one the client does not have is not-found).
  std::vector<TsigKey> add_tsig_keys;
  std::vector<std::string> remove_tsig_keys;
  std::optional<bool> tsig_required;
  std::optional<std::uint32_t> rate_per_second;
  std::optional<std::uint32_t> burst;
  bool rate_from_config = false;  // drop the client's own rate: [limits] applies
  std::optional<bool> enabled;
  std::optional<std::string> description;
  std::optional<std::string> options;  // replaces the stored options ("" clears them)
};

struct RemoveClient {
  std::string name;
};

struct AddDestinationGroup {
  std::string name;
  std::string description;
};

struct RemoveDestinationGroup {
  std::string name;
};

struct AddIdentifier {
  std::string destination_group;
  IdentifierKind kind = IdentifierKind::number;
  std::string value;
  std::string end;  // range only
};

// A range is named by its first number.
struct RemoveIdentifier {
  IdentifierKind kind = IdentifierKind::number;
  std::string value;
};

struct AddRouteGroup {
  std::string name;
  int priority = 10;
  bool enabled = true;
  std::string description;
  std::vector<std::string> destination_groups;
};

struct UpdateRouteGroup {
  std::string name;
  std::optional<int> priority;
  std::optional<bool> enabled;
  std::optional<std::string> description;
};

struct RemoveRouteGroup {
  std::string name;
};

// The route group starts (Attach) or stops (Detach) serving a destination group.
struct AttachDestination {
  std::string route_group;
  std::string destination_group;
};

struct DetachDestination {
  std::string route_group;
  std::string destination_group;
};

// Either uri, or host (+ port, transport). Port and priority are text so that
// the range check and its message live with the other rules.
struct AddSed {
  std::string route_group;
  std::string uri;
  std::string host;
  std::string port;       // empty: not set
  std::string transport;  // empty: any
  int priority = 10;
};

struct RemoveSed {
  Id id = 0;
};

struct AddOffer {
  std::string route_group;
  std::string client;
};

struct RemoveOffer {
  std::string route_group;
  std::string client;
};

// rr: one DS or DNSKEY record in presentation format; its owner must be zone.
struct AddTrustAnchor {
  std::string zone;
  std::string rr;
  AnchorState state = AnchorState::active;
};

struct SetTrustAnchorState {
  Id id = 0;
  AnchorState state = AnchorState::active;
};

struct RemoveTrustAnchor {
  Id id = 0;
};

// Drops cached answers for a number ("+12155551234") or a zone (every
// cached answer whose ENUM name or target lies in it) on every node: the
// store records it in the audit log and bumps the change counter, which
// every node polls (`speerctl cache flush`). Changes no data.
struct FlushCache {
  std::string target;
};

using Change =
    std::variant<AddClient, UpdateClient, RemoveClient, AddDestinationGroup, RemoveDestinationGroup,
                 AddIdentifier, RemoveIdentifier, AddRouteGroup, UpdateRouteGroup, RemoveRouteGroup,
                 AttachDestination, DetachDestination, AddSed, RemoveSed, AddOffer, RemoveOffer,
                 AddTrustAnchor, SetTrustAnchorState, RemoveTrustAnchor, FlushCache>;

// Who writes (recorded in every audit row of the transaction).
struct WriteContext {
  std::string actor;
  // Public identifiers are staged and checked this many rows at a time
  // (sed-store/limits.hpp explains the bulk path). Only tests set it lower, to
  // cross batch boundaries with small imports; 0 counts as 1.
  std::size_t identifier_batch_rows = kIdentifierBatchRows;
  // Idempotent writes: a non-empty id is recorded in the same transaction
  // (table applied_operation). When that id is recorded already, apply()
  // changes nothing and reports already_applied, so a writer whose COMMIT
  // was cut off (connection lost, failover) can retry with the same id and
  // the write lands exactly once. digest names what the operation is (e.g.
  // a hash of the command and its input): an id recorded with another
  // digest is a conflict, never "already applied".
  std::string operation_id = {};
  std::string operation_digest = {};
};

// What Store::apply reports: the change counter of the transaction, and per
// change the id of the row it created (0 where it created none or the id is
// not tracked, e.g. bulk identifiers).
struct ApplyReport {
  std::uint64_t change_counter = 0;
  std::vector<Id> created_ids;
  // The operation id was recorded by an earlier transaction (a retry of a
  // write that had committed): nothing was changed now, change_counter is
  // that transaction's, created_ids are all 0.
  bool already_applied = false;
};

}  // namespace speerd::store
