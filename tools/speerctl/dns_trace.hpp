// speerctl trace --dns: what the DNS front end (resolver/dnsfront/) answers a
// given SBC, and why. The front end's own Handler runs in this process, with
// the store's client snapshot (source prefixes, TSIG keys, scopes), the
// [dns_front] settings and the local pipeline (local_pipeline.hpp), on one
// query built with ldns as dig would send it; its answer is decoded with
// ldns and printed beside the lookup's trace.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace speerctl {

struct DnsTraceOptions {
  std::string config_path;
  std::string store_uri;  // empty: [store] uri of the configuration
  std::string input;      // E.164 number or a domain name
  std::string source;     // the query's source address (UDP/TCP: names the client)
  std::string client;     // a client name: asks as over DoT, by its certificate
  std::string tree;       // for a number: the tree (name or suffix; default: the first)
  std::string qtype = "NAPTR";
  std::string tsig_key;  // sign with this key of the store (its secret)
  bool dnssec = false;   // DO set (dig +dnssec)
  bool tcp = false;      // over TCP instead of UDP (no truncation)
  bool json = false;
};

// Runs the trace and prints it. Throws Exit: kRejected when the answer holds
// no NAPTR (any refusal, failure or negative answer), kUsage / kConfig /
// kNotFound for bad arguments, configuration or names.
void run_dns_trace(const DnsTraceOptions& o);

// --- the wire side (dns_wire.cpp), with ldns --------------------------------

struct QuerySpec {
  std::string qname;  // absolute
  std::uint16_t qtype = 35;
  bool dnssec = false;
  // TSIG (hmac-sha256): key name and base64 secret; empty name: unsigned.
  std::string tsig_name;
  std::string tsig_secret;
};

// The query dig sends by default (RD, AD, EDNS 1232; DO with +dnssec),
// signed when asked. Throws Exit (kUsage) when ldns cannot build it.
std::vector<std::uint8_t> build_query(const QuerySpec& q);
// The type's number (NAPTR, A, ANY, TYPE35, ...); nothing: unknown.
std::optional<std::uint16_t> qtype_of(const std::string& name);

struct DecodedEde {
  std::uint16_t code = 0;
  std::string text;
};

struct DecodedAnswer {
  bool parsed = false;             // false: no answer, or one ldns cannot read
  std::string rcode;               // "NOERROR", "REFUSED", ... (with the extended rcode)
  std::vector<std::string> flags;  // "qr", "aa", "tc", "rd", "ra", "ad", "cd"
  std::vector<DecodedEde> ede;
  std::vector<std::string> answer;     // records, as presentation text
  std::vector<std::string> authority;  // records, as presentation text
  std::size_t naptrs = 0;
  bool signed_answer = false;  // a TSIG record
  std::size_t bytes = 0;
};

DecodedAnswer decode_answer(const std::vector<std::uint8_t>& wire);

}  // namespace speerctl
