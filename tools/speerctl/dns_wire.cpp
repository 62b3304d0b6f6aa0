// speerctl trace --dns, the wire side: the query as dig builds it, and the
// front end's answer read back, both with ldns (never by hand).
#include <stdbool.h>  // before ldns, which otherwise defines bool, true and false

#include <ldns/ldns.h>

#include <openssl/rand.h>

#include <memory>

#include "resolver/dns/ldns_ptr.hpp"
#include "tools/speerctl/command.hpp"
#include "tools/speerctl/dns_trace.hpp"

namespace speerctl {
namespace {

constexpr std::uint16_t kDigUdpSize = 1232;  // dig 9.18's EDNS buffer size
constexpr std::uint16_t kTsigFudge = 300;

using speerd::dns::Pkt;

std::string rr_text(const ldns_rr* rr) {
  char* s = ldns_rr2str(rr);
  if (s == nullptr) return "(unprintable record)";
  std::string out(s);
  free(s);  // NOLINT: ldns allocates with malloc
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  for (auto& c : out) {
    if (c == '\t') c = ' ';
  }
  return out;
}

std::vector<std::string> section(const ldns_rr_list* list, std::size_t* naptrs) {
  std::vector<std::string> out;
  if (list == nullptr) return out;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(list, i);
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_OPT) continue;
    if (naptrs != nullptr && ldns_rr_get_type(rr) == LDNS_RR_TYPE_NAPTR) ++*naptrs;
    out.push_back(rr_text(rr));
  }
  return out;
}

std::string printable(const std::uint8_t* p, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += (p[i] >= 0x20 && p[i] < 0x7f) ? char(p[i]) : '?';
  return out;
}

}  // namespace

std::optional<std::uint16_t> qtype_of(const std::string& name) {
  const ldns_rr_type t = ldns_get_rr_type_by_name(name.c_str());
  if (t == 0) return std::nullopt;
  return static_cast<std::uint16_t>(t);
}

std::vector<std::uint8_t> build_query(const QuerySpec& q) {
  ldns_rdf* name = ldns_dname_new_frm_str(q.qname.c_str());
  if (name == nullptr) throw Exit(exit_code::kUsage, "not a domain name: " + q.qname);
  Pkt pkt(ldns_pkt_query_new(name, static_cast<ldns_rr_type>(q.qtype), LDNS_RR_CLASS_IN,
                             LDNS_RD | LDNS_AD));
  if (!pkt) throw Exit(exit_code::kInternal, "ldns could not build the query");
  std::uint16_t id = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&id), sizeof id) != 1) id = 0x5eed;
  ldns_pkt_set_id(pkt.get(), id);
  ldns_pkt_set_edns_udp_size(pkt.get(), kDigUdpSize);
  ldns_pkt_set_edns_do(pkt.get(), q.dnssec);
  if (!q.tsig_name.empty()) {
    const ldns_status st = ldns_pkt_tsig_sign(pkt.get(), q.tsig_name.c_str(), q.tsig_secret.c_str(),
                                              kTsigFudge, "hmac-sha256.", nullptr);
    if (st != LDNS_STATUS_OK) {
      throw Exit(exit_code::kConfig, "signing with TSIG key " + q.tsig_name +
                                         " failed: " + ldns_get_errorstr_by_id(st));
    }
  }
  auto out = speerd::dns::to_wire(pkt.get());
  if (out.empty()) throw Exit(exit_code::kInternal, "ldns could not write the query");
  return out;
}

DecodedAnswer decode_answer(const std::vector<std::uint8_t>& wire) {
  DecodedAnswer a;
  a.bytes = wire.size();
  if (wire.empty()) return a;
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, wire.data(), wire.size()) != LDNS_STATUS_OK || raw == nullptr) return a;
  Pkt pkt(raw);
  a.parsed = true;
  const unsigned rc = (static_cast<unsigned>(ldns_pkt_edns_extended_rcode(pkt.get())) << 4) |
                      static_cast<unsigned>(ldns_pkt_get_rcode(pkt.get()));
  const ldns_lookup_table* name = ldns_lookup_by_id(ldns_rcodes, static_cast<int>(rc));
  a.rcode = rc == 9           ? "NOTAUTH"
            : rc == 16        ? "BADVERS"
            : name != nullptr ? name->name
                              : "RCODE" + std::to_string(rc);
  const std::pair<const char*, bool> flags[] = {
      {"qr", ldns_pkt_qr(pkt.get())}, {"aa", ldns_pkt_aa(pkt.get())},
      {"tc", ldns_pkt_tc(pkt.get())}, {"rd", ldns_pkt_rd(pkt.get())},
      {"ra", ldns_pkt_ra(pkt.get())}, {"ad", ldns_pkt_ad(pkt.get())},
      {"cd", ldns_pkt_cd(pkt.get())}};
  for (const auto& [n, set] : flags) {
    if (set) a.flags.emplace_back(n);
  }
  if (ldns_edns_option_list* opts = ldns_pkt_edns_get_option_list(pkt.get())) {
    for (std::size_t i = 0; i < ldns_edns_option_list_get_count(opts); ++i) {
      ldns_edns_option* o = ldns_edns_option_list_get_option(opts, i);
      if (o == nullptr || ldns_edns_get_code(o) != LDNS_EDNS_EDE || ldns_edns_get_size(o) < 2)
        continue;
      const std::uint8_t* d = ldns_edns_get_data(o);
      a.ede.push_back({static_cast<std::uint16_t>((d[0] << 8) | d[1]),
                       printable(d + 2, ldns_edns_get_size(o) - 2)});
    }
  }
  a.answer = section(ldns_pkt_answer(pkt.get()), &a.naptrs);
  a.authority = section(ldns_pkt_authority(pkt.get()), nullptr);
  a.signed_answer = ldns_pkt_tsig(pkt.get()) != nullptr;
  return a;
}

}  // namespace speerctl
