// ldns ownership types and the packet-to-bytes step, for every stage that
// builds or reads DNS messages with ldns (dns/packet.cpp, the DNS front end,
// speerctl trace --dns): one deleter per ldns type, written once.
#pragma once

#include <stdbool.h>  // before ldns, which otherwise defines bool, true and false

#include <ldns/ldns.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

namespace speerd::dns {

struct PktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using Pkt = std::unique_ptr<ldns_pkt, PktFree>;

struct RdfFree {
  void operator()(ldns_rdf* r) const { ldns_rdf_deep_free(r); }
};
using Rdf = std::unique_ptr<ldns_rdf, RdfFree>;

struct BufferFree {
  void operator()(ldns_buffer* b) const { ldns_buffer_free(b); }
};
using Buffer = std::unique_ptr<ldns_buffer, BufferFree>;

// A string ldns allocated (ldns_rdf2str, ldns_rr2str): malloc'd.
struct TextFree {
  void operator()(char* p) const { std::free(p); }
};
using Text = std::unique_ptr<char, TextFree>;

// `pkt` in wire format (ldns_pkt2wire); empty when ldns cannot write it.
inline std::vector<std::uint8_t> to_wire(const ldns_pkt* pkt) {
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&wire, pkt, &size) != LDNS_STATUS_OK || wire == nullptr) {
    std::free(wire);
    return {};
  }
  std::vector<std::uint8_t> out(wire, wire + size);
  std::free(wire);  // ldns allocates with malloc
  return out;
}

}  // namespace speerd::dns
