// Limits (RFC 6404 2.1.3, 2.2.3, 4.9): slow and incomplete clients are cut
// at their timeouts, oversized and malformed requests get clear errors,
// connection caps refuse at accept, a flooding client gets 429s -- and in
// every case the server keeps serving everyone else. No timing assertions:
// waits are generous bounds, not measurements.
#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "tests/server/support/harness.hpp"

using namespace speerd::test;
using nlohmann::json;

namespace {

constexpr auto kGenerous = std::chrono::seconds(10);
const std::string kLookup = "/v1/lookup?number=+12155551234";

// The first bytes of a TLS ClientHello record, cut short.
const std::string kHalfClientHello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x11\x22", 13);

std::string metrics(Harness& h) {
  return h.admin_get("/metrics");
}

bool has_metric(Harness& h, const std::string& line) {
  return metrics(h).find(line) != std::string::npos;
}

}  // namespace

TEST_CASE(
    "slowloris: silent, half-handshake and half-request connections are cut, others are served") {
  Harness h;  // handshake 400 ms, idle 600 ms, request 500 ms
  std::vector<std::unique_ptr<TestClient>> silent, half_hello, half_request, idle;
  for (int i = 0; i < 20; ++i) {
    silent.push_back(std::make_unique<TestClient>(h.port(), h.client("client-a")));
    REQUIRE(silent.back()->connect());
  }
  for (int i = 0; i < 10; ++i) {
    half_hello.push_back(std::make_unique<TestClient>(h.port(), h.client("client-a")));
    REQUIRE(half_hello.back()->write_tcp(kHalfClientHello));
  }
  for (int i = 0; i < 10; ++i) {
    half_request.push_back(std::make_unique<TestClient>(h.port(), h.client("client-a")));
    REQUIRE(half_request.back()->handshake());
    REQUIRE(half_request.back()->write("GET " + kLookup + " HTTP/1.1\r\nHost: x\r\n"));
    idle.push_back(std::make_unique<TestClient>(h.port(), h.client("client-b")));
    REQUIRE(idle.back()->handshake());
  }
  // A normal client keeps being served while the others hang on.
  auto normal = h.connect("client-b");
  for (int i = 0; i < 30; ++i) {
    auto r = normal.get(kLookup);
    REQUIRE(r);
    CHECK(r->status == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  for (auto& c : silent) CHECK(c->wait_closed_tcp(kGenerous));
  for (auto& c : half_hello) CHECK(c->wait_closed_tcp(kGenerous));
  for (auto& c : half_request) CHECK(c->wait_closed(kGenerous));
  for (auto& c : idle) CHECK(c->wait_closed(kGenerous));
  // A fresh client is served afterwards too.
  auto after = h.connect("client-a");
  auto r = after.get(kLookup);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(has_metric(h, "speerd_connections_refused_total{reason=\"handshake_timeout\"} 30"));
  CHECK(has_metric(h, "speerd_connections_closed_total{reason=\"request_timeout\"} 10"));
  CHECK(h.logs.has({"connection-refused", "handshake_timeout", "no complete TLS handshake"}));
  CHECK(h.logs.has({"connection-closed", "request_timeout", "sbc-a"}));
  CHECK(h.logs.has({"connection-closed", "idle_timeout", "sbc-b"}));
}

TEST_CASE("limits: oversized headers get 431 and the connection is closed") {
  Harness h;
  auto c = h.connect("client-a");
  REQUIRE(c.handshake());
  REQUIRE(c.write("GET " + kLookup + " HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') +
                  "\r\n\r\n"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 431);
  CHECK(r->json()["error"]["code"] == "headers-too-large");
  CHECK_FALSE(r->keep_alive);
  CHECK(c.wait_closed(kGenerous));
  auto other = h.connect("client-a");
  auto ok = other.get(kLookup);
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(h.logs.has({"connection-closed", "header_too_large"}));
}

TEST_CASE("limits: an oversized body gets 413 and the connection is closed") {
  Harness h([](auto& c) { c.limits.max_body_bytes = 1024; });
  auto c = h.connect("client-a");
  auto r = c.request("POST", "/v1/lookup", R"({"numbers":[")" + std::string(2000, '1') + "\"]}");
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(r->json()["error"]["code"] == "body-too-large");
  CHECK(c.wait_closed(kGenerous));
  auto other = h.connect("client-a");
  REQUIRE(other.get(kLookup));
}

TEST_CASE("limits: the last request allowed on a connection is answered with Connection: close") {
  Harness h([](auto& c) { c.limits.max_requests_per_connection = 3; });
  auto c = h.connect("client-a");
  for (int i = 1; i <= 3; ++i) {
    auto r = c.get(kLookup);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->keep_alive == (i < 3));
  }
  CHECK(c.wait_closed(kGenerous));
  auto again = h.connect("client-a");
  REQUIRE(again.get(kLookup));
  CHECK(h.logs.has({"connection-closed", "max_requests"}));
}

TEST_CASE("limits: a batch larger than max_batch is refused") {
  Harness h([](auto& c) { c.limits.max_batch = 5; });
  auto c = h.connect("client-a");
  json numbers = json::array();
  for (int i = 0; i < 6; ++i) numbers.push_back(kRoutedNumber);
  auto r = c.request("POST", "/v1/lookup", json{{"numbers", numbers}}.dump());
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(r->json()["error"]["code"] == "batch-too-large");
  CHECK(r->keep_alive);
  numbers.erase(numbers.begin());
  auto ok = c.request("POST", "/v1/lookup", json{{"numbers", numbers}}.dump());
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->json()["results"].size() == 5);
}

TEST_CASE("limits: a malformed HTTP request gets 400 and the connection is closed") {
  Harness h;
  auto c = h.connect("client-a");
  REQUIRE(c.handshake());
  REQUIRE(c.write("GET /v1/lookup?number=1 HTTP/9.9 extra\r\n\r\n"));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(r->json()["error"]["code"] == "bad-request");
  CHECK(c.wait_closed(kGenerous));
  auto other = h.connect("client-a");
  REQUIRE(other.get(kLookup));
}

TEST_CASE("limits: connections beyond the per-address cap are refused at accept") {
  Harness h([](auto& c) { c.limits.max_connections_per_address = 3; });
  std::vector<std::unique_ptr<TestClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<TestClient>(h.port(), h.client("client-a")));
    REQUIRE(held.back()->get(kLookup));
  }
  auto extra = h.connect("client-a");
  CHECK_FALSE(extra.get(kLookup));
  CHECK(h.logs.has({"connection-refused", "per_address", "max_connections_per_address (3)"}));
  held.pop_back();  // a place frees up
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    auto again = h.connect("client-a");
    served = again.get(kLookup).has_value();
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(served);
}

TEST_CASE("limits: connections beyond max_connections are refused at accept") {
  Harness h([](auto& c) {
    c.limits.max_connections = 2;
    c.limits.max_connections_per_address = 2;
  });
  auto a = h.connect("client-a");
  auto b = h.connect("client-b");
  REQUIRE(a.get(kLookup));
  REQUIRE(b.get(kLookup));
  auto extra = h.connect("client-a");
  CHECK_FALSE(extra.get(kLookup));
  CHECK(h.logs.has({"connection-refused", "max_connections", "max_connections (2)"}));
  CHECK(has_metric(h, "speerd_connections_refused_total{reason=\"max_connections\"} 1"));
  // The connections already open are unaffected.
  REQUIRE(a.get(kLookup));
  REQUIRE(b.get(kLookup));
}

TEST_CASE("rate limit: a flooding client gets 429s, another client is unaffected") {
  // Slow refill, so that the counts below do not depend on how fast the
  // requests go.
  Harness h([](auto& c) {
    c.limits.rate_per_second = 1;
    c.limits.rate_burst = 5;
    c.limits.max_batch = 5;
  });
  auto flood = h.connect("client-a");
  int ok = 0, limited = 0;
  std::string retry_after;
  for (int i = 0; i < 40; ++i) {
    auto r = flood.get(kLookup);
    REQUIRE(r);
    if (r->status == 200) ++ok;
    if (r->status == 429) {
      ++limited;
      retry_after = r->header("retry-after");
      CHECK(r->json()["error"]["code"] == "rate-limited");
      CHECK(r->keep_alive);
    }
  }
  CHECK(ok >= 5);
  CHECK(limited > 0);
  CHECK(std::stoi(retry_after) >= 1);
  // Another client has its own bucket.
  auto other = h.connect("client-b");
  for (int i = 0; i < 5; ++i) {
    auto r = other.get(kLookup);
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  // A batch draws one token per number (client-b has at most about one left).
  auto batch = h.connect("client-b");
  auto r = batch.request("POST", "/v1/lookup",
                         json{{"numbers", {kRoutedNumber, kRoutedNumber, kRoutedNumber}}}.dump());
  REQUIRE(r);
  CHECK(r->status == 429);
  CHECK(has_metric(h, "speerd_rate_limited_total{endpoint=\"lookup\"} " + std::to_string(limited)));
  CHECK(h.logs.has({"rate-limited", "sbc-a", "\"per_second\":1"}));
}
