// crosscheck.hpp: DNS targets against provisioned SED, under each policy.
#include <catch2/catch.hpp>

#include "sed-store/crosscheck.hpp"

namespace speerd::store::crosscheck {
namespace {

DnsTarget srv(std::string host, std::uint16_t port, std::string transport,
              std::string address = "") {
  return DnsTarget{"sip:+12155551234@peer-a.example", std::move(host), std::move(address), port,
                   std::move(transport)};
}

const std::vector<ProvisionedTarget> kProvisioned{
    {7, "", "sbc1.peer-a.example", 5061, "tls"},
    {8, "sip:peer-b.example", "peer-b.example", 0, ""},
    {9, "", "192.0.2.10", 0, ""},
};

}  // namespace

TEST_CASE("a DNS target among the provisioned SED is a match under every policy", "[crosscheck]") {
  const std::vector<DnsTarget> dns{srv("evil.example", 5061, "tls"),
                                   srv("SBC1.Peer-A.Example.", 5061, "TLS")};
  for (Policy p : {Policy::strict, Policy::advisory}) {
    const Outcome o = cross_check(dns, kProvisioned, p);
    CHECK(o.store == StoreResult::match);
    CHECK(o.disposition == Disposition::route);
    CHECK(o.source == Source::dns);
    CHECK(o.record_id == 7);
    CHECK(o.target_matches == std::vector<bool>{false, true});
  }
}

TEST_CASE("DNS pointing elsewhere: strict rejects, advisory flags", "[crosscheck]") {
  const std::vector<DnsTarget> dns{srv("sbc1.peer-a.example", 5060, "udp"),  // wrong port/transport
                                   srv("evil.example", 5061, "tls", "198.51.100.1")};
  const Outcome strict = cross_check(dns, kProvisioned, Policy::strict);
  CHECK(strict.store == StoreResult::mismatch);
  CHECK(strict.disposition == Disposition::reject);
  CHECK_FALSE(strict.record_id);
  CHECK_FALSE(strict.reason.empty());
  const Outcome advisory = cross_check(dns, kProvisioned, Policy::advisory);
  CHECK(advisory.store == StoreResult::mismatch);
  CHECK(advisory.disposition == Disposition::route_flagged);
  // No DNS target at all, with SED provisioned: also a mismatch.
  CHECK(cross_check({}, kProvisioned, Policy::strict).disposition == Disposition::reject);
}

TEST_CASE("no provisioned SED: no-record, DNS decides", "[crosscheck]") {
  const std::vector<DnsTarget> dns{srv("anything.example", 5060, "udp")};
  for (Policy p : {Policy::strict, Policy::advisory, Policy::store_authoritative}) {
    const Outcome o = cross_check(dns, {}, p);
    CHECK(o.store == StoreResult::no_record);
    CHECK(o.disposition == Disposition::route);
    CHECK(o.source == Source::dns);
    CHECK(needs_dns(p, {}));
  }
}

TEST_CASE("store-authoritative: provisioned SED answers without DNS", "[crosscheck]") {
  CHECK_FALSE(needs_dns(Policy::store_authoritative, kProvisioned));
  CHECK(needs_dns(Policy::strict, kProvisioned));
  const Outcome o = cross_check({}, kProvisioned, Policy::store_authoritative);
  CHECK(o.source == Source::store);
  CHECK(o.disposition == Disposition::route);
  CHECK(o.record_id == 7);
}

TEST_CASE("matching rules: URIs, hosts, addresses, ports, transports", "[crosscheck]") {
  const ProvisionedTarget uri{1, "sip:peer-b.example", "peer-b.example", 0, ""};
  CHECK(target_matches({"sip:+1215@PEER-B.example.", "", "", 0, ""}, uri));
  CHECK(target_matches({"sip:+1215@peer-b.example;transport=tcp", "", "", 0, ""}, uri));
  CHECK_FALSE(target_matches({"sip:+1215@peer-b.example.evil", "", "", 0, ""}, uri));
  CHECK(target_matches({"", "peer-b.example", "", 5060, "udp"}, uri));
  const ProvisionedTarget user_uri{2, "sip:+1215@peer-b.example:5070", "peer-b.example", 5070, ""};
  CHECK(target_matches({"sip:+1215@peer-b.example:5070", "", "", 0, ""}, user_uri));
  // Where the call goes is what counts: the same host and port with another
  // user part is the same target; another port or host is not.
  CHECK(target_matches({"sip:+1216@peer-b.example:5070", "", "", 0, ""}, user_uri));
  CHECK_FALSE(target_matches({"sip:+1215@peer-b.example:5071", "", "", 0, ""}, user_uri));
  CHECK_FALSE(target_matches({"sip:+1215@peer-c.example:5070", "", "", 0, ""}, user_uri));
  const ProvisionedTarget v6{3, "", "2001:db8::1", 5060, ""};
  CHECK(target_matches({"", "sbc.example", "[2001:DB8::1]", 5060, "udp"}, v6));
  CHECK_FALSE(target_matches({"", "sbc.example", "2001:db8::2", 5060, "udp"}, v6));
  CHECK_FALSE(target_matches({"", "2001:db8::1", "", 5061, "tls"}, v6));
  const ProvisionedTarget tls{4, "", "sbc.example", 0, "tls"};
  CHECK(target_matches({"", "sbc.example", "", 5061, "TLS"}, tls));
  CHECK(target_matches({"sip:x@sbc.example;transport=tls", "", "", 0, ""}, tls));
  CHECK_FALSE(target_matches({"", "sbc.example", "", 5061, "tcp"}, tls));
  CHECK_FALSE(target_matches({"", "", "", 0, ""}, tls));
}

TEST_CASE("policy names", "[crosscheck]") {
  for (Policy p : {Policy::strict, Policy::advisory, Policy::store_authoritative}) {
    CHECK(parse_policy(to_string(p)) == p);
  }
  CHECK_FALSE(parse_policy("lenient"));
  CHECK(to_string(StoreResult::no_record) == "no-record");
}

}  // namespace speerd::store::crosscheck
