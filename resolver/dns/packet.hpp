// Reading the parts of a DNS answer packet that libunbound's ub_result does
// not hand out directly (negative TTLs, the additional section).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace speerd::dns {

// RFC 2308: the negative-caching TTL is min(SOA TTL, SOA MINIMUM) of the SOA
// in the authority section. nullopt when the packet has no SOA.
std::optional<std::uint32_t> negative_ttl(std::span<const std::uint8_t> packet);

// One resource record in a packet section, rdata in wire format.
struct Record {
  std::string owner;  // lower case, with the trailing dot
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  std::string rdata;
};

// The records of the additional section (empty when the packet does not parse).
std::vector<Record> additional_records(std::span<const std::uint8_t> packet);
// The records of the authority section (NSEC3 proofs, SOA), likewise.
std::vector<Record> authority_records(std::span<const std::uint8_t> packet);

// Presentation form of one rdata of the given type ("127.0.0.1", "10 0 5060 host.").
std::string rdata_to_text(std::uint16_t type, const std::string& wire_rdata);

}  // namespace speerd::dns
