// The Store contract, run against both backends (TEMPLATE_TEST_CASE over
// Sqlite and Postgres): writes -- validation, range overlaps, references,
// atomic apply and the change counter, the audit trail, trust anchors.
#include <cstdint>
#include <string>
#include <vector>

#include "sed-store/json.hpp"
#include "sed-store/limits.hpp"
#include "sed-store/store.hpp"
#include "tests/sed-store/fixture.hpp"
#include "tests/sed-store/store_builders.hpp"

namespace speerd::store::test {
namespace {

constexpr const char* kDnskeyPeers =
    "peers.example. IN DNSKEY 257 3 13 "
    "U9vPI1LiMcLsN8Xgkbwc5YDkSuXCy2DR5WDGNDn8Jr1CKteWX959PCt5UE19MyZMHur8TuFjoj8Adeuez5Ux/w==";

}  // namespace

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
    c.options = "view=tiny";
    cases.push_back({c, "options"});
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

}  // namespace speerd::store::test
