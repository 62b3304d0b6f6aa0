// A client's source prefix (IPv4 or IPv6 CIDR): how the DNS front end
// (resolver/dnsfront/) tells who sent a query over UDP or TCP. Stored in
// the client_source table; parsed and printed here so that speerctl, the
// store and the front end agree on one canonical text.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "enum/expected.hpp"

namespace speerd::store {

struct SourcePrefix {
  bool v4 = true;
  std::array<std::uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4
  std::uint8_t length = 0;               // prefix length in bits

  // Canonical text: "192.0.2.0/24", "2001:db8::/32".
  std::string text() const;
  // Whether `address` (4 or 16 bytes, network order) is inside. An IPv4
  // prefix also holds the IPv4-mapped IPv6 form of its addresses.
  bool contains(const std::uint8_t* address, std::size_t size) const;
};

// "192.0.2.0/24", "2001:db8::/48", or a bare address (a host prefix). Host
// bits must be zero: "192.0.2.1/24" is an error, not silently widened.
speerd::Expected<SourcePrefix> parse_source_prefix(std::string_view text);

}  // namespace speerd::store
