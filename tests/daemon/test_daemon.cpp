// speerd as a process, end to end: the real pipeline on the signed-zone
// testbed (NSD, really signed zones), the SQLite store provisioned with
// speerctl, mTLS with the test PKI; --check-config, SIGHUP and SIGTERM.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "resolver/config/config.hpp"
#include "resolver/dns/unbound_client.hpp"
#include "resolver/pipeline/pipeline.hpp"
#include "sed-store/store.hpp"
#include "tests/daemon/support/daemon_process.hpp"
#include "tests/server/support/harness.hpp"
#include "tests/server/support/openapi_check.hpp"

using namespace speerd::test;
using nlohmann::json;

namespace {

const std::string kRouted = "/v1/lookup?number=+12155551234";
const std::string kBogus = "/v1/lookup?number=+12155551299";  // NAPTR changed after signing

ClientOptions client(const std::string& name) {
  return client_options(name);
}

// Calls read() every 100 ms, up to `tries` times, until it gives `want`;
// returns the last value read (the daemon polls its store every 200 ms).
std::string poll_until(const std::function<std::string()>& read, const std::string& want,
                       int tries = 100) {
  std::string seen;
  for (int i = 0; i < tries; ++i) {
    seen = read();
    if (seen == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return seen;
}

// The store's id of the client called `name`.
std::int64_t client_id(const std::string& store_uri, const std::string& name) {
  auto s = speerd::store::open_store(store_uri);
  REQUIRE(s);
  auto clients = (*s)->list_clients();
  REQUIRE(clients);
  for (const auto& c : *clients) {
    if (c.name == name) return c.id;
  }
  FAIL("no client " << name << " in " << store_uri);
  return 0;
}

// The same lookup run in this process, through the same pipeline code and
// the same SED store.
speerd::pipeline::LookupResult in_process(const std::string& number,
                                          speerd::pipeline::ClientScope scope,
                                          const std::string& store_uri) {
  auto cfg = speerd::config::load_resolver_config(std::string(std::getenv("SPEERD_TESTBED")) +
                                                  "/speerd.toml");
  REQUIRE(cfg);
  auto store = speerd::store::open_store(store_uri);
  REQUIRE(store);
  boost::asio::io_context io;
  auto dns = speerd::dns::UnboundClient::create(io, cfg->dns);
  REQUIRE(dns);
  speerd::pipeline::PipelineOptions options;
  options.store = store->get();
  speerd::pipeline::Pipeline p(
      io, **dns, std::make_shared<const speerd::config::ResolverConfig>(*cfg), options);
  speerd::pipeline::LookupResult out;
  p.lookup({number, "", scope}, [&](speerd::pipeline::ResultPtr r) { out = *r; });
  io.run();
  return out;
}

// What must be equal: everything but the cache flags, the steps' free-text
// detail (whether an address came from an SRV answer's additional section or
// from its own query depends on which answer arrived first), and the order
// among targets and steps (SRV weights are a weighted random draw, RFC 2782).
json comparable(json j) {
  j.erase("cached");
  j.erase("stale");
  auto sorted = [](json a) {
    std::vector<json> v(a.begin(), a.end());
    std::sort(v.begin(), v.end(), [](const json& x, const json& y) { return x.dump() < y.dump(); });
    return json(v);
  };
  for (auto& step : j["dnssec"]) step.erase("detail");
  j["dnssec"] = sorted(j["dnssec"]);
  j["targets"] = sorted(j["targets"]);
  return j;
}

void check_openapi(const HttpResponse& r, const std::string& path) {
  static const OpenApi api = OpenApi::load(openapi_json_path());
  const auto errors = api.check_response(path, "GET", r.status, r.json());
  for (const auto& e : errors) UNSCOPED_INFO(e);
  CHECK(errors.empty());
}

}  // namespace

TEST_CASE("daemon: --check-config accepts a good file and names a bad key") {
  DaemonProcess d("check");
  CHECK(run(speerd_binary() + " --check-config " + d.config + " >" + d.dir + "/out 2>&1") == 0);
  d.write_config("\n[limits]\nmax_conections = 5\n");
  const std::string cmd =
      speerd_binary() + " --check-config " + d.config + " >" + d.dir + "/out 2>&1";
  CHECK(run(cmd) == 1);
  std::ifstream out(d.dir + "/out");
  const std::string text((std::istreambuf_iterator<char>(out)), {});
  CHECK(text.find("[limits] max_conections: unknown key") != std::string::npos);
  d.write_config("\n[bogus]\nx = 1\n");
  CHECK(run(cmd) == 1);
  d.write_config("\n[limits]\nidle_timeout_ms = \"1m\"\n");
  CHECK(run(cmd) == 1);
}

TEST_CASE("daemon: a lookup over mTLS gives what the pipeline gives in-process") {
  DaemonProcess d("e2e");
  REQUIRE(d.start());
  TestClient c(d.api_port, client("client-a"));
  auto r = c.get(kRouted);
  REQUIRE(r);
  CHECK(r->status == 200);
  check_openapi(*r, "/v1/lookup");
  const auto local = in_process(
      "+12155551234", {"sbc-a", {"private-a"}, client_id(d.store_uri, "sbc-a")}, d.store_uri);
  CHECK(local.verdict == speerd::model::Verdict::route);
  CHECK(local.store.check == speerd::pipeline::StoreCheck::no_record);
  const auto diff = json::diff(comparable(speerd::pipeline::to_json(local)), comparable(r->json()));
  INFO(diff.dump());
  CHECK(diff.empty());
  CHECK(r->json()["outcome"]["state"] == "secure");

  // A bogus answer is rejected, and says why.
  auto bogus = c.get(kBogus);
  REQUIRE(bogus);
  check_openapi(*bogus, "/v1/lookup");
  CHECK(bogus->json()["verdict"] == "reject");
  CHECK(bogus->json()["code"] == "dnssec-bogus");

  // sbc-b is known by its SPKI pin; its store record names both trees.
  TestClient b(d.api_port, client("client-b"));
  auto rb = b.get(kRouted);
  REQUIRE(rb);
  CHECK(rb->json()["verdict"] == "route");

  // A valid certificate without a client record is refused, and logged.
  TestClient stranger(d.api_port, client("client-unknown"));
  auto forbidden = stranger.get(kRouted);
  REQUIRE(forbidden);
  CHECK(forbidden->status == 403);
  CHECK(d.log_has({"connection-refused", "unknown_client", "stranger.example"}));

  // Ready once the upstream health prober has seen the testbed's servers.
  int status = 0;
  std::string ready;
  for (int i = 0; i < 100 && status != 200; ++i) {
    std::tie(status, ready) = http_get(d.admin_port, "/readyz");
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(ready);
  CHECK(status == 200);
  auto [ms, metrics] = http_get(d.admin_port, "/metrics");
  CHECK(metrics.find("speerd_dnssec_outcomes_total{state=\"bogus\"} 1") != std::string::npos);
  CHECK(metrics.find("speerd_upstream_servers{state=\"up\"}") != std::string::npos);
  // One row per configured server: every server of the testbed is up, with
  // no failure in a row and a measured round trip.
  std::istringstream rows(metrics);
  std::string line;
  int up_rows = 0, rtt_rows = 0;
  while (std::getline(rows, line)) {
    INFO(line);
    if (line.rfind("speerd_upstream_server_up{zone=\"", 0) == 0) {
      ++up_rows;
      CHECK(line.find("server=\"") != std::string::npos);
      CHECK(line.substr(line.size() - 2) == " 1");
    } else if (line.rfind("speerd_upstream_server_consecutive_failures{", 0) == 0) {
      CHECK(line.substr(line.size() - 2) == " 0");
    } else if (line.rfind("speerd_upstream_server_rtt_seconds{", 0) == 0) {
      ++rtt_rows;
      CHECK(std::stod(line.substr(line.rfind(' ') + 1)) > 0);
    }
  }
  CHECK(up_rows >= 1);
  CHECK(rtt_rows == up_rows);
}

TEST_CASE("daemon: every API answer carries the store's cross-check for its client") {
  DaemonProcess d("store-check");
  REQUIRE(d.start());
  TestClient a(d.api_port, client("client-a"));
  TestClient b(d.api_port, client("client-b"));
  auto check_of = [&](TestClient& c) -> std::string {
    auto r = c.get(kRouted);
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return r->json()["store"]["check"].get<std::string>();
  };
  // Nothing provisioned for +1215...: no record, for either client.
  CHECK(check_of(a) == "no-record");
  CHECK(check_of(b) == "no-record");

  // sbc-a is offered the route group DNS agrees with; sbc-b one that points
  // elsewhere. The default policy (advisory) flags a mismatch and routes.
  const std::string st =
      " --store " + d.store_uri + " --actor tests >>" + d.dir + "/speerctl.log 2>&1";
  const std::string ctl = speerctl_binary() + " ";
  for (const std::string cmd :
       {"dest-group add dg-1215", "number add dg-1215 1215 --kind prefix",
        "route-group add rg-good --dest-group dg-1215",
        "sed add rg-good --uri sip:alice@good.peers.example", "offer add rg-good sbc-a",
        "route-group add rg-other --dest-group dg-1215",
        "sed add rg-other --host elsewhere.example", "offer add rg-other sbc-b"}) {
    INFO(cmd);
    REQUIRE(run(ctl + cmd + st) == 0);
  }
  // The daemon polls the store every 200 ms and drops its caches on a change.
  CHECK(poll_until([&] { return check_of(a); }, "match", 50) == "match");
  auto rb = b.get(kRouted);
  REQUIRE(rb);
  CHECK(rb->json()["store"]["check"] == "mismatch");
  CHECK(rb->json()["verdict"] == "route");
}

TEST_CASE("daemon: a cached answer counts its TTL down between requests") {
  // The cache hands out one shared result and the API keeps its JSON: both
  // must still show the TTL left now, not the TTL of the first answer.
  DaemonProcess d("ttl");
  REQUIRE(d.start());
  TestClient a(d.api_port, client("client-a"));
  auto first = a.get(kRouted);
  REQUIRE(first);
  auto second = a.get(kRouted);
  REQUIRE(second);
  CHECK(second->json()["cached"] == true);
  const auto ttl = second->json()["ttl"].get<int>();
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto later = a.get(kRouted);
  REQUIRE(later);
  CHECK(later->json()["cached"] == true);
  CHECK(later->json()["ttl"].get<int>() <= ttl - 2);
  CHECK(later->json()["ttl"].get<int>() >= ttl - 3);
}

TEST_CASE("daemon: trust anchors added with speerctl are loaded from the store") {
  DaemonProcess d("anchors");
  d.drop_resolver_lines("trust_anchor_files");
  d.write_config("");
  REQUIRE(d.start());
  TestClient a(d.api_port, client("client-a"));
  // No anchor at all: nothing is secure, and the tree requires secure.
  auto before = a.get(kRouted);
  REQUIRE(before);
  CHECK(before->json()["verdict"] == "reject");
  CHECK(before->json()["code"] == "insecure-not-allowed");
  CHECK(http_get(d.admin_port, "/readyz").first != 200);

  const std::string anchors = std::string(std::getenv("SPEERD_TESTBED")) + "/anchors/";
  const std::string st =
      " --store " + d.store_uri + " --actor tests >>" + d.dir + "/speerctl.log 2>&1";
  for (const std::string zone : {"e164.example", "peers.example"}) {
    REQUIRE(run(speerctl_binary() + " trust-anchor add " + zone + ". --file " + anchors + zone +
                ".ds" + st) == 0);
  }
  // The store poll sees the change and swaps every shard's libunbound context.
  CHECK(d.log_has({"store-change", "trust_anchors", "changed"}));
  const auto verdict_of = [&]() -> std::string {
    auto r = a.get(kRouted);
    REQUIRE(r);
    return r->json()["verdict"].get<std::string>();
  };
  CHECK(poll_until(verdict_of, "route") == "route");
  auto after = a.get(kRouted);
  REQUIRE(after);
  CHECK(after->json()["outcome"]["state"] == "secure");
  // The damaged record stays bogus under the store's anchors too.
  auto bogus = a.get(kBogus);
  REQUIRE(bogus);
  CHECK(bogus->json()["code"] == "dnssec-bogus");
}

TEST_CASE("daemon: a client disabled in the store is refused once the store changes") {
  DaemonProcess d("disable");
  REQUIRE(d.start());
  {
    TestClient c(d.api_port, client("client-a"));
    REQUIRE(c.get(kRouted));
  }
  REQUIRE(run(speerctl_binary() + " client update sbc-a --disable --store " + d.store_uri +
              " --actor tests >/dev/null 2>&1") == 0);
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {  // the shards poll the change counter
    TestClient c(d.api_port, client("client-a"));
    auto r = c.get(kRouted);
    refused = r && r->status == 403;
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(refused);
  CHECK(d.log_has({"connection-refused", "client sbc-a is disabled"}));
}

TEST_CASE("daemon: SIGHUP under load fails no request, a broken file is refused, SIGTERM drains") {
  DaemonProcess d("reload");
  REQUIRE(d.start());
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::mutex mutex;
  std::vector<std::string> errors;
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&, t] {
      std::unique_ptr<TestClient> c;
      while (!stop) {
        if (!c || t % 2 == 1) c = std::make_unique<TestClient>(d.api_port, client("client-a"));
        auto r = c->get(kRouted);
        if (r && r->status == 200) {
          ++ok;
        } else {
          ++failed;
          std::lock_guard<std::mutex> l(mutex);
          errors.push_back(r ? "status " + std::to_string(r->status) : r.error());
          c.reset();
        }
      }
    });
  }
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    d.write_config("\n[limits]\nmax_batch = " + std::to_string(50 + i) + "\n");
    d.signal(SIGHUP);
    CHECK(d.log_has(
        {"config-reload", "\"result\":\"ok\"", "\"generation\":" + std::to_string(2 + i)}));
  }
  d.write_config("\n[limits]\nmax_conections = 5\n");
  d.signal(SIGHUP);
  CHECK(d.log_has({"config-reload", "failed", "max_conections"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  for (auto& w : workers) w.join();
  for (std::size_t i = 0; i < errors.size() && i < 5; ++i) UNSCOPED_INFO(errors[i]);
  CHECK(failed == 0);
  CHECK(ok > 0);
  // Still serving on the last good configuration.
  TestClient c(d.api_port, client("client-a"));
  REQUIRE(c.get(kRouted));
  d.signal(SIGTERM);
  CHECK(d.wait_exit(std::chrono::seconds(15)) == 0);
  CHECK(d.log_has({"drain", "done"}));
}
