// A Reply (what the DNS front end says) and its wire format, built with
// ldns only: the answer to a checked Query, cut to the client's size with
// TC=1 when it does not fit, and the answers to rejected queries. Pure and
// free of the pipeline, so the fuzz target (tests/fuzz/fuzz_dns_query.cpp)
// builds it on its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "resolver/dns/outcome.hpp"
#include "resolver/dns/wire.hpp"
#include "resolver/dnsfront/query.hpp"

namespace speerd::dnsfront {

namespace rcode = dns::rcode;  // resolver/dns/wire.hpp

struct Ede {
  std::uint16_t code = dns::ede::kOther;
  std::string text;  // EXTRA-TEXT (cut to service::kMaxExtraText)
};

// One terminal NAPTR of an answer: flags "u", regexp !^.*$!<uri>!.
struct Naptr {
  std::uint16_t order = 0;
  std::uint16_t preference = 0;
  std::string services;  // "E2U+sip"
  std::string uri;
};

// One located next hop, for the additional section ([dns_front]
// additional_next_hops): the SRV record that named `host` (when `srv` is not
// empty) and its address record (A or AAAA, when `host` is a name).
struct NextHop {
  std::string srv;   // the SRV owner name
  std::string host;  // the host name (no trailing dot needed)
  std::string address;
  std::uint16_t port = 0;
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
};

struct Reply {
  std::uint16_t rcode = rcode::kNoError;
  std::optional<Ede> ede;
  bool ad = false;  // every step secure and the client asked (RFC 6840 5.8)
  bool ra = false;  // set for names under a tree (speerd resolved them)
  std::uint32_t ttl = 0;
  std::vector<Naptr> naptrs;
  // NAPTR rdata as the zone served it (wire format, one per record), sent
  // instead of `naptrs` ([dns_front] naptr_answer = "as-received").
  std::vector<std::string> received_naptrs;
  std::string soa_zone;            // non-empty: a synthesized SOA of this apex in authority
  bool rfc8482 = false;            // the HINFO "RFC8482" answer to ANY
  std::vector<NextHop> next_hops;  // additional section (each record once)
};

// How answers are built (from [dns_front]).
struct AnswerSettings {
  std::uint32_t negative_ttl = 60;  // SOA TTL and minimum; capped by the result's TTL
  std::string soa_mname = "speerd.invalid.";
  std::string soa_rname = "hostmaster.speerd.invalid.";
  std::uint16_t udp_size = 1232;  // the EDNS payload size speerd advertises
  bool as_received = false;       // routed: the number's NAPTR RRset as received
  bool next_hops = false;         // routed: the next hops' SRV/A/AAAA in additional
};

// Wire format of `reply` to `q`, at most `max_size` bytes: when the full
// answer is larger, the additional section goes first (no TC: RFC 2181 9),
// then the other sections too and TC is set. Empty when ldns
// cannot build it (the caller then answers SERVFAIL with encode_servfail).
std::vector<std::uint8_t> encode(const Query& q, const Reply& reply, const AnswerSettings& s,
                                 std::size_t max_size);

// FORMERR / NOTIMP / BADVERS to a query check_query() rejected (nothing for
// Refusal::drop).
std::vector<std::uint8_t> encode_rejected(const Rejected& r);

}  // namespace speerd::dnsfront
