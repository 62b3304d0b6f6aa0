// The DNS upstream as an interface. The real implementation is
// UnboundClient (libunbound, validating, asynchronous on an asio io_context);
// unit tests use an in-memory fake.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "resolver/dns/outcome.hpp"

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

namespace rcode {
inline constexpr int kNoError = 0;
inline constexpr int kServFail = 2;
inline constexpr int kNxDomain = 3;
}  // namespace rcode

struct Answer {
  std::string qname;  // as asked, lower case, with the trailing dot
  std::uint16_t qtype = 0;
  int rcode = rcode::kServFail;
  bool havedata = false;             // the answer RRset is present
  std::vector<std::string> rdata;    // wire-format rdata, one per RR of the answer RRset
  std::string canonname;             // after CNAMEs, when unbound followed some
  std::uint32_t ttl = 0;             // answer RRset TTL, or the negative TTL (SOA minimum)
  Outcome outcome;                   // DNSSEC validation outcome of this answer
  std::vector<std::uint8_t> packet;  // the full answer packet (additional section, SOA)

  bool nxdomain() const { return rcode == rcode::kNxDomain; }
  // NOERROR with no data of the asked type (NODATA).
  bool nodata() const { return rcode == rcode::kNoError && !havedata; }
  // A usable answer from DNS: NOERROR or NXDOMAIN (anything else is a failure
  // to get an answer at all: SERVFAIL, timeout, refused).
  bool answered() const { return rcode == rcode::kNoError || rcode == rcode::kNxDomain; }
};

class Client {
 public:
  using Callback = std::function<void(Answer)>;
  virtual ~Client() = default;
  // Resolves (name, type). The callback runs later, on the client's
  // executor, exactly once, never from inside resolve().
  virtual void resolve(const std::string& name, std::uint16_t type, Callback cb) = 0;
};

}  // namespace speerd::dns
