// API v1 over real TLS with a fake pipeline: routing, input checks, error
// codes, scope handling, and every response checked against the OpenAPI
// document (resolver/server/openapi.yaml).
#include <catch2/catch.hpp>

#include "tests/server/support/harness.hpp"
#include "tests/server/support/openapi_check.hpp"

using namespace speerd::test;
using nlohmann::json;

namespace {

// Checks `r` against the document and returns it (for chaining).
const HttpResponse& conforms(const HttpResponse& r, const std::string& path,
                             const std::string& method = "GET") {
  static const OpenApi api = OpenApi::load(openapi_json_path());
  const auto errors = api.check_response(path, method, r.status, r.json());
  for (const auto& e : errors) UNSCOPED_INFO(e);
  CHECK(errors.empty());
  CHECK(r.header("content-type") == "application/json");
  return r;
}

std::string error_code(const HttpResponse& r) {
  return r.json()["error"]["code"];
}

}  // namespace

TEST_CASE("api: a routed lookup returns the pipeline's result as JSON") {
  Harness h;
  auto c = h.connect("client-a");
  auto r = c.get("/v1/lookup?number=+12155551234&service=E2U+sip");
  REQUIRE(r);
  conforms(*r, "/v1/lookup");
  CHECK(r->status == 200);
  FakeData reference;
  speerd::pipeline::LookupRequest req{kRoutedNumber, "E2U+sip", {}};
  CHECK(r->json() == speerd::pipeline::to_json(reference.answer(req)));
  CHECK(r->keep_alive);
}

TEST_CASE("api: '+' in the query is a plus, and %2B is too") {
  Harness h;
  auto c = h.connect("client-a");
  for (const char* q : {"/v1/lookup?number=+12155551234", "/v1/lookup?number=%2B12155551234"}) {
    auto r = c.get(q);
    REQUIRE(r);
    CHECK(r->json()["number"] == kRoutedNumber);
  }
}

TEST_CASE("api: not found and not allowed give the same answer") {
  Harness h;
  auto a = h.connect("client-a");  // scope: tree private-a only
  auto not_allowed = a.get(std::string("/v1/lookup?number=") + kScopedNumber);
  auto not_found = a.get("/v1/lookup?number=+12155559999");
  REQUIRE(not_allowed);
  REQUIRE(not_found);
  conforms(*not_allowed, "/v1/lookup");
  CHECK(not_allowed->status == not_found->status);
  auto x = not_allowed->json(), y = not_found->json();
  x.erase("number");
  y.erase("number");
  CHECK(x == y);
  CHECK(x["code"] == "not-found");
  // The same number for a client whose scope has the tree routes.
  auto b = h.connect("client-b");
  auto allowed = b.get(std::string("/v1/lookup?number=") + kScopedNumber);
  REQUIRE(allowed);
  CHECK(allowed->json()["verdict"] == "route");
  // The pipeline was told each client's scope.
  std::lock_guard<std::mutex> l(h.fake->mutex);
  REQUIRE_FALSE(h.fake->scopes.empty());
  CHECK(h.fake->scopes.front().trees == std::vector<std::string>{"private-a"});
  CHECK(h.fake->scopes.front().client_id == "sbc-a");
}

TEST_CASE("api: route") {
  Harness h;
  auto c = h.connect("client-a");
  auto r = c.get(std::string("/v1/route?uri=") + kRoutedUri);
  REQUIRE(r);
  conforms(*r, "/v1/route");
  CHECK(r->json()["verdict"] == "route");
  auto miss = c.get("/v1/route?uri=sip:bob@elsewhere.example");
  REQUIRE(miss);
  conforms(*miss, "/v1/route");
  CHECK(miss->json()["code"] == "not-found");
  auto bad = c.get("/v1/route?uri=sip:a%20b@x.example");
  REQUIRE(bad);
  conforms(*bad, "/v1/route");
  CHECK(bad->status == 400);
  CHECK(error_code(*bad) == "bad-input");
}

TEST_CASE("api: batch lookups answer in request order") {
  Harness h;
  auto c = h.connect("client-a");
  const json body = {{"numbers", {kRoutedNumber, "+12155559999", "+1", "12ab"}},
                     {"service", "E2U+sip"}};
  auto r = c.request("POST", "/v1/lookup", body.dump());
  REQUIRE(r);
  conforms(*r, "/v1/lookup", "POST");
  REQUIRE(r->status == 200);
  const auto results = r->json()["results"];
  REQUIRE(results.size() == 4);
  CHECK(results[0]["verdict"] == "route");
  CHECK(results[1]["code"] == "not-found");
  CHECK(results[2]["code"] == "bad-number");  // from the pipeline
  CHECK(results[3]["code"] == "bad-number");  // from the server's own check
}

TEST_CASE("api: errors have stable codes") {
  Harness h;
  auto c = h.connect("client-a");
  struct Case {
    std::string method, target, body, content_type;
    int status;
    std::string code;
    std::string path;  // in the document
  };
  const std::vector<Case> cases = {
      {"GET", "/v1/lookup", "", "", 400, "bad-request", "/v1/lookup"},
      {"GET", "/v1/lookup?number=%zz", "", "", 400, "bad-request", "/v1/lookup"},
      {"GET", "/v1/lookup?number=%2", "", "", 400, "bad-request", "/v1/lookup"},
      {"GET", "/v1/lookup?number=1&number=2", "", "", 400, "bad-request", "/v1/lookup"},
      {"GET", "/v1/lookup?number=1&foo=2", "", "", 400, "bad-request", "/v1/lookup"},
      {"GET", "/v1/lookup?number=%00123", "", "", 400, "bad-request", "/v1/lookup"},
      {"GET", "/v1/lookup?number=12ab", "", "", 400, "bad-number", "/v1/lookup"},
      {"GET", "/v1/lookup?number=" + std::string(65, '1'), "", "", 400, "bad-number", "/v1/lookup"},
      {"GET", "/v1/lookup?number=+1", "", "", 400, "bad-number", "/v1/lookup"},
      {"GET", "/v1/lookup?number=12155551234", "", "", 400, "bad-number", "/v1/lookup"},
      {"GET", "/v1/lookup?number=+12155551234&view=tiny", "", "", 400, "bad-request", "/v1/lookup"},
      {"GET", "/v1/lookup?number=+12155551234&service=E2U%3Bsip", "", "", 400, "bad-input",
       "/v1/lookup"},
      {"GET", "/v1/route", "", "", 400, "bad-request", "/v1/route"},
      {"PUT", "/v1/lookup", "", "", 405, "method-not-allowed", "/v1/lookup"},
      {"POST", "/v1/route", "{}", "application/json", 405, "method-not-allowed", "/v1/route"},
      {"POST", "/v1/lookup", "numbers=1", "application/x-www-form-urlencoded", 415,
       "unsupported-media-type", "/v1/lookup"},
      {"POST", "/v1/lookup", "{", "application/json", 400, "bad-request", "/v1/lookup"},
      {"POST", "/v1/lookup", "[]", "application/json", 400, "bad-request", "/v1/lookup"},
      {"POST", "/v1/lookup", R"({"numbers":"+1"})", "application/json", 400, "bad-request",
       "/v1/lookup"},
      {"POST", "/v1/lookup", R"({"numbers":[]})", "application/json", 400, "bad-request",
       "/v1/lookup"},
      {"POST", "/v1/lookup", R"({"numbers":[1]})", "application/json", 400, "bad-request",
       "/v1/lookup"},
      {"POST", "/v1/lookup", R"({"numbers":["+1"],"x":1})", "application/json", 400, "bad-request",
       "/v1/lookup"},
      {"POST", "/v1/lookup", std::string(20, '[') + std::string(20, ']'), "application/json", 400,
       "bad-request", "/v1/lookup"},
  };
  for (const auto& k : cases) {
    INFO(k.method << " " << k.target << " " << k.body);
    auto r = c.request(k.method, k.target, k.body,
                       k.content_type.empty() ? "application/json" : k.content_type);
    REQUIRE(r);
    CHECK(r->status == k.status);
    CHECK(error_code(*r) == k.code);
    CHECK(r->keep_alive);  // a bad request does not cost the connection
    conforms(*r, k.path, k.status == 405 ? "GET" : k.method);
    if (k.status == 405) CHECK_FALSE(r->header("allow").empty());
  }
  auto unknown = c.get("/v2/lookup");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(error_code(*unknown) == "no-such-endpoint");
  // The server is fine afterwards.
  auto ok = c.get("/v1/lookup?number=+12155551234");
  REQUIRE(ok);
  CHECK(ok->status == 200);
}

TEST_CASE("api: Expect 100-continue is answered before the body") {
  Harness h;
  auto c = h.connect("client-a");
  REQUIRE(c.handshake());
  const std::string body = json{{"numbers", {kRoutedNumber}}}.dump();
  REQUIRE(
      c.write("POST /v1/lookup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              "Expect: 100-continue\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\n\r\n"));
  auto cont = c.read_response();
  REQUIRE(cont);
  CHECK(cont->status == 100);
  REQUIRE(c.write(body));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("api: pipelined requests are answered in order") {
  Harness h;
  auto c = h.connect("client-a");
  REQUIRE(c.handshake());
  REQUIRE(
      c.write("GET /v1/lookup?number=+12155559999 HTTP/1.1\r\nHost: x\r\n\r\n"
              "GET /v1/lookup?number=+12155551234 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto first = c.read_response();
  auto second = c.read_response();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->json()["code"] == "not-found");
  CHECK(second->json()["code"] == "routed");
}

TEST_CASE("api: Connection: close is honoured") {
  Harness h;
  auto c = h.connect("client-a");
  REQUIRE(c.handshake());
  REQUIRE(
      c.write("GET /v1/lookup?number=+12155551234 HTTP/1.1\r\nHost: x\r\n"
              "Connection: close\r\n\r\n"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK_FALSE(r->keep_alive);
  CHECK(c.wait_closed(std::chrono::seconds(5)));
}

TEST_CASE("admin: healthz, readyz and metrics") {
  Harness h;
  auto c = h.connect("client-a");
  REQUIRE(c.get("/v1/lookup?number=+12155551234"));
  REQUIRE(c.get("/v1/lookup?number=+12155559999"));
  auto [hs, health] = http_get(h.server->admin_port(), "/healthz");
  CHECK(hs == 200);
  CHECK(json::parse(health)["status"] == "ok");
  auto [rs, ready] = http_get(h.server->admin_port(), "/readyz");
  CHECK(rs == 200);
  CHECK(json::parse(ready)["ready"] == true);
  CHECK(json::parse(ready)["checks"]["store"] == "ok");
  auto [ms, metrics] = http_get(h.server->admin_port(), "/metrics");
  CHECK(ms == 200);
  // Every metric of the table is exported, with HELP and TYPE.
  for (const auto& d : speerd::service::metric_table()) {
    CHECK(metrics.find("# HELP " + std::string(d.name) + " ") != std::string::npos);
    CHECK(metrics.find("# TYPE " + std::string(d.name) + " ") != std::string::npos);
  }
  CHECK(metrics.find("speerd_lookups_total{endpoint=\"lookup\",verdict=\"route\"} 1") !=
        std::string::npos);
  CHECK(metrics.find("speerd_lookups_total{endpoint=\"lookup\",verdict=\"reject\"} 1") !=
        std::string::npos);
  CHECK(metrics.find("speerd_dnssec_outcomes_total{state=\"secure\"} 2") != std::string::npos);
  CHECK(metrics.find("speerd_cache_lookups_total{result=\"miss\"} 2") != std::string::npos);
  CHECK(metrics.find("speerd_request_duration_seconds_count{endpoint=\"lookup\"} 2") !=
        std::string::npos);
  CHECK(metrics.find("speerd_connections_open 1") != std::string::npos);
  auto [ns, nope] = http_get(h.server->admin_port(), "/nope");
  CHECK(ns == 404);
}
