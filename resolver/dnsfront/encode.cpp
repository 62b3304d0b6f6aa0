#include "resolver/dnsfront/encode.hpp"

#include <stdbool.h>  // before ldns, which otherwise defines bool, true and false

#include <ldns/ldns.h>

#include <algorithm>
#include <memory>

#include "resolver/dns/ldns_ptr.hpp"
#include "resolver/dns/wire.hpp"

namespace speerd::dnsfront {
namespace {

using dns::Pkt;
using dns::Rdf;
using dns::to_wire;

// A <character-string> rdata field (RFC 1035 3.3), through ldns's parser:
// only the backslash is special to it.
ldns_rdf* text_rdf(std::string_view s) {
  std::string escaped;
  escaped.reserve(s.size() + 8);
  for (char c : s) {
    if (c == '\\') escaped.push_back('\\');
    escaped.push_back(c);
  }
  return ldns_rdf_new_frm_str(LDNS_RDF_TYPE_STR, escaped.c_str());
}

// The regexp of a terminal rule that rewrites every AUS to `uri`; the
// delimiter is one the URI does not contain (RFC 3402 3.2).
std::optional<std::string> regexp_for(std::string_view uri) {
  for (char d : std::string_view("!#|~%")) {
    if (uri.find(d) == std::string_view::npos) {
      return std::string(1, d) + "^.*$" + d + std::string(uri) + d;
    }
  }
  return std::nullopt;
}

ldns_rr* new_rr(const ldns_rdf* owner, ldns_rr_type type, std::uint32_t ttl) {
  ldns_rr* rr = ldns_rr_new();
  ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
  ldns_rr_set_type(rr, type);
  ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
  ldns_rr_set_ttl(rr, ttl);
  return rr;
}

ldns_rr* naptr_rr(const ldns_rdf* owner, const Naptr& n, std::uint32_t ttl) {
  auto re = regexp_for(n.uri);
  if (!re || re->size() > 255 || n.services.size() > 255) return nullptr;
  ldns_rdf* fields[] = {ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, n.order),
                        ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, n.preference),
                        text_rdf("u"),
                        text_rdf(n.services),
                        text_rdf(*re),
                        ldns_dname_new_frm_str(".")};
  bool ok = true;
  for (auto* f : fields) ok = ok && f != nullptr;
  if (!ok) {
    for (auto* f : fields) {
      if (f != nullptr) ldns_rdf_deep_free(f);
    }
    return nullptr;
  }
  ldns_rr* rr = new_rr(owner, LDNS_RR_TYPE_NAPTR, ttl);
  for (auto* f : fields) ldns_rr_push_rdf(rr, f);
  return rr;
}

// A NAPTR from its wire rdata as received; null when ldns cannot read it.
ldns_rr* received_rr(const ldns_rdf* owner, const std::string& rdata, std::uint32_t ttl) {
  if (rdata.size() > 0xFFFF) return nullptr;
  // ldns_wire2rdf reads RDLENGTH, then the fields the type's descriptor names.
  std::vector<std::uint8_t> wire(2 + rdata.size());
  ldns_write_uint16(wire.data(), static_cast<std::uint16_t>(rdata.size()));
  std::copy(rdata.begin(), rdata.end(), wire.begin() + 2);
  ldns_rr* rr = new_rr(owner, LDNS_RR_TYPE_NAPTR, ttl);
  std::size_t pos = 0;
  if (ldns_wire2rdf(rr, wire.data(), wire.size(), &pos) != LDNS_STATUS_OK || pos != wire.size()) {
    ldns_rr_free(rr);
    return nullptr;
  }
  return rr;
}

// The SRV record of a next hop (RFC 2782); null when ldns cannot read a name.
ldns_rr* srv_rr(const NextHop& h, std::uint32_t ttl) {
  Rdf owner(ldns_dname_new_frm_str(h.srv.c_str()));
  ldns_rdf* target = ldns_dname_new_frm_str(h.host.c_str());
  if (!owner || target == nullptr) {
    if (target != nullptr) ldns_rdf_deep_free(target);
    return nullptr;
  }
  ldns_rr* rr = new_rr(owner.get(), LDNS_RR_TYPE_SRV, ttl);
  ldns_rr_push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, h.priority));
  ldns_rr_push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, h.weight));
  ldns_rr_push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, h.port));
  ldns_rr_push_rdf(rr, target);
  return rr;
}

// The A or AAAA record of a next hop's host; null for an IP literal host or
// an address ldns cannot read.
ldns_rr* address_rr(const NextHop& h, std::uint32_t ttl) {
  if (h.host.empty() || h.host == h.address) return nullptr;
  const bool v6 = h.address.find(':') != std::string::npos;
  ldns_rdf* addr =
      ldns_rdf_new_frm_str(v6 ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, h.address.c_str());
  Rdf owner(ldns_dname_new_frm_str(h.host.c_str()));
  if (addr == nullptr || !owner) {
    if (addr != nullptr) ldns_rdf_deep_free(addr);
    return nullptr;
  }
  ldns_rr* rr = new_rr(owner.get(), v6 ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A, ttl);
  ldns_rr_push_rdf(rr, addr);
  return rr;
}

// Pushes `rr` (owned) into the additional section unless an equal record is
// there already (two targets of one SRV record, one host for two transports).
void push_additional(ldns_pkt* pkt, ldns_rr* rr) {
  if (rr == nullptr) return;
  const ldns_rr_list* have = ldns_pkt_additional(pkt);
  for (std::size_t i = 0; have != nullptr && i < ldns_rr_list_rr_count(have); ++i) {
    if (ldns_rr_compare(ldns_rr_list_rr(have, i), rr) == 0) {
      ldns_rr_free(rr);
      return;
    }
  }
  ldns_pkt_push_rr(pkt, LDNS_SECTION_ADDITIONAL, rr);
}

ldns_rr* soa_rr(const std::string& apex, std::uint32_t ttl, const AnswerSettings& s) {
  const std::string text = apex + " " + std::to_string(ttl) + " IN SOA " + s.soa_mname + " " +
                           s.soa_rname + " 1 3600 600 86400 " + std::to_string(ttl);
  ldns_rr* rr = nullptr;
  if (ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr) != LDNS_STATUS_OK) {
    return nullptr;
  }
  return rr;
}

// Header, question and OPT (with the EDE) of an answer.
Pkt skeleton(std::uint16_t id, std::uint8_t opcode, bool rd, const std::optional<Question>& q,
             bool edns, bool do_bit, std::uint16_t rc, const std::optional<Ede>& e,
             std::uint16_t udp_size) {
  Pkt pkt(ldns_pkt_new());
  if (!pkt) return pkt;
  ldns_pkt_set_id(pkt.get(), id);
  ldns_pkt_set_qr(pkt.get(), true);
  ldns_pkt_set_opcode(pkt.get(), static_cast<ldns_pkt_opcode>(opcode));
  ldns_pkt_set_rd(pkt.get(), rd);
  if (q) {
    ldns_rdf* owner = ldns_dname_new_frm_str(q->qname.c_str());
    if (owner == nullptr) return nullptr;
    ldns_rr* rr = ldns_rr_new();
    ldns_rr_set_owner(rr, owner);
    ldns_rr_set_type(rr, static_cast<ldns_rr_type>(q->qtype));
    ldns_rr_set_class(rr, static_cast<ldns_rr_class>(q->qclass));
    ldns_rr_set_question(rr, true);
    ldns_pkt_push_rr(pkt.get(), LDNS_SECTION_QUESTION, rr);
  }
  ldns_pkt_set_rcode(pkt.get(), static_cast<std::uint8_t>(rc & 0xF));
  if (!edns) return pkt;
  ldns_pkt_set_edns_udp_size(pkt.get(), udp_size);
  ldns_pkt_set_edns_do(pkt.get(), do_bit);
  ldns_pkt_set_edns_extended_rcode(pkt.get(), static_cast<std::uint8_t>(rc >> 4));
  if (e) {
    // RFC 8914 2: INFO-CODE (16 bits) then EXTRA-TEXT.
    std::vector<std::uint8_t> data(2 + e->text.size());
    ldns_write_uint16(data.data(), e->code);
    std::copy(e->text.begin(), e->text.end(), data.begin() + 2);
    ldns_edns_option_list* list = ldns_edns_option_list_new();
    ldns_edns_option* opt = ldns_edns_new_from_data(LDNS_EDNS_EDE, data.size(), data.data());
    if (list == nullptr || opt == nullptr || !ldns_edns_option_list_push(list, opt)) {
      if (opt != nullptr) ldns_edns_deep_free(opt);
      if (list != nullptr) ldns_edns_option_list_deep_free(list);
      return nullptr;
    }
    ldns_pkt_set_edns_option_list(pkt.get(), list);
  }
  return pkt;
}

// What build() leaves out of the answer.
enum class Cut : std::uint8_t {
  none,        // the whole answer
  additional,  // all but the additional section
  all,         // header, question and OPT only, TC=1
};

Pkt build(const Query& q, const Reply& r, const AnswerSettings& s, Cut cut) {
  Pkt pkt = skeleton(q.id, LDNS_PACKET_QUERY, q.rd, q.question, q.edns, q.do_bit, r.rcode, r.ede,
                     s.udp_size);
  if (!pkt) return pkt;
  ldns_pkt_set_cd(pkt.get(), q.cd);
  ldns_pkt_set_ra(pkt.get(), r.ra);
  ldns_pkt_set_ad(pkt.get(), r.ad);
  if (cut == Cut::all) {
    ldns_pkt_set_tc(pkt.get(), true);
    return pkt;
  }
  Rdf owner(ldns_dname_new_frm_str(q.question.qname.c_str()));
  if (!owner) return nullptr;
  for (const auto& n : r.naptrs) {
    if (ldns_rr* rr = naptr_rr(owner.get(), n, r.ttl)) {
      ldns_pkt_push_rr(pkt.get(), LDNS_SECTION_ANSWER, rr);
    }
  }
  for (const auto& w : r.received_naptrs) {
    if (ldns_rr* rr = received_rr(owner.get(), w, r.ttl)) {
      ldns_pkt_push_rr(pkt.get(), LDNS_SECTION_ANSWER, rr);
    }
  }
  if (r.rfc8482) {
    // RFC 8482 4.2: one synthesized HINFO answers ANY.
    ldns_rr* rr = new_rr(owner.get(), LDNS_RR_TYPE_HINFO, r.ttl);
    ldns_rr_push_rdf(rr, text_rdf("RFC8482"));
    ldns_rr_push_rdf(rr, text_rdf(""));
    ldns_pkt_push_rr(pkt.get(), LDNS_SECTION_ANSWER, rr);
  }
  if (!r.soa_zone.empty()) {
    ldns_rr* rr = soa_rr(r.soa_zone, r.ttl, s);
    if (rr == nullptr) return nullptr;
    ldns_pkt_push_rr(pkt.get(), LDNS_SECTION_AUTHORITY, rr);
  }
  if (cut == Cut::none) {
    for (const auto& h : r.next_hops) {
      if (!h.srv.empty()) push_additional(pkt.get(), srv_rr(h, r.ttl));
      push_additional(pkt.get(), address_rr(h, r.ttl));
    }
  }
  return pkt;
}

}  // namespace

std::vector<std::uint8_t> encode(const Query& q, const Reply& reply, const AnswerSettings& s,
                                 std::size_t max_size) {
  const Cut cuts[] = {Cut::none, Cut::additional, Cut::all};
  for (const Cut c : cuts) {
    if (c == Cut::additional && reply.next_hops.empty()) continue;
    Pkt pkt = build(q, reply, s, c);
    if (!pkt) return {};
    auto wire = to_wire(pkt.get());
    if (wire.size() <= max_size || c == Cut::all) return wire;
  }
  return {};
}

std::vector<std::uint8_t> encode_rejected(const Rejected& r) {
  std::uint16_t rc = rcode::kFormErr;
  if (r.refusal == Refusal::drop) return {};
  if (r.refusal == Refusal::notimp) rc = rcode::kNotImp;
  if (r.refusal == Refusal::badvers) rc = rcode::kBadVers;
  // A question is echoed only with a QUERY opcode (its format is known).
  const std::optional<Question> q = r.opcode == LDNS_PACKET_QUERY ? r.question : std::nullopt;
  Pkt pkt = skeleton(r.id, r.opcode, r.rd, q, r.edns, false, rc, std::nullopt,
                     static_cast<std::uint16_t>(dns::kClassicUdpSize));
  if (!pkt) return {};
  return to_wire(pkt.get());
}

}  // namespace speerd::dnsfront
