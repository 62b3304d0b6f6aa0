// The DNS upstream as an interface. The real implementation is
// UnboundClient (libunbound, validating, asynchronous on an asio io_context);
// unit tests use an in-memory fake.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "resolver/dns/outcome.hpp"
#include "resolver/dns/wire.hpp"

namespace speerd::dns {

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
