// The API and admin listeners over IPv6 (::1), and the per-address connection cap
// for IPv6 peers and for IPv4 peers reaching a dual-stack ([::]) listener, whose
// addresses arrive v4-mapped (::ffff:127.0.0.1) and must count as the IPv4 address.
// Upstream stubs over IPv6 are tested with the daemon on the testbed
// (tests/systemd/run_speerd.py --ipv6).
#include <memory>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/server/support/harness.hpp"

using namespace speerd::test;

namespace {

const std::string kLookup = "/v1/lookup?number=+12155551234";

ClientOptions over(const std::string& name, const std::string& address) {
  auto o = client_options(name);
  o.address = address;
  return o;
}

}  // namespace

TEST_CASE("ipv6: the API and admin listeners serve on [::1]") {
  Harness h([](auto& c) {
    c.server.listen = "[::1]:0";
    c.admin.listen = "[::1]:0";
  });
  TestClient c(h.port(), over("client-a", "::1"));
  auto r = c.get(kLookup);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->json()["verdict"] == "route");
  CHECK(h.logs.has({"listening", "[::1]:0"}));
  // Only ::1: the IPv4 loopback is not served.
  TestClient v4(h.port(), over("client-a", "127.0.0.1"));
  CHECK_FALSE(v4.get(kLookup));
  const auto [status, body] = http_get(h.server->admin_port(), "/healthz", "::1");
  CHECK(status == 200);
}

TEST_CASE("ipv6: connections from ::1 beyond the per-address cap are refused, and logged") {
  Harness h([](auto& c) {
    c.server.listen = "[::1]:0";
    c.limits.max_connections_per_address = 2;
  });
  std::vector<std::unique_ptr<TestClient>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<TestClient>(h.port(), over("client-a", "::1")));
    REQUIRE(held.back()->get(kLookup));
  }
  TestClient extra(h.port(), over("client-a", "::1"));
  CHECK_FALSE(extra.get(kLookup));
  CHECK(h.logs.has(
      {"connection-refused", "per_address", "[::1]:", "max_connections_per_address (2)"}));
  held.pop_back();
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    TestClient again(h.port(), over("client-a", "::1"));
    served = again.get(kLookup).has_value();
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(served);
}

TEST_CASE("ipv6: a dual-stack listener caps 127.0.0.1 and ::1 each on its own") {
  Harness h([](auto& c) {
    c.server.listen = "[::]:0";
    c.limits.max_connections_per_address = 1;
  });
  TestClient v4(h.port(), over("client-a", "127.0.0.1"));
  TestClient v6(h.port(), over("client-b", "::1"));
  REQUIRE(v4.get(kLookup));
  REQUIRE(v6.get(kLookup));  // another address: its own cap
  // The v4-mapped peer counts as 127.0.0.1 (and is logged so), not as a new address.
  TestClient v4_again(h.port(), over("client-a", "127.0.0.1"));
  CHECK_FALSE(v4_again.get(kLookup));
  CHECK(h.logs.has({"connection-refused", "per_address", "127.0.0.1:"}));
  TestClient v6_again(h.port(), over("client-b", "::1"));
  CHECK_FALSE(v6_again.get(kLookup));
  CHECK(h.logs.has({"connection-refused", "per_address", "[::1]:"}));
  // The connections already open are unaffected.
  REQUIRE(v4.get(kLookup));
  REQUIRE(v6.get(kLookup));
}
