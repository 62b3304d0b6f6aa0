// The client_tsig_key table and client.tsig_required (issue 14, migration
// 0006), on both backends: keys are validated (name, hmac-sha256 only,
// base64 secret of at least 32 bytes), named once across clients, listed
// with their secrets for the daemon's snapshot but never in JSON or the
// audit log, added and removed by UpdateClient, and gone with their client.
#include <string>
#include <vector>

#include "sed-store/json.hpp"
#include "sed-store/store.hpp"
#include "tests/sed-store/fixture.hpp"
#include "tests/sed-store/store_builders.hpp"

namespace speerd::store::test {
namespace {

// 32 bytes, and 31.
const std::string kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk=";
const std::string kSecret2 = "YW5vdGhlci1zZWNyZXQtc2VjcmV0LXNlY3JldC0zMmI=";
const std::string kShort = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg==";

Client find(Store& s, const std::string& name) {
  auto all = s.list_clients();
  REQUIRE(all);
  for (const auto& c : *all) {
    if (c.name == name) return c;
  }
  FAIL("no client " << name);
  return {};
}

UpdateClient add_key(const std::string& client, const std::string& key, const std::string& secret,
                     const std::string& algorithm = "hmac-sha256") {
  UpdateClient u;
  u.name = client;
  u.add_tsig_keys.push_back(TsigKey{key, algorithm, secret});
  return u;
}

}  // namespace

TEMPLATE_TEST_CASE("TSIG keys are stored, listed and removed", "[store][dns-frontend]", Sqlite,
                   Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  auto a = client("sbc-a", "sbc-a.example");
  a.tsig_required = true;
  a.tsig_keys.push_back(TsigKey{"SBC-A.Key", "HMAC-SHA256.", kSecret});
  must_apply(*s, {a});
  Client c = find(*s, "sbc-a");
  CHECK(c.tsig_required);
  REQUIRE(c.tsig_keys.size() == 1);
  CHECK(c.tsig_keys[0].name == "sbc-a.key.");  // a DNS name, lower case, absolute
  CHECK(c.tsig_keys[0].algorithm == "hmac-sha256");
  CHECK(c.tsig_keys[0].secret == kSecret);  // the daemon's snapshot needs it
  // The TLS directory's lookup reads them too.
  auto byname = s->find_client({ClientIdentity::Kind::cert_name, "sbc-a.example"});
  REQUIRE(byname);
  REQUIRE(*byname);
  CHECK((*byname)->tsig_keys.size() == 1);

  // Listings and the audit log name keys, never secrets.
  const std::string json = to_json(c, false).dump();
  CHECK(json.find("sbc-a.key.") != std::string::npos);
  CHECK(json.find(kSecret) == std::string::npos);

  must_apply(*s, {add_key("sbc-a", "sbc-a-2.key", kSecret2)});
  CHECK(find(*s, "sbc-a").tsig_keys.size() == 2);
  auto audit = s->list_audit({});
  REQUIRE(audit);
  REQUIRE(audit->size() >= 2);
  for (const auto& e : *audit) {
    for (const auto& secret : {kSecret, kSecret2}) {
      CHECK(e.before.find(secret) == std::string::npos);
      CHECK(e.after.find(secret) == std::string::npos);
    }
  }
  CHECK(audit->front().after.find("sbc-a-2.key.") != std::string::npos);

  // A rotation: the same name with a new secret, in one update.
  UpdateClient rotate = add_key("sbc-a", "sbc-a.key", kSecret2);
  rotate.remove_tsig_keys = {"sbc-a.key."};
  must_apply(*s, {rotate});
  c = find(*s, "sbc-a");
  REQUIRE(c.tsig_keys.size() == 2);
  CHECK(c.tsig_keys[1].name == "sbc-a.key.");
  CHECK(c.tsig_keys[1].secret == kSecret2);

  UpdateClient off;
  off.name = "sbc-a";
  off.tsig_required = false;
  off.remove_tsig_keys = {"sbc-a-2.key"};
  must_apply(*s, {off});
  c = find(*s, "sbc-a");
  CHECK_FALSE(c.tsig_required);
  REQUIRE(c.tsig_keys.size() == 1);
  CHECK(c.tsig_keys[0].name == "sbc-a.key.");
  auto e = must_fail(*s, {off});  // that key is gone
  CHECK(e.code == ErrorCode::not_found);
  CHECK(e.message.find("sbc-a-2.key.") != std::string::npos);

  must_apply(*s, {RemoveClient{"sbc-a"}});
  auto b = client("sbc-b", "sbc-b.example");
  b.tsig_keys.push_back(TsigKey{"sbc-a.key", "hmac-sha256", kSecret});
  must_apply(*s, {b});  // free again once its client is gone
}

TEMPLATE_TEST_CASE("a TSIG key is valid and names one client", "[store][dns-frontend]", Sqlite,
                   Postgres) {
  TestStore ts(TestType::value);
  auto s = ts.open();
  auto a = client("sbc-a", "sbc-a.example");
  a.tsig_keys.push_back(TsigKey{"sbc-a.key", "hmac-sha256", kSecret});
  must_apply(*s, {a, client("sbc-b", "sbc-b.example")});
  const std::string before = export_text(*s);
  const auto listed = [&] { return find(*s, "sbc-b").tsig_keys.size(); };

  auto e = must_fail(*s, {add_key("sbc-b", "sbc-a.key", kSecret2)});
  CHECK(e.code == ErrorCode::conflict);
  CHECK(e.message.find("sbc-a") != std::string::npos);

  e = must_fail(*s, {add_key("sbc-b", "sbc-b.key", kSecret, "hmac-md5")});
  CHECK(e.field == "tsig_algorithm");
  CHECK(e.message.find("only hmac-sha256") != std::string::npos);

  e = must_fail(*s, {add_key("sbc-b", "sbc-b.key", kShort)});
  CHECK(e.field == "tsig_secret");
  CHECK(e.message.find("31 bytes") != std::string::npos);
  CHECK(e.message.find(kShort) == std::string::npos);  // a secret is never quoted

  e = must_fail(*s, {add_key("sbc-b", "sbc-b.key", "not base64!")});
  CHECK(e.field == "tsig_secret");
  CHECK(e.message.find("not base64") != std::string::npos);
  e = must_fail(*s, {add_key("sbc-b", "sbc-b.key", kSecret.substr(0, kSecret.size() - 1))});
  CHECK(e.field == "tsig_secret");

  e = must_fail(*s, {add_key("sbc-b", "sbc_b key'; DROP TABLE client;--", kSecret2)});
  CHECK(e.field == "tsig_key");

  UpdateClient twice = add_key("sbc-b", "sbc-b.key", kSecret2);
  twice.add_tsig_keys.push_back(TsigKey{"SBC-B.key.", "hmac-sha256", kSecret});
  CHECK(must_fail(*s, {twice}).message.find("twice") != std::string::npos);

  CHECK(listed() == 0);
  CHECK(export_text(*s) == before);  // nothing of a failed batch stays
}

}  // namespace speerd::store::test
