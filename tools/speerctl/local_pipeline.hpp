// Runs one pipeline request in this process (speerctl's local mode): the
// configured trees, trust anchors and stubs, libunbound in-process.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "resolver/config/config.hpp"
#include "resolver/pipeline/pipeline.hpp"
#include "resolver/pipeline/result.hpp"
#include "resolver/pipeline/validators.hpp"
#include "sed-store/store.hpp"

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

// The pipeline of local mode, as the daemon builds one shard's: the
// configuration's trees and anchors plus the store's anchors (when a store
// is given: it is also the cross-check's). Run `io` to resolve.
struct LocalPipeline {
  boost::asio::io_context io;
  std::unique_ptr<speerd::store::Store> store;  // null: no store
  std::unique_ptr<speerd::pipeline::Validators> validators;
  std::shared_ptr<const speerd::config::ResolverConfig> config;
  std::unique_ptr<speerd::pipeline::Pipeline> pipeline;
};
// Throws Exit (kConfig) when the store or the validators cannot be had.
std::unique_ptr<LocalPipeline> open_local(speerd::config::ResolverConfig cfg,
                                          const std::string& store_uri);

speerd::pipeline::LookupResult run_local(const LocalOptions& options, Request kind,
                                         const std::string& input, const std::string& service);

// Human-readable result (verbose: every step and note, for trace).
void print_result(const speerd::pipeline::LookupResult& r, bool verbose);

}  // namespace speerctl
