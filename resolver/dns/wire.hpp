// DNS wire constants speerd uses, in one place: the types it asks for, the
// response codes the validating client reads and the DNS front end writes,
// and the message sizes of RFC 1035. Values from the IANA DNS parameters registry.
#pragma once

#include <cstddef>
#include <cstdint>

namespace speerd::dns {

// DNS types speerd asks for.
namespace rrtype {
inline constexpr std::uint16_t A = 1;
inline constexpr std::uint16_t CNAME = 5;
inline constexpr std::uint16_t SOA = 6;
inline constexpr std::uint16_t AAAA = 28;
inline constexpr std::uint16_t SRV = 33;
inline constexpr std::uint16_t NAPTR = 35;
}  // namespace rrtype

// RCODEs (RFC 1035 4.1.1; RFC 6891 9 for the extended ones, which need an OPT).
namespace rcode {
inline constexpr std::uint16_t kNoError = 0;
inline constexpr std::uint16_t kFormErr = 1;
inline constexpr std::uint16_t kServFail = 2;
inline constexpr std::uint16_t kNxDomain = 3;
inline constexpr std::uint16_t kNotImp = 4;
inline constexpr std::uint16_t kRefused = 5;
inline constexpr std::uint16_t kBadVers = 16;
}  // namespace rcode

// RFC 1035 4.2.1: a UDP answer to a client without EDNS fits 512 bytes.
inline constexpr std::size_t kClassicUdpSize = 512;
// A DNS message on a stream has a 16-bit length prefix (RFC 1035 4.2.2).
inline constexpr std::size_t kMaxMessageBytes = 65535;

}  // namespace speerd::dns
