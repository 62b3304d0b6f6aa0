// The Store contract, run against both backends (TEMPLATE_TEST_CASE over
// Sqlite and Postgres).
#include <mutex>
#include <thread>

#include "sed-store/json.hpp"
#include "sed-store/limits.hpp"
#include "sed-store/store.hpp"
#include "tests/sed-store/fixture.hpp"

namespace speerd::store::test {
namespace {

constexpr const char* kPin1 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
constexpr const char* kPin2 = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=";
constexpr const char* kDsExample =
    "example. 3600 IN DS 56021 13 2 "
    "2c2ffbe76679e6146c7caafa943beab6ce58fa547922a2cec0199e559cd356a5";
constexpr const char* kDnskeyPeers =
    "peers.example. IN DNSKEY 257 3 13 "
    "U9vPI1LiMcLsN8Xgkbwc5YDkSuXCy2DR5WDGNDn8Jr1CKteWX959PCt5UE19MyZMHur8TuFjoj8Adeuez5Ux/w==";

AddClient client(std::string name, std::string cert, std::string pin = "") {
  AddClient c;
  c.name = std::move(name);
  c.cert_name = std::move(cert);
  c.spki_pin = std::move(pin);
  c.trees = {"e164.arpa", "E164.Example."};
  return c;
}

AddIdentifier number(std::string dg, std::string v) {
  return AddIdentifier{std::move(dg), IdentifierKind::number, std::move(v), {}};
}
AddIdentifier range(std::string dg, std::string a, std::string b) {
  return AddIdentifier{std::move(dg), IdentifierKind::range, std::move(a), std::move(b)};
}
AddIdentifier prefix(std::string dg, std::string v) {
  return AddIdentifier{std::move(dg), IdentifierKind::prefix, std::move(v), {}};
}
AddIdentifier rn(std::string dg, std::string v) {
  return AddIdentifier{std::move(dg), IdentifierKind::routing_number, std::move(v), {}};
}
AddRouteGroup route_group(std::string name, int prio, std::vector<std::string> dgs) {
  AddRouteGroup g;
  g.name = std::move(name);
  g.priority = prio;
  g.destination_groups = std::move(dgs);
  return g;
}
AddSed hop(std::string rg, std::string host, std::string port, std::string transport, int prio) {
  AddSed s;
  s.route_group = std::move(rg);
  s.host = std::move(host);
  s.port = std::move(port);
  s.transport = std::move(transport);
  s.priority = prio;
  return s;
}
AddSed uri(std::string rg, std::string u, int prio) {
  AddSed s;
  s.route_group = std::move(rg);
  s.uri = std::move(u);
  s.priority = prio;
  return s;
}

// Two clients, three destination groups, three route groups: c1 sees rg-a and
// rg-c (both serve dg-a), c2 sees rg-b (serves dg-b); dg-c has no route group.
void populate(Store& s) {
  must_apply(s, {
                    client("c1", "CN=sbc1.peer-one.example"),
                    client("c2", "", kPin1),
                    AddDestinationGroup{"dg-a", "numbers of A"},
                    AddDestinationGroup{"dg-b", ""},
                    AddDestinationGroup{"dg-c", ""},
                    number("dg-a", "12155551234"),
                    range("dg-b", "12155550000", "12155559999"),
                    prefix("dg-a", "1215"),
                    prefix("dg-c", "121"),
                    prefix("dg-b", "44"),
                    rn("dg-b", "19999"),
                    route_group("rg-a", 10, {"dg-a"}),
                    route_group("rg-b", 10, {"dg-b"}),
                    route_group("rg-c", 5, {"dg-a"}),
                    uri("rg-a", "sip:peer-a.example", 20),
                    hop("rg-a", "SBC1.Peer-A.Example.", "5061", "TLS", 10),
                    hop("rg-b", "192.0.2.7", "", "", 10),
                    hop("rg-c", "[2001:DB8::9]", "5060", "udp", 1),
                    AddOffer{"rg-a", "c1"},
                    AddOffer{"rg-c", "c1"},
                    AddOffer{"rg-b", "c2"},
                });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Client must_find_client(Store& s, ClientIdentity::Kind kind, const std::string& v) {
  auto c = s.find_client({kind, v});
  REQUIRE(c.has_value());
  REQUIRE(c->has_value());
  return **c;
}

std::optional<Destination> find(Store& s, const std::string& digits, Id client) {
  auto d = s.find_destination(digits, ClientRef{client});
  if (!d) FAIL("find_destination: " << d.error());
  return *d;
}

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
  CHECK(c1.rate.per_second == kDefaultRatePerSecond);
  CHECK(c1.rate.burst == kDefaultBurst);
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

TEMPLATE_TEST_CASE("client fields are validated before anything is stored", "[store]", Sqlite,
                   Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  struct Case {
    AddClient c;
    std::string field;
  };
  std::vector<Case> cases;
  cases.push_back({client("bad name", "CN=x"), "name"});
  cases.push_back({client("-x", "CN=x"), "name"});
  cases.push_back({client("", "CN=x"), "name"});
  cases.push_back({client(std::string(65, 'n'), "CN=x"), "name"});
  cases.push_back({client("ok", ""), "cert_name"});
  cases.push_back({client("ok", "CN=\x01"), "cert_name"});
  cases.push_back({client("ok", " CN=x"), "cert_name"});
  cases.push_back({client("ok", "CN=x", "not-a-pin"), "spki_pin"});
  cases.push_back(
      {client("ok", "CN=x", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV="), "spki_pin"});
  {
    auto c = client("ok", "CN=x");
    c.trees = {"e164..arpa"};
    cases.push_back({c, "trees"});
  }
  {
    auto c = client("ok", "CN=x");
    c.trees = {"."};
    cases.push_back({c, "trees"});
  }
  {
    auto c = client("ok", "CN=x");
    c.rate_per_second = 0;
    cases.push_back({c, "rate"});
  }
  {
    auto c = client("ok", "CN=x");
    c.burst = kMaxBurst + 1;
    cases.push_back({c, "burst"});
  }
  {
    auto c = client("ok", "CN=x");
    c.description = "bad\x7f";
    cases.push_back({c, "description"});
  }
  for (const auto& k : cases) {
    INFO("field " << k.field << ", name " << k.c.name);
    const Error e = must_fail(*s, {k.c});
    CHECK(e.code == ErrorCode::invalid);
    CHECK(e.field == k.field);
    CHECK(e.change_index == std::size_t{0});
    CHECK_FALSE(e.message.empty());
  }
  CHECK(s->info()->clients == 0);
  CHECK(s->info()->audit_entries == 0);
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

TEMPLATE_TEST_CASE("ranges have equal-length bounds and never overlap", "[store]", Sqlite,
                   Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  must_apply(*s, {AddDestinationGroup{"dg", ""}, range("dg", "1000", "1999")});
  struct Case {
    std::vector<Change> changes;
    ErrorCode code;
    std::string field;
    std::size_t index;
  };
  const std::vector<Case> cases{
      {{range("dg", "1500", "2500")}, ErrorCode::conflict, "value", 0},
      {{range("dg", "0500", "1000")}, ErrorCode::conflict, "value", 0},
      {{range("dg", "0000", "9999")}, ErrorCode::conflict, "value", 0},
      {{range("dg", "1999", "1999")}, ErrorCode::conflict, "value", 0},
      {{range("dg", "2000", "2999"), range("dg", "2500", "3500")}, ErrorCode::conflict, "value", 1},
      {{range("dg", "3000", "3999"), number("dg", "5"), range("dg", "3999", "4000")},
       ErrorCode::conflict,
       "value",
       2},
      {{range("dg", "200", "2999")}, ErrorCode::invalid, "end", 0},
      {{range("dg", "2999", "2000")}, ErrorCode::invalid, "end", 0},
      {{range("dg", "2000", "")}, ErrorCode::invalid, "end", 0},
      {{AddIdentifier{"dg", IdentifierKind::number, "2000", "2001"}}, ErrorCode::invalid, "end", 0},
      {{range("nope", "2000", "2999")}, ErrorCode::not_found, "dest_group", 0},
      {{number("dg", "1"), number("dg", "1")}, ErrorCode::conflict, "value", 1},
  };
  const std::string before = export_text(*s);
  for (const auto& k : cases) {
    const Error e = must_fail(*s, k.changes);
    INFO(e.message);
    CHECK(e.code == k.code);
    CHECK(e.field == k.field);
    CHECK(e.change_index == k.index);
  }
  CHECK(export_text(*s) == before);
  // Adjacent ranges and other lengths are fine.
  must_apply(*s, {range("dg", "2000", "2999"), range("dg", "0000", "0999"),
                  range("dg", "10000", "19999"), number("dg", "1500")});
  CHECK(s->info()->public_identifiers == 5);
}

TEMPLATE_TEST_CASE("objects still referenced cannot be removed", "[store]", Sqlite, Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  populate(*s);
  const std::string before = export_text(*s);
  CHECK(must_fail(*s, {RemoveDestinationGroup{"dg-a"}}).code == ErrorCode::conflict);
  CHECK(must_fail(*s, {RemoveDestinationGroup{"dg-c"}}).code == ErrorCode::conflict);
  CHECK(must_fail(*s, {RemoveRouteGroup{"rg-a"}}).code == ErrorCode::conflict);
  CHECK(must_fail(*s, {RemoveClient{"c1"}}).code == ErrorCode::conflict);
  CHECK(must_fail(*s, {RemoveClient{"nobody"}}).code == ErrorCode::not_found);
  CHECK(must_fail(*s, {RemoveSed{424242}}).code == ErrorCode::not_found);
  CHECK(must_fail(*s, {RemoveOffer{"rg-b", "c1"}}).code == ErrorCode::not_found);
  CHECK(must_fail(*s, {DetachDestination{"rg-b", "dg-a"}}).code == ErrorCode::not_found);
  CHECK(must_fail(*s, {AttachDestination{"rg-b", "dg-b"}}).code == ErrorCode::conflict);
  CHECK(must_fail(*s, {AddOffer{"rg-a", "c1"}}).code == ErrorCode::conflict);
  CHECK(must_fail(*s, {hop("rg-a", "sbc1.peer-a.example", "5061", "tls", 99)}).code ==
        ErrorCode::conflict);
  CHECK(export_text(*s) == before);

  // Taken apart in order, everything goes.
  auto sed = s->list_sed(std::nullopt);
  REQUIRE(sed);
  std::vector<Change> teardown;
  for (const auto& r : *sed) teardown.push_back(RemoveSed{r.id});
  for (auto [rg, c] : {std::pair{"rg-a", "c1"}, {"rg-c", "c1"}, {"rg-b", "c2"}}) {
    teardown.push_back(RemoveOffer{rg, c});
  }
  teardown.push_back(DetachDestination{"rg-a", "dg-a"});
  for (const char* rg : {"rg-a", "rg-b", "rg-c"}) teardown.push_back(RemoveRouteGroup{rg});
  teardown.push_back(RemoveIdentifier{IdentifierKind::number, "12155551234"});
  teardown.push_back(RemoveIdentifier{IdentifierKind::range, "12155550000"});
  teardown.push_back(RemoveIdentifier{IdentifierKind::prefix, "1215"});
  teardown.push_back(RemoveIdentifier{IdentifierKind::prefix, "121"});
  teardown.push_back(RemoveIdentifier{IdentifierKind::prefix, "44"});
  teardown.push_back(RemoveIdentifier{IdentifierKind::routing_number, "19999"});
  for (const char* dg : {"dg-a", "dg-b", "dg-c"}) teardown.push_back(RemoveDestinationGroup{dg});
  teardown.push_back(RemoveClient{"c1"});
  teardown.push_back(RemoveClient{"c2"});
  must_apply(*s, teardown);
  const auto info = s->info();
  CHECK(info->clients + info->destination_groups + info->public_identifiers + info->route_groups +
            info->sed_records + info->peering_offers ==
        0);
}

TEMPLATE_TEST_CASE("apply is atomic and the change counter moves once per write", "[store]", Sqlite,
                   Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  populate(*s);
  const std::uint64_t c0 = s->change_counter().value();
  const std::string before = export_text(*s);
  const auto audit_before = s->info()->audit_entries;
  // Nine good changes, then one bad one: nothing of it stays.
  std::vector<Change> changes{AddDestinationGroup{"dg-new", ""},
                              number("dg-new", "4930123456"),
                              client("c9", "CN=c9"),
                              route_group("rg-new", 1, {"dg-new"}),
                              hop("rg-new", "sbc.new.example", "", "", 1),
                              AddOffer{"rg-new", "c9"},
                              RemoveSed{1},
                              prefix("dg-new", "49"),
                              AddTrustAnchor{"example.", kDsExample},
                              number("dg-new", "4930123456")};
  const Error e = must_fail(*s, changes);
  CHECK(e.change_index == std::size_t{9});
  CHECK(export_text(*s) == before);
  CHECK(s->change_counter().value() == c0);
  CHECK(s->info()->audit_entries == audit_before);
  // Reads and no-op updates do not move it; writes do, once per apply.
  (void)find(*s, "12155551234", 1);
  UpdateRouteGroup same;
  same.name = "rg-a";
  same.priority = 10;
  must_apply(*s, {same});
  const std::uint64_t c1 = s->change_counter().value();
  CHECK(c1 == c0 + 1);
  CHECK(s->info()->audit_entries == audit_before);
  const auto report =
      must_apply(*s, {AddDestinationGroup{"dg-x", ""}, AddDestinationGroup{"dg-y", ""}});
  CHECK(report.change_counter == c1 + 1);
  CHECK(s->change_counter().value() == c1 + 1);
  CHECK(report.created_ids.size() == 2);
  CHECK(report.created_ids[0] > 0);
}

TEMPLATE_TEST_CASE("the audit trail records who, when, what, before and after", "[store]", Sqlite,
                   Postgres) {
  TestStore ts(TestType::value);
  OpenOptions o;
  o.clock = fixed_clock();
  auto s = ts.open(o);
  must_apply(*s, {AddDestinationGroup{"dg", "first"}, number("dg", "4930123456")});
  auto r = s->apply(std::vector<Change>{RemoveIdentifier{IdentifierKind::number, "4930123456"}},
                    WriteContext{"alice@ops"});
  REQUIRE(r);
  auto audit = s->list_audit(AuditQuery{});
  REQUIRE(audit);
  REQUIRE(audit->size() == 3);
  const AuditEntry& del = (*audit)[0];  // newest first
  CHECK(del.actor == "alice@ops");
  CHECK(del.action == "delete");
  CHECK(del.object_type == "public_identifier");
  CHECK(del.object_key == "number:4930123456");
  CHECK(del.at == "2023-11-14T22:13:20.000000Z");
  CHECK(del.after.empty());
  CHECK(Json::parse(del.before) ==
        Json::parse(R"({"dest_group":"dg","kind":"number","value":"4930123456"})"));
  CHECK(del.change_counter == r->change_counter);
  const AuditEntry& add = (*audit)[1];
  CHECK(add.actor == "tester");
  CHECK(add.action == "create");
  CHECK(add.before.empty());
  CHECK(add.after == del.before);
  CHECK((*audit)[2].object_type == "destination_group");
  // Filters.
  AuditQuery q;
  q.actor = "alice@ops";
  CHECK(s->list_audit(q)->size() == 1);
  q.actor = "' OR 1=1 --";
  CHECK(s->list_audit(q)->empty());
  AuditQuery t;
  t.object_type = "destination_group";
  CHECK(s->list_audit(t)->size() == 1);
  // An invalid actor is refused before anything is written.
  auto bad = s->apply(std::vector<Change>{AddDestinationGroup{"dg2", ""}}, WriteContext{"bob; --"});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "actor");
  auto empty_actor =
      s->apply(std::vector<Change>{AddDestinationGroup{"dg2", ""}}, WriteContext{""});
  REQUIRE_FALSE(empty_actor);
}

TEMPLATE_TEST_CASE("trust anchors are checked with ldns and listed by state", "[store]", Sqlite,
                   Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  auto r = must_apply(*s, {AddTrustAnchor{"Example", kDsExample},
                           AddTrustAnchor{"peers.example.", kDnskeyPeers, AnchorState::inactive}});
  auto active = s->trust_anchors();
  REQUIRE(active);
  REQUIRE(active->size() == 1);
  const TrustAnchor& ds = active->front();
  CHECK(ds.zone == "example.");
  CHECK(ds.kind == AnchorKind::ds);
  CHECK(ds.key_tag == 56021);
  CHECK(ds.added_by == "tester");
  CHECK(ds.rr.find("56021 13 2 2c2ffbe7") != std::string::npos);
  auto all = s->list_trust_anchors();
  REQUIRE(all->size() == 2);
  CHECK((*all)[1].kind == AnchorKind::dnskey);
  CHECK((*all)[1].key_tag == 43721);
  CHECK((*all)[1].state == AnchorState::inactive);
  must_apply(*s, {SetTrustAnchorState{r.created_ids[1], AnchorState::active}});
  CHECK(s->trust_anchors()->size() == 2);
  must_apply(*s, {RemoveTrustAnchor{r.created_ids[0]}});
  CHECK(s->trust_anchors()->size() == 1);

  const std::string before = export_text(*s);
  struct Case {
    std::string zone;
    std::string rr;
    std::string field;
  };
  const std::vector<Case> bad{
      {"other.example", kDsExample, "rr"},  // owner is not the zone
      {"example", "example. IN A 192.0.2.1", "rr"},
      {"example", "example. IN DS 56021 13 2 2c2f", "rr"},  // digest too short
      {"example", "example. IN DS 56021 13 9 2c2ffbe76679e6146c7caafa943beab6", "rr"},
      {"example",
       "example. IN DS 56021 1 2 2c2ffbe76679e6146c7caafa943beab6ce58fa547922a2cec0199e559cd356a5",
       "rr"},
      {"example",
       "example. CH DS 56021 13 2 2c2ffbe76679e6146c7caafa943beab6ce58fa547922a2cec0199e559cd356a5",
       "rr"},
      {"example", "garbage", "rr"},
      {"example", "", "rr"},
      {"example", std::string(kDsExample) + "\nexample. IN A 192.0.2.1", "rr"},
      {"peers.example",
       "peers.example. IN DNSKEY 0 3 13 "
       "U9vPI1LiMcLsN8Xgkbwc5YDkSuXCy2DR5WDGNDn8Jr1CKteWX959PCt5UE19MyZMHur8TuFjoj8Adeuez5Ux/w==",
       "rr"},
      {"ex ample", kDsExample, "zone"},
      {"'; DROP TABLE trust_anchor; --", kDsExample, "zone"},
      {"peers.example.", kDnskeyPeers, "rr"},  // stored already: conflict
  };
  for (const auto& k : bad) {
    INFO(k.zone << " / " << k.rr);
    const Error e = must_fail(*s, {AddTrustAnchor{k.zone, k.rr}});
    CHECK(e.field == k.field);
  }
  CHECK(export_text(*s) == before);
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

TEMPLATE_TEST_CASE("the injection corpus is rejected or stored literally, in every field",
                   "[store][attack]", Sqlite, Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  populate(*s);
  const auto corpus = injection_corpus();
  // Each builder puts the probe into one field of an otherwise valid change.
  using Build = std::function<Change(const std::string&)>;
  const std::vector<std::pair<std::string, Build>> fields{
      {"client.name", [](const std::string& v) { return Change{client(v, "CN=probe")}; }},
      {"client.cert_name", [](const std::string& v) { return Change{client("probe", v)}; }},
      {"client.spki_pin", [](const std::string& v) { return Change{client("probe", "", v)}; }},
      {"client.trees",
       [](const std::string& v) {
         auto c = client("probe", "CN=probe");
         c.trees = {v};
         return Change{c};
       }},
      {"client.description",
       [](const std::string& v) {
         auto c = client("probe", "CN=probe");
         c.description = v;
         return Change{c};
       }},
      {"dest_group.name",
       [](const std::string& v) {
         return Change{AddDestinationGroup{v, ""}};
       }},
      {"dest_group.description",
       [](const std::string& v) {
         return Change{AddDestinationGroup{"probe", v}};
       }},
      {"number.dest_group", [](const std::string& v) { return Change{number(v, "4930999")}; }},
      {"number.value", [](const std::string& v) { return Change{number("dg-a", v)}; }},
      {"range.end", [](const std::string& v) { return Change{range("dg-a", "4930000", v)}; }},
      {"prefix.value", [](const std::string& v) { return Change{prefix("dg-a", v)}; }},
      {"remove.value",
       [](const std::string& v) {
         return Change{RemoveIdentifier{IdentifierKind::number, v}};
       }},
      {"route_group.name", [](const std::string& v) { return Change{route_group(v, 1, {})}; }},
      {"route_group.dest_groups",
       [](const std::string& v) { return Change{route_group("probe", 1, {v})}; }},
      {"sed.route_group",
       [](const std::string& v) { return Change{hop(v, "h.example", "", "", 1)}; }},
      {"sed.host", [](const std::string& v) { return Change{hop("rg-a", v, "", "", 1)}; }},
      {"sed.port", [](const std::string& v) { return Change{hop("rg-a", "h.example", v, "", 1)}; }},
      {"sed.transport",
       [](const std::string& v) { return Change{hop("rg-a", "h.example", "", v, 1)}; }},
      {"sed.uri", [](const std::string& v) { return Change{uri("rg-a", v, 1)}; }},
      {"sed.uri_user",
       [](const std::string& v) { return Change{uri("rg-a", "sip:" + v + "@h.example", 1)}; }},
      {"offer.client",
       [](const std::string& v) {
         return Change{AddOffer{"rg-b", v}};
       }},
      {"trust_anchor.zone",
       [](const std::string& v) {
         return Change{AddTrustAnchor{v, kDsExample}};
       }},
      {"trust_anchor.rr",
       [](const std::string& v) {
         return Change{AddTrustAnchor{"example.", v}};
       }},
      {"update.description",
       [](const std::string& v) {
         UpdateClient u;
         u.name = "c2";
         u.description = v;
         return Change{u};
       }},
  };
  std::size_t stored = 0;
  for (const auto& [field, build] : fields) {
    for (const auto& probe : corpus) {
      INFO(field << " = " << probe.substr(0, 60));
      const std::string before = export_text(*s);
      const StoreInfo info_before = s->info().value();
      auto r = s->apply(std::vector<Change>{build(probe)}, WriteContext{"tester"});
      if (!r) {
        // Rejected: a clear message, and the store exactly as it was.
        CHECK_FALSE(r.error().message.empty());
        CHECK(r.error().message.size() < 600);
        CHECK(r.error().code != ErrorCode::internal);
        CHECK(export_text(*s) == before);
        continue;
      }
      // Accepted: stored literally (the export holds the probe as given), and
      // exactly one object more (or one updated), nothing else touched.
      ++stored;
      // Names and hosts are stored lowercased; everything else as given.
      CHECK(lower(export_text(*s)).find(lower(probe)) != std::string::npos);
      const StoreInfo info_after = s->info().value();
      CHECK(info_after.public_identifiers - info_before.public_identifiers <= 1);
      CHECK(info_after.clients - info_before.clients <= 1);
      // Undo, so the next probe starts from the same store.
      std::vector<Change> undo;
      const Id created = r->created_ids[0];
      if (field == "client.name") {
        undo.push_back(RemoveClient{probe});
      } else if (field.rfind("client.", 0) == 0) {
        undo.push_back(RemoveClient{"probe"});
      } else if (field == "dest_group.name") {
        undo.push_back(RemoveDestinationGroup{probe});
      } else if (field.rfind("dest_group.", 0) == 0) {
        undo.push_back(RemoveDestinationGroup{"probe"});
      } else if (field == "number.value") {
        undo.push_back(RemoveIdentifier{IdentifierKind::number, probe});
      } else if (field == "prefix.value") {
        undo.push_back(RemoveIdentifier{IdentifierKind::prefix, probe});
      } else if (field == "range.end") {
        undo.push_back(RemoveIdentifier{IdentifierKind::range, "4930000"});
      } else if (field == "route_group.name") {
        undo.push_back(RemoveRouteGroup{probe});
      } else if (field.rfind("sed.", 0) == 0) {
        undo.push_back(RemoveSed{created});
      } else if (field.rfind("trust_anchor.", 0) == 0) {
        undo.push_back(RemoveTrustAnchor{created});
      } else if (field.rfind("update.", 0) == 0) {
        UpdateClient u;
        u.name = "c2";
        u.description = "";
        undo.push_back(u);
      }
      REQUIRE_FALSE(undo.empty());
      must_apply(*s, undo);
    }
  }
  // The free-text fields (descriptions, certificate names) take quotes,
  // semicolons and percent signs literally.
  CHECK(stored > 20);
  CHECK(s->info()->clients == 2);
  CHECK(s->info()->destination_groups == 3);
}

TEMPLATE_TEST_CASE("one Store per thread: concurrent readers and writers", "[store]", Sqlite,
                   Postgres) {
  TestStore ts(TestType::value);
  auto setup = ts.open();
  populate(*setup);
  const Id c1 =
      must_find_client(*setup, ClientIdentity::Kind::cert_name, "CN=sbc1.peer-one.example").id;
  std::atomic<int> failures{0};
  std::mutex mu;
  std::string first_error;
  auto note = [&](const std::string& e) {
    ++failures;
    std::lock_guard lock(mu);
    if (first_error.empty()) first_error = e;
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto opened = open_store(ts.uri());
      if (!opened) {
        note(opened.error().message);
        return;
      }
      auto& s = **opened;
      for (int i = 0; i < 40; ++i) {
        if (t % 2 == 0) {
          const std::string v = std::to_string(49300000 + t * 1000 + i);
          auto r = s.apply(std::vector<Change>{number("dg-a", v)}, WriteContext{"t"});
          if (!r) note(r.error().message);
        } else {
          auto d = s.find_destination("12155551234", ClientRef{c1});
          if (!d) {
            note(d.error());
          } else if (!d->has_value() || (*d)->routes.size() != 3) {
            note("lookup: wrong answer");
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  INFO(first_error);
  CHECK(failures == 0);
  CHECK(setup->info()->public_identifiers == 6 + 80);
}

}  // namespace speerd::store::test
