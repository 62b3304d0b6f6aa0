// Issue 12 end to end: speerd as a process, mTLS clients, on a PostgreSQL
// replica that the tests stop and start again, and a table locked by
// another session. What is asserted is what an SBE sees.
#include <catch2/catch.hpp>

#include "tests/resilience/resil_support.hpp"

using namespace speerd::test;
using namespace speerd::test::resil;

namespace {

const std::string kUncached = "/v1/lookup?number=+12155559876";

}  // namespace

// Items 1, 3 (advisory), 5: the replica goes away under load and comes back.
TEST_CASE("store outage: cached answers, known clients' new connections, advisory not-checked") {
  Node n("outage");
  REQUIRE(n.wait_ready().first == 200);
  {
    TestClient a(n.d.api_port, client_options("client-a"));
    auto r = a.get(kCached);
    REQUIRE(r);
    REQUIRE(r->json()["verdict"] == "route");
  }
  Load load(n.d.api_port, "client-a", kCached);
  Pg::get().halt("replica");
  REQUIRE(n.d.log_has({"store-down"}));

  // A new connection from each known client is accepted and served.
  for (const char* client : {"client-a", "client-b"}) {
    TestClient c(n.d.api_port, client_options(client));
    auto r = c.get(kCached);
    REQUIRE(r);
    INFO(client << ": " << r->body);
    CHECK(r->status == 200);
    CHECK(r->json()["verdict"] == "route");
  }
  // Uncached, advisory: the DNS answer, said out loud to be unchecked.
  {
    TestClient a(n.d.api_port, client_options("client-a"));
    auto r = a.get(kUncached);
    REQUIRE(r);
    INFO(r->body);
    CHECK(r->status == 200);
    CHECK(r->json()["store"]["check"] == "not-checked");
    CHECK(r->json()["store"]["detail"].get<std::string>().find("SED store") != std::string::npos);
  }
  // That answer was given without the store's word: counted as degraded.
  CHECK(n.metric("speerd_pipeline_events_total{event=\"degraded\"}") >= 1);
  // A client added on the primary meanwhile is not known yet: refused.
  REQUIRE(ctl(n.d, n.primary, "client add sbc-new --cert-name stranger.example --tree e164.example")
              .first == 0);
  {
    TestClient s(n.d.api_port, client_options("client-unknown"));
    auto r = s.get(kCached);
    REQUIRE(r);
    CHECK(r->status == 403);
  }
  // /readyz: still ready (known clients are served), the store named as degraded.
  CHECK(n.metric_becomes("speerd_store_up", 0) == 0);
  CHECK(n.metric_becomes("speerd_store_degraded", 1) == 1);

  load.stop();
  INFO(load.last_failure());
  CHECK(load.failed() == 0);
  CHECK(load.ok() > 0);

  // Back: without a restart the node reads again, and the new client works.
  Pg::get().resume("replica");
  REQUIRE(n.d.log_has({"store-up"}));
  HttpResponse last;
  for (int i = 0; i < 100; ++i) {
    TestClient s(n.d.api_port, client_options("client-unknown"));
    auto r = s.get(kCached);
    if (r) last = *r;
    if (r && r->status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(last.body);
  CHECK(last.status == 200);
  CHECK(last.json()["verdict"] == "route");
  CHECK(n.wait_ready().first == 200);
  CHECK(n.metric_becomes("speerd_store_up", 1) == 1);
  CHECK(n.metric_becomes("speerd_store_degraded", 0) == 0);
}

// Item 3: strict and store-authoritative cannot answer an uncached number
// without the store: 503 store-unavailable with Retry-After; cached answers
// still route.
TEST_CASE(
    "store outage: strict and store-authoritative answer 503 store-unavailable unless cached") {
  for (const std::string policy : {"strict", "store-authoritative"}) {
    INFO(policy);
    Node n("policy-" + policy, NodeOptions{policy});
    REQUIRE(n.wait_ready().first == 200);
    TestClient a(n.d.api_port, client_options("client-a"));
    auto warm = a.get(kCached);
    REQUIRE(warm);
    const bool routed = warm->json()["verdict"] == "route";
    Pg::get().halt("replica");
    REQUIRE(n.d.log_has({"store-down"}));
    auto r = a.get(kUncached);
    REQUIRE(r);
    INFO(r->body);
    CHECK(r->status == 503);
    CHECK(r->json()["error"]["code"] == "store-unavailable");
    CHECK_FALSE(r->header("retry-after").empty());
    auto again = a.get(kCached);
    REQUIRE(again);
    CHECK(again->status == 200);
    CHECK((again->json()["verdict"] == "route") == routed);
    Pg::get().resume("replica");
    REQUIRE(n.d.log_has({"store-up"}));
  }
}

// Item 5: started with its store down, the node starts, is alive, is not
// ready (and says why), and becomes ready when the store is back.
TEST_CASE(
    "a node started with its store down is alive, not ready, and ready once the store is back") {
  Node n("cold", NodeOptions{{}, false, false, true});
  auto [hs, hbody] = http_get(n.d.admin_port, "/healthz");
  CHECK(hs == 200);
  auto [rs, rbody] = n.wait_ready(503, 1);
  INFO(rbody);
  CHECK(rs == 503);
  CHECK(rbody.find("store") != std::string::npos);
  CHECK(rbody.find("not loaded") != std::string::npos);
  {
    // No snapshot: no client is known, so none is served (fail closed).
    TestClient a(n.d.api_port, client_options("client-a"));
    auto r = a.get(kCached);
    REQUIRE(r);
    CHECK(r->status == 503);
  }
  Pg::get().resume("replica");
  auto [status, body] = n.wait_ready(200);
  INFO(body);
  CHECK(status == 200);
  TestClient a(n.d.api_port, client_options("client-a"));
  auto r = a.get(kCached);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->json()["verdict"] == "route");
}

// Item 2: a table locked by another session makes the store hang. Cached
// lookups on the same (only) shard still complete while the lock is held;
// an uncached one is answered at the deadline, not-checked (advisory).
TEST_CASE("a locked table: cached lookups on the shard complete, uncached ones time out") {
  Node n("lock", NodeOptions{{}, true, true, false});
  REQUIRE(n.wait_ready().first == 200);
  TestClient a(n.d.api_port, client_options("client-a"));
  TestClient b(n.d.api_port, client_options("client-b"));
  REQUIRE(a.get(kCached));
  pqxx::connection locker(n.primary);
  pqxx::work tx(locker);
  tx.exec("LOCK TABLE public_identifier IN ACCESS EXCLUSIVE MODE");
  auto slow = a.get(kUncached);
  REQUIRE(slow);
  INFO(slow->body);
  CHECK(slow->status == 200);
  CHECK(slow->json()["store"]["check"] == "not-checked");
  CHECK(slow->json()["store"]["detail"].get<std::string>().find("timeout") != std::string::npos);
  for (int i = 0; i < 20; ++i) {
    auto r = (i % 2 ? a : b).get(kCached);
    REQUIRE(r);
    CHECK(r->json()["verdict"] == "route");
  }
  CHECK(n.metric("speerd_store_errors_total{kind=\"timeout\"}") >= 1);
  tx.abort();
}

// Item 4 (on the SQLite store, the embedded default): a one-row change
// drops the cached answers it reaches and no other; the changed number is
// resolved again. Asserted on the cache's own counters (/metrics).
TEST_CASE("a one-row provisioning change leaves unrelated cached answers in place") {
  DaemonProcess d("invalidate");
  {
    std::string text = slurp(d.config);
    const auto at = text.find("threads = 2");
    REQUIRE(at != std::string::npos);
    text.replace(at, 11, "threads = 1");
    std::ofstream(d.config) << text;
  }
  // A destination group with a SED record offered to sbc-a, but no number yet.
  for (const std::string args :
       {"dest-group add dg-east", "route-group add rg-east --dest-group dg-east",
        "sed add rg-east --uri sip:gw.peers.example", "offer add rg-east sbc-a"}) {
    auto [rc, out] = ctl(d, d.store_uri, args);
    INFO(args << ": " << out);
    REQUIRE(rc == 0);
  }
  REQUIRE(d.start());
  auto metric = [&](const std::string& series) {
    std::istringstream in(http_get(d.admin_port, "/metrics").second);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    }
    return -1.0;
  };
  TestClient a(d.api_port, client_options("client-a"));
  const std::string kOther = "/v1/lookup?number=+12155551235";
  for (const auto& t : {kCached, kOther}) {
    auto r = a.get(t);
    REQUIRE(r);
    REQUIRE(r->json()["cached"] == false);
    CHECK(r->json()["store"]["check"] == "no-record");
    auto again = a.get(t);
    REQUIRE(again);
    REQUIRE(again->json()["cached"] == true);
  }
  const double before = metric("speerd_cache_invalidated_total");
  REQUIRE(before == 0);
  // One row: the number +12155551235 joins dg-east.
  REQUIRE(ctl(d, d.store_uri, "number add dg-east 12155551235").first == 0);
  double invalidated = 0;
  for (int i = 0; i < 100 && invalidated == 0; ++i) {
    invalidated = metric("speerd_cache_invalidated_total");
    if (invalidated == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(invalidated == 1);  // that number's answer, and nothing else
  CHECK(metric("speerd_store_changes_total") >= 1);
  auto kept = a.get(kCached);
  REQUIRE(kept);
  CHECK(kept->json()["cached"] == true);
  auto changed = a.get(kOther);
  REQUIRE(changed);
  INFO(changed->body);
  CHECK(changed->json()["cached"] == false);
  CHECK(changed->json()["store"]["check"] != "no-record");
  // The pipeline's own count of it (exported with the shard's next answer).
  CHECK(metric("speerd_result_cache_events_total{event=\"invalidated\"}") == 1);
  CHECK(metric("speerd_pipeline_events_total{event=\"invalidated\"}") == 1);
  CHECK(metric("speerd_pipeline_events_total{event=\"degraded\"}") == 0);
}
