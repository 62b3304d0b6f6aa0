// Shared by speerctl's store command groups (client, dest-group, number,
// route-group, sed, offer, trust-anchor, import, export, audit, store):
// the --store/--actor/--json options, opening the store, mapping store errors
// to exit codes, and printing listings as a table or JSON.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "sed-store/changes.hpp"
#include "sed-store/json.hpp"
#include "sed-store/store.hpp"
#include "tools/speerctl/durable_write.hpp"  // apply_or_exit

namespace speerctl {

struct StoreOptions {
  std::string uri;    // --store, or $SPEERD_STORE
  std::string actor;  // --actor, or $USER
  bool json = false;  // --json (listings)
  // --operation-id (writes; durable_write.hpp): empty = a fresh random one.
  std::string operation_id;
  // --retry-for SECONDS; negative = the default for the URI (durable_write.hpp).
  double retry_for_s = -1;
};

// --store URI (env SPEERD_STORE), required; --retry-for SECONDS.
void add_store_option(CLI::App* cmd, StoreOptions& o);
// --actor NAME (default: $USER) and --operation-id ID for commands that write.
void add_actor_option(CLI::App* cmd, StoreOptions& o);
// --json for commands that list.
void add_json_option(CLI::App* cmd, StoreOptions& o);

// Opens the store or throws Exit (kConfig for "cannot use the store"); waits
// for a store that is failing over as durable_write.hpp says.
std::unique_ptr<speerd::store::Store> open_or_exit(const StoreOptions& o,
                                                   const speerd::store::OpenOptions& options = {});

// The exit code for a store error (command.hpp's exit_code namespace).
int exit_code_for(speerd::store::ErrorCode code);
[[noreturn]] void fail(const speerd::store::Error& e);

// --actor, else $USER, else $LOGNAME, else the effective user's name.
std::string actor_of(const StoreOptions& o);

// Unwraps a store result or throws Exit.
template <typename T>
T value_or_exit(speerd::store::Result<T> r) {
  if (!r) fail(r.error());
  return std::move(r).value();
}

// Prints a listing: --json as a JSON array, else an aligned table.
void print_listing(const StoreOptions& o, const speerd::store::Json& items,
                   const std::vector<std::string>& columns);
// One line on stdout (confirmations).
void say(const std::string& line);

// The CLI11 option for a list (repeatable, one value per occurrence: a list
// option would otherwise swallow the positionals after it).
CLI::Option* add_list_option(CLI::App* cmd, const std::string& flags,
                             std::vector<std::string>& into, const std::string& help);

}  // namespace speerctl
