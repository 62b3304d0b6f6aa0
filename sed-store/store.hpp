// The SED store: one interface, two backends (SQLite, PostgreSQL).
//
// Thread rules: a Store object is one database connection and is NOT thread
// safe. Open one Store per thread (the daemon opens one per worker/shard) and
// never share it; any number of Stores may use the same database at once.
// Nothing here keeps global state. SQLite runs in WAL mode (readers never wait
// for the writer; writers wait up to kSqliteBusyTimeoutMs for each other);
// PostgreSQL writers serialize on the change counter row.
//
// Error policy: methods never throw (backends translate driver exceptions at
// this boundary). The lookup contract with the resolver returns
// speerd::Expected<T> with a message: any failure there means "the store is not
// usable right now" and the resolver degrades to what it has cached. The
// administrative methods return Result<T> whose Error has a code that speerctl
// maps to its exit codes.
//
// Security: every statement is prepared once with bound parameters; no SQL
// text is ever built from input (tests/sed-store checks the sources). Input is
// validated (validate.hpp) before it reaches the database.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "enum/expected.hpp"
#include "enum/names.hpp"
#include "sed-store/changes.hpp"
#include "sed-store/model.hpp"

namespace speerd::store {

enum class ErrorCode {
  invalid,         // bad input: a field fails validation (message names it)
  not_found,       // a named object does not exist
  conflict,        // exists already, overlaps, or is still referenced
  unavailable,     // cannot connect, busy, timed out, server gone
  not_a_store,     // the file or database is not a speerd store
  schema_too_new,  // written by a newer speerd: refuse, never guess
  schema_too_old,  // needs `speerctl store migrate`
  corrupt,         // the store file is damaged
  read_only,       // a write on a read-only store or a replica
  internal,        // a bug
};
SPEERD_ENUM_NAMES(ErrorCode, internal, "invalid", "not-found", "conflict", "unavailable",
                  "not-a-store", "schema-too-new", "schema-too-old", "corrupt", "read-only",
                  "internal");

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
  // For Store::apply: which change failed, and which of its fields (the
  // import/export field name, e.g. "dest_group"), when known.
  std::optional<std::size_t> change_index;
  std::string field;
  // A second change involved (a duplicate of, or overlapping with, this one).
  std::optional<std::size_t> related_change_index;
  // Store::apply: the connection was lost during COMMIT, so the write may or
  // may not have been applied (libpqxx in_doubt_error, a failover). Retry with
  // the same WriteContext::operation_id to find out and finish it.
  bool in_doubt = false;
};

// speerd::Expected<T, Error> that also converts from a bare Error, so that
// `return error;` and `return other_result.error();` read naturally.
template <typename T>
class Result : public speerd::Expected<T, Error> {
 public:
  using speerd::Expected<T, Error>::Expected;
  Result(Error e) : speerd::Expected<T, Error>(speerd::unexpected(std::move(e))) {}  // NOLINT
};

inline std::string_view to_string(ErrorCode c) {
  return enum_name(c);
}

class Store {
 public:
  virtual ~Store() = default;

  // ---- The lookup contract with the resolver (hot path) -------------------

  // Longest match of an E.164 number (1..15 ASCII digits, no '+') among the
  // public identifiers: an exact number beats a range, a range beats any
  // prefix, a longer prefix beats a shorter one. The match's destination group
  // gives the route groups that serve it; of those, only enabled ones offered
  // to `client` (an enabled client) count. Their SED records come back ordered
  // by route group priority, then record priority.
  // std::nullopt: nothing matches, or the client may see no SED for the match
  // (the two look the same on purpose). A shorter match is never used as a
  // fallback: the longest match owns the number.
  virtual speerd::Expected<std::optional<Destination>> find_destination(
      std::string_view e164_digits, ClientRef client) = 0;

  // As find_destination, for a routing number (exact match on rn identifiers).
  virtual speerd::Expected<std::optional<Destination>> find_routing_number(
      std::string_view rn_digits, ClientRef client) = 0;

  // Is `host` (a name or IP literal; case and a trailing dot do not matter) the
  // host of any SED record of an enabled route group serving the group?
  virtual speerd::Expected<bool> is_provisioned_target(Id destination_group_id,
                                                       std::string_view host) = 0;

  // The SED records with this host that `client` may see (for /v1/route, where
  // there is a URI but no number).
  virtual speerd::Expected<std::vector<SedRecord>> find_routes_to_host(std::string_view host,
                                                                       ClientRef client) = 0;

  // The client with this certificate name or SPKI pin (disabled ones too: the
  // caller checks `enabled`). Used by the TLS server.
  virtual speerd::Expected<std::optional<Client>> find_client(const ClientIdentity& identity) = 0;

  // Active trust anchors, ordered by zone.
  virtual speerd::Expected<std::vector<TrustAnchor>> trust_anchors() = 0;

  // Bumped by every write transaction. Nodes poll it (or LISTEN on channel
  // "speerd_store" on PostgreSQL) to drop caches and reload anchors.
  virtual speerd::Expected<std::uint64_t> change_counter() = 0;

  // ---- Administration (speerctl) ------------------------------------------

  // All changes in one transaction: all apply or none. Each change is
  // validated, checked (exists, referenced, overlaps) and audited with the
  // context's actor. An Error names the failing change's index and field.
  virtual Result<ApplyReport> apply(std::span<const Change> changes, const WriteContext& ctx) = 0;

  virtual Result<StoreInfo> info() = 0;
  virtual Result<std::vector<Client>> list_clients() = 0;
  virtual Result<std::vector<DestinationGroup>> list_destination_groups() = 0;
  virtual Result<std::vector<PublicIdentifier>> list_identifiers(const IdentifierPage& page) = 0;
  virtual Result<std::vector<RouteGroup>> list_route_groups() = 0;
  // All SED records, or those of one route group; by route group name, priority, id.
  virtual Result<std::vector<SedRecord>> list_sed(std::optional<std::string> route_group) = 0;
  virtual Result<std::vector<PeeringOffer>> list_offers() = 0;
  // Every trust anchor, whatever its state.
  virtual Result<std::vector<TrustAnchor>> list_trust_anchors() = 0;
  virtual Result<std::vector<AuditEntry>> list_audit(const AuditQuery& query) = 0;

  // Runs `fn` inside one read transaction (a consistent snapshot for an
  // export). The listing methods may be called from `fn`.
  virtual Result<Done> read_snapshot(const std::function<Result<Done>()>& fn) = 0;

  // Brings the schema up to the newest migration this build knows.
  // Returns the version reached.
  virtual Result<int> migrate() = 0;
};

using Clock = std::function<std::chrono::system_clock::time_point()>;

struct OpenOptions {
  // Create the store when it does not exist (SQLite: a new file; PostgreSQL:
  // the schema in an empty database). Never touches an existing file or
  // database that is not a speerd store.
  bool create = false;
  // Accept a schema older than this build's (to run migrate() on it).
  // Without it, an older schema is an error that says to migrate.
  bool allow_old_schema = false;
  // Audit timestamps come from here (tests inject a fixed clock).
  Clock clock;
};

// The newest schema version this build knows.
int known_schema_version();

// Opens "sqlite:PATH" or "postgresql://..." / "postgres://..." (any libpq
// connection URI, including multi-host ones). The store must exist and be a
// speerd store at a schema version this build knows.
Result<std::unique_ptr<Store>> open_store(std::string_view uri, const OpenOptions& options = {});

}  // namespace speerd::store
