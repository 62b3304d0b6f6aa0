// Runs one pipeline request in this process (speerctl's local mode): the
// configured trees, trust anchors and stubs, libunbound in-process.
#pragma once

#include <string>

#include "resolver/pipeline/result.hpp"

namespace speerctl {

enum class Request { lookup, route };

// Loads the config, resolves, returns the result. Throws Exit on bad
// arguments or configuration.
speerd::pipeline::LookupResult run_local(const std::string& config_path, Request kind,
                                         const std::string& input, const std::string& service);

// Human-readable result (verbose: every step and note, for trace).
void print_result(const speerd::pipeline::LookupResult& r, bool verbose);

}  // namespace speerctl
