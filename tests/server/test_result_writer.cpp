// The result writer (resolver/server/result_writer.hpp): byte for byte what
// to_json(r).dump() gives.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "resolver/server/result_writer.hpp"

using namespace speerd::server;

TEST_CASE("result writer: byte for byte what to_json(r).dump() gives") {
  using namespace speerd::pipeline;
  using namespace speerd::model;
  namespace dns = speerd::dns;
  auto same = [](const LookupResult& r) {
    std::string mine;
    write_json(r, mine);
    const auto theirs = to_json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    CHECK(mine == theirs);
  };
  LookupResult empty;
  same(empty);

  LookupResult r;
  r.verdict = Verdict::route;
  r.code = reason::kRouted;
  r.reason =
      "quote \" backslash \\ tab \t newline \n bell \x07 del \x7f e\xcc\x81 \xe2\x82\xac "
      "\xf0\x9f\x98\x80";
  r.number = "+12155551234";
  r.tree = "private-a";
  r.uri = "sip:alice@good.peers.example";
  Target t;
  t.host = "sip1.good.peers.example";
  t.address = "2001:db8::1";
  t.port = 65535;
  t.transport = "tls";
  t.priority = 10;
  t.weight = 60;
  t.outcome = dns::Outcome::bogus("signature expired from 127.0.0.1");
  r.targets = {t, t};
  UriResult u;
  u.uri = r.uri;
  u.order = 100;
  u.preference = 10;
  u.service = "E2U+sip";
  u.status = "used";
  u.targets = {t};
  UriResult v = u;
  v.targets.clear();
  v.status = "unresolved";
  r.uris = {u, v};
  r.ttl = 4294967295u;
  r.outcome = dns::Outcome::indeterminate("timeout", dns::ede::kNoReachableAuthority);
  Step s;
  s.name = "4.3.2.1.5.5.5.5.1.2.1.e164.example.";
  s.type = "NAPTR";
  s.result = "answer";
  s.ttl = 300;
  s.outcome = dns::Outcome::secure();
  Step s2 = s;
  s2.detail = "100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:alice@x!\" .";
  s2.outcome = dns::Outcome::insecure();
  r.dnssec = {s, s2};
  r.store.check = StoreCheck::match;
  r.store.record_id = "sed:42";
  r.store.detail = "provisioned";
  r.cached = true;
  r.stale = true;
  same(r);
  r.store.check = StoreCheck::no_record;
  r.store.detail.clear();
  r.number.clear();
  r.tree.clear();
  same(r);
  // The API form leaves out what only operators need; speerctl's full form has it.
  const auto api = to_json(r);
  const auto full = to_json(r, JsonForm::full);
  CHECK_FALSE(api["dnssec"][1].contains("detail"));
  CHECK(full["dnssec"][1]["detail"] == s2.detail);
  CHECK_FALSE(api["uris"][0].contains("targets"));
  CHECK(full["uris"][0]["targets"].size() == 1);
  CHECK(api["targets"].size() == 2);
  // Not UTF-8: both replace it and stay valid JSON.
  LookupResult bad;
  bad.reason = "\xff\xfe";
  std::string mine;
  write_json(bad, mine);
  CHECK_FALSE(nlohmann::json::parse(mine, nullptr, false).is_discarded());
}
