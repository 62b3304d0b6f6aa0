#include "resolver/dns/packet.hpp"

#include <ldns/ldns.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "resolver/dns/ldns_ptr.hpp"

namespace speerd::dns {

namespace {

using PktPtr = Pkt;

PktPtr parse(std::span<const std::uint8_t> packet) {
  ldns_pkt* p = nullptr;
  if (packet.empty() || ldns_wire2pkt(&p, packet.data(), packet.size()) != LDNS_STATUS_OK) {
    return nullptr;
  }
  return PktPtr(p);
}

std::string owner_text(const ldns_rdf* rdf) {
  char* s = ldns_rdf2str(rdf);
  std::string out = s != nullptr ? s : "";
  free(s);  // NOLINT(cppcoreguidelines-no-malloc): ldns allocates with malloc
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::optional<std::uint32_t> negative_ttl(std::span<const std::uint8_t> packet) {
  auto pkt = parse(packet);
  if (!pkt) return std::nullopt;
  ldns_rr_list* auth = ldns_pkt_authority(pkt.get());
  for (std::size_t i = 0; auth != nullptr && i < ldns_rr_list_rr_count(auth); ++i) {
    ldns_rr* rr = ldns_rr_list_rr(auth, i);
    if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(rr) < 7) continue;
    const std::uint32_t minimum = ldns_rdf2native_int32(ldns_rr_rdf(rr, 6));
    return std::min(ldns_rr_ttl(rr), minimum);
  }
  return std::nullopt;
}

namespace {

std::vector<Record> section_records(std::span<const std::uint8_t> packet, bool authority) {
  std::vector<Record> out;
  auto pkt = parse(packet);
  if (!pkt) return out;
  ldns_rr_list* add = authority ? ldns_pkt_authority(pkt.get()) : ldns_pkt_additional(pkt.get());
  for (std::size_t i = 0; add != nullptr && i < ldns_rr_list_rr_count(add); ++i) {
    ldns_rr* rr = ldns_rr_list_rr(add, i);
    Record r;
    r.owner = owner_text(ldns_rr_owner(rr));
    r.type = static_cast<std::uint16_t>(ldns_rr_get_type(rr));
    r.ttl = ldns_rr_ttl(rr);
    ldns_buffer* buf = ldns_buffer_new(512);
    if (buf != nullptr && ldns_rr_rdata2buffer_wire(buf, rr) == LDNS_STATUS_OK) {
      r.rdata.assign(reinterpret_cast<const char*>(ldns_buffer_begin(buf)),
                     ldns_buffer_position(buf));
      out.push_back(std::move(r));
    }
    ldns_buffer_free(buf);
  }
  return out;
}

}  // namespace

std::vector<Record> additional_records(std::span<const std::uint8_t> packet) {
  return section_records(packet, false);
}

std::vector<Record> authority_records(std::span<const std::uint8_t> packet) {
  return section_records(packet, true);
}

std::string rdata_to_text(std::uint16_t type, const std::string& wire) {
  // Build a throwaway RR around the rdata so ldns can print it by type.
  std::string out;
  std::size_t pos = 0;
  // ldns_wire2rdf parses the rdata of a whole RR: prepend a minimal RR header.
  std::string buf;
  buf.push_back(0);  // root owner
  buf.push_back(static_cast<char>(type >> 8));
  buf.push_back(static_cast<char>(type & 0xff));
  buf.append("\x00\x01\x00\x00\x00\x00", 6);  // class IN, TTL 0
  buf.push_back(static_cast<char>((wire.size() >> 8) & 0xff));
  buf.push_back(static_cast<char>(wire.size() & 0xff));
  buf += wire;
  ldns_rr* parsed = nullptr;
  if (ldns_wire2rr(&parsed, reinterpret_cast<const std::uint8_t*>(buf.data()), buf.size(), &pos,
                   LDNS_SECTION_ANSWER) != LDNS_STATUS_OK ||
      parsed == nullptr) {
    return "<unparsable rdata>";
  }
  for (std::size_t i = 0; i < ldns_rr_rd_count(parsed); ++i) {
    char* s = ldns_rdf2str(ldns_rr_rdf(parsed, i));
    if (!out.empty()) out.push_back(' ');
    out += s != nullptr ? s : "";
    free(s);  // NOLINT(cppcoreguidelines-no-malloc)
  }
  ldns_rr_free(parsed);
  return out;
}

}  // namespace speerd::dns
