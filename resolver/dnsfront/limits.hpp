// Fixed bounds of the DNS front end (the operator's knobs are the [dns_front]
// rows in resolver/service/settings.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

namespace speerd::dnsfront {

// RFC 1035 4.2.1: a UDP answer to a client without EDNS fits 512 bytes.
inline constexpr std::size_t kClassicUdpSize = 512;
// A DNS message on a stream has a 16-bit length prefix (RFC 1035 4.2.2).
inline constexpr std::size_t kMaxMessageBytes = 65535;
// A query is one question, an OPT and perhaps a TSIG: anything larger than
// this is not a query a stub sends and is answered FORMERR unread.
inline constexpr std::size_t kMaxQueryBytes = 4096;
// RFC 8914 4: EXTRA-TEXT is for humans; keep it short enough that a refusal
// always fits the classic UDP size together with the question.
inline constexpr std::size_t kMaxExtraText = 200;
// ENUM names: at most 15 digits of an E.164 number (ITU-T E.164 6.1).
inline constexpr std::size_t kMaxE164Digits = 15;

}  // namespace speerd::dnsfront
