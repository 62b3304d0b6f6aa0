// Writes that survive a failover (issue 13). Every speerctl write carries an
// operation id (--operation-id, else a fresh random one) that Store::apply
// records in the write's own transaction. When the store is unavailable --
// the connection lost, a COMMIT cut off (in doubt), the primary failed over,
// the session now on a read-only host -- speerctl waits and retries the same
// write with the same id for up to --retry-for seconds: a write that had
// committed is found and reported done, one that had not is applied now, so
// a write is applied exactly once. What happened is said on stderr (retried,
// done, failed, outcome unknown).
//
// Retries are on for PostgreSQL URIs naming more than one host (a cluster:
// 30 s by default) or with an explicit --retry-for; a single-host URI and
// SQLite keep failing at once, as before.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sed-store/store.hpp"

namespace speerctl {

struct StoreOptions;

// The outcome of one durable write.
struct WriteOutcome {
  speerd::store::Result<speerd::store::ApplyReport> result;
  int attempts = 1;
  // An attempt's COMMIT was cut off: until a later attempt settled it, the
  // write may or may not have been applied.
  bool in_doubt = false;
};

// The command line of this invocation (speerctl::run sets it), for the
// operation digest: a reused --operation-id with another command is refused.
void set_invocation(int argc, const char* const* argv);
// FNV-1a 64 of the invocation's arguments (without --store, --actor,
// --operation-id, --retry-for and their values) and of `extra`, as
// "fnv1a64:<16 hex digits>".
std::string invocation_digest(std::string_view extra = {});
std::string digest_of(std::string_view text);

// --operation-id, else a fresh random id ("speerctl-<32 hex digits>").
std::string operation_id_of(const StoreOptions& o);

// How long to keep retrying for this store (0: no retries).
std::chrono::milliseconds retry_budget(const StoreOptions& o);

// Is this failure worth a retry (the store may come back: lost connection,
// failover, read-only session on a demoted host)? Bad credentials, a missing
// database and every data error are not.
bool transient(const speerd::store::Error& e, std::string_view uri);

// Store::apply with ctx (its operation id set), retried while transient and
// within the budget; messages about retries on stderr prefixed with `what`.
WriteOutcome apply_durably(speerd::store::Store& store,
                           std::span<const speerd::store::Change> changes,
                           const speerd::store::WriteContext& ctx, const StoreOptions& o,
                           const std::string& what);

// Applies the changes, retrying as above; throws Exit on failure (exit 6 when
// the outcome is unknown) and says on stderr what happened when it was not
// a plain first-attempt success.
speerd::store::ApplyReport apply_or_exit(speerd::store::Store& store,
                                         std::vector<speerd::store::Change> changes,
                                         const StoreOptions& o);

// The one-line account of an outcome for messages ("done", "done after 3
// attempts; ...", "already applied ...").
std::string describe_done(const WriteOutcome& w, const std::string& op_id);

}  // namespace speerctl
