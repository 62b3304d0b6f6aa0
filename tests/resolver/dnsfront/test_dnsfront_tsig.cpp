// TSIG (RFC 8945) of the DNS front end (resolver/dnsfront/tsig.hpp): queries
// signed by ldns as a client would sign them, verified and answered; the
// handler's choices (the key names the client, tsig required, another
// client's prefix or certificate). Time skew is tested here, with the
// verifier's clock moved (the end-to-end cases cannot move dig's).
#include <stdbool.h>  // before ldns, which otherwise defines bool, true and false

#include <ldns/ldns.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "resolver/dnsfront/access.hpp"
#include "resolver/dnsfront/encode.hpp"
#include "resolver/dnsfront/handler.hpp"
#include "resolver/dnsfront/tsig.hpp"
#include "sed-store/prefix.hpp"
#include "tests/resolver/dnsfront/wire_support.hpp"

using namespace speerd::dnsfront;
using speerd::dnsfront::testing::parsed;

namespace {

const char* kName = "4.3.2.1.5.5.5.5.1.2.1.e164.example.";
const char* kKey = "sbc-a.key.";
const char* kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk=";
const char* kOther = "YW5vdGhlci1zZWNyZXQtc2VjcmV0LXNlY3JldC0zMmI=";

std::uint64_t now() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::vector<std::uint8_t> wire_of(const ldns_pkt* p) {
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  REQUIRE(ldns_pkt2wire(&wire, p, &size) == LDNS_STATUS_OK);
  std::vector<std::uint8_t> out(wire, wire + size);
  free(wire);
  return out;
}

// A query signed by ldns (as dig -y signs it): `algorithm` with this secret.
std::vector<std::uint8_t> signed_query(const char* name, ldns_rr_type type, const char* key = kKey,
                                       const char* secret = kSecret,
                                       const char* algorithm = "hmac-sha256.") {
  ldns_pkt* p = nullptr;
  REQUIRE(ldns_pkt_query_new_frm_str(&p, name, type, LDNS_RR_CLASS_IN, LDNS_RD) == LDNS_STATUS_OK);
  ldns_pkt_set_id(p, 0x7154);
  ldns_pkt_set_edns_udp_size(p, 1232);
  REQUIRE(ldns_pkt_tsig_sign(p, key, secret, 300, algorithm, nullptr) == LDNS_STATUS_OK);
  auto out = wire_of(p);
  ldns_pkt_free(p);
  return out;
}

std::vector<std::uint8_t> unsigned_query(const char* name, ldns_rr_type type) {
  ldns_pkt* p = nullptr;
  REQUIRE(ldns_pkt_query_new_frm_str(&p, name, type, LDNS_RR_CLASS_IN, LDNS_RD) == LDNS_STATUS_OK);
  auto out = wire_of(p);
  ldns_pkt_free(p);
  return out;
}

// An answer as a client reads it back.
struct Answer {
  ldns_pkt* p = nullptr;
  std::vector<std::uint8_t> wire;
  explicit Answer(std::vector<std::uint8_t> w) : wire(std::move(w)) {
    REQUIRE(ldns_wire2pkt(&p, wire.data(), wire.size()) == LDNS_STATUS_OK);
  }
  ~Answer() { ldns_pkt_free(p); }
  const ldns_rr* tsig() const { return ldns_pkt_tsig(p); }
  std::uint16_t error() const { return ldns_rdf2native_int16(ldns_rr_rdf(tsig(), 5)); }
  std::size_t mac_size() const { return ldns_rdf_size(ldns_rr_rdf(tsig(), 3)) - 2; }
  // Verifies as the client does: with the request's MAC.
  bool verifies(const Query& q, const char* secret = kSecret) const {
    std::vector<std::uint8_t> mac(2 + q.tsig->mac.size());
    ldns_write_uint16(mac.data(), static_cast<std::uint16_t>(q.tsig->mac.size()));
    std::copy(q.tsig->mac.begin(), q.tsig->mac.end(), mac.begin() + 2);
    ldns_rdf* rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, mac.size(), mac.data());
    const bool ok = ldns_pkt_tsig_verify(p, wire.data(), wire.size(), kKey, secret, rdf);
    ldns_rdf_deep_free(rdf);
    return ok;
  }
};

}  // namespace

TEST_CASE("check_query reads a TSIG record", "[dnsfront][tsig]") {
  const auto q = parsed(signed_query(kName, LDNS_RR_TYPE_NAPTR, "SBC-A.Key."));
  REQUIRE(q.tsig);
  CHECK(q.tsig->key_name == "sbc-a.key.");  // lower case
  CHECK(q.tsig->algorithm == "hmac-sha256.");
  CHECK(q.tsig->fudge == 300);
  CHECK(q.tsig->mac.size() == 32);
  CHECK(q.tsig->original_id == 0x7154);
  const auto t = static_cast<std::int64_t>(q.tsig->time_signed);
  CHECK(std::abs(t - static_cast<std::int64_t>(now())) < 5);
  CHECK_FALSE(parsed(unsigned_query(kName, LDNS_RR_TYPE_NAPTR)).tsig);
}

TEST_CASE("verify_tsig: ok, badkey, badsig, badtime in RFC 8945 5.2's order", "[dnsfront][tsig]") {
  const auto wire = signed_query(kName, LDNS_RR_TYPE_NAPTR);
  const auto q = parsed(wire);
  const TsigSecret key{kKey, kSecret};
  const TsigSecret other{kKey, kOther};
  const auto t = now();
  CHECK(verify_tsig(wire, *q.tsig, &key, t) == TsigResult::ok);
  CHECK(verify_tsig(wire, *q.tsig, nullptr, t) == TsigResult::badkey);
  CHECK(verify_tsig(wire, *q.tsig, &other, t) == TsigResult::badsig);
  // Outside time signed +- 300 s either way; the MAC is checked first.
  CHECK(verify_tsig(wire, *q.tsig, &key, t + 301 + 5) == TsigResult::badtime);
  CHECK(verify_tsig(wire, *q.tsig, &key, t - 301 - 5) == TsigResult::badtime);
  CHECK(verify_tsig(wire, *q.tsig, &key, t + 250) == TsigResult::ok);
  CHECK(verify_tsig(wire, *q.tsig, &other, t + 1000) == TsigResult::badsig);
  // One flipped byte of the question.
  auto changed = wire;
  changed[14] ^= 0x01;
  CHECK(verify_tsig(changed, *q.tsig, &key, t) == TsigResult::badsig);
  // Another algorithm with the same secret: not a key speerd has.
  const auto sha1 = signed_query(kName, LDNS_RR_TYPE_NAPTR, kKey, kSecret, "hmac-sha1.");
  CHECK(verify_tsig(sha1, *parsed(sha1).tsig, &key, t) == TsigResult::badkey);
}

TEST_CASE("sign_answer: the answer signed over the request MAC, errors per 5.3.2",
          "[dnsfront][tsig]") {
  const auto wire = signed_query(kName, LDNS_RR_TYPE_NAPTR);
  const auto q = parsed(wire);
  const TsigSecret key{kKey, kSecret};
  Reply r;
  r.rcode = rcode::kServFail;
  r.ede = Ede{speerd::dns::ede::kDnssecBogus, "6: bogus"};
  const auto plain = encode(q, r, AnswerSettings{}, 1232);
  const auto t = now();

  Answer ok(sign_answer(plain, *q.tsig, &key, TsigResult::ok, t));
  REQUIRE(ok.tsig());
  CHECK(ok.error() == 0);
  CHECK(ok.verifies(q));
  CHECK_FALSE(ok.verifies(q, kOther));
  CHECK(ldns_pkt_get_rcode(ok.p) == LDNS_RCODE_SERVFAIL);
  CHECK(ldns_pkt_edns_get_option_list(ok.p) != nullptr);  // the EDE survives signing
  CHECK(ok.wire.size() - plain.size() <= tsig_size(*q.tsig));

  // BADTIME: signed, the request's time, the server's in Other Data.
  Reply notauth;
  notauth.rcode = kRcodeNotAuth;
  const auto refused = encode(q, notauth, AnswerSettings{}, 1232);
  Answer late(sign_answer(refused, *q.tsig, &key, TsigResult::badtime, t + 1000));
  REQUIRE(late.tsig());
  CHECK(ldns_pkt_get_rcode(late.p) == kRcodeNotAuth);
  CHECK(late.error() == tsig_error::kBadTime);
  CHECK(late.mac_size() == 32);
  CHECK(late.verifies(q));  // ldns's verifier takes error and Other Data from the record
  const ldns_rdf* other = ldns_rr_rdf(late.tsig(), 6);
  REQUIRE(ldns_rdf_size(other) == 2 + 6);
  std::uint64_t server = 0;
  for (int i = 0; i < 6; ++i) server = (server << 8) | ldns_rdf_data(other)[2 + i];
  CHECK(server == t + 1000);
  CHECK(late.wire.size() - refused.size() <= tsig_size(*q.tsig));

  // BADKEY, BADSIG: unsigned, an empty MAC.
  for (auto [result, code] : {std::pair{TsigResult::badkey, tsig_error::kBadKey},
                              std::pair{TsigResult::badsig, tsig_error::kBadSig}}) {
    Answer bad(sign_answer(refused, *q.tsig, nullptr, result, t));
    REQUIRE(bad.tsig());
    CHECK(bad.error() == code);
    CHECK(bad.mac_size() == 0);
  }
}

TEST_CASE("the handler: the key names the client, tsig required, fail closed on a mismatch",
          "[dnsfront][tsig]") {
  speerd::service::RateLimiter limiter;
  speerd::service::Metrics metrics;
  HandlerConfig config;
  config.trees = {{"private-a", "e164.example."}};
  config.default_rate = {100, 100};
  speerd::service::ClientRecord a, strict;
  a.id = "sbc-a";
  a.scope.client_id = "sbc-a";
  a.scope.trees = {"private-a"};
  strict = a;
  strict.id = strict.scope.client_id = "strict";
  strict.tsig_required = true;
  SourceTable table;
  table.add(*speerd::store::parse_source_prefix("192.0.2.0/24"), a);
  table.add(*speerd::store::parse_source_prefix("198.51.100.0/24"), strict);
  table.add_key(kKey, kSecret, a);
  table.add_key("strict.key.", kOther, strict);
  Handler handler(config, std::make_unique<MemorySources>(std::move(table)), limiter, metrics);
  const auto ip = [](const char* s) { return boost::asio::ip::make_address(s); };
  std::vector<std::uint8_t> got;
  const auto keep = [&](std::vector<std::uint8_t> b) { got = std::move(b); };
  // A non-NAPTR type: NODATA past every access check, no lookup.
  const char* name = "1.e164.example.";

  // Signed from no client's prefix: the key's client is served, signed.
  auto wire = signed_query(name, LDNS_RR_TYPE_TXT);
  handler.handle(wire, ip("203.0.113.1"), Transport::udp, keep);
  {
    Answer ans(got);
    CHECK(ldns_pkt_get_rcode(ans.p) == LDNS_RCODE_NOERROR);
    CHECK(ans.verifies(parsed(wire)));
  }
  // From another client's prefix: refused (signed, so the client trusts it).
  handler.handle(wire, ip("198.51.100.1"), Transport::udp, keep);
  {
    Answer ans(got);
    CHECK(ldns_pkt_get_rcode(ans.p) == LDNS_RCODE_REFUSED);
    CHECK(ans.verifies(parsed(wire)));
  }
  // Unsigned from a client that requires TSIG: REFUSED; signed: served.
  handler.handle(unsigned_query(name, LDNS_RR_TYPE_TXT), ip("198.51.100.1"), Transport::tcp, keep);
  {
    Answer ans(got);
    CHECK(ldns_pkt_get_rcode(ans.p) == LDNS_RCODE_REFUSED);
    CHECK(ans.tsig() == nullptr);
  }
  wire = signed_query(name, LDNS_RR_TYPE_TXT, "strict.key.", kOther);
  handler.handle(wire, ip("198.51.100.1"), Transport::tcp, keep);
  CHECK(ldns_pkt_get_rcode(Answer(got).p) == LDNS_RCODE_NOERROR);
  // Unknown key, wrong secret: NOTAUTH with the TSIG error.
  handler.handle(signed_query(name, LDNS_RR_TYPE_TXT, "nobody.key."), ip("192.0.2.1"),
                 Transport::udp, keep);
  {
    Answer ans(got);
    CHECK(ldns_pkt_get_rcode(ans.p) == kRcodeNotAuth);
    REQUIRE(ans.tsig());
    CHECK(ans.error() == tsig_error::kBadKey);
  }
  handler.handle(signed_query(name, LDNS_RR_TYPE_TXT, kKey, kOther), ip("192.0.2.1"),
                 Transport::udp, keep);
  {
    Answer ans(got);
    CHECK(ldns_pkt_get_rcode(ans.p) == kRcodeNotAuth);
    REQUIRE(ans.tsig());
    CHECK(ans.error() == tsig_error::kBadSig);
  }
  // DoT: optional, but the key must be the certificate's client's.
  handler.handle_client(signed_query(name, LDNS_RR_TYPE_TXT, "strict.key.", kOther),
                        ip("192.0.2.1"), Transport::tls, a, keep);
  CHECK(ldns_pkt_get_rcode(Answer(got).p) == LDNS_RCODE_REFUSED);
  handler.handle_client(signed_query(name, LDNS_RR_TYPE_TXT), ip("192.0.2.1"), Transport::tls, a,
                        keep);
  CHECK(ldns_pkt_get_rcode(Answer(got).p) == LDNS_RCODE_NOERROR);

  using speerd::service::DnsTsig;
  using speerd::service::L;
  using speerd::service::Metric;
  CHECK(metrics.value(Metric::dns_tsig, L(DnsTsig::ok)) == 5);
  CHECK(metrics.value(Metric::dns_tsig, L(DnsTsig::missing)) == 1);
  CHECK(metrics.value(Metric::dns_tsig, L(DnsTsig::badkey)) == 1);
  CHECK(metrics.value(Metric::dns_tsig, L(DnsTsig::badsig)) == 1);
  CHECK(metrics.value2(Metric::dns_queries, L(Transport::udp),
                       L(speerd::service::DnsRcode::notauth)) == 2);
}
