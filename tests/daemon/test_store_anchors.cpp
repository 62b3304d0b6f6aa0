// Issue 13 item 4 on one node (label `anchors`): speerd as a process on the
// signed-zone testbed with a SQLite store. A trust anchor added or removed in
// the store is applied to the configuration as loaded, without reading the
// file; one that cannot be applied keeps the anchors active before, shows on
// /readyz (check trust_anchors) and /metrics, and is retried until the store
// changes again. Connections stay open through every change.
#include <signal.h>
#include <sqlite3.h>

#include <fstream>
#include <functional>
#include <thread>

#include <catch2/catch.hpp>

#include "tests/daemon/support/daemon_process.hpp"
#include "tests/server/support/harness.hpp"

using namespace speerd::test;

namespace {

const std::string kRouted = "/v1/lookup?number=+12155551234";
const std::string kBogus = "/v1/lookup?number=+12155551299";  // NAPTR changed after signing
// The testbed's zones with a trust anchor (tools/testbed/ZONES.md).
const char* const kAnchoredZones[] = {"e164.example", "e164.tree-b.example", "peers.example"};

int speerctl(const DaemonProcess& d, const std::string& args) {
  return run(speerctl_binary() + " " + args + " --store " + d.store_uri + " --actor tests >>" +
             d.dir + "/speerctl.log 2>&1");
}

// The testbed's DS records, added to the store with speerctl.
void add_testbed_anchors(const DaemonProcess& d) {
  const std::string dir = std::string(std::getenv("SPEERD_TESTBED")) + "/anchors/";
  for (const std::string zone : kAnchoredZones) {
    REQUIRE(speerctl(d, "trust-anchor add " + zone + ". --file " + dir + zone + ".ds") == 0);
  }
}

// Calls read() every 100 ms, up to `tries` times, until want(value);
// returns the last value read.
template <typename T>
T poll_until(const std::function<T()>& read, const std::function<bool(const T&)>& want,
             int tries = 100) {
  T seen{};
  for (int i = 0; i < tries; ++i) {
    seen = read();
    if (want(seen)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return seen;
}

long long metric_until(const DaemonProcess& d, const std::string& series, long long want) {
  return poll_until<long long>([&] { return metric(d, series); },
                               [&](const long long& v) { return v == want; });
}

std::pair<int, std::string> readyz_until(const DaemonProcess& d, int status) {
  return poll_until<std::pair<int, std::string>>(
      [&] { return http_get(d.admin_port, "/readyz"); },
      [&](const std::pair<int, std::string>& r) { return r.first == status; }, 150);
}

// "route STATE" or "reject CODE" of one lookup on the client's connection
// (which must still be open: TestClient does not reconnect).
std::string lookup(TestClient& c, const std::string& target = kRouted) {
  auto r = c.get(target);
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  const auto j = r->json();
  const auto verdict = j["verdict"].get<std::string>();
  if (verdict != "route") return verdict + " " + j.value("code", std::string("?"));
  return verdict + " " + j["outcome"]["state"].get<std::string>();
}

// SQL straight into the daemon's SQLite store, past speerctl's checks.
void sql(const DaemonProcess& d, const std::string& statements, std::int64_t* last_id = nullptr) {
  sqlite3* db = nullptr;
  const auto path = d.store_uri.substr(std::string("sqlite:").size());
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, statements.c_str(), nullptr, nullptr, &error);
  const std::string why = error != nullptr ? error : "";
  sqlite3_free(error);
  if (last_id != nullptr) *last_id = sqlite3_last_insert_rowid(db);
  sqlite3_close(db);
  INFO(statements << ": " << why);
  REQUIRE(rc == SQLITE_OK);
}

const std::string kPending = "speerd_trust_anchors_pending";
const std::string kStoreAnchors = "speerd_trust_anchors_store";
const std::string kReloadsOk = "speerd_trust_anchor_reloads_total{result=\"ok\"}";
const std::string kReloadsFailed = "speerd_trust_anchor_reloads_total{result=\"failed\"}";

}  // namespace

TEST_CASE("anchors: a store anchor change is applied without reading the configuration file",
          "[anchors]") {
  DaemonProcess d("anchors-nofile");
  d.drop_resolver_lines("trust_anchor_files");  // the store's are the only anchors
  d.write_config("");
  REQUIRE(d.start());
  TestClient a(d.api_port, client_options("client-a"));
  CHECK(lookup(a) == "reject insecure-not-allowed");  // the trees require secure answers
  CHECK(metric(d, kStoreAnchors) == 0);
  CHECK(metric(d, "speerd_store_change_counter") > 0);

  // From now on the file on disk does not parse: anything that read it fails.
  {
    std::ofstream broken(d.config);
    broken << "[dns\nthis is not TOML\n";
  }
  add_testbed_anchors(d);
  CHECK(d.log_has({"store-change", "trust_anchors", "changed"}));
  CHECK(metric_until(d, kStoreAnchors, 3) == 3);
  // The same connection, now on pipelines with the store's anchors.
  CHECK(lookup(a) == "route secure");
  CHECK(lookup(a, kBogus) == "reject dnssec-bogus");
  CHECK(metric(d, kPending) == 0);
  CHECK(metric(d, kReloadsOk) >= 1);
  CHECK(metric(d, kReloadsFailed) == 0);
  CHECK(d.log_has({"config-reload", "\"cause\":\"store-trust-anchors\"", "\"store_anchors\":3"}));
  // Ready: the priming queries validate under the new anchors.
  const auto ready = readyz_until(d, 200);
  INFO(ready.second);
  CHECK(ready.first == 200);

  // SIGHUP does read the file: refused, and the store's anchors stay.
  d.signal(SIGHUP);
  CHECK(d.log_has({"config-reload", "\"result\":\"failed\""}));
  CHECK(lookup(a) == "route secure");
  CHECK(metric(d, kStoreAnchors) == 3);

  // Removed in the store: applied the same way (nothing trusted again).
  REQUIRE(run(speerctl_binary() + " trust-anchor list --json --store " + d.store_uri + " >" +
              d.dir + "/anchors.json 2>&1") == 0);
  std::ifstream in(d.dir + "/anchors.json");
  const auto listed = nlohmann::json::parse(in, nullptr, false);
  REQUIRE(listed.is_array());
  REQUIRE(listed.size() == 3);
  for (const auto& t : listed) {
    REQUIRE(speerctl(d, "trust-anchor remove " + std::to_string(t["id"].get<long long>())) == 0);
  }
  CHECK(metric_until(d, kStoreAnchors, 0) == 0);
  CHECK(lookup(a) == "reject insecure-not-allowed");
  CHECK(readyz_until(d, 503).first == 503);
}

TEST_CASE("anchors: a store anchor that cannot be applied keeps the old set, says so, is retried",
          "[anchors]") {
  DaemonProcess d("anchors-bad");
  d.drop_resolver_lines("trust_anchor_files");
  d.write_config("");
  add_testbed_anchors(d);  // before the start: the first poll has them
  REQUIRE(d.start());
  {
    const auto ready = readyz_until(d, 200);
    INFO(ready.second);
    REQUIRE(ready.first == 200);
  }
  TestClient a(d.api_port, client_options("client-a"));
  CHECK(lookup(a) == "route secure");
  CHECK(metric(d, kStoreAnchors) == 3);
  CHECK(metric(d, kPending) == 0);

  // A record that speerctl would refuse, written past it (as a broken import
  // or a hand edit could): no validator can be built with it.
  std::int64_t bad = 0;
  sql(d,
      "INSERT INTO trust_anchor (zone, kind, rr, key_tag, state, added_by, added_at) VALUES "
      "('e164.example.', 'DS', 'e164.example. 3600 IN DS 4242 13 2 NOT-A-DIGEST', 4242, 'active', "
      "'tests', '2026-01-01T00:00:00Z')",
      &bad);
  sql(d, "UPDATE store_meta SET change_counter = change_counter + 1 WHERE id = 1");

  CHECK(
      d.log_has({"store-change", "not applied: the previous anchors stay active", "NOT-A-DIGEST"}));
  CHECK(metric_until(d, kPending, 1) == 1);
  const auto not_ready = readyz_until(d, 503);
  INFO(not_ready.second);
  CHECK(not_ready.first == 503);
  CHECK(not_ready.second.find("\"trust_anchors\":\"the store's trust anchors are not applied") !=
        std::string::npos);
  CHECK(not_ready.second.find("\"priming\":\"ok\"") != std::string::npos);
  // The old set serves, on the same connection: still validating.
  CHECK(lookup(a) == "route secure");
  CHECK(lookup(a, kBogus) == "reject dnssec-bogus");
  CHECK(metric(d, kStoreAnchors) == 3);
  // Retried (1 s, then 2 s), each attempt counted and logged.
  const auto failed = poll_until<long long>([&] { return metric(d, kReloadsFailed); },
                                            [](const long long& v) { return v >= 3; }, 100);
  CHECK(failed >= 3);
  CHECK(d.log_has({"store-change", "not applied", "\"attempt\":3"}));
  CHECK(metric(d, kPending) == 1);

  // Removed with speerctl: the store is back at the active set.
  REQUIRE(speerctl(d, "trust-anchor remove " + std::to_string(bad)) == 0);
  CHECK(metric_until(d, kPending, 0) == 0);
  CHECK(d.log_has({"store-change", "back to the active set"}));
  const auto ready = readyz_until(d, 200);
  INFO(ready.second);
  CHECK(ready.first == 200);
  CHECK(lookup(a) == "route secure");
  // No further attempt once nothing is pending.
  const auto attempts = metric(d, kReloadsFailed);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  CHECK(metric(d, kReloadsFailed) == attempts);
}
