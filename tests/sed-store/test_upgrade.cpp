// A populated store at schema 1 (what speerd wrote before issue 20) upgraded
// to this build's schema: migration 0002 makes the client's rate optional
// (NULL: [limits] applies) and adds the client's default answer options.
// Every row written at schema 1 must come through unchanged, a client keeps
// the rate it was written with, and the new columns work afterwards. Both
// backends (SQLite, and PostgreSQL from tools/testbed/postgres).
#include <algorithm>
#include <string>

#include "sed-store/migrations.hpp"
#include "sed-store/store.hpp"
#include "tests/sed-store/fixture.hpp"

namespace speerd::store::test {
namespace {

detail::Dialect dialect_of(Backend b) {
  return b == Backend::sqlite ? detail::Dialect::sqlite : detail::Dialect::postgres;
}

// Schema 1 exactly as migration 0001 creates it, then rows as speerd 1 wrote
// them (ids from the database, not given: a PostgreSQL identity column must
// go on counting after the upgrade).
void make_schema1_store(TestStore& ts) {
  const auto all = detail::migrations(dialect_of(ts.backend()));
  REQUIRE(all.size() >= 2);
  REQUIRE(all[0].version == 1);
  ts.exec_raw(all[0].sql);
  ts.exec_raw(
      "INSERT INTO schema_version (version, name, applied_at) "
      "VALUES (1, 'initial', '2026-11-01T00:00:00Z');"
      "INSERT INTO client (name, cert_name, spki_pin, rate_per_second, burst, enabled, "
      "description) VALUES ('sbc-a', 'sbc-a.example', NULL, 100, 200, 1, 'README default'),"
      "('sbc-b', 'sbc-b.example', NULL, 5000, 10000, 0, 'disabled, own rate');"
      "INSERT INTO client_tree (client_id, tree) SELECT id, 'e164.example.' FROM client;"
      "INSERT INTO client_tree (client_id, tree) "
      "SELECT id, 'e164.tree-b.example.' FROM client WHERE name = 'sbc-a';"
      "INSERT INTO destination_group (name, description) VALUES ('dg1', 'group one');"
      "INSERT INTO public_identifier (kind, value, destination_group_id, len, range_end) "
      "SELECT 'number', '12155551234', id, 11, NULL FROM destination_group WHERE name = 'dg1';"
      "INSERT INTO public_identifier (kind, value, destination_group_id, len, range_end) "
      "SELECT 'range', '12155560000', id, 11, '12155569999' FROM destination_group "
      "WHERE name = 'dg1';"
      "INSERT INTO route_group (name, priority, enabled, description) "
      "VALUES ('rg1', 10, 1, 'route one');"
      "INSERT INTO route_group_destination (destination_group_id, route_group_id) "
      "SELECT d.id, r.id FROM destination_group d, route_group r "
      "WHERE d.name = 'dg1' AND r.name = 'rg1';"
      "INSERT INTO sed_record (route_group_id, kind, uri, host, port, transport, priority) "
      "SELECT id, 'next-hop', '', 'sbc.peer.example', 5060, 'udp', 10 FROM route_group "
      "WHERE name = 'rg1';"
      "INSERT INTO peering_offer (route_group_id, client_id) "
      "SELECT r.id, c.id FROM route_group r, client c WHERE r.name = 'rg1' AND c.name = 'sbc-a';"
      "INSERT INTO audit (at, actor, action, object_type, object_key, before, after, "
      "change_counter) VALUES ('2026-11-01T00:00:00Z', 'ops', 'create', 'client', 'sbc-a', "
      "NULL, '{}', 7);"
      "UPDATE store_meta SET change_counter = 7;");
}

const Client* find(const std::vector<Client>& cs, const std::string& name) {
  auto it = std::find_if(cs.begin(), cs.end(), [&](const Client& c) { return c.name == name; });
  return it == cs.end() ? nullptr : &*it;
}

}  // namespace

TEMPLATE_TEST_CASE("a populated schema 1 store upgrades with its rows and rates kept", "[upgrade]",
                   Sqlite, Postgres) {
  TestStore ts(TestType::value);
  make_schema1_store(ts);

  // This build refuses it until it is migrated, and says so.
  {
    auto refused = open_store(ts.uri());
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::schema_too_old);
  }
  OpenOptions old;
  old.allow_old_schema = true;
  auto opened = open_store(ts.uri(), old);
  REQUIRE(opened);
  auto migrated = (*opened)->migrate();
  REQUIRE(migrated);
  CHECK(*migrated == known_schema_version());
  opened->reset();

  auto s = ts.open();
  auto info = s->info();
  REQUIRE(info);
  CHECK(info->schema_version == known_schema_version());
  CHECK(info->change_counter > 7);  // nodes reload after the schema change

  // Clients: the rates they were written with (not NULL, not [limits]),
  // trees, enabled flags and descriptions; no default options.
  auto clients = s->list_clients();
  REQUIRE(clients);
  REQUIRE(clients->size() == 2);
  const Client* a = find(*clients, "sbc-a");
  const Client* b = find(*clients, "sbc-b");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->rate.per_second == 100);
  CHECK(a->rate.burst == 200);
  CHECK_FALSE(a->rate.from_config());
  CHECK(a->cert_name == "sbc-a.example");
  CHECK(a->enabled);
  CHECK(a->description == "README default");
  CHECK(a->options.empty());
  auto trees = a->trees;
  std::sort(trees.begin(), trees.end());
  CHECK(trees == std::vector<std::string>{"e164.example.", "e164.tree-b.example."});
  CHECK(b->rate.per_second == 5000);
  CHECK(b->rate.burst == 10000);
  CHECK_FALSE(b->enabled);
  CHECK(b->trees == std::vector<std::string>{"e164.example."});

  // Routing data: the number and the range still lead to the SED record,
  // for the client offered the route group only.
  const ClientRef ref_a{a->id};
  for (const char* digits : {"12155551234", "12155565432"}) {
    INFO(digits);
    auto d = s->find_destination(digits, ref_a);
    REQUIRE(d);
    REQUIRE(d->has_value());
    CHECK((*d)->destination_group == "dg1");
    REQUIRE((*d)->routes.size() == 1);
    CHECK((*d)->routes[0].host == "sbc.peer.example");
    CHECK((*d)->routes[0].port == 5060);
    CHECK((*d)->routes[0].transport == "udp");
  }
  auto for_b = s->find_destination("12155551234", ClientRef{b->id});
  REQUIRE(for_b);
  CHECK_FALSE(for_b->has_value());
  auto offers = s->list_offers();
  REQUIRE(offers);
  CHECK(offers->size() == 1);
  AuditQuery q;
  auto audit = s->list_audit(q);
  REQUIRE(audit);
  CHECK(std::any_of(audit->begin(), audit->end(), [](const AuditEntry& e) {
    return e.actor == "ops" && e.object_key == "sbc-a";
  }));

  // What schema 2 adds works on the upgraded store: a client without a rate
  // of its own ([limits] applies), default options, and dropping a rate.
  const Id a_id = a->id, b_id = b->id;  // a and b point into `clients`, listed anew below
  AddClient c;
  c.name = "sbc-new";
  c.cert_name = "sbc-new.example";
  c.trees = {"e164.example."};
  c.options = "view=compact";
  must_apply(*s, {c});
  UpdateClient u;
  u.name = "sbc-a";
  u.rate_from_config = true;
  must_apply(*s, {u});
  clients = s->list_clients();
  REQUIRE(clients);
  REQUIRE(clients->size() == 3);
  const Client* n = find(*clients, "sbc-new");
  REQUIRE(n);
  CHECK(n->rate.from_config());
  CHECK(n->options == "view=compact");
  CHECK(n->id != a_id);
  CHECK(n->id != b_id);
  CHECK(find(*clients, "sbc-a")->rate.from_config());
  CHECK(find(*clients, "sbc-b")->rate.per_second == 5000);

  // A second migrate is a no-op.
  auto again = s->migrate();
  REQUIRE(again);
  CHECK(*again == known_schema_version());
}

}  // namespace speerd::store::test
