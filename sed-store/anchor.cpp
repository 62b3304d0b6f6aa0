#include "sed-store/anchor.hpp"

#include <ldns/ldns.h>

#include <cstdlib>
#include <memory>

#include "sed-store/limits.hpp"
#include "sed-store/validate.hpp"

namespace speerd::store {
namespace {

struct RrDeleter {
  void operator()(ldns_rr* rr) const { ldns_rr_free(rr); }
};
struct RdfDeleter {
  void operator()(ldns_rdf* rdf) const { ldns_rdf_deep_free(rdf); }
};
using RrPtr = std::unique_ptr<ldns_rr, RrDeleter>;
using RdfPtr = std::unique_ptr<ldns_rdf, RdfDeleter>;

// DNSSEC algorithms a validator (unbound 1.17) can use: RSASHA1, RSASHA1-NSEC3,
// RSASHA256, RSASHA512, ECDSAP256SHA256, ECDSAP384SHA384, ED25519, ED448.
bool supported_algorithm(int alg) {
  return alg == 5 || alg == 7 || alg == 8 || alg == 10 || alg == 13 || alg == 14 || alg == 15 ||
         alg == 16;
}

// DS digest types (RFC 4034, 4509, 6605) and their digest lengths.
std::size_t digest_length(int type) {
  switch (type) {
    case 1:
      return 20;  // SHA-1
    case 2:
      return 32;  // SHA-256
    case 4:
      return 48;  // SHA-384
    default:
      return 0;
  }
}

int rdf_int(const ldns_rr* rr, std::size_t i) {
  const ldns_rdf* f = ldns_rr_rdf(rr, i);
  if (f == nullptr) return -1;
  switch (ldns_rdf_get_type(f)) {
    case LDNS_RDF_TYPE_INT8:
    case LDNS_RDF_TYPE_ALG:
      return ldns_rdf2native_int8(f);
    case LDNS_RDF_TYPE_INT16:
      return ldns_rdf2native_int16(f);
    default:
      return -1;
  }
}

}  // namespace

speerd::Expected<ParsedAnchor> parse_trust_anchor(std::string_view zone_text,
                                                  std::string_view rr_text) {
  auto zone = validate::domain(zone_text, /*allow_root=*/true);
  if (!zone) return speerd::fail("zone " + zone.error());
  if (rr_text.empty()) return speerd::fail("the record is empty");
  if (rr_text.size() > kMaxAnchorTextLength) return speerd::fail("the record is too long");
  for (char c : rr_text) {
    const auto u = static_cast<unsigned char>(c);
    if (u == 0 || u == '\n' || u == '\r' || (u < 0x20 && u != '\t') || u >= 0x7f) {
      return speerd::fail("the record " + validate::quote(rr_text) +
                          " contains a control or non-ASCII character (one record, one line)");
    }
  }
  // Relative owner names are completed with the root, never with the zone: a
  // record must name its owner in full.
  RdfPtr root(ldns_dname_new_frm_str("."));
  ldns_rr* raw = nullptr;
  const std::string text(rr_text);
  const ldns_status st = ldns_rr_new_frm_str(&raw, text.c_str(), 3600, root.get(), nullptr);
  RrPtr rr(raw);
  if (st != LDNS_STATUS_OK || !rr) {
    return speerd::fail("the record " + validate::quote(rr_text) +
                        " does not parse: " + ldns_get_errorstr_by_id(st));
  }
  if (ldns_rr_get_class(rr.get()) != LDNS_RR_CLASS_IN)
    return speerd::fail("the record is not class IN");
  const ldns_rr_type type = ldns_rr_get_type(rr.get());
  if (type != LDNS_RR_TYPE_DS && type != LDNS_RR_TYPE_DNSKEY) {
    return speerd::fail("the record is neither DS nor DNSKEY");
  }
  RdfPtr zone_rdf(ldns_dname_new_frm_str(zone->c_str()));
  if (!zone_rdf) return speerd::fail("zone " + validate::quote(zone_text) + " does not parse");
  if (ldns_dname_compare(ldns_rr_owner(rr.get()), zone_rdf.get()) != 0) {
    char* owner = ldns_rdf2str(ldns_rr_owner(rr.get()));
    std::string o = owner ? owner : "?";
    free(owner);  // NOLINT: ldns allocates with malloc
    return speerd::fail("the record's owner " + validate::quote(o) + " is not the zone " +
                        validate::quote(*zone));
  }
  ParsedAnchor out;
  out.zone = *zone;
  if (type == LDNS_RR_TYPE_DS) {
    out.kind = AnchorKind::ds;
    if (ldns_rr_rd_count(rr.get()) != 4) return speerd::fail("the DS record has the wrong fields");
    out.key_tag = rdf_int(rr.get(), 0);
    const int alg = rdf_int(rr.get(), 1);
    const int digest_type = rdf_int(rr.get(), 2);
    if (!supported_algorithm(alg)) {
      return speerd::fail("DS algorithm " + std::to_string(alg) + " is not supported");
    }
    const std::size_t want = digest_length(digest_type);
    if (want == 0) {
      return speerd::fail("DS digest type " + std::to_string(digest_type) +
                          " is not supported (1, 2 or 4)");
    }
    const ldns_rdf* digest = ldns_rr_rdf(rr.get(), 3);
    if (digest == nullptr || ldns_rdf_size(digest) != want) {
      return speerd::fail("the DS digest has the wrong length for digest type " +
                          std::to_string(digest_type));
    }
  } else {
    out.kind = AnchorKind::dnskey;
    if (ldns_rr_rd_count(rr.get()) != 4) {
      return speerd::fail("the DNSKEY record has the wrong fields");
    }
    const int flags = rdf_int(rr.get(), 0);
    const int protocol = rdf_int(rr.get(), 1);
    const int alg = rdf_int(rr.get(), 2);
    if ((flags & 0x0100) == 0) return speerd::fail("the DNSKEY is not a zone key (flag 256 unset)");
    if (protocol != 3) return speerd::fail("the DNSKEY protocol is not 3");
    if (!supported_algorithm(alg)) {
      return speerd::fail("DNSKEY algorithm " + std::to_string(alg) + " is not supported");
    }
    const ldns_rdf* key = ldns_rr_rdf(rr.get(), 3);
    if (key == nullptr || ldns_rdf_size(key) == 0) return speerd::fail("the DNSKEY has no key");
    out.key_tag = ldns_calc_keytag(rr.get());
  }
  char* printed = ldns_rr2str(rr.get());
  if (printed == nullptr) return speerd::fail("the record cannot be printed");
  out.rr = printed;
  free(printed);  // NOLINT: ldns allocates with malloc
  // One line, single spaces (ldns separates the first fields with tabs).
  for (char& c : out.rr) {
    if (c == '\t') c = ' ';
  }
  while (!out.rr.empty() && (out.rr.back() == '\n' || out.rr.back() == ' ')) out.rr.pop_back();
  return out;
}

}  // namespace speerd::store
