// The first gate of the DNS front end: a datagram or stream message is
// checked and parsed (with ldns) before anything else looks at it. Pure: no
// I/O, no state, so it is unit-tested and fuzzed on its own
// (tests/fuzz/fuzz_dns_query.cpp).
//
// The steps follow Unbound's worker_check_request(): too short or a
// response (QR=1) -> drop (answering a response invites loops); an opcode
// other than QUERY -> NOTIMP; TC set, not exactly one question, answer or
// authority records, or a message ldns cannot parse -> FORMERR; an EDNS
// version other than 0 -> BADVERS (RFC 6891 6.1.3).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "enum/names.hpp"

namespace speerd::dnsfront {

struct Question {
  std::string qname;  // lower case, absolute ("4.3.2.1.e164.example.")
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
};

// What a query's TSIG record (RFC 8945 4.2) says, as read; nothing is
// verified here (tsig.hpp does).
struct TsigRecord {
  std::string key_name;   // lower case, absolute
  std::string algorithm;  // lower case, absolute ("hmac-sha256.")
  std::uint64_t time_signed = 0;
  std::uint16_t fudge = 0;
  std::vector<std::uint8_t> mac;
  std::uint16_t original_id = 0;
};

struct Query {
  std::uint16_t id = 0;
  Question question;
  bool rd = false;  // recursion desired (copied back, never acted on)
  bool cd = false;  // checking disabled (RFC 4035 3.2.2: copied back)
  bool ad = false;  // the client understands AD (RFC 6840 5.7)
  bool edns = false;
  bool do_bit = false;             // EDNS DO (RFC 3225)
  std::uint16_t udp_size = 512;    // EDNS payload size as sent (512 without EDNS)
  std::optional<TsigRecord> tsig;  // the query was signed (the last additional record)
};

enum class Refusal {
  drop,     // no answer at all
  formerr,  // FORMERR
  notimp,   // NOTIMP
  badvers,  // BADVERS (extended rcode 16)
};
SPEERD_ENUM_NAMES(Refusal, badvers, "drop", "formerr", "notimp", "badvers");

struct Rejected {
  Refusal refusal = Refusal::drop;
  std::uint16_t id = 0;
  std::uint8_t opcode = 0;
  bool rd = false;
  bool edns = false;                 // the query had an OPT: so has the answer
  std::optional<Question> question;  // echoed when it could be read
  std::string why;                   // for the log and EXTRA-TEXT
};

using Checked = std::variant<Query, Rejected>;

Checked check_query(std::span<const std::uint8_t> wire);

inline std::string_view to_string(Refusal r) {
  return enum_name(r);
}

}  // namespace speerd::dnsfront
