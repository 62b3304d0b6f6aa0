// The Store contract, run against both backends (TEMPLATE_TEST_CASE over
// Sqlite and Postgres): reads -- a new store, clients by identity, longest
// match, SED order and visibility, provisioned targets, identifier pages.
#include <string>
#include <vector>

#include "sed-store/limits.hpp"
#include "sed-store/store.hpp"
#include "tests/sed-store/fixture.hpp"
#include "tests/sed-store/store_builders.hpp"

namespace speerd::store::test {
namespace {

constexpr const char* kPin2 = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=";

}  // namespace

TEMPLATE_TEST_CASE("a new store is empty and at the newest schema version", "[store]", Sqlite,
                   Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  auto info = s->info();
  REQUIRE(info);
  CHECK(info->schema_version == known_schema_version());
  CHECK(info->clients == 0);
  CHECK(info->public_identifiers == 0);
  CHECK(info->audit_entries == 0);
  CHECK(info->backend == (TestType::value == Backend::sqlite ? "sqlite" : "postgresql"));
  // Opening again (without create) finds it.
  auto again = open_store(ts.uri());
  if (!again) FAIL(again.error().message);
  CHECK((*again)->change_counter().value() == info->change_counter);
}

TEMPLATE_TEST_CASE("clients are found by certificate name or SPKI pin", "[store]", Sqlite,
                   Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  populate(*s);
  const Client c1 =
      must_find_client(*s, ClientIdentity::Kind::cert_name, "CN=sbc1.peer-one.example");
  CHECK(c1.name == "c1");
  CHECK(c1.trees == std::vector<std::string>{"e164.arpa.", "e164.example."});
  CHECK(c1.rate.from_config());  // added without a rate: [limits] applies
  CHECK(c1.rate.burst == 0);
  CHECK(c1.enabled);
  const Client c2 = must_find_client(*s, ClientIdentity::Kind::spki_pin, kPin1);
  CHECK(c2.name == "c2");
  CHECK(c2.cert_name.empty());
  // Unknown identities, and a pin looked up as a name, find nothing.
  for (const auto& id : {ClientIdentity{ClientIdentity::Kind::cert_name, "CN=other"},
                         ClientIdentity{ClientIdentity::Kind::cert_name, kPin1},
                         ClientIdentity{ClientIdentity::Kind::spki_pin, kPin2},
                         ClientIdentity{ClientIdentity::Kind::cert_name, ""}}) {
    auto c = s->find_client(id);
    REQUIRE(c);
    CHECK_FALSE(c->has_value());
  }
  // Update: add a pin, new limits, disable; then the pin finds it too.
  UpdateClient u;
  u.name = "c1";
  u.spki_pin = kPin2;
  u.rate_per_second = 5;
  u.burst = 7;
  u.enabled = false;
  u.trees = std::vector<std::string>{"e164.arpa."};
  must_apply(*s, {u});
  const Client c1b = must_find_client(*s, ClientIdentity::Kind::spki_pin, kPin2);
  CHECK(c1b.id == c1.id);
  CHECK(c1b.cert_name == "CN=sbc1.peer-one.example");
  CHECK(c1b.rate.per_second == 5);
  CHECK(c1b.rate.burst == 7);
  CHECK_FALSE(c1b.enabled);
  CHECK(c1b.trees == std::vector<std::string>{"e164.arpa."});
  // Taken identities conflict.
  CHECK(must_fail(*s, {client("c3", "CN=sbc1.peer-one.example")}).code == ErrorCode::conflict);
  UpdateClient steal;
  steal.name = "c2";
  steal.spki_pin = kPin2;
  const Error e = must_fail(*s, {steal});
  CHECK(e.code == ErrorCode::conflict);
  CHECK(e.field == "spki_pin");
  // A client without any identity is refused.
  UpdateClient strip;
  strip.name = "c2";
  strip.spki_pin = "";
  CHECK(must_fail(*s, {strip}).field == "cert_name");
}

TEMPLATE_TEST_CASE("longest match: exact beats range beats prefix, longer prefix wins", "[store]",
                   Sqlite, Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  populate(*s);
  const Id c1 =
      must_find_client(*s, ClientIdentity::Kind::cert_name, "CN=sbc1.peer-one.example").id;
  const Id c2 = must_find_client(*s, ClientIdentity::Kind::spki_pin, kPin1).id;

  // Exact number (dg-a) inside the range (dg-b) and under prefix 1215 (dg-a).
  auto d = find(*s, "12155551234", c1);
  REQUIRE(d);
  CHECK(d->destination_group == "dg-a");
  CHECK(d->matched.kind == IdentifierKind::number);
  CHECK(d->matched.value == "12155551234");
  CHECK(d->matched.destination_group == "dg-a");
  // The range wins over the prefixes for its other numbers: dg-b, seen by c2.
  for (const char* n : {"12155550000", "12155555555", "12155559999"}) {
    INFO(n);
    auto r = find(*s, n, c2);
    REQUIRE(r);
    CHECK(r->destination_group == "dg-b");
    CHECK(r->matched.kind == IdentifierKind::range);
    CHECK(r->matched.value == "12155550000");
    CHECK(r->matched.end == "12155559999");
    // ...and c1, who may not see dg-b, gets nothing (no fallback to 1215).
    CHECK_FALSE(find(*s, n, c1));
  }
  // Just outside the range, and a longer number: the longest prefix (1215).
  for (const char* n : {"12155549999", "12155560000", "121555512345", "1215"}) {
    INFO(n);
    auto p = find(*s, n, c1);
    REQUIRE(p);
    CHECK(p->matched.kind == IdentifierKind::prefix);
    CHECK(p->matched.value == "1215");
  }
  // 1216...: only prefix 121 (dg-c, no route group) matches: nothing visible.
  CHECK_FALSE(find(*s, "12165551234", c1));
  // No identifier at all.
  CHECK_FALSE(find(*s, "33123456789", c1));
  // A range only matches numbers of its own length.
  CHECK(find(*s, "1215555000", c1)->matched.value == "1215");
  // Routing numbers match only through find_routing_number.
  CHECK_FALSE(find(*s, "19999", c2));
  auto rnd = s->find_routing_number("19999", ClientRef{c2});
  REQUIRE(rnd);
  REQUIRE(rnd->has_value());
  CHECK((*rnd)->destination_group == "dg-b");
  CHECK((*rnd)->matched.kind == IdentifierKind::routing_number);
  CHECK_FALSE(s->find_routing_number("12155551234", ClientRef{c1})->has_value());
  // Input that is not 1-15 ASCII digits is a failure value, not a miss.
  for (const std::string& bad :
       std::vector<std::string>{"", "+12155551234", "１２３", std::string(16, '1'), "12a"}) {
    CHECK_FALSE(s->find_destination(bad, ClientRef{c1}).has_value());
  }
}

TEMPLATE_TEST_CASE("SED comes back in priority order, only what the client may see", "[store]",
                   Sqlite, Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  populate(*s);
  const Id c1 =
      must_find_client(*s, ClientIdentity::Kind::cert_name, "CN=sbc1.peer-one.example").id;
  auto d = find(*s, "12155551234", c1);
  REQUIRE(d);
  REQUIRE(d->routes.size() == 3);
  // rg-c (priority 5) first, then rg-a's records by their priority.
  CHECK(d->routes[0].route_group == "rg-c");
  CHECK(d->routes[0].host == "2001:db8::9");
  CHECK(d->routes[0].port == 5060);
  CHECK(d->routes[0].transport == "udp");
  CHECK(d->routes[1].route_group == "rg-a");
  CHECK(d->routes[1].kind == SedKind::next_hop);
  CHECK(d->routes[1].host == "sbc1.peer-a.example");
  CHECK(d->routes[1].transport == "tls");
  CHECK(d->routes[2].kind == SedKind::uri);
  CHECK(d->routes[2].uri == "sip:peer-a.example");
  CHECK(d->routes[2].host == "peer-a.example");

  // A disabled route group disappears; a disabled client sees nothing.
  UpdateRouteGroup off;
  off.name = "rg-c";
  off.enabled = false;
  must_apply(*s, {off});
  CHECK(find(*s, "12155551234", c1)->routes.size() == 2);
  UpdateClient c_off;
  c_off.name = "c1";
  c_off.enabled = false;
  must_apply(*s, {c_off});
  CHECK_FALSE(find(*s, "12155551234", c1));
  // An unknown client id sees nothing either.
  CHECK_FALSE(find(*s, "12155551234", 987654));
}

TEMPLATE_TEST_CASE("provisioned targets: host checks and routes by host", "[store]", Sqlite,
                   Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  populate(*s);
  const Id c1 =
      must_find_client(*s, ClientIdentity::Kind::cert_name, "CN=sbc1.peer-one.example").id;
  const Id dg_a = find(*s, "12155551234", c1)->destination_group_id;
  for (const char* h : {"sbc1.peer-a.example", "SBC1.PEER-A.EXAMPLE.", "peer-a.example",
                        "2001:db8::9", "[2001:db8:0::9]"}) {
    INFO(h);
    CHECK(s->is_provisioned_target(dg_a, h).value());
  }
  for (const char* h : {"evil.example", "192.0.2.7", "", "' OR 1=1 --", "peer-a.example.evil"}) {
    INFO(h);
    CHECK_FALSE(s->is_provisioned_target(dg_a, h).value());
  }
  auto routes = s->find_routes_to_host("Peer-A.Example", ClientRef{c1});
  REQUIRE(routes);
  REQUIRE(routes->size() == 1);
  CHECK(routes->front().uri == "sip:peer-a.example");
  const Id c2 = must_find_client(*s, ClientIdentity::Kind::spki_pin, kPin1).id;
  CHECK(s->find_routes_to_host("peer-a.example", ClientRef{c2})->empty());
}

TEMPLATE_TEST_CASE("identifiers list in pages by (kind, value)", "[store]", Sqlite, Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  std::vector<Change> changes{AddDestinationGroup{"a", ""}, AddDestinationGroup{"b", ""}};
  for (int i = 0; i < 25; ++i) {
    changes.push_back(number(i % 2 ? "a" : "b", std::to_string(4930000000 + i)));
  }
  changes.push_back(prefix("a", "49"));
  must_apply(*s, changes);
  std::vector<PublicIdentifier> all;
  IdentifierPage page;
  page.limit = 7;
  for (;;) {
    auto p = s->list_identifiers(page);
    REQUIRE(p);
    all.insert(all.end(), p->begin(), p->end());
    if (p->size() < page.limit) break;
    page.after = p->back();
  }
  REQUIRE(all.size() == 26);
  CHECK(all.front().value == "4930000000");
  CHECK(all.back().kind == IdentifierKind::prefix);
  IdentifierPage only_a;
  only_a.destination_group = "a";
  only_a.limit = 100;
  CHECK(s->list_identifiers(only_a)->size() == 13);
  only_a.destination_group = "nope";
  CHECK(s->list_identifiers(only_a).error().code == ErrorCode::not_found);
}

}  // namespace speerd::store::test
