// speerctl lookup | route | trace: one request through the pipeline in local
// mode (no server): ENUM (LUF), RFC 3263 location (LRF), verdict by policy.
#include <iostream>
#include <nlohmann/json.hpp>

#include "tools/speerctl/command.hpp"
#include "tools/speerctl/local_pipeline.hpp"

namespace speerctl {

namespace {

struct Opts {
  std::string input;
  LocalOptions local;
  std::string service;
  bool json = false;
};

void add_common(CLI::App* cmd, Opts& o) {
  cmd->add_option("-c,--config", o.local.config_path, "speerd.toml")->required();
  cmd->add_option("--store", o.local.store_uri,
                  "SED store (sqlite:PATH or postgresql://...) to cross-check against")
      ->envname("SPEERD_STORE");
  cmd->add_option("--client", o.local.client, "the store client whose view to use (with --store)");
  cmd->add_flag("--json", o.json, "print the result as JSON");
}

void report(const speerd::pipeline::LookupResult& r, const Opts& o, bool verbose) {
  if (o.json) {
    auto j = speerd::pipeline::to_json(r, speerd::pipeline::JsonForm::full);
    if (verbose) j["notes"] = r.notes;
    std::cout << j.dump(2) << "\n";
  } else {
    print_result(r, verbose);
  }
  if (r.verdict != speerd::model::Verdict::route) throw Exit(exit_code::kRejected, "");
}

}  // namespace

void register_lookup(CLI::App& app) {
  auto lookup = std::make_shared<Opts>();
  auto* l = app.add_subcommand(
      "lookup", "Resolve an E.164 number to SIP URIs and next hops (ENUM + RFC 3263), local mode");
  l->add_option("number", lookup->input, "E.164 number, e.g. +12155551234")->required();
  l->add_option("-s,--service", lookup->service, "enumservice (default: [lookup] service)");
  add_common(l, *lookup);
  l->callback([lookup] {
    report(run_local(lookup->local, Request::lookup, lookup->input, lookup->service), *lookup,
           false);
  });

  auto trace = std::make_shared<Opts>();
  auto* t = app.add_subcommand(
      "trace", "Like lookup, printing every query, answer, DNSSEC outcome and rule applied");
  t->add_option("number", trace->input, "E.164 number, or a sip:/sips: URI")->required();
  t->add_option("-s,--service", trace->service, "enumservice (default: [lookup] service)");
  add_common(t, *trace);
  t->callback([trace] {
    const bool is_uri = trace->input.rfind("sip:", 0) == 0 || trace->input.rfind("sips:", 0) == 0;
    report(run_local(trace->local, is_uri ? Request::route : Request::lookup, trace->input,
                     trace->service),
           *trace, true);
  });

  auto route = std::make_shared<Opts>();
  auto* r = app.add_subcommand("route", "Locate the next hops of a SIP URI (RFC 3263), local mode");
  r->add_option("uri", route->input, "sip: or sips: URI")->required();
  add_common(r, *route);
  r->callback([route] {
    report(run_local(route->local, Request::route, route->input, ""), *route, false);
  });
}

}  // namespace speerctl
