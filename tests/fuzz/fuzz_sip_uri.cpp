// Fuzz target for the LRF's parsers of untrusted input: SIP URIs (from NAPTR
// rewrites and API requests) and SRV rdata (from DNS). The first byte chooses
// the parser; the rest is the input. Checks invariants, not just "no crash".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/lrf/sip_uri.hpp"
#include "resolver/lrf/srv.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
bool printable(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0) {
    auto uri = speerd::lrf::parse_sip_uri(input);
    if (uri) {
      // A parsed URI has a host, and nothing in it can inject into SIP
      // headers or DNS names.
      check(!uri->host.empty());
      check(printable(uri->host));
      check(printable(uri->user));
      if (uri->port) check(*uri->port != 0);
      if (!uri->numeric_host()) check(uri->fqdn().back() == '.');
    } else {
      check(!uri.error().empty());
    }
  } else {
    auto srv = speerd::lrf::parse_srv_rdata(input);
    if (srv) {
      check(!srv->target.empty());
      check(printable(srv->target));
      // Ordering a set of copies is a permutation of it.
      std::vector<speerd::lrf::SrvRecord> set(3, *srv);
      set[1].weight = static_cast<std::uint16_t>(srv->weight / 2);
      speerd::lrf::Random rng(size);
      auto ordered = speerd::lrf::order_srv(set, rng);
      check(ordered.size() == set.size());
    }
  }
  return 0;
}
