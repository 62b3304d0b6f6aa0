// speerctl: one small file per command group; each registers its subcommands
// on the CLI11 app. A command reports its result through the exit code and
// the process's stdout/stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace speerctl {

// Exit codes that scripts can rely on (documented in README.md).
namespace exit_code {
inline constexpr int kOk = 0;
inline constexpr int kRejected = 1;   // the lookup ran and does not route (bogus, not found, ...)
inline constexpr int kUsage = 2;      // bad arguments or bad input data
inline constexpr int kConfig = 3;     // configuration, trust-anchor or store cannot be used
inline constexpr int kNotFound = 4;   // the named object does not exist
inline constexpr int kConflict = 5;   // the object exists already / is still referenced
inline constexpr int kInDoubt = 6;    // a write's COMMIT was cut off and could not be settled:
                                      // rerun it with the --operation-id speerctl printed
inline constexpr int kInternal = 70;  // a bug: please report
}  // namespace exit_code

// Thrown by a command's callback to end with an exit code and a one-line
// message on stderr (empty message: print nothing). Caught in main().
struct Exit : std::exception {
  int code;
  std::string message;
  Exit(int c, std::string m) : code(c), message(std::move(m)) {}
  const char* what() const noexcept override { return message.c_str(); }
};

using Registrar = void (*)(CLI::App& app);

// Every command group's registrar, in the order `speerctl --help` lists them.
// Add a group: declare its registrar here and list it in command.cpp.
void register_lookup(CLI::App& app);
// SED store groups (sed-store/; one file each: store_cmd.cpp, client_cmd.cpp, ...).
void register_store(CLI::App& app);
void register_client(CLI::App& app);
void register_cache(CLI::App& app);
void register_dest_group(CLI::App& app);
void register_number(CLI::App& app);
void register_route_group(CLI::App& app);
void register_sed(CLI::App& app);
void register_offer(CLI::App& app);
void register_trust_anchor(CLI::App& app);
void register_import_export(CLI::App& app);
void register_audit(CLI::App& app);

const std::vector<Registrar>& command_groups();

// One speerctl invocation: parses argv (argv[0] is the program), runs the
// command, prints its output and messages, and returns the exit code. main() is
// this; the injection-probe tests call it in-process for a whole corpus.
int run(int argc, const char* const* argv);

}  // namespace speerctl
