#include "resolver/dnsfront/query.hpp"

#include <stdbool.h>  // before ldns, which otherwise defines bool, true and false

#include <ldns/ldns.h>

#include <memory>

#include "resolver/dnsfront/limits.hpp"

namespace speerd::dnsfront {
namespace {

struct PktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
struct CharFree {
  void operator()(char* p) const { free(p); }
};

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
  std::unique_ptr<ldns_rdf, decltype(&ldns_rdf_deep_free)> name(ldns_rdf_clone(owner),
                                                                &ldns_rdf_deep_free);
  ldns_dname2canonical(name.get());
  std::unique_ptr<char, CharFree> text(ldns_rdf2str(name.get()));
  if (!text) return std::nullopt;
  Question out;
  out.qname = text.get();
  out.qtype = static_cast<std::uint16_t>(ldns_rr_get_type(rr));
  out.qclass = static_cast<std::uint16_t>(ldns_rr_get_class(rr));
  return out;
}

}  // namespace

Checked check_query(std::span<const std::uint8_t> wire) {
  if (wire.size() < LDNS_HEADER_SIZE) return reject(Refusal::drop, wire, "shorter than a header");
  if (LDNS_QR_WIRE(wire.data()) != 0) return reject(Refusal::drop, wire, "a response (QR=1)");
  if (LDNS_OPCODE_WIRE(wire.data()) != LDNS_PACKET_QUERY) {
    return reject(Refusal::notimp, wire, "opcode is not QUERY");
  }
  if (LDNS_TC_WIRE(wire.data()) != 0) return reject(Refusal::formerr, wire, "TC set in a query");
  if (wire.size() > kMaxQueryBytes) return reject(Refusal::formerr, wire, "query too large");
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
  std::unique_ptr<ldns_pkt, PktFree> pkt(raw);
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
  q.id = ldns_pkt_id(pkt.get());
  q.question = std::move(*question);
  q.rd = ldns_pkt_rd(pkt.get());
  q.cd = ldns_pkt_cd(pkt.get());
  q.ad = ldns_pkt_ad(pkt.get());
  q.edns = edns;
  if (edns) {
    q.do_bit = ldns_pkt_edns_do(pkt.get());
    // RFC 6891 6.2.3: values below 512 are treated as 512.
    q.udp_size = std::max<std::uint16_t>(ldns_pkt_edns_udp_size(pkt.get()), kClassicUdpSize);
  }
  return q;
}

}  // namespace speerd::dnsfront
