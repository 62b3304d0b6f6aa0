// resolver/dnsfront/ without sockets: the query check, the answer mapping
// row by row, the encoding (read back with ldns), the source table and its
// client snapshot.
#include <stdbool.h>  // before ldns, which otherwise defines bool, true and false

#include <ldns/ldns.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "resolver/dns/wire.hpp"
#include "resolver/dnsfront/access.hpp"
#include "resolver/dnsfront/answer.hpp"
#include "resolver/dnsfront/handler.hpp"
#include "resolver/dnsfront/query.hpp"
#include "sed-store/prefix.hpp"
#include "tests/resolver/dnsfront/wire_support.hpp"

using namespace speerd::dnsfront;
using speerd::dnsfront::testing::naptr_rdata;
using speerd::dnsfront::testing::parsed;
namespace reason = speerd::model::reason;
using speerd::dns::kClassicUdpSize;
using speerd::dns::kMaxMessageBytes;
using speerd::dns::Security;
using speerd::pipeline::LookupResult;

namespace {

const char* kEnum = "4.3.2.1.5.5.5.5.1.2.1.e164.example.";

// A query built with ldns (as a client would send it).
std::vector<std::uint8_t> make_query(const char* name, ldns_rr_type type, bool edns = true,
                                     bool do_bit = false, std::uint16_t udp = 1232) {
  ldns_pkt* p = nullptr;
  REQUIRE(ldns_pkt_query_new_frm_str(&p, name, type, LDNS_RR_CLASS_IN, LDNS_RD) == LDNS_STATUS_OK);
  ldns_pkt_set_id(p, 0x5150);
  if (edns) {
    ldns_pkt_set_edns_udp_size(p, udp);
    ldns_pkt_set_edns_do(p, do_bit);
  }
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  REQUIRE(ldns_pkt2wire(&wire, p, &size) == LDNS_STATUS_OK);
  std::vector<std::uint8_t> out(wire, wire + size);
  free(wire);
  ldns_pkt_free(p);
  return out;
}

Refusal refusal_of(const std::vector<std::uint8_t>& wire) {
  auto c = check_query(wire);
  REQUIRE(std::holds_alternative<Rejected>(c));
  return std::get<Rejected>(c).refusal;
}

struct Parsed {
  ldns_pkt* p = nullptr;
  explicit Parsed(const std::vector<std::uint8_t>& wire) {
    REQUIRE(ldns_wire2pkt(&p, wire.data(), wire.size()) == LDNS_STATUS_OK);
  }
  ~Parsed() { ldns_pkt_free(p); }
  // The EDE codes of the answer's OPT.
  std::vector<std::uint16_t> ede() const {
    std::vector<std::uint16_t> out;
    ldns_edns_option_list* list = ldns_pkt_edns_get_option_list(p);
    if (list == nullptr) return out;
    for (std::size_t i = 0; i < ldns_edns_option_list_get_count(list); ++i) {
      ldns_edns_option* o = ldns_edns_option_list_get_option(list, i);
      if (ldns_edns_get_code(o) == LDNS_EDNS_EDE && ldns_edns_get_size(o) >= 2) {
        out.push_back(ldns_read_uint16(ldns_edns_get_data(o)));
      }
    }
    return out;
  }
};

LookupResult result(speerd::model::Reason code, Security s = Security::secure) {
  LookupResult r;
  r.code = code;
  r.reason = "why";
  r.outcome.state = s;
  r.ttl = 300;
  return r;
}

}  // namespace

TEST_CASE("check_query drops responses and short messages and refuses what is not a query",
          "[dnsfront]") {
  auto q = make_query(kEnum, LDNS_RR_TYPE_NAPTR);
  CHECK(refusal_of({q.begin(), q.begin() + 11}) == Refusal::drop);
  auto response = q;
  response[2] |= 0x80;  // QR
  CHECK(refusal_of(response) == Refusal::drop);
  auto notify = q;
  notify[2] = static_cast<std::uint8_t>((notify[2] & 0x87) | (LDNS_PACKET_NOTIFY << 3));
  CHECK(refusal_of(notify) == Refusal::notimp);
  auto tc = q;
  tc[2] |= 0x02;
  CHECK(refusal_of(tc) == Refusal::formerr);
  auto cut = q;
  cut.resize(cut.size() - 15);
  CHECK(refusal_of(cut) == Refusal::formerr);
  auto none = q;
  none[5] = 0;  // QDCOUNT 0
  CHECK(refusal_of(none) == Refusal::formerr);
}

TEST_CASE("check_query reads the question in lower case and the EDNS fields", "[dnsfront]") {
  const auto q = parsed(
      make_query("4.3.2.1.5.5.5.5.1.2.1.E164.Example.", LDNS_RR_TYPE_NAPTR, true, true, 4096));
  CHECK(q.id == 0x5150);
  CHECK(q.question.qname == kEnum);
  CHECK(q.question.qtype == LDNS_RR_TYPE_NAPTR);
  CHECK(q.edns);
  CHECK(q.do_bit);
  CHECK(q.udp_size == 4096);
  CHECK(q.rd);
  const auto plain = parsed(make_query(kEnum, LDNS_RR_TYPE_NAPTR, false));
  CHECK_FALSE(plain.edns);
  CHECK(plain.udp_size == kClassicUdpSize);
  // RFC 6891 6.2.3: a buffer below 512 counts as 512.
  CHECK(parsed(make_query(kEnum, LDNS_RR_TYPE_NAPTR, true, false, 100)).udp_size == 512);
}

TEST_CASE("a routed result is answered as terminal NAPTRs in speerd's order", "[dnsfront]") {
  auto r = result(reason::kRouted);
  r.verdict = speerd::model::Verdict::route;
  r.uris = {{"sip:dead@x.example", 100, 5, "E2U+sip", {}, "no-targets: none"},
            {"sip:a@x.example", 100, 10, "E2U+sip", {}, "used"},
            {"sip:b@x.example", 100, 20, "E2U+sip", {}, "fallback"}};
  r.dnssec = {{kEnum, "NAPTR", "answer", 300, speerd::dns::Outcome::secure(), ""}};
  const auto q = parsed(make_query(kEnum, LDNS_RR_TYPE_NAPTR, true, true));
  const auto reply = reply_for(q, "e164.example.", r, {});
  CHECK(reply.rcode == rcode::kNoError);
  REQUIRE(reply.naptrs.size() == 2);  // the URI before the used one is unusable
  CHECK(reply.naptrs[0].uri == "sip:a@x.example");
  CHECK(reply.naptrs[0].order < reply.naptrs[1].order);
  CHECK(reply.ad);
  CHECK(reply.ttl == 300);

  const auto wire = encode(q, reply, {}, 1232);
  Parsed p(wire);
  CHECK(ldns_pkt_ancount(p.p) == 2);
  char* text = ldns_rr2str(ldns_rr_list_rr(ldns_pkt_answer(p.p), 0));
  CHECK(std::string(text).find("\"u\" \"E2U+sip\" \"!^.*$!sip:a@x.example!\" .") !=
        std::string::npos);
  free(text);

  SECTION("no AD without DO or AD in the query, nor with an insecure step") {
    CHECK_FALSE(
        reply_for(parsed(make_query(kEnum, LDNS_RR_TYPE_NAPTR, false)), "e164.example.", r, {}).ad);
    auto weak = r;
    weak.dnssec.push_back({"x.example.", "A", "answer", 300, speerd::dns::Outcome::insecure(), ""});
    CHECK_FALSE(reply_for(q, "e164.example.", weak, {}).ad);
  }
  SECTION("a URI holding '!' gets another delimiter") {
    auto bang = r;
    bang.uris[1].uri = "sip:a!b@x.example";
    Parsed b(encode(q, reply_for(q, "e164.example.", bang, {}), {}, 1232));
    char* t = ldns_rr2str(ldns_rr_list_rr(ldns_pkt_answer(b.p), 0));
    CHECK(std::string(t).find("\"#^.*$#sip:a!b@x.example#\"") != std::string::npos);
    free(t);
  }
  SECTION("a stale answer says so (EDE 3)") {
    auto stale = r;
    stale.stale = true;
    stale.reason = "routed (stale: SED store unavailable: connection refused)";
    const auto reply = reply_for(q, "e164.example.", stale, {});
    REQUIRE(reply.ede);
    // Why it is stale (the store here, not the upstreams), in EXTRA-TEXT.
    CHECK(reply.ede->text.find("SED store unavailable") != std::string::npos);
    Parsed s(encode(q, reply, {}, 1232));
    CHECK(s.ede() == std::vector<std::uint16_t>{3});
  }
}

TEST_CASE("failures map to rcode and EDE", "[dnsfront]") {
  const auto q = parsed(make_query(kEnum, LDNS_RR_TYPE_NAPTR));
  const AnswerSettings s;
  struct Row {
    speerd::model::Reason code;
    Security state;
    std::uint16_t rcode;
    std::optional<std::uint16_t> ede;
  };
  const Row rows[] = {
      {reason::kDnssecBogus, Security::bogus, rcode::kServFail, 6},
      {reason::kInsecureNotAllowed, Security::insecure, rcode::kServFail, 15},
      {reason::kIndeterminate, Security::indeterminate, rcode::kServFail, 5},
      {reason::kUpstreamFailure, Security::indeterminate, rcode::kServFail, 22},
      {reason::kNoTargets, Security::bogus, rcode::kServFail, 6},
      {reason::kStoreMismatch, Security::secure, rcode::kServFail, 0},
      {reason::kStoreUnavailable, Security::indeterminate, rcode::kServFail, 0},
      {reason::kNoUsableRecord, Security::secure, rcode::kNoError, 0},
      {reason::kNotFound, Security::secure, rcode::kNoError, std::nullopt},
  };
  for (const auto& row : rows) {
    INFO(speerd::model::to_string(row.code));
    const auto reply = reply_for(q, "e164.example.", result(row.code, row.state), s);
    CHECK(reply.rcode == row.rcode);
    CHECK(reply.naptrs.empty());
    CHECK(reply.ede.has_value() == row.ede.has_value());
    if (row.ede && reply.ede) {
      CHECK(reply.ede->code == *row.ede);
      CHECK(reply.ede->text.find(speerd::model::to_string(row.code)) == 0);
    }
    Parsed p(encode(q, reply, s, 512));
    CHECK(ldns_pkt_get_rcode(p.p) == row.rcode);
    CHECK(ldns_pkt_ancount(p.p) == 0);
    if (row.ede) CHECK(p.ede() == std::vector<std::uint16_t>{*row.ede});
  }
}

TEST_CASE("proven absence is NXDOMAIN or NODATA with the tree's SOA", "[dnsfront]") {
  const auto q = parsed(make_query(kEnum, LDNS_RR_TYPE_NAPTR));
  auto r = result(reason::kNotFound);
  r.ttl = 30;
  r.dnssec = {{"4.3.2.1.5.5.5.5.1.2.1.E164.example.", "NAPTR", "nxdomain", 30,
               speerd::dns::Outcome::secure(), ""}};
  AnswerSettings s;
  s.negative_ttl = 60;
  auto reply = reply_for(q, "e164.example.", r, s);
  CHECK(reply.rcode == rcode::kNxDomain);
  CHECK(reply.ttl == 30);  // never longer than what is behind it
  Parsed p(encode(q, reply, s, 512));
  REQUIRE(ldns_pkt_nscount(p.p) == 1);
  const ldns_rr* soa = ldns_rr_list_rr(ldns_pkt_authority(p.p), 0);
  CHECK(ldns_rr_get_type(soa) == LDNS_RR_TYPE_SOA);
  CHECK(ldns_rr_ttl(soa) == 30);
  r.dnssec[0].result = "nodata";
  CHECK(reply_for(q, "e164.example.", r, s).rcode == rcode::kNoError);
}

TEST_CASE("an answer larger than the client's buffer is cut with TC", "[dnsfront]") {
  const auto q = parsed(make_query(kEnum, LDNS_RR_TYPE_NAPTR));
  Reply big;
  for (std::uint16_t k = 1; k <= 12; ++k) {
    big.naptrs.push_back({k, 10, "E2U+sip", "sip:a-rather-long-user-name@good.peers.example"});
  }
  const auto full = encode(q, big, {}, kMaxMessageBytes);
  REQUIRE(full.size() > 512);
  const auto cut = encode(q, big, {}, 512);
  CHECK(cut.size() <= 512);
  Parsed p(cut);
  CHECK(ldns_pkt_tc(p.p));
  CHECK(ldns_pkt_ancount(p.p) == 0);
  CHECK(ldns_pkt_id(p.p) == 0x5150);
}

TEST_CASE("rejected queries are answered FORMERR, NOTIMP or BADVERS with their id", "[dnsfront]") {
  Rejected r;
  r.refusal = Refusal::formerr;
  r.id = 77;
  Parsed f(encode_rejected(r));
  CHECK(ldns_pkt_get_rcode(f.p) == LDNS_RCODE_FORMERR);
  CHECK(ldns_pkt_id(f.p) == 77);
  r.refusal = Refusal::notimp;
  r.opcode = LDNS_PACKET_NOTIFY;
  Parsed n(encode_rejected(r));
  CHECK(ldns_pkt_get_rcode(n.p) == LDNS_RCODE_NOTIMPL);
  CHECK(ldns_pkt_get_opcode(n.p) == LDNS_PACKET_NOTIFY);
  r.refusal = Refusal::badvers;
  r.opcode = LDNS_PACKET_QUERY;
  r.edns = true;
  Parsed b(encode_rejected(r));
  CHECK(ldns_pkt_edns_extended_rcode(b.p) == 1);  // 16 = 1 << 4 | 0
  r.refusal = Refusal::drop;
  CHECK(encode_rejected(r).empty());
}

TEST_CASE("number names and scopes", "[dnsfront]") {
  CHECK(number_of(kEnum, "e164.example.") == "+12155551234");
  CHECK_FALSE(number_of("e164.example.", "e164.example."));
  CHECK_FALSE(number_of("x.4.3.e164.example.", "e164.example."));
  CHECK_FALSE(number_of("43.2.e164.example.", "e164.example."));
  CHECK_FALSE(number_of("4.3.2.1.note164.example.", "e164.example."));
  CHECK_FALSE(number_of("1.2.3.4.5.6.7.8.9.0.1.2.3.4.5.6.e164.example.", "e164.example."));
  speerd::pipeline::ClientScope scope;
  const Tree a{"private-a", "e164.example."};
  CHECK(in_scope(scope, a));  // the operator's own scope
  scope.client_id = "sbc";
  CHECK_FALSE(in_scope(scope, a));  // a client without trees has no access
  scope.trees = {"private-b"};
  CHECK_FALSE(in_scope(scope, a));
  scope.trees = {"e164.example"};  // the store keeps suffixes
  CHECK(in_scope(scope, a));
}

TEST_CASE("source prefixes: canonical text, host bits, longest match", "[dnsfront]") {
  using speerd::store::parse_source_prefix;
  CHECK(parse_source_prefix("192.0.2.0/24")->text() == "192.0.2.0/24");
  CHECK(parse_source_prefix("2001:DB8:0::/32")->text() == "2001:db8::/32");
  CHECK(parse_source_prefix("::1")->text() == "::1/128");
  CHECK_FALSE(parse_source_prefix("192.0.2.1/24"));
  CHECK(parse_source_prefix("192.0.2.1/24").error().find("192.0.2.0/24") != std::string::npos);
  CHECK_FALSE(parse_source_prefix("192.0.2.0/33"));
  CHECK_FALSE(parse_source_prefix("192.0.2.0/"));
  CHECK_FALSE(parse_source_prefix("example.com"));

  SourceTable t;
  speerd::service::ClientRecord wide, narrow;
  wide.id = "wide";
  narrow.id = "narrow";
  t.add(*parse_source_prefix("10.0.0.0/8"), wide);
  t.add(*parse_source_prefix("10.1.0.0/16"), narrow);
  t.add(*parse_source_prefix("2001:db8::/32"), wide);
  const auto at = [&](const char* a) { return t.find(boost::asio::ip::make_address(a)); };
  REQUIRE(at("10.1.2.3"));
  CHECK(at("10.1.2.3")->id == "narrow");
  CHECK(at("10.2.0.1")->id == "wide");
  CHECK(at("::ffff:10.2.0.1")->id == "wide");  // a dual-stack socket's view of IPv4
  CHECK(at("2001:db8:1::5")->id == "wide");
  CHECK(at("11.0.0.1") == nullptr);
  CHECK(at("2001:db9::1") == nullptr);
}

TEST_CASE("source prefixes from the client snapshot: enabled clients, their scope", "[dnsfront]") {
  auto snapshot = std::make_shared<speerd::service::ClientSnapshot>();
  SnapshotSources sources(snapshot);
  // Before the first load: no table, every query refused (fail closed).
  auto none = sources.table();
  REQUIRE_FALSE(none);
  CHECK(none.error().find("not loaded yet") != std::string::npos);

  speerd::store::Client a, off, old;
  a.id = 1;
  a.name = "sbc-a";
  a.cert_name = "sbc-a.example";
  a.trees = {"E164.Example"};
  a.sources = {"192.0.2.0/24", "2001:db8:5::/48"};
  a.rate = {50, 100};
  off.id = 2;
  off.name = "sbc-off";
  off.cert_name = "sbc-off.example";
  off.trees = {"e164.example."};
  off.sources = {"198.51.100.0/24"};
  off.enabled = false;
  old.id = 3;
  old.name = "sbc-old";
  old.cert_name = "sbc-old.example";
  old.sources = {"203.0.113.7/24"};  // host bits set: not a prefix the store would write
  const std::map<std::string, std::string> trees{{"e164.example.", "private-a"}};
  snapshot->publish(std::make_shared<const speerd::service::ClientTable>(
      std::vector<speerd::store::Client>{a, off, old}, trees, 7));

  auto t = sources.table();
  REQUIRE(t);
  CHECK((*t)->size() == 2);
  const auto at = [&](const char* s) { return (*t)->find(boost::asio::ip::make_address(s)); };
  const auto* c = at("192.0.2.9");
  REQUIRE(c);
  CHECK(c->id == "sbc-a");
  CHECK(c->scope.trees == std::vector<std::string>{"private-a"});  // the API's record
  REQUIRE(c->rate);
  CHECK(c->rate->per_second == 50);
  REQUIRE(at("2001:db8:5::1"));
  CHECK(at("198.51.100.1") == nullptr);  // disabled
  CHECK(at("203.0.113.7") == nullptr);   // skipped, not widened

  // A newer table replaces it; the one handed out stays valid.
  a.sources = {"10.0.0.0/8"};
  snapshot->publish(std::make_shared<const speerd::service::ClientTable>(
      std::vector<speerd::store::Client>{a}, trees, 8));
  CHECK(at("192.0.2.9") != nullptr);
  auto t2 = sources.table();
  REQUIRE(t2);
  CHECK((*t2)->find(boost::asio::ip::make_address("192.0.2.9")) == nullptr);
  REQUIRE((*t2)->find(boost::asio::ip::make_address("10.1.2.3")));
}

TEST_CASE("a DoT query is answered for its certificate's client, not by source", "[dnsfront]") {
  // No source prefix at all: over UDP/TCP this source is unknown; over DoT
  // the session hands the client its certificate maps to.
  speerd::service::RateLimiter limiter;
  speerd::service::Metrics metrics;
  HandlerConfig config;
  config.trees = {{"private-a", "e164.example."}, {"private-b", "e164.tree-b.example."}};
  config.default_rate = {100, 100};
  Handler handler(config, std::make_unique<MemorySources>(SourceTable{}), limiter, metrics);
  const auto source = boost::asio::ip::make_address("192.0.2.1");
  speerd::service::ClientRecord narrow;
  narrow.id = "narrow";
  narrow.scope.client_id = "narrow";
  narrow.scope.trees = {"private-b"};

  std::vector<std::uint8_t> got;
  const auto keep = [&](std::vector<std::uint8_t> b) { got = std::move(b); };
  const auto query = make_query(kEnum, LDNS_RR_TYPE_NAPTR);

  handler.handle(query, source, Transport::tcp, keep);
  {
    Parsed p(got);
    CHECK(ldns_pkt_get_rcode(p.p) == LDNS_RCODE_REFUSED);
    CHECK(p.ede().empty());  // unknown source: no EDE, no data
  }
  handler.handle_client(query, source, Transport::tls, narrow, keep);
  {
    Parsed p(got);
    CHECK(ldns_pkt_get_rcode(p.p) == LDNS_RCODE_REFUSED);
    CHECK(p.ede() == std::vector<std::uint16_t>{18});  // the client's scope: not this tree
  }
  // Its own tree: past the scope check (a non-NAPTR type: NODATA, no lookup).
  handler.handle_client(make_query("1.e164.tree-b.example.", LDNS_RR_TYPE_A), source,
                        Transport::tls, narrow, keep);
  {
    Parsed p(got);
    CHECK(ldns_pkt_get_rcode(p.p) == LDNS_RCODE_NOERROR);
    CHECK(ldns_pkt_nscount(p.p) == 1);
  }
  using speerd::service::L;
  using speerd::service::Metric;
  const auto at = [&](Transport t, speerd::service::DnsRcode r) {
    return metrics.value2(Metric::dns_queries, L(t), L(r));
  };
  CHECK(at(Transport::tls, speerd::service::DnsRcode::refused) == 1);
  CHECK(at(Transport::tls, speerd::service::DnsRcode::noerror) == 1);
  CHECK(at(Transport::tcp, speerd::service::DnsRcode::refused) == 1);
}

TEST_CASE("naptr_answer as-received: the number's RRset as its zone served it", "[dnsfront]") {
  const std::string owner = std::string(kEnum) + " 3600 IN NAPTR ";
  const auto backref =
      naptr_rdata(owner + R"(100 10 "u" "E2U+sip" "!^\\+1(.*)$!sip:\\1@x.example!" .)");
  const auto mailto =
      naptr_rdata(owner + R"(100 5 "u" "E2U+email:mailto" "!^.*$!mailto:a@x.example!" .)");
  auto r = result(reason::kRouted);
  r.verdict = speerd::model::Verdict::route;
  r.uris = {{"sip:2155551234@x.example", 100, 10, "E2U+sip", {}, "used"}};
  r.received_owner = "4.3.2.1.5.5.5.5.1.2.1.E164.example";  // folded before it is compared
  r.received_naptrs = {backref, mailto};
  const auto q = parsed(make_query(kEnum, LDNS_RR_TYPE_NAPTR));
  AnswerSettings s;
  s.as_received = true;

  const auto reply = reply_for(q, "e164.example.", r, s);
  CHECK(reply.naptrs.empty());
  REQUIRE(reply.received_naptrs.size() == 2);
  Parsed p(encode(q, reply, s, 1232));
  REQUIRE(ldns_pkt_ancount(p.p) == 2);
  // Every record back as it came: the rule with its back-reference, and the
  // other service's rule too (the client selects).
  for (std::size_t i = 0; i < 2; ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(ldns_pkt_answer(p.p), i);
    CHECK(ldns_rr_get_type(rr) == LDNS_RR_TYPE_NAPTR);
    CHECK(ldns_rr_ttl(rr) == 300);  // the result's TTL, as synthesized answers
    ldns_buffer* b = ldns_buffer_new(512);
    REQUIRE(ldns_rr_rdata2buffer_wire(b, rr) == LDNS_STATUS_OK);
    CHECK(std::string(reinterpret_cast<const char*>(ldns_buffer_begin(b)),
                      ldns_buffer_position(b)) == r.received_naptrs[i]);
    ldns_buffer_free(b);
  }

  SECTION("synthesized when the setting is off") {
    const auto syn = reply_for(q, "e164.example.", r, {});
    CHECK(syn.received_naptrs.empty());
    REQUIRE(syn.naptrs.size() == 1);
    CHECK(syn.naptrs[0].uri == "sip:2155551234@x.example");
  }
  SECTION("synthesized when the RRset is another name's (a non-terminal chain)") {
    auto chained = r;
    chained.received_owner = "chain.e164.example.";
    const auto syn = reply_for(q, "e164.example.", chained, s);
    CHECK(syn.received_naptrs.empty());
    CHECK(syn.naptrs.size() == 1);
  }
  SECTION("synthesized when there is no RRset (the SED store routed)") {
    auto store = r;
    store.received_naptrs.clear();
    CHECK(reply_for(q, "e164.example.", store, s).naptrs.size() == 1);
  }
  SECTION("a failure stays a failure") {
    auto bogus = result(reason::kDnssecBogus, Security::bogus);
    bogus.received_owner = kEnum;
    bogus.received_naptrs = {backref};
    const auto fail = reply_for(q, "e164.example.", bogus, s);
    CHECK(fail.rcode == rcode::kServFail);
    CHECK(fail.received_naptrs.empty());
  }
  SECTION("rdata ldns cannot read is left out") {
    auto broken = r;
    broken.received_naptrs = {backref.substr(0, 5)};
    Parsed b(encode(q, reply_for(q, "e164.example.", broken, s), s, 1232));
    CHECK(ldns_pkt_ancount(b.p) == 0);
  }
}

TEST_CASE("additional_next_hops: the next hops' SRV and A/AAAA, each once, dropped first",
          "[dnsfront]") {
  auto r = result(reason::kRouted);
  r.verdict = speerd::model::Verdict::route;
  const auto secure = speerd::dns::Outcome::secure();
  const std::string srv = "_sip._udp.x.example.";
  // One SRV record naming a host with an A and an AAAA record: two targets.
  r.uris = {{"sip:a@x.example",
             100,
             10,
             "E2U+sip",
             {{"pbx.x.example", "192.0.2.7", 5060, "udp", 10, 60, secure, srv},
              {"pbx.x.example", "2001:db8::7", 5060, "udp", 10, 60, secure, srv}},
             "used"},
            {"sip:b@192.0.2.9",
             100,
             20,
             "E2U+sip",
             {{"192.0.2.9", "192.0.2.9", 5060, "udp", 0, 0, secure, ""}},
             "fallback"}};
  const auto q = parsed(make_query(kEnum, LDNS_RR_TYPE_NAPTR));
  CHECK(reply_for(q, "e164.example.", r, {}).next_hops.empty());  // off by default
  AnswerSettings s;
  s.next_hops = true;
  const auto reply = reply_for(q, "e164.example.", r, s);
  REQUIRE(reply.next_hops.size() == 3);

  Parsed p(encode(q, reply, s, 1232));
  CHECK(ldns_pkt_ancount(p.p) == 2);
  std::vector<std::string> extra;
  const ldns_rr_list* add = ldns_pkt_additional(p.p);
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(add); ++i) {
    char* t = ldns_rr2str(ldns_rr_list_rr(add, i));
    extra.emplace_back(t);
    free(t);
  }
  // The SRV record once (two targets share it), the two addresses; nothing
  // for the IP literal.
  REQUIRE(extra.size() == 3);
  CHECK(extra[0] == "_sip._udp.x.example.\t300\tIN\tSRV\t10 60 5060 pbx.x.example.\n");
  CHECK(extra[1] == "pbx.x.example.\t300\tIN\tA\t192.0.2.7\n");
  CHECK(extra[2] == "pbx.x.example.\t300\tIN\tAAAA\t2001:db8::7\n");

  SECTION("too large with them: they go, the answer stays, no TC (RFC 2181 9)") {
    const auto without = encode(q, reply_for(q, "e164.example.", r, {}), {}, 1232);
    Parsed cut(encode(q, reply, s, without.size()));
    CHECK_FALSE(ldns_pkt_tc(cut.p));
    CHECK(ldns_pkt_ancount(cut.p) == 2);
    CHECK(ldns_rr_list_rr_count(ldns_pkt_additional(cut.p)) == 0);
  }
  SECTION("a failure carries none") {
    auto bogus = result(reason::kDnssecBogus, Security::bogus);
    bogus.uris = r.uris;
    CHECK(reply_for(q, "e164.example.", bogus, s).next_hops.empty());
  }
}
