// speerctl's store commands, run as a process against both backends: exit
// codes, messages, --json output, and the store unchanged after bad input and
// bad credentials. The injection corpus through every argument:
// test_speerctl_probes.cpp.
#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "tests/tools/speerctl_run.hpp"

namespace speerd::store::test {

TEMPLATE_TEST_CASE("speerctl: every store command group, end to end", "[speerctl]", Sqlite,
                   Postgres) {
  TestStore ts(TestType::value);
  auto run = [&](std::vector<std::string> args, int want = 0) {
    const Run r = speerctl(with_store(ts, std::move(args)), {"USER=alice"});
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.code == want);
    return r;
  };
  auto json = [&](std::vector<std::string> args) {
    args.push_back("--json");
    const Run r = run(std::move(args));
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    return j;
  };
  // Before init: "not a store", exit 3, nothing created (sqlite).
  const Run before = run({"client", "list"}, 3);
  CHECK(before.err.find("store init") != std::string::npos);
  run({"store", "init"});
  run({"store", "init"});  // idempotent
  run({"client", "add", "sbc-a", "--cert-name", "CN=sbc-a", "--tree", "e164.arpa", "--tree",
       "e164.example", "--rate", "50", "--burst", "60"});
  run({"client", "add", "sbc-b", "--spki-pin",
       "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "--disabled"});
  run({"client", "add", "sbc-a", "--cert-name", "CN=other"}, 5);
  run({"client", "add", "sbc-c"}, 2);  // no identity
  run({"client", "update", "sbc-b", "--enable", "--description", "O'Reilly; --"});
  auto clients = json({"client", "list"});
  REQUIRE(clients.size() == 2);
  CHECK(clients[0]["name"] == "sbc-a");
  CHECK(clients[0]["trees"] == nlohmann::json::array({"e164.arpa.", "e164.example."}));
  CHECK(clients[0]["rate"] == 50);
  CHECK(clients[1]["rate"].is_null());  // added without --rate: [limits] applies
  CHECK(clients[1]["rate_source"] == "config");
  CHECK(clients[1]["enabled"] == true);
  CHECK(clients[1]["description"] == "O'Reilly; --");
  CHECK(json({"client", "show", "sbc-b"}).size() == 1);
  run({"client", "show", "nobody"}, 4);

  run({"dest-group", "add", "dg-us", "--description", "US"});
  run({"dest-group", "add", "dg-x"});
  run({"number", "add", "dg-us", "12155551234", "12155550000-12155559999"});
  run({"number", "add", "dg-us", "1215", "--kind", "prefix"});
  run({"number", "add", "dg-x", "12155551234"}, 5);
  run({"number", "add", "dg-x", "19999", "--kind", "rn"});
  run({"route-group", "add", "rg-us", "--dest-group", "dg-us", "--priority", "5"});
  run({"route-group", "attach", "rg-us", "dg-x"});
  run({"route-group", "detach", "rg-us", "dg-x"});
  run({"route-group", "detach", "rg-us", "dg-x"}, 4);
  run({"route-group", "update", "rg-us", "--priority", "7"});
  const Run sed = run({"sed", "add", "rg-us", "--host", "sbc1.peer.example", "--port", "5061",
                       "--transport", "tls", "--priority", "1"});
  CHECK(sed.out.rfind("SED record ", 0) == 0);
  run({"sed", "add", "rg-us", "--uri", "sip:peer.example"});
  run({"sed", "add", "rg-us", "--uri", "sip:peer.example", "--host", "x.example"}, 2);
  run({"offer", "add", "rg-us", "sbc-a"});
  auto found = json({"number", "find", "12155550001", "--client", "sbc-a"});
  CHECK(found["destination_group"] == "dg-us");
  CHECK(found["matched"]["kind"] == "range");
  CHECK(found["routes"].size() == 2);
  CHECK(found["routes"][0]["host"] == "sbc1.peer.example");
  run({"number", "find", "12155550001", "--client", "sbc-b"}, 4);  // not offered
  run({"number", "find", "+1215", "--client", "sbc-a"}, 2);
  CHECK(json({"number", "list", "--dest-group", "dg-us"}).size() == 3);
  CHECK(json({"route-group", "list"})[0]["dest_groups"] == nlohmann::json::array({"dg-us"}));
  CHECK(json({"sed", "list", "--route-group", "rg-us"}).size() == 2);
  CHECK(json({"offer", "list", "--client", "sbc-a"}).size() == 1);
  CHECK(json({"dest-group", "list"}).size() == 2);

  run({"trust-anchor", "add", "example", kDs});
  run({"trust-anchor", "add", "peers.example", kDs}, 2);  // owner is not the zone
  auto anchors = json({"trust-anchor", "list"});
  REQUIRE(anchors.size() == 1);
  CHECK(anchors[0]["key_tag"] == 56021);
  CHECK(anchors[0]["added_by"] == "alice");
  const std::string anchor_id = anchors[0]["id"].dump();
  run({"trust-anchor", "set-state", anchor_id, "inactive"});
  CHECK(json({"trust-anchor", "list"}).empty());
  CHECK(json({"trust-anchor", "list", "--all"}).size() == 1);
  // Anchors from a file, one per line.
  const auto anchor_file = ts.dir() / "anchors.txt";
  std::ofstream(anchor_file)
      << "; comment\n"
      << "peers.example. IN DNSKEY 257 3 13 "
         "U9vPI1LiMcLsN8Xgkbwc5YDkSuXCy2DR5WDGNDn8Jr1CKteWX959PCt5UE19MyZMHur8"
         "TuFjoj8Adeuez5Ux/w==\n";
  run({"trust-anchor", "add", "peers.example", "--file", anchor_file.string()});
  run({"trust-anchor", "remove", anchor_id});
  run({"trust-anchor", "remove", anchor_id}, 4);

  // Export, then import into a second store: the same export.
  const auto exported = ts.dir() / "export.csv";
  run({"export", exported.string()});
  const Run stdout_export = run({"export", "--format", "json"});
  CHECK(stdout_export.out.find("\"type\":\"client\"") != std::string::npos);
  TestStore other(TestType::value);
  {
    const Run r = speerctl({"store", "init", "--store", other.uri()});
    REQUIRE(r.code == 0);
    const Run imp = speerctl({"import", exported.string(), "--store", other.uri()});
    INFO(imp.err);
    REQUIRE(imp.code == 0);
    const Run again = speerctl({"export", "--store", other.uri()});
    CHECK(again.out == read_file(exported));
  }
  // Audit: who did what (the actor from $USER, or --actor).
  run({"dest-group", "add", "dg-audit", "--actor", "bob@ops"});
  auto audit = json({"audit", "list", "--limit", "1"});
  REQUIRE(audit.size() == 1);
  CHECK(audit[0]["actor"] == "bob@ops");
  CHECK(audit[0]["after"]["name"] == "dg-audit");
  CHECK(json({"audit", "list", "--by", "alice", "--type", "client"}).size() == 3);
  auto info = json({"store", "info"});
  CHECK(info["clients"] == 2);
  CHECK(info["schema_version"] == known_schema_version());
  // Removal order is enforced.
  run({"dest-group", "remove", "dg-us"}, 5);
  run({"client", "remove", "sbc-a"}, 5);
  run({"offer", "remove", "rg-us", "sbc-a"});
  run({"client", "remove", "sbc-a"});
}

TEMPLATE_TEST_CASE("speerctl: SPEERD_STORE, and no store at all", "[speerctl]", Sqlite, Postgres) {
  TestStore ts(TestType::value);
  { ts.open(); }
  const Run env = speerctl({"dest-group", "list", "--json"}, {"SPEERD_STORE=" + ts.uri()});
  CHECK(env.code == 0);
  CHECK(env.out == "[]\n");
  const Run none = speerctl({"dest-group", "list"});
  CHECK(none.code == 2);
  CHECK(none.err.find("--store") != std::string::npos);
  const Run bad = speerctl({"dest-group", "list", "--store", "mysql://x"});
  CHECK(bad.code == 3);
}

TEST_CASE("speerctl: files that are not a store give exit 3 and stay untouched", "[speerctl]") {
  TestStore ts(Backend::sqlite);
  const auto dir = ts.dir();
  std::string random(4096, '\0');
  for (std::size_t i = 0; i < random.size(); ++i) random[i] = static_cast<char>(i * 7919 % 251);
  std::ofstream(dir / "random.db", std::ios::binary) << random;
  std::ofstream(dir / "empty.db");
  for (const char* name : {"random.db", "empty.db"}) {
    const auto path = dir / name;
    const std::string before = read_file(path);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"client", "list"},
          std::vector<std::string>{"dest-group", "add", "x"},
          std::vector<std::string>{"store", "init"},
          std::vector<std::string>{"import", data_path("import/base.csv").string()}}) {
      auto a = args;
      a.push_back("--store");
      a.push_back("sqlite:" + path.string());
      const Run r = speerctl(a);
      INFO(name << ": " << r.err);
      CHECK(r.code == 3);
      CHECK(r.err.find("not a speerd store") != std::string::npos);
      CHECK(r.out.empty());
    }
    CHECK(read_file(path) == before);
  }
  // A missing file: exit 3 with a hint, and still missing.
  const Run missing =
      speerctl({"client", "list", "--store", "sqlite:" + (dir / "nope.db").string()});
  CHECK(missing.code == 3);
  CHECK(missing.err.find("store init") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "nope.db"));
}

TEST_CASE("speerctl: bad PostgreSQL credentials give exit 3 and no secrets", "[speerctl]") {
  const std::string port = pg_env("SPEERD_PG_PORT");
  REQUIRE_FALSE(port.empty());
  struct Case {
    std::string uri;
    std::string words;
  };
  const std::vector<Case> cases{
      {"postgresql://speerd_auth:not-the-password@127.0.0.1:" + port + "/postgres",
       "password authentication failed"},
      {"postgresql://nobody@127.0.0.1:" + port + "/postgres", "nobody"},
      {"postgresql://postgres@127.0.0.1:1/postgres", "failed"},
      {"postgresql://postgres@127.0.0.1:" + port + "/missing_db", "missing_db"},
  };
  for (const auto& k : cases) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"client", "list"},
          std::vector<std::string>{"client", "add", "x", "--cert-name", "CN=x"},
          std::vector<std::string>{"store", "init"}}) {
      auto a = args;
      a.push_back("--store");
      a.push_back(k.uri);
      const Run r = speerctl(a);
      INFO(k.uri << ": " << r.err);
      CHECK(r.code == 3);
      CHECK(r.err.find(k.words) != std::string::npos);
      CHECK(r.err.find("not-the-password") == std::string::npos);
      CHECK(r.out.empty());
    }
  }
}

TEST_CASE("speerctl: a PostgreSQL role without write rights reads but cannot write", "[speerctl]") {
  TestStore ts(Backend::postgres);
  {
    auto s = ts.open();
    load_base(*s);
  }
  try {
    ts.exec_raw("CREATE ROLE speerd_reader LOGIN");
  } catch (const pqxx::sql_error&) {
    // Made by an earlier run against the same server.
  }
  ts.exec_raw("GRANT SELECT ON ALL TABLES IN SCHEMA public TO speerd_reader");
  const std::string uri = ts.uri();
  const std::string reader = "postgresql://speerd_reader@" + uri.substr(uri.find('@') + 1);
  const Run list = speerctl({"client", "list", "--json", "--store", reader});
  CHECK(list.code == 0);
  const Run add = speerctl({"dest-group", "add", "dg-new", "--store", reader});
  CHECK(add.code == 3);
  CHECK(add.err.find("permission denied") != std::string::npos);
  auto s = ts.open();
  CHECK(s->info()->destination_groups == 2);
}

}  // namespace speerd::store::test
