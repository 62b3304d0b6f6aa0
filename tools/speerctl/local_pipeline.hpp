// Runs one pipeline request in this process (speerctl's local mode): the
// configured trees, trust anchors and stubs, libunbound in-process.
#pragma once

#include <string>

#include "resolver/pipeline/result.hpp"

namespace speerctl {

enum class Request { lookup, route };

// Loads the config, resolves, returns the result. Throws Exit on bad
// arguments or configuration.
// With `store_uri` and `client` (a client name in that store), the result is
// cross-checked against the SED that client may see.
struct LocalOptions {
  std::string config_path;
  std::string store_uri;
  std::string client;
};

speerd::pipeline::LookupResult run_local(const LocalOptions& options, Request kind,
                                         const std::string& input, const std::string& service);

// Human-readable result (verbose: every step and note, for trace).
void print_result(const speerd::pipeline::LookupResult& r, bool verbose);

}  // namespace speerctl
