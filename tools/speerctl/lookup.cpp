// speerctl lookup | route | trace: one request through the pipeline in local
// mode (no server): ENUM (LUF), RFC 3263 location (LRF), verdict by policy.
#include <iostream>
#include <nlohmann/json.hpp>

#include "tools/speerctl/command.hpp"
#include "tools/speerctl/dns_trace.hpp"
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
  auto dns = std::make_shared<DnsTraceOptions>();
  auto dns_on = std::make_shared<bool>(false);
  auto* t = app.add_subcommand(
      "trace",
      "Like lookup, printing every query, answer, DNSSEC outcome and rule applied; with --dns, "
      "what the DNS front end answers an SBC, and why");
  t->add_option("number", trace->input,
                "E.164 number, or a sip:/sips: URI (--dns: a number or a domain name)")
      ->required();
  t->add_option("-s,--service", trace->service, "enumservice (default: [lookup] service)");
  add_common(t, *trace);
  t->add_flag("--dns", *dns_on,
              "explain the DNS front end's answer: its access decision (source prefix, client, "
              "TSIG, tree, scope), rcode, EDE, flags and records, beside the lookup's trace");
  auto* source = t->add_option("--source", dns->source,
                               "--dns: the query's source address (UDP/TCP: its prefix names "
                               "the client; with --client: the connection's address)");
  auto* qtype = t->add_option("--qtype", dns->qtype, "--dns: the query type (default NAPTR)");
  auto* tree = t->add_option("--tree", dns->tree,
                             "--dns: the tree a number is asked under (default: the first)");
  auto* key = t->add_option("--tsig-key", dns->tsig_key,
                            "--dns: sign the query with this TSIG key (its secret from the store)");
  auto* dnssec = t->add_flag("--dnssec", dns->dnssec, "--dns: set DO (as dig +dnssec)");
  auto* tcp = t->add_flag("--tcp", dns->tcp, "--dns: over TCP (no truncation) instead of UDP");
  t->callback([trace, dns, dns_on, source, qtype, tree, key, dnssec, tcp] {
    if (*dns_on) {
      if (!trace->service.empty()) {
        throw Exit(exit_code::kUsage,
                   "--service does not apply to --dns: the front end asks "
                   "for [lookup] service");
      }
      dns->config_path = trace->local.config_path;
      dns->store_uri = trace->local.store_uri;
      dns->client = trace->local.client;
      dns->input = trace->input;
      dns->json = trace->json;
      run_dns_trace(*dns);
      return;
    }
    for (const auto* opt : {source, qtype, tree, key, dnssec, tcp}) {
      if (opt->count() > 0) throw Exit(exit_code::kUsage, opt->get_name() + " needs --dns");
    }
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
