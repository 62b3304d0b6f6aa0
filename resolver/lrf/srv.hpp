// SRV records (RFC 2782) as the locator uses them: decoding untrusted RDATA and the
// RFC 2782 ordering (priority, then weighted random within a priority).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "enum/expected.hpp"

namespace speerd::lrf {

struct SrvRecord {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  std::string target;  // lower case, absolute, with the trailing dot; "." = no service

  bool no_service() const { return target == "."; }
  bool operator==(const SrvRecord&) const = default;
};

// Decodes SRV RDATA in wire form: PRIORITY(2) WEIGHT(2) PORT(2) TARGET (an
// uncompressed domain name, RFC 2782). Refused: fewer than 7 bytes, a truncated or
// overlong name, compression pointers or other label types, trailing bytes, and
// target labels with bytes other than letters, digits, '-' and '_' (a SIP server
// name is a host name; anything else would have to be escaped in a query and in
// the response, and is not worth it).
Expected<SrvRecord> parse_srv_rdata(std::string_view wire_rdata);

// Presentation form: "10 60 5061 sip1.example.com."
std::string to_text(const SrvRecord& r);

// The random source of the weighted selection. std::mt19937_64's output sequence is
// fixed by the C++ standard, and srv_uniform() maps it to a range without
// implementation-defined distributions, so a seed gives the same order everywhere.
using Random = std::mt19937_64;

// A uniform integer in [0, bound] (inclusive), without modulo bias.
std::uint64_t srv_uniform(Random& rng, std::uint64_t bound);

// RFC 2782 "Usage rules": lowest priority first; within one priority, repeatedly
// pick among the records not yet ordered with probability proportional to weight
// (records of weight 0 are placed first and have a small chance, as the RFC says:
// running sums, a uniform number in [0, sum], the first record whose running sum
// reaches it). Each priority group is first put in a canonical order (target, port,
// weight), shuffled with `rng` and then the weight-0 records moved to the front, so
// records of equal weight have equal chances (all-zero weights: a uniform order) and
// the result depends only on the records and the random sequence, not on the order
// the DNS server sent them in.
std::vector<SrvRecord> order_srv(std::vector<SrvRecord> records, Random& rng);

}  // namespace speerd::lrf
