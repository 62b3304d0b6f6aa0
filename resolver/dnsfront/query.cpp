#include "resolver/dnsfront/query.hpp"

#include <stdbool.h>  // before ldns, which otherwise defines bool, true and false

#include <ldns/ldns.h>

#include <memory>

#include "resolver/dns/ldns_ptr.hpp"
#include "resolver/dns/wire.hpp"
#include "resolver/service/limits.hpp"

namespace speerd::dnsfront {
namespace {

using dns::Pkt;
using dns::Rdf;
using dns::Text;

Rejected reject(Refusal r, std::span<const std::uint8_t> wire, std::string why) {
  Rejected out;
  out.refusal = r;
  out.why = std::move(why);
  if (wire.size() >= LDNS_HEADER_SIZE) {
    out.id = LDNS_ID_WIRE(wire.data());
    out.opcode = static_cast<std::uint8_t>(LDNS_OPCODE_WIRE(wire.data()));
    out.rd = LDNS_RD_WIRE(wire.data()) != 0;
  }
  return out;
}

// The question of a parsed packet, lower case; nothing if it has none.
std::optional<Question> question_of(const ldns_pkt* p) {
  const ldns_rr_list* q = ldns_pkt_question(p);
  if (q == nullptr || ldns_rr_list_rr_count(q) != 1) return std::nullopt;
  const ldns_rr* rr = ldns_rr_list_rr(q, 0);
  const ldns_rdf* owner = ldns_rr_owner(rr);
  if (owner == nullptr) return std::nullopt;
  Rdf name(ldns_rdf_clone(owner));
  ldns_dname2canonical(name.get());
  Text text(ldns_rdf2str(name.get()));
  if (!text) return std::nullopt;
  Question out;
  out.qname = text.get();
  out.qtype = static_cast<std::uint16_t>(ldns_rr_get_type(rr));
  out.qclass = static_cast<std::uint16_t>(ldns_rr_get_class(rr));
  return out;
}

std::optional<std::string> dname_text(const ldns_rdf* rdf) {
  if (rdf == nullptr || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME) return std::nullopt;
  Rdf name(ldns_rdf_clone(rdf));
  ldns_dname2canonical(name.get());
  Text text(ldns_rdf2str(name.get()));
  if (!text) return std::nullopt;
  return std::string(text.get());
}

// The fields of a TSIG record ldns parsed (RFC 8945 4.2); nothing when one
// is missing or of another type.
std::optional<TsigRecord> tsig_of(const ldns_rr* rr) {
  if (ldns_rr_rd_count(rr) < 7) return std::nullopt;
  const ldns_rdf* time = ldns_rr_rdf(rr, 1);
  const ldns_rdf* fudge = ldns_rr_rdf(rr, 2);
  const ldns_rdf* mac = ldns_rr_rdf(rr, 3);
  const ldns_rdf* id = ldns_rr_rdf(rr, 4);
  if (ldns_rdf_get_type(time) != LDNS_RDF_TYPE_TSIGTIME || ldns_rdf_size(time) != 6 ||
      ldns_rdf_get_type(fudge) != LDNS_RDF_TYPE_INT16 ||
      ldns_rdf_get_type(mac) != LDNS_RDF_TYPE_INT16_DATA || ldns_rdf_size(mac) < 2 ||
      ldns_rdf_get_type(id) != LDNS_RDF_TYPE_INT16) {
    return std::nullopt;
  }
  auto key = dname_text(ldns_rr_owner(rr));
  auto algorithm = dname_text(ldns_rr_rdf(rr, 0));
  if (!key || !algorithm) return std::nullopt;
  TsigRecord t;
  t.key_name = std::move(*key);
  t.algorithm = std::move(*algorithm);
  const std::uint8_t* tb = ldns_rdf_data(time);  // 48-bit seconds, network order
  for (int i = 0; i < 6; ++i) t.time_signed = (t.time_signed << 8) | tb[i];
  t.fudge = ldns_rdf2native_int16(fudge);
  const std::uint8_t* mb = ldns_rdf_data(mac);  // MAC size, then the MAC
  const std::size_t size = ldns_read_uint16(mb);
  if (size != ldns_rdf_size(mac) - 2) return std::nullopt;
  t.mac.assign(mb + 2, mb + 2 + size);
  t.original_id = ldns_rdf2native_int16(id);
  return t;
}

}  // namespace

Checked check_query(std::span<const std::uint8_t> wire) {
  if (wire.size() < LDNS_HEADER_SIZE) return reject(Refusal::drop, wire, "shorter than a header");
  if (LDNS_QR_WIRE(wire.data()) != 0) return reject(Refusal::drop, wire, "a response (QR=1)");
  if (LDNS_OPCODE_WIRE(wire.data()) != LDNS_PACKET_QUERY) {
    return reject(Refusal::notimp, wire, "opcode is not QUERY");
  }
  if (LDNS_TC_WIRE(wire.data()) != 0) return reject(Refusal::formerr, wire, "TC set in a query");
  if (wire.size() > service::kMaxQueryBytes) {
    return reject(Refusal::formerr, wire, "query too large");
  }
  if (LDNS_QDCOUNT(wire.data()) != 1) {
    return reject(Refusal::formerr, wire, "a query holds exactly one question");
  }
  if (LDNS_ANCOUNT(wire.data()) != 0 || LDNS_NSCOUNT(wire.data()) != 0) {
    return reject(Refusal::formerr, wire, "answer or authority records in a query");
  }
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, wire.data(), wire.size()) != LDNS_STATUS_OK || raw == nullptr) {
    if (raw != nullptr) ldns_pkt_free(raw);
    return reject(Refusal::formerr, wire, "not a well-formed DNS message");
  }
  Pkt pkt(raw);
  auto question = question_of(pkt.get());
  if (!question) return reject(Refusal::formerr, wire, "the question cannot be read");
  const bool edns = ldns_pkt_edns(pkt.get());
  if (edns && ldns_pkt_edns_version(pkt.get()) != 0) {
    Rejected r = reject(Refusal::badvers, wire, "EDNS version is not 0");
    r.edns = true;
    r.question = std::move(question);
    return r;
  }
  Query q;
  if (const ldns_rr* t = ldns_pkt_tsig(pkt.get())) {
    q.tsig = tsig_of(t);
    if (!q.tsig) return reject(Refusal::formerr, wire, "the TSIG record cannot be read");
  }
  const ldns_rr_list* additional = ldns_pkt_additional(pkt.get());
  const std::size_t records = additional == nullptr ? 0 : ldns_rr_list_rr_count(additional);
  for (std::size_t i = 0; i < records; ++i) {
    // RFC 8945 5.1: a TSIG anywhere but last is FORMERR (ldns takes the last).
    if (ldns_rr_get_type(ldns_rr_list_rr(additional, i)) == LDNS_RR_TYPE_TSIG) {
      return reject(Refusal::formerr, wire, "a TSIG record that is not the last");
    }
  }
  q.id = ldns_pkt_id(pkt.get());
  q.question = std::move(*question);
  q.rd = ldns_pkt_rd(pkt.get());
  q.cd = ldns_pkt_cd(pkt.get());
  q.ad = ldns_pkt_ad(pkt.get());
  q.edns = edns;
  if (edns) {
    q.do_bit = ldns_pkt_edns_do(pkt.get());
    // RFC 6891 6.2.3: values below 512 are treated as 512.
    q.udp_size = std::max<std::uint16_t>(ldns_pkt_edns_udp_size(pkt.get()), dns::kClassicUdpSize);
  }
  return q;
}

}  // namespace speerd::dnsfront
