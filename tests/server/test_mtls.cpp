// The mTLS matrix (RFC 6404 2.1.1/4.5: no harvesting without a strong
// client identity): every bad certificate is refused and the refusal is
// logged with why; a valid certificate of a known client is served.
#include <openssl/ssl.h>
#include <catch2/catch.hpp>

#include "tests/server/support/harness.hpp"

using namespace speerd::test;

namespace {

// A refused client cannot get an answer: with TLS 1.3 the client may think
// its handshake succeeded (the server checks the certificate after the
// client's Finished), so try a request and expect no HTTP response.
bool refused(Harness& h, const std::string& name) {
  auto c = h.connect(name);
  auto r = c.get("/v1/lookup?number=%2B12155551234");
  return !r.has_value();
}

}  // namespace

TEST_CASE("mtls: a valid certificate of a known client is served") {
  Harness h;
  auto c = h.connect("client-a");
  auto r = c.get("/v1/lookup?number=+12155551234");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->json()["verdict"] == "route");
  CHECK(c.alpn_selected() == "http/1.1");
  CHECK(h.logs.has({"client-authenticated", "sbc-a", "urn:speerd:client:sbc-a"}));
}

TEST_CASE("mtls: a client identified by its SPKI pin is served") {
  Harness h;
  auto c = h.connect("client-b");
  auto r = c.get("/v1/lookup?number=+12155551234");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(h.logs.has({"client-authenticated", "sbc-b", "sha256/"}));
}

TEST_CASE("mtls: no client certificate is refused and logged") {
  Harness h;
  CHECK(refused(h, ""));
  CHECK(h.logs.has({"connection-refused", "tls_handshake", "peer did not return a certificate"}));
}

TEST_CASE("mtls: a certificate from another CA is refused and logged") {
  Harness h;
  CHECK(refused(h, "client-otherca"));
  CHECK(h.logs.has({"connection-refused", "tls_handshake", "unable to get local issuer"}));
}

TEST_CASE("mtls: an expired certificate is refused and logged") {
  Harness h;
  CHECK(refused(h, "client-expired"));
  CHECK(h.logs.has(
      {"connection-refused", "tls_handshake", "certificate has expired", "DNS:expired.example"}));
}

TEST_CASE("mtls: a revoked certificate is refused and logged") {
  Harness h;
  CHECK(refused(h, "client-revoked"));
  CHECK(h.logs.has({"connection-refused", "tls_handshake", "certificate revoked"}));
}

TEST_CASE("mtls: a certificate without the clientAuth EKU is refused and logged") {
  Harness h;
  CHECK(refused(h, "client-serverauth"));
  CHECK(h.logs.has({"connection-refused", "unsuitable certificate purpose", "serverauth.example"}));
  CHECK(refused(h, "client-noeku"));
  CHECK(h.logs.has({"connection-refused", "unsuitable certificate purpose", "noeku.example"}));
}

// A valid certificate of no client gets 403 with a JSON error (the SBE's
// operator sees why), then the connection closes.
static bool forbidden(Harness& h, const std::string& name) {
  auto c = h.connect(name);
  auto r = c.get("/v1/lookup?number=%2B12155551234");
  return r && r->status == 403 && r->json()["error"]["code"] == "forbidden" && !r->keep_alive;
}

TEST_CASE("mtls: a valid certificate with no client record is refused and logged") {
  Harness h;
  CHECK(forbidden(h, "client-unknown"));
  CHECK(h.logs.has({"connection-refused", "unknown_client", "stranger.example"}));
}

TEST_CASE("mtls: refusals are counted in /metrics") {
  Harness h;
  CHECK(refused(h, ""));
  CHECK(forbidden(h, "client-unknown"));
  const auto m = h.admin_get("/metrics");
  CHECK(m.find("speerd_connections_refused_total{reason=\"tls_handshake\"} 1") !=
        std::string::npos);
  CHECK(m.find("speerd_connections_refused_total{reason=\"unknown_client\"} 1") !=
        std::string::npos);
}

TEST_CASE("mtls: a client offering only h2 in ALPN is refused") {
  Harness h;
  auto o = h.client("client-a");
  o.alpn = {"h2"};
  TestClient c(h.port(), o);
  CHECK_FALSE(c.get("/v1/lookup?number=+12155551234"));
}

TEST_CASE("mtls: a client without ALPN is served over HTTP/1.1") {
  Harness h;
  auto o = h.client("client-a");
  o.alpn = {};
  TestClient c(h.port(), o);
  auto r = c.get("/v1/lookup?number=+12155551234");
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("mtls: TLS 1.2 is refused unless opted in") {
  {
    Harness h;
    auto o = h.client("client-a");
    o.max_version = TLS1_2_VERSION;
    TestClient c(h.port(), o);
    CHECK_FALSE(c.handshake());
    CHECK(h.logs.has({"connection-refused", "tls_handshake"}));
  }
  {
    Harness h([](auto& c) { c.tls.min_version = "1.2"; });
    auto o = h.client("client-a");
    o.max_version = TLS1_2_VERSION;
    TestClient c(h.port(), o);
    auto r = c.get("/v1/lookup?number=+12155551234");
    REQUIRE(r);
    CHECK(r->status == 200);
  }
}

TEST_CASE("mtls: a session ticket resumes without a full handshake") {
  Harness h;
  SSL_SESSION* session = nullptr;
  {
    auto c = h.connect("client-a");
    REQUIRE(c.get("/v1/lookup?number=+12155551234"));  // the ticket arrives with the data
    session = c.get1_session();
  }
  REQUIRE(session);
  auto c = h.connect("client-a");
  c.set_session(session);
  auto r = c.get("/v1/lookup?number=+12155551234");
  SSL_SESSION_free(session);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(c.resumed());
  CHECK(h.admin_get("/metrics").find("speerd_tls_handshakes_total{kind=\"resumed\"} 1") !=
        std::string::npos);
}
