// resolver/dnsfront/memo.hpp: an answer from the memo is byte for byte what
// ldns builds afresh (encode()), for many varied inputs and message IDs;
// every field of the input is in the key; signed queries never use it; the
// bounds hold.
#include <stdbool.h>  // before ldns, which otherwise defines bool, true and false

#include <ldns/ldns.h>

#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "resolver/dns/wire.hpp"
#include "resolver/dnsfront/memo.hpp"
#include "resolver/dnsfront/tsig.hpp"
#include "tests/resolver/dnsfront/wire_support.hpp"

using namespace speerd::dnsfront;
namespace rcode = speerd::dns::rcode;
using speerd::dns::kMaxMessageBytes;
using speerd::dnsfront::testing::naptr_rdata;

namespace {

struct Input {
  Query q;
  Reply r;
  AnswerSettings s;
  std::size_t max_size = 1232;
};

// Inputs drawn from small pools, so that draws repeat (memo hits) and
// differ in one field or several (misses).
class Inputs {
 public:
  explicit Inputs(unsigned seed) : rng_(seed) {
    received_ = {
        naptr_rdata(R"(x. 1 IN NAPTR 100 10 "u" "E2U+sip" "!^\\+1(.*)$!sip:\\1@x.example!" .)"),
        naptr_rdata(R"(x. 1 IN NAPTR 100 5 "u" "E2U+email:mailto" "!^.*$!mailto:a@x.example!" .)"),
    };
  }

  Input next() {
    Input in;
    Query& q = in.q;
    q.id = static_cast<std::uint16_t>(rng_());
    q.question.qname = pick<std::string>({"4.3.2.1.5.5.5.5.1.2.1.e164.example.",
                                          "4.3.2.1.5.5.5.5.1.2.1.E164.Example.",
                                          "5.3.2.1.5.5.5.5.1.2.1.e164.example.", "e164.example.",
                                          "9.9.9.9.5.5.5.5.1.2.1.e164.tree-b.example."});
    q.question.qtype = pick<std::uint16_t>({LDNS_RR_TYPE_NAPTR, LDNS_RR_TYPE_A, LDNS_RR_TYPE_ANY});
    q.question.qclass = pick<std::uint16_t>({LDNS_RR_CLASS_IN, LDNS_RR_CLASS_CH});
    q.rd = coin();
    q.cd = coin();
    q.ad = coin();
    q.edns = coin();
    q.do_bit = q.edns && coin();
    q.udp_size = q.edns ? pick<std::uint16_t>({512, 1232, 4096}) : 512;
    Reply& r = in.r;
    r.rcode = pick<std::uint16_t>(
        {rcode::kNoError, rcode::kServFail, rcode::kNxDomain, rcode::kRefused, kRcodeNotAuth});
    if (coin()) {
      r.ede = Ede{pick<std::uint16_t>({0, 6, 18, 20}),
                  pick<std::string>({"", "dnssec-bogus: signature expired", "TSIG required"})};
    }
    r.ad = coin();
    r.ra = coin();
    r.ttl = pick<std::uint32_t>({0, 59, 60, 299, 300});
    const int shape = static_cast<int>(rng_() % 4);
    if (shape == 0) {
      const auto n = rng_() % 14;  // up to 14: some do not fit 512 bytes (TC)
      for (std::uint16_t k = 1; k <= n; ++k) {
        r.naptrs.push_back({static_cast<std::uint16_t>(k * 10), 10,
                            pick<std::string>({"E2U+sip", "E2U+pstn:tel"}),
                            pick<std::string>({"sip:a-rather-long-user-name@good.peers.example",
                                               "sip:x!y@peer.example", "tel:+12155551234"})});
      }
    } else if (shape == 1) {
      r.received_naptrs = received_;
      if (coin()) r.received_naptrs.pop_back();
    } else if (shape == 2) {
      r.soa_zone = pick<std::string>({"e164.example.", "e164.tree-b.example."});
    } else {
      r.rfc8482 = coin();
    }
    if (shape == 0 && coin()) {
      r.next_hops.push_back({pick<std::string>({"", "_sip._udp.good.peers.example."}),
                             "sip1.good.peers.example",
                             pick<std::string>({"192.0.2.7", "2001:db8::7"}), 5060, 10,
                             pick<std::uint16_t>({0, 60})});
    }
    in.s.negative_ttl = pick<std::uint32_t>({60, 30});
    in.s.soa_mname = pick<std::string>({"speerd.invalid.", "ns.speerd.example."});
    in.s.udp_size = pick<std::uint16_t>({1232, 1400});
    in.s.as_received = coin();
    in.s.next_hops = coin();
    in.max_size = pick<std::size_t>({512, 1232, kMaxMessageBytes});
    return in;
  }

 private:
  template <typename T>
  T pick(std::initializer_list<T> xs) {
    return xs.begin()[rng_() % xs.size()];
  }
  bool coin() { return rng_() % 2 == 0; }

  std::mt19937 rng_;
  std::vector<std::string> received_;
};

std::string key(const Input& in) {
  std::string k;
  AnswerMemo::key_of(in.q, in.r, in.s, in.max_size, k);
  return k;
}

}  // namespace

TEST_CASE("memo: every answer is byte for byte ldns's fresh encoding", "[dnsfront]") {
  Inputs inputs(14);
  // 400 inputs drawn again and again with new IDs (hits, and with room for
  // 256, evictions), and one new input in ten (misses).
  std::vector<Input> pool;
  for (int i = 0; i < 400; ++i) pool.push_back(inputs.next());
  std::mt19937 rng(15);
  AnswerMemo memo(MemoLimits{256, 1u << 20});
  std::size_t hits = 0;
  std::size_t cut = 0;
  for (int i = 0; i < 20000; ++i) {
    Input in = rng() % 10 == 0 ? inputs.next() : pool[rng() % pool.size()];
    in.q.id = static_cast<std::uint16_t>(rng());
    bool hit = false;
    const auto got = memo.encode(in.q, in.r, in.s, in.max_size, &hit);
    const auto fresh = encode(in.q, in.r, in.s, in.max_size);
    REQUIRE(!fresh.empty());
    REQUIRE(got == fresh);
    REQUIRE(ldns_read_uint16(got.data()) == in.q.id);
    if (hit) ++hits;
    if (LDNS_TC_WIRE(fresh.data()) != 0) ++cut;
  }
  // Some answers came from the memo, some were built (and some cut with
  // TC): the comparison above covered each path.
  CHECK(hits > 5000);
  CHECK(hits < 19000);
  CHECK(cut > 0);
  CHECK(memo.entries() <= 256);
}

TEST_CASE("memo: the same input with another ID is a hit that differs in the ID only",
          "[dnsfront]") {
  Inputs inputs(7);
  AnswerMemo memo;
  Input in = inputs.next();
  in.q.id = 0x1111;
  bool hit = true;
  const auto first = memo.encode(in.q, in.r, in.s, in.max_size, &hit);
  CHECK_FALSE(hit);
  in.q.id = 0xBEEF;
  const auto second = memo.encode(in.q, in.r, in.s, in.max_size, &hit);
  CHECK(hit);
  CHECK(second == encode(in.q, in.r, in.s, in.max_size));
  REQUIRE(first.size() == second.size());
  CHECK(ldns_read_uint16(second.data()) == 0xBEEF);
  CHECK(std::equal(first.begin() + 2, first.end(), second.begin() + 2));
  CHECK(memo.entries() == 1);
}

TEST_CASE("memo: a change to any input field but the ID is another key", "[dnsfront]") {
  Input base;
  base.q.question = {"4.3.2.1.5.5.5.5.1.2.1.e164.example.", LDNS_RR_TYPE_NAPTR, LDNS_RR_CLASS_IN};
  base.q.edns = true;
  base.q.udp_size = 1232;
  base.r.ede = Ede{6, "bogus"};
  base.r.ttl = 300;
  base.r.naptrs = {{10, 10, "E2U+sip", "sip:a@b.example"}};
  base.r.received_naptrs = {"x"};
  base.r.soa_zone = "e164.example.";
  base.r.next_hops = {{"_sip._udp.b.example.", "h.b.example", "192.0.2.1", 5060, 10, 60}};
  const std::vector<std::pair<const char*, std::function<void(Input&)>>> changes = {
      {"qname", [](Input& i) { i.q.question.qname = "5.3.2.1.5.5.5.5.1.2.1.e164.example."; }},
      {"qname case", [](Input& i) { i.q.question.qname = "4.3.2.1.5.5.5.5.1.2.1.E164.example."; }},
      {"qtype", [](Input& i) { i.q.question.qtype = LDNS_RR_TYPE_A; }},
      {"qclass", [](Input& i) { i.q.question.qclass = LDNS_RR_CLASS_CH; }},
      {"rd", [](Input& i) { i.q.rd = true; }},
      {"cd", [](Input& i) { i.q.cd = true; }},
      {"query ad", [](Input& i) { i.q.ad = true; }},
      {"edns", [](Input& i) { i.q.edns = false; }},
      {"do", [](Input& i) { i.q.do_bit = true; }},
      {"query udp size", [](Input& i) { i.q.udp_size = 4096; }},
      {"rcode", [](Input& i) { i.r.rcode = rcode::kServFail; }},
      {"no ede", [](Input& i) { i.r.ede.reset(); }},
      {"ede code", [](Input& i) { i.r.ede->code = 7; }},
      {"ede text", [](Input& i) { i.r.ede->text = "bogus!"; }},
      {"reply ad", [](Input& i) { i.r.ad = true; }},
      {"ra", [](Input& i) { i.r.ra = true; }},
      {"ttl", [](Input& i) { i.r.ttl = 299; }},
      {"naptr order", [](Input& i) { i.r.naptrs[0].order = 20; }},
      {"naptr preference", [](Input& i) { i.r.naptrs[0].preference = 20; }},
      {"naptr services", [](Input& i) { i.r.naptrs[0].services = "E2U+pstn:tel"; }},
      {"naptr uri", [](Input& i) { i.r.naptrs[0].uri = "sip:c@b.example"; }},
      {"another naptr", [](Input& i) { i.r.naptrs.push_back(i.r.naptrs[0]); }},
      {"received", [](Input& i) { i.r.received_naptrs[0] = "y"; }},
      {"soa zone", [](Input& i) { i.r.soa_zone = "e164.tree-b.example."; }},
      {"rfc8482", [](Input& i) { i.r.rfc8482 = true; }},
      {"negative ttl", [](Input& i) { i.s.negative_ttl = 30; }},
      {"soa mname", [](Input& i) { i.s.soa_mname = "ns.example."; }},
      {"soa rname", [](Input& i) { i.s.soa_rname = "h.example."; }},
      {"advertised udp size", [](Input& i) { i.s.udp_size = 1400; }},
      {"as received", [](Input& i) { i.s.as_received = true; }},
      {"next hops setting", [](Input& i) { i.s.next_hops = true; }},
      {"another next hop",
       [](Input& i) {
         i.r.next_hops.push_back({"", "h.example", "192.0.2.1"});
       }},
      {"next hop srv", [](Input& i) { i.r.next_hops[0].srv = "_sip._tcp.b.example."; }},
      {"next hop host", [](Input& i) { i.r.next_hops[0].host = "g.b.example"; }},
      {"next hop address", [](Input& i) { i.r.next_hops[0].address = "192.0.2.2"; }},
      {"next hop port", [](Input& i) { i.r.next_hops[0].port = 5061; }},
      {"next hop priority", [](Input& i) { i.r.next_hops[0].priority = 20; }},
      {"next hop weight", [](Input& i) { i.r.next_hops[0].weight = 0; }},
      {"max size", [](Input& i) { i.max_size = 512; }},
      // Moving bytes between adjacent strings must not give the same key.
      {"text split",
       [](Input& i) {
         i.r.naptrs[0].services = "E2U+sipsip:a@b";
         i.r.naptrs[0].uri = ".example";
       }},
  };
  const std::string k0 = key(base);
  for (const auto& [what, change] : changes) {
    INFO(what);
    Input changed = base;
    change(changed);
    CHECK(key(changed) != k0);
  }
  Input other_id = base;
  other_id.q.id = 0x4242;
  CHECK(key(other_id) == k0);
}

TEST_CASE("memo: signed queries are never answered from it nor kept", "[dnsfront]") {
  Inputs inputs(3);
  AnswerMemo memo;
  Input in = inputs.next();
  in.q.tsig = TsigRecord{"key.example.", "hmac-sha256.", 1, 300, {1, 2, 3}, in.q.id};
  for (int i = 0; i < 3; ++i) {
    bool hit = true;
    const auto got = memo.encode(in.q, in.r, in.s, in.max_size, &hit);
    CHECK_FALSE(hit);
    CHECK(got == encode(in.q, in.r, in.s, in.max_size));
  }
  CHECK(memo.entries() == 0);
  CHECK(memo.bytes() == 0);
}

TEST_CASE("memo: bounded by entries and by bytes, least recently used out first", "[dnsfront]") {
  Inputs inputs(21);
  std::vector<Input> distinct;
  std::vector<std::string> keys;
  while (distinct.size() < 40) {
    Input in = inputs.next();
    const std::string k = key(in);
    if (std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
    keys.push_back(k);
    distinct.push_back(in);
  }
  AnswerMemo by_entries(MemoLimits{8, 1u << 20});
  for (const auto& in : distinct) by_entries.encode(in.q, in.r, in.s, in.max_size);
  CHECK(by_entries.entries() == 8);
  bool hit = false;
  const Input& last = distinct.back();
  by_entries.encode(last.q, last.r, last.s, last.max_size, &hit);
  CHECK(hit);  // the most recent stays
  const Input& first = distinct.front();
  by_entries.encode(first.q, first.r, first.s, first.max_size, &hit);
  CHECK_FALSE(hit);  // the oldest went

  AnswerMemo by_bytes(MemoLimits{1000, 4000});
  for (const auto& in : distinct) {
    by_bytes.encode(in.q, in.r, in.s, in.max_size);
    CHECK(by_bytes.bytes() <= 4000);
  }
  CHECK(by_bytes.entries() > 0);
  CHECK(by_bytes.entries() < distinct.size());
}

namespace {

// Every field, by a structured binding (a new field breaks the build).
void check_same(const Query& a, const Query& b) {
  const auto& [id, question, rd, cd, ad, edns, do_bit, udp_size, tsig] = a;
  CHECK(id == b.id);
  CHECK(question.qname == b.question.qname);
  CHECK(question.qtype == b.question.qtype);
  CHECK(question.qclass == b.question.qclass);
  CHECK(rd == b.rd);
  CHECK(cd == b.cd);
  CHECK(ad == b.ad);
  CHECK(edns == b.edns);
  CHECK(do_bit == b.do_bit);
  CHECK(udp_size == b.udp_size);
  REQUIRE(tsig.has_value() == b.tsig.has_value());
  if (tsig) {
    CHECK(tsig->key_name == b.tsig->key_name);
    CHECK(tsig->mac == b.tsig->mac);
    CHECK(tsig->original_id == b.tsig->original_id);
  }
}

// A query as a client sends it, built with ldns, or (`damage`) cut short.
std::vector<std::uint8_t> client_query(std::mt19937& rng) {
  const char* names[] = {"4.3.2.1.5.5.5.5.1.2.1.e164.example.",
                         "4.3.2.1.5.5.5.5.1.2.1.E164.EXAMPLE.", "5.3.2.1.e164.example.",
                         "e164.example."};
  const ldns_rr_type types[] = {LDNS_RR_TYPE_NAPTR, LDNS_RR_TYPE_A, LDNS_RR_TYPE_ANY};
  ldns_pkt* p = nullptr;
  REQUIRE(ldns_pkt_query_new_frm_str(&p, names[rng() % 4], types[rng() % 3], LDNS_RR_CLASS_IN,
                                     rng() % 2 ? LDNS_RD : 0) == LDNS_STATUS_OK);
  ldns_pkt_set_id(p, static_cast<std::uint16_t>(rng()));
  ldns_pkt_set_cd(p, rng() % 2 == 0);
  ldns_pkt_set_ad(p, rng() % 2 == 0);
  if (rng() % 3 != 0) {
    const std::uint16_t sizes[] = {100, 512, 1232, 4096};
    ldns_pkt_set_edns_udp_size(p, sizes[rng() % 4]);
    ldns_pkt_set_edns_do(p, rng() % 2 == 0);
    if (rng() % 8 == 0) ldns_pkt_set_edns_version(p, 1);  // BADVERS
  }
  if (rng() % 8 == 0) {
    REQUIRE(ldns_pkt_tsig_sign(p, "sbc-a.key.", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk=", 300,
                               "hmac-sha256.", nullptr) == LDNS_STATUS_OK);
  }
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  REQUIRE(ldns_pkt2wire(&wire, p, &size) == LDNS_STATUS_OK);
  std::vector<std::uint8_t> out(wire, wire + size);
  free(wire);
  ldns_pkt_free(p);
  if (rng() % 10 == 0) out.resize(rng() % out.size());  // FORMERR, or too short
  return out;
}

}  // namespace

TEST_CASE("query memo: every query is what check_query reads, ID included", "[dnsfront]") {
  std::mt19937 rng(5);
  std::vector<std::vector<std::uint8_t>> pool;
  for (int i = 0; i < 150; ++i) pool.push_back(client_query(rng));
  QueryMemo memo(MemoLimits{100, 1u << 20});
  std::size_t hits = 0;
  std::size_t signed_ = 0;
  for (int i = 0; i < 6000; ++i) {
    auto wire = rng() % 10 == 0 ? client_query(rng) : pool[rng() % pool.size()];
    if (wire.size() >= 2) ldns_write_uint16(wire.data(), static_cast<std::uint16_t>(rng()));
    bool hit = false;
    const Checked got = memo.check(wire, &hit);
    const Checked fresh = check_query(wire);
    REQUIRE(got.index() == fresh.index());
    if (const auto* q = std::get_if<Query>(&fresh)) {
      check_same(std::get<Query>(got), *q);
      if (q->tsig) {
        ++signed_;
        CHECK_FALSE(hit);
      }
    } else {
      CHECK_FALSE(hit);  // rejections are not kept
      const auto& a = std::get<Rejected>(got);
      const auto& b = std::get<Rejected>(fresh);
      CHECK(a.refusal == b.refusal);
      CHECK(a.id == b.id);
      CHECK(a.why == b.why);
    }
    if (hit) ++hits;
  }
  CHECK(hits > 2000);
  CHECK(signed_ > 0);
  CHECK(memo.entries() <= 100);
}
