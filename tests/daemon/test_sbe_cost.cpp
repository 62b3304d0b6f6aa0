// Issue 20 end to end: speerd as a process on the signed-zone testbed, the
// store provisioned with speerctl, real mTLS clients. What a call costs an
// SBE: compact answers filtered to its transports, failures answered from
// the failure cache, rates that follow [limits], numbers as SBEs hold them.
#include <signal.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "tests/daemon/support/daemon_process.hpp"
#include "tests/server/support/harness.hpp"
#include "tests/server/support/openapi_check.hpp"

using namespace speerd::test;
using nlohmann::json;

namespace {

const std::string kSecure = "+12155551234";
const std::string kBogus = "+12155551299";  // NAPTR changed after signing

void check_openapi(const HttpResponse& r, const std::string& path,
                   const std::string& method = "GET") {
  static const OpenApi api = OpenApi::load(openapi_json_path());
  const auto errors = api.check_response(path, method, r.status, r.json());
  for (const auto& e : errors) UNSCOPED_INFO(e);
  CHECK(errors.empty());
}

json get_json(TestClient& c, const std::string& target, int want_status = 200) {
  auto r = c.get(target);
  REQUIRE(r);
  INFO(target << " -> " << r->body);
  REQUIRE(r->status == want_status);
  check_openapi(*r, target.substr(0, target.find('?')));
  return r->json();
}

// Runs speerctl with the daemon's store (and, for a write, an actor);
// returns its exit status, its output in *out.
int speerctl(const DaemonProcess& d, const std::string& args, std::string* out = nullptr,
             bool write = true) {
  const std::string file = d.dir + "/speerctl.out";
  const int rc = run(speerctl_binary() + " " + args + " --store " + d.store_uri +
                     (write ? " --actor tests" : "") + " >" + file + " 2>&1");
  if (out != nullptr) {
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    *out = ss.str();
  }
  return rc;
}

// Calls read() every 100 ms, up to `tries` times, until it gives `want`.
template <typename T>
T poll_until(const std::function<T()>& read, const T& want, int tries = 100) {
  T seen{};
  for (int i = 0; i < tries; ++i) {
    seen = read();
    if (seen == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return seen;
}

}  // namespace

TEST_CASE("sbe-cost: compact answers, transport filter, client defaults and batches over mTLS") {
  DaemonProcess d("sbe-compact");
  REQUIRE(d.start());
  TestClient a(d.api_port, client_options("client-a"));

  // The full view stays the default, with the chain.
  const auto full = get_json(a, "/v1/lookup?number=" + kSecure);
  CHECK(full["dnssec"].size() > 5);
  CHECK(full["targets"][0]["transport"] == "tls");

  // Compact: what the SBE routes on, in well under 400 bytes.
  auto r = a.get("/v1/lookup?number=" + kSecure + "&view=compact");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  check_openapi(*r, "/v1/lookup");
  INFO(r->body);
  CHECK(r->body.size() <= 400);
  CHECK(r->body.size() * 4 < full.dump().size());
  auto j = r->json();
  CHECK(j["verdict"] == "route");
  CHECK(j["uri"] == "sip:alice@good.peers.example");
  CHECK(j["outcome"]["state"] == "secure");
  CHECK(j["cached"] == true);
  CHECK(j.contains("age"));
  CHECK_FALSE(j.contains("dnssec"));
  CHECK(j["targets"].size() == 2);  // the compact default: a first choice and a fallback

  // A UDP-only SBE never gets a TLS target first; IPv6 comes in brackets.
  j = get_json(a, "/v1/lookup?number=" + kSecure + "&view=compact&transport=udp&max_targets=0");
  REQUIRE(j["targets"].size() >= 2);
  bool v6 = false;
  for (const auto& t : j["targets"]) {
    CHECK(t["transport"] == "udp");
    CHECK(t["host"] == "sip1.good.peers.example");
    CHECK(t["port"] == 5060);
    v6 = v6 || t["address"] == "[::1]";
  }
  CHECK(v6);
  j = get_json(a, "/v1/lookup?number=" + kSecure + "&transport=udp,tcp&max_targets=1");
  REQUIRE(j["targets"].size() == 1);
  CHECK(j["targets"][0]["transport"] == "tcp");  // speerd's order: TLS, then TCP, then UDP
  CHECK(j["dnssec"].size() == full["dnssec"].size());

  // The route endpoint takes the same options.
  j = get_json(a, "/v1/route?uri=sip:alice@good.peers.example&view=compact&transport=udp");
  CHECK(j["verdict"] == "route");
  CHECK(j["targets"][0]["transport"] == "udp");

  // Bad option values are named.
  j = get_json(a, "/v1/lookup?number=" + kSecure + "&transport=pigeon", 400);
  CHECK(j["error"]["code"] == "bad-request");
  CHECK(j["error"]["message"].get<std::string>().find("transport 'pigeon'") != std::string::npos);

  // Batches take the same options, in the body.
  auto b = a.request("POST", "/v1/lookup",
                     R"({"numbers":["+12155551234","+12155551299"],"view":"compact",)"
                     R"("transport":"udp","max_targets":1})");
  REQUIRE(b);
  REQUIRE(b->status == 200);
  check_openapi(*b, "/v1/lookup", "POST");
  const auto results = b->json()["results"];
  REQUIRE(results.size() == 2);
  CHECK_FALSE(results[0].contains("dnssec"));
  REQUIRE(results[0]["targets"].size() == 1);
  CHECK(results[0]["targets"][0]["transport"] == "udp");
  CHECK(results[1]["verdict"] == "reject");
  CHECK(results[1]["code"] == "dnssec-bogus");

  // Defaults stored with the client (speerctl), for its next connections;
  // a request's own option still wins.
  REQUIRE(speerctl(d, "client update sbc-a --options 'view=compact&transport=udp'") == 0);
  std::string shown;
  REQUIRE(speerctl(d, "client show sbc-a", &shown, false) == 0);
  CHECK(shown.find("view=compact&transport=udp") != std::string::npos);
  // Each shard sees the update at its own next store poll, so a fresh
  // connection is asked until one lands on a shard that has it; everything
  // below is then checked on that one connection.
  const auto stored_defaults_seen = [&]() -> std::string {
    TestClient fresh(d.api_port, client_options("client-a"));
    const auto plain = get_json(fresh, "/v1/lookup?number=" + kSecure);
    const auto full = get_json(fresh, "/v1/lookup?number=" + kSecure + "&view=full");
    const auto first = [](const nlohmann::json& r) -> std::string {
      return r.contains("targets") && !r["targets"].empty() ? r["targets"][0].value("transport", "")
                                                            : "none";
    };
    return std::string(plain.contains("dnssec") ? "full" : "compact") + " " + first(plain) +
           ", override " + (full.contains("dnssec") ? "full" : "compact") + " " + first(full);
  };
  // Default compact, UDP first; a request's view=full wins and the stored
  // transport still applies.
  CHECK(poll_until<std::string>(stored_defaults_seen, "compact udp, override full udp") ==
        "compact udp, override full udp");
  // sbc-b stored nothing: still the full view.
  TestClient other(d.api_port, client_options("client-b"));
  CHECK(get_json(other, "/v1/lookup?number=" + kSecure).contains("dnssec"));
}

TEST_CASE("sbe-cost: bogus lookups come from the failure cache until a flush or an anchor change") {
  // Kept long enough that only a drop can end an entry during the test.
  DaemonProcess d("sbe-failures", "\n[cache]\nfailure_min_ttl = 300\nfailure_max_ttl = 300\n");
  REQUIRE(d.start());
  TestClient a(d.api_port, client_options("client-a"));
  const std::string bogus = "/v1/lookup?number=" + kBogus;
  auto first = get_json(a, bogus);
  CHECK(first["code"] == "dnssec-bogus");
  CHECK(first["failure_cache"] == false);
  auto second = get_json(a, bogus);
  CHECK(second["failure_cache"] == true);
  CHECK(second["verdict"] == "reject");
  CHECK(second["code"] == "dnssec-bogus");
  CHECK(second["targets"].empty());
  CHECK(second.contains("age"));
  CHECK(get_json(a, bogus + "&view=compact")["failure_cache"] == true);
  CHECK(metric(d, "speerd_failure_cache_events_total{event=\"hit\"}") == 2);
  CHECK(metric(d, "speerd_failure_cache_events_total{event=\"insert\"}") == 1);
  CHECK(metric(d, "speerd_failure_cache_entries") >= 1);
  // The pipeline's own counters reach /metrics too (issue 19 item 6): the
  // bogus lookup was taken, resolved and rejected by a pipeline.
  CHECK(metric(d, "speerd_pipeline_events_total{event=\"lookup\"}") >= 3);
  CHECK(metric(d, "speerd_pipeline_events_total{event=\"resolution\"}") >= 1);
  CHECK(metric(d, "speerd_pipeline_events_total{event=\"rejected\"}") >= 1);
  CHECK(metric(d, "speerd_result_cache_events_total{event=\"miss\"}") >= 1);
  const auto probed = [&]() -> bool {
    return metric(d, "speerd_upstream_probes_total{result=\"ok\"}") >= 1;
  };
  CHECK(poll_until<bool>(probed, true));

  // speerctl cache flush goes through the store, which every node polls.
  REQUIRE(speerctl(d, "cache flush " + kBogus) == 0);
  const auto from_failure_cache = [&]() -> bool { return get_json(a, bogus)["failure_cache"]; };
  CHECK(poll_until<bool>(from_failure_cache, false) == false);
  CHECK(metric(d, "speerd_failure_cache_events_total{event=\"drop\"}") >= 1);
  std::string audit;
  REQUIRE(speerctl(d, "audit list --type cache", &audit, false) == 0);
  CHECK(audit.find(kBogus) != std::string::npos);
  // Cached again (resolved once more, then served from it).
  CHECK(get_json(a, bogus)["failure_cache"] == true);

  // A trust-anchor change builds new pipelines: no failure survives it.
  const std::string anchors = std::string(std::getenv("SPEERD_TESTBED")) + "/anchors/";
  REQUIRE(speerctl(d, "trust-anchor add e164.example. --file " + anchors + "e164.example.ds") == 0);
  CHECK(d.log_has({"store-change", "trust_anchors", "changed"}));
  CHECK(d.log_has({"config-reload", "\"pipelines_rebuilt\":true"}));
  TestClient fresh(d.api_port, client_options("client-a"));
  auto after = get_json(fresh, bogus);
  CHECK(after["failure_cache"] == false);
  CHECK(after["code"] == "dnssec-bogus");  // and it is still bogus under the new anchors
}

TEST_CASE(
    "sbe-cost: a client without a rate follows [limits] across a reload, an explicit rate wins") {
  const std::string limits = "\n[limits]\nrate_per_second = 1\nrate_burst = 2\nmax_batch = 2\n";
  DaemonProcess d("sbe-rates", limits);
  // sbc-a keeps its explicit rate; sbc-b drops its own.
  REQUIRE(speerctl(d, "client update sbc-b --rate-from-config") == 0);
  REQUIRE(speerctl(d, "client add sbc-new --cert-name new.example") == 0);
  std::string out;
  REQUIRE(speerctl(d, "client show sbc-new --json", &out, false) == 0);
  const auto shown = json::parse(out, nullptr, false);
  REQUIRE(shown.is_array());
  CHECK(shown[0]["rate"].is_null());
  CHECK(shown[0]["rate_source"] == "config");
  REQUIRE(speerctl(d, "client list -c " + d.config, &out, false) == 0);
  CHECK(out.find("from config (1/s, burst 2)") != std::string::npos);
  CHECK(out.find("1000000") != std::string::npos);  // sbc-a's own
  REQUIRE(d.start());

  TestClient a(d.api_port, client_options("client-a"));
  TestClient b(d.api_port, client_options("client-b"));
  // The first 429 a client meets, and its message.
  const auto limited = [&](TestClient& c) -> std::string {
    for (int i = 0; i < 20; ++i) {
      auto r = c.get("/v1/lookup?number=" + kSecure);
      REQUIRE(r);
      if (r->status == 429) return r->json()["error"]["message"].get<std::string>();
    }
    return "never limited";
  };
  CHECK(limited(a) == "never limited");
  CHECK(limited(b) == "rate limit of 1 lookups/s, burst 2 exceeded");

  // A change of [limits] reaches clients without a rate at the reload.
  d.write_config("\n[limits]\nrate_per_second = 3\nrate_burst = 4\nmax_batch = 2\n");
  d.signal(SIGHUP);
  REQUIRE(d.log_has({"config-reload", "\"result\":\"ok\""}));
  CHECK(limited(b) == "rate limit of 3 lookups/s, burst 4 exceeded");
  CHECK(limited(a) == "never limited");
}

TEST_CASE(
    "sbe-cost: a schema 1 store migrates, and its clients keep their rate, trees and offers") {
  DaemonProcess d("sbe-migrate");
  const std::string db = d.dir + "/v1.db";
  const std::string src = std::string(std::getenv("SPEERD_SOURCE_DIR"));
  {
    std::ofstream sql(d.dir + "/v1.sql");
    sql << "BEGIN;\n.read " << src << "/sed-store/migrations/sqlite/0001_initial.sql\n"
        << "INSERT INTO schema_version VALUES (1, '0001_initial', '2026-01-01T00:00:00Z');\n"
        << "INSERT INTO client (name, cert_name, spki_pin, rate_per_second, burst, enabled, "
           "description) VALUES ('old', 'CN=old', NULL, 100, 200, 1, 'added by 0.x');\n"
        << "INSERT INTO client_tree VALUES (1, 'e164.arpa.');\n"
        << "INSERT INTO route_group (name, priority, enabled, description) VALUES ('rg', 10, 1, "
           "'');\nINSERT INTO peering_offer (route_group_id, client_id) VALUES (1, 1);\nCOMMIT;\n";
  }
  REQUIRE(run("sqlite3 " + db + " <" + d.dir + "/v1.sql") == 0);
  const std::string st = " --store sqlite:" + db;
  REQUIRE(run(speerctl_binary() + " store migrate" + st + " >/dev/null") == 0);
  REQUIRE(run(speerctl_binary() + " client list --json" + st + " >" + d.dir + "/list.json") == 0);
  std::ifstream in(d.dir + "/list.json");
  const auto clients = json::parse(in, nullptr, false);
  REQUIRE(clients.is_array());
  REQUIRE(clients.size() == 1);
  CHECK(clients[0]["rate"] == 100);  // what existing records keep
  CHECK(clients[0]["burst"] == 200);
  CHECK(clients[0]["rate_source"] == "client");
  CHECK(clients[0]["trees"] == json::array({"e164.arpa."}));
  CHECK(clients[0]["options"] == "");
  CHECK(run(speerctl_binary() + " offer list" + st + " | grep -q 'rg *old'") == 0);
  CHECK(run("test \"$(sqlite3 " + db + " 'PRAGMA foreign_key_check')\" = ''") == 0);
  REQUIRE(run(speerctl_binary() + " client update old --rate-from-config --actor t" + st +
              " >/dev/null") == 0);
  CHECK(run(speerctl_binary() + " client show old" + st + " | grep -q 'from config'") == 0);
}

TEST_CASE("sbe-cost: a dial plan turns national numbers into E.164, others get bad-number") {
  DaemonProcess d("sbe-dialplan");
  REQUIRE(speerctl(d,
                   "client update sbc-b --options "
                   "'country_code=1&trunk_prefix=1&intl_prefix=011&view=compact'") == 0);
  REQUIRE(d.start());
  TestClient b(d.api_port, client_options("client-b"));
  for (const std::string dialled : {"2155551234", "12155551234", "01112155551234"}) {
    INFO(dialled);
    const auto j = get_json(b, "/v1/lookup?number=" + dialled);
    CHECK(j["verdict"] == "route");
    CHECK(j["number"] == kSecure);  // the E.164 number it used
    CHECK(j["dialed"] == dialled);
  }
  CHECK_FALSE(get_json(b, "/v1/lookup?number=" + kSecure).contains("dialed"));

  // No dial plan: a number without '+' is a 400 of its own, saying the form.
  TestClient a(d.api_port, client_options("client-a"));
  const auto j = get_json(a, "/v1/lookup?number=12155551234", 400);
  CHECK(j["error"]["code"] == "bad-number");
  CHECK(j["error"]["message"].get<std::string>().find("E.164") != std::string::npos);
  CHECK(get_json(a, "/v1/lookup?number=+0123", 400)["error"]["code"] == "bad-number");
  auto batch = a.request("POST", "/v1/lookup", R"({"numbers":["12155551234","+12155551234"]})");
  REQUIRE(batch);
  REQUIRE(batch->status == 200);
  const auto results = batch->json()["results"];
  CHECK(results[0]["code"] == "bad-number");
  CHECK(results[1]["verdict"] == "route");
}
