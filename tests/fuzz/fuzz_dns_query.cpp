// Fuzz target for the DNS front end's first gate (resolver/dnsfront/query.hpp)
// and its encoder (encode.hpp): any bytes a client can send. Checks
// invariants, not just "no crash": a rejected query is answered (or dropped)
// with its own id; an accepted one round-trips through ldns, and every
// answer built for it fits the size asked for, is a response with the
// query's id, and parses back. A signed query (seed tsig_hmac_sha256) is
// verified with a fixed key, and every TSIG answer to it parses back and
// grows by at most tsig_size().
#include <stdbool.h>  // before ldns, which otherwise defines bool, true and false

#include <ldns/ldns.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "resolver/dns/wire.hpp"
#include "resolver/dnsfront/encode.hpp"
#include "resolver/dnsfront/query.hpp"
#include "resolver/dnsfront/tsig.hpp"
#include "resolver/service/limits.hpp"

namespace {

namespace df = speerd::dnsfront;
using speerd::dns::kClassicUdpSize;
using speerd::dns::kMaxMessageBytes;
using speerd::service::kMaxExtraText;

void check(bool ok) {
  if (!ok) std::abort();
}

// The wire parses, is a response and carries `id`.
void check_answer(const std::vector<std::uint8_t>& wire, std::uint16_t id, std::size_t max) {
  check(!wire.empty());
  check(wire.size() <= max);
  ldns_pkt* p = nullptr;
  check(ldns_wire2pkt(&p, wire.data(), wire.size()) == LDNS_STATUS_OK);
  check(ldns_pkt_qr(p));
  check(ldns_pkt_id(p) == id);
  ldns_pkt_free(p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto checked = df::check_query(std::span<const std::uint8_t>(data, size));
  if (const auto* r = std::get_if<df::Rejected>(&checked)) {
    const auto wire = df::encode_rejected(*r);
    if (r->refusal == df::Refusal::drop) {
      check(wire.empty());
    } else {
      check_answer(wire, r->id, kClassicUdpSize);
    }
    return 0;
  }
  const auto& q = std::get<df::Query>(checked);
  check(!q.question.qname.empty() && q.question.qname.back() == '.');
  check(q.udp_size >= kClassicUdpSize);
  const df::AnswerSettings s;
  // A refusal, a negative answer with an SOA, and a positive answer whose
  // URI and services come from the input (hostile text in rdata).
  df::Reply refused;
  refused.rcode = df::rcode::kRefused;
  refused.ede = df::Ede{18, std::string(q.question.qname, 0, kMaxExtraText)};
  check_answer(df::encode(q, refused, s, kClassicUdpSize), q.id, kClassicUdpSize);
  df::Reply negative;
  negative.rcode = df::rcode::kNxDomain;
  negative.soa_zone = "e164.example.";
  negative.ttl = 60;
  check_answer(df::encode(q, negative, s, kClassicUdpSize), q.id, kClassicUdpSize);
  df::Reply positive;
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (std::uint16_t k = 1; k <= 12; ++k) {
    positive.naptrs.push_back(df::Naptr{static_cast<std::uint16_t>(k * 10), 10, "E2U+sip",
                                        "sip:" + text.substr(0, 40 + k)});
  }
  positive.ttl = 300;
  for (std::size_t max : {kClassicUdpSize, std::size_t{1232}, kMaxMessageBytes}) {
    check_answer(df::encode(q, positive, s, max), q.id, max);
  }
  if (q.tsig) {
    const df::TsigSecret key{"sbc-a.key.", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg=="};
    const auto now = q.tsig->time_signed;
    const auto result =
        df::verify_tsig(std::span<const std::uint8_t>(data, size), *q.tsig, &key, now);
    check(result != df::TsigResult::missing);
    const std::size_t max = kClassicUdpSize;
    const auto plain = df::encode(q, positive, s, max - df::tsig_size(*q.tsig));
    for (auto r : {df::TsigResult::ok, df::TsigResult::badkey, df::TsigResult::badsig,
                   df::TsigResult::badtime}) {
      const auto signed_wire = df::sign_answer(plain, *q.tsig, &key, r, now);
      if (signed_wire.empty()) continue;  // a key name ldns cannot write back
      // The TSIG takes at most tsig_size() (what the handler reserves).
      check_answer(signed_wire, q.id, plain.size() + df::tsig_size(*q.tsig));
    }
  }
  return 0;
}
