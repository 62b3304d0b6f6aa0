// The client_source table (issue 14, migration 0005), on both backends: the
// DNS front end's source prefixes are stored canonical, validated, one
// client per prefix, replaced as a whole, and gone with their client.
#include <string>
#include <vector>

#include "sed-store/store.hpp"
#include "tests/sed-store/fixture.hpp"
#include "tests/sed-store/store_builders.hpp"

namespace speerd::store::test {
namespace {

Client find(Store& s, const std::string& name) {
  auto all = s.list_clients();
  REQUIRE(all);
  for (const auto& c : *all) {
    if (c.name == name) return c;
  }
  FAIL("no client " << name);
  return {};
}

}  // namespace

TEMPLATE_TEST_CASE("client source prefixes are stored canonical and replaced whole",
                   "[store][dns-frontend]", Sqlite, Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  auto a = client("sbc-a", "sbc-a.example");
  a.sources = {"2001:DB8:0::/48", "192.0.2.0/24", "192.0.2.0/24", "198.51.100.7"};
  must_apply(*s, {a});
  CHECK(find(*s, "sbc-a").sources ==
        std::vector<std::string>{"192.0.2.0/24", "198.51.100.7/32", "2001:db8::/48"});
  // The TLS directory's lookup reads them too.
  auto byname = s->find_client({ClientIdentity::Kind::cert_name, "sbc-a.example"});
  REQUIRE(byname);
  REQUIRE(*byname);
  CHECK((*byname)->sources.size() == 3);

  UpdateClient u;
  u.name = "sbc-a";
  u.sources = std::vector<std::string>{"10.0.0.0/8"};
  must_apply(*s, {u});
  CHECK(find(*s, "sbc-a").sources == std::vector<std::string>{"10.0.0.0/8"});
  u.sources = std::vector<std::string>{};
  must_apply(*s, {u});
  CHECK(find(*s, "sbc-a").sources.empty());
}

TEMPLATE_TEST_CASE("a source prefix is valid and belongs to one client", "[store][dns-frontend]",
                   Sqlite, Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  auto a = client("sbc-a", "sbc-a.example");
  a.sources = {"192.0.2.0/24"};
  must_apply(*s, {a});
  const std::string before = export_text(*s);

  auto host_bits = client("sbc-b", "sbc-b.example");
  host_bits.sources = {"192.0.2.1/24"};
  auto e = must_fail(*s, {host_bits});
  CHECK(e.field == "sources");
  CHECK(e.message.find("192.0.2.0/24") != std::string::npos);  // says what was meant

  auto junk = client("sbc-b", "sbc-b.example");
  junk.sources = {"192.0.2.0/24'; DROP TABLE client;--"};
  CHECK(must_fail(*s, {junk}).field == "sources");

  auto same = client("sbc-b", "sbc-b.example");
  same.sources = {"192.0.2.0/24"};
  e = must_fail(*s, {same});
  CHECK(e.code == ErrorCode::conflict);
  CHECK(e.message.find("sbc-a") != std::string::npos);
  CHECK(export_text(*s) == before);  // nothing of a failed batch stays

  auto nested = client("sbc-b", "sbc-b.example");
  nested.sources = {"192.0.2.128/25"};  // inside sbc-a's: the longer one wins at lookup
  must_apply(*s, {nested});

  must_apply(*s, {RemoveClient{"sbc-a"}});
  CHECK(find(*s, "sbc-b").sources == std::vector<std::string>{"192.0.2.128/25"});
  auto again = client("sbc-c", "sbc-c.example");
  again.sources = {"192.0.2.0/24"};  // free again once its client is gone
  must_apply(*s, {again});
}

}  // namespace speerd::store::test
