// Issue 15, authorization (items 1-8), against the real speerd process on
// the signed-zone testbed (real NSD zones, the SQLite store provisioned with
// speerctl, mTLS with the test PKI). Each case is one fail-open path closed.
#include <signal.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <openssl/ssl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>

#include "tests/daemon/authz_support.hpp"

using namespace speerd::test;
using namespace speerd::test::authz;
using nlohmann::json;

// Item 2: an empty tree list is no access, in the API and in speerctl.
TEST_CASE("authz: a client whose tree list is empty may use no tree") {
  DaemonProcess d("authz-scope");
  REQUIRE(d.start());
  {
    TestClient a(d.api_port, client_options("client-a"));
    auto r = a.get(kRouted);
    REQUIRE(r);
    REQUIRE(r->json()["verdict"] == "route");
  }
  auto [rc, out] = ctl(d, "client update sbc-a --clear-trees");
  CHECK(rc == 0);
  CHECK(out.find("client sbc-a has no ENUM tree: it has no access") != std::string::npos);
  const auto r = poll(d, "client-a", "GET", kRouted, {}, [](const HttpResponse& h) {
    return h.json().value("verdict", "") != "route";
  });
  CHECK(r.status == 200);
  CHECK(r.json()["verdict"] == "reject");
  CHECK(r.json()["code"] == "not-found");
  CHECK(r.json()["reason"].get<std::string>().find("may use no ENUM tree") != std::string::npos);
  // No DNS was asked on its behalf.
  CHECK(r.json()["dnssec"].empty());
  // A route request is refused the same way (on every shard once its
  // directory has seen the change).
  const auto route =
      poll(d, "client-a", "GET", "/v1/route?uri=sip:alice@good.peers.example", {},
           [](const HttpResponse& h) { return h.json().value("verdict", "") != "route"; });
  CHECK(route.json()["verdict"] == "reject");
  CHECK(route.json()["reason"].get<std::string>().find("may use no ENUM tree") !=
        std::string::npos);

  // speerctl lookup for that client gives the same answer (exit 1: no route).
  const std::string testbed_cfg = std::string(std::getenv("SPEERD_TESTBED")) + "/speerd.toml";
  auto [lrc, lout] = ctl(
      d, "lookup +12155551234 -c " + testbed_cfg + " --store " + d.store_uri + " --client sbc-a",
      false);
  INFO(lout);
  CHECK(lrc == 1);
  CHECK(lout.find("may use no ENUM tree") != std::string::npos);
  // Adding a client without a tree says so too.
  auto [arc, aout] = ctl(d, "client add sbc-c --cert-name c.example");
  CHECK(arc == 0);
  CHECK(aout.find("client sbc-c has no ENUM tree") != std::string::npos);
}

// Item 3: one token per looked-up number; a batch larger than the burst is
// refused with 429 and the limit in the error.
TEST_CASE("authz: a batch larger than the client's burst is refused with the limit named") {
  DaemonProcess d("authz-batch");
  REQUIRE(d.start());
  REQUIRE(ctl(d, "client update sbc-a --rate 1 --burst 3").first == 0);
  const std::string four =
      json{{"numbers", {"+12155551234", "+12155551235", "+12155551236", "+12155551234"}}}.dump();
  const auto r = poll(d, "client-a", "POST", "/v1/lookup", four,
                      [](const HttpResponse& h) { return h.status == 429; });
  INFO(r.body);
  CHECK(r.status == 429);
  CHECK(r.json()["error"]["code"] == "rate-limited");
  const auto msg = r.json()["error"]["message"].get<std::string>();
  CHECK(msg.find("a batch of 4 numbers is more than this client's burst") != std::string::npos);
  CHECK(msg.find("1 lookups/s, burst 3") != std::string::npos);
  CHECK_FALSE(r.header("retry-after").empty());
  // Nothing was charged for it: a batch of three (one token each) passes
  // once the bucket is full again, and then even one more number is refused.
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));
  TestClient a(d.api_port, client_options("client-a"));
  auto three =
      a.request("POST", "/v1/lookup",
                json{{"numbers", {"+12155551234", "+12155551235", "+12155551236"}}}.dump());
  REQUIRE(three);
  CHECK(three->status == 200);
  auto one = a.get(kRouted);
  REQUIRE(one);
  CHECK(one->status == 429);
}

// Item 4: a refused reload changes nothing, [log] included.
TEST_CASE("authz: a refused reload does not apply its [log] section") {
  DaemonProcess d("authz-reload");
  REQUIRE(d.start());
  // A file that parses but cannot be applied (the key is not the
  // certificate's), and that would raise the log level to error.
  edit_config(d, "level = \"debug\"", "level = \"error\"");
  edit_config(d, "server.key", "client-a.key");
  d.signal(SIGHUP);
  REQUIRE(d.log_has({"config-reload", "failed"}));
  // Still at debug: a new connection is logged at debug level.
  const auto before = count_of(d.log(), "client-authenticated");
  {
    TestClient a(d.api_port, client_options("client-a"));
    REQUIRE(a.get(kRouted));
  }
  {
    // A malformed request is logged at info, which flushes the log file.
    TestClient flush(d.api_port, client_options("client-a"));
    REQUIRE(flush.handshake());
    REQUIRE(flush.write("NOT HTTP\r\n\r\n"));
    (void)flush.read_response();
  }
  CHECK(d.log_has({"connection-closed", "bad_request"}));
  CHECK(count_of(d.log(), "client-authenticated") > before);
}

// Item 8: a valid certificate of no (enabled) client gets an HTTP 403 with
// a JSON error naming why, not a bare close.
TEST_CASE("authz: a valid certificate of no enabled client gets 403 with the reason") {
  DaemonProcess d("authz-403");
  REQUIRE(d.start());
  TestClient stranger(d.api_port, client_options("client-unknown"));
  auto r = stranger.get(kRouted);
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(r->json()["error"]["code"] == "forbidden");
  CHECK(r->json()["error"]["message"].get<std::string>().find("no client record") !=
        std::string::npos);
  CHECK_FALSE(r->keep_alive);
  CHECK(stranger.wait_closed(std::chrono::seconds(5)));
  CHECK(d.log_has({"connection-refused", "unknown_client", "stranger.example"}));
  // A disabled client is told so.
  REQUIRE(ctl(d, "client update sbc-a --disable").first == 0);
  const auto disabled = poll(d, "client-a", "GET", kRouted, {},
                             [](const HttpResponse& h) { return h.status == 403; });
  CHECK(disabled.status == 403);
  CHECK(disabled.json()["error"]["message"].get<std::string>().find("client sbc-a is disabled") !=
        std::string::npos);
}

// Item 7: the per-address cap counts a configurable prefix, so one host with
// many addresses (here 127.0.0.2-4, one /24) cannot escape it.
TEST_CASE("authz: the per-address connection cap counts the address prefix") {
  DaemonProcess d("authz-prefix",
                  "\n[limits]\nmax_connections_per_address = 2\naddress_prefix_v4 = 24\n");
  REQUIRE(d.start());
  std::vector<std::unique_ptr<TestClient>> open;
  for (const char* source : {"127.0.0.2", "127.0.0.3"}) {
    auto o = client_options("client-a");
    o.source = source;
    open.push_back(std::make_unique<TestClient>(d.api_port, o));
    auto r = open.back()->get(kRouted);
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  auto o = client_options("client-a");
  o.source = "127.0.0.4";
  TestClient third(d.api_port, o);
  CHECK_FALSE(third.get(kRouted));
  CHECK(d.log_has({"connection-refused", "max_connections_per_address", "127.0.0.0/24"}));
}

// Item 6: the admin listener has its own caps; idle connections cannot lock
// monitoring out, and it stays on loopback unless allowed off it.
TEST_CASE("authz: idle connections cannot block the admin listener") {
  DaemonProcess d("authz-admin");
  REQUIRE(d.start());
  boost::asio::io_context io;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> idle;
  for (int i = 0; i < 40; ++i) {
    auto s = std::make_unique<boost::asio::ip::tcp::socket>(io);
    s->connect({boost::asio::ip::make_address("127.0.0.1"), d.admin_port});
    idle.push_back(std::move(s));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // all accepted
  const auto [status, body] = http_get(d.admin_port, "/healthz");
  CHECK(status == 200);
  CHECK(body.find("ok") != std::string::npos);

  // Off loopback only when allowed.
  edit_config(d, "[admin]\nlisten = \"127.0.0.1:0\"", "[admin]\nlisten = \"0.0.0.0:0\"");
  const std::string out = d.dir + "/check.out";
  CHECK(run(speerd_binary() + " --check-config " + d.config + " >" + out + " 2>&1") == 1);
  CHECK(slurp(out).find("[admin] listen: 0.0.0.0 is not a loopback address") != std::string::npos);
  edit_config(d, "[admin]\nlisten = \"0.0.0.0:0\"",
              "[admin]\nlisten = \"0.0.0.0:0\"\nallow_remote = true");
  CHECK(run(speerd_binary() + " --check-config " + d.config + " >" + out + " 2>&1") == 0);
}

// Item 5: no Host or several Host headers is 400 (RFC 9112 3.2).
TEST_CASE("authz: a request without exactly one valid Host header is refused with 400") {
  DaemonProcess d("authz-host");
  REQUIRE(d.start());
  for (const std::string& head :
       std::vector<std::string>{"GET " + kRouted + " HTTP/1.1\r\n\r\n",
                                "GET " + kRouted + " HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                                "GET " + kRouted + " HTTP/1.1\r\nHost: a b\r\n\r\n"}) {
    INFO(head);
    TestClient c(d.api_port, client_options("client-a"));
    REQUIRE(c.handshake());
    REQUIRE(c.write(head));
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(r->json()["error"]["code"] == "bad-request");
    CHECK(r->json()["error"]["message"].get<std::string>().find("Host") != std::string::npos);
    CHECK_FALSE(r->keep_alive);
  }
  // HTTP/1.0 needs no Host; one Host is served.
  TestClient ok(d.api_port, client_options("client-a"));
  REQUIRE(ok.handshake());
  REQUIRE(ok.write("GET " + kRouted + " HTTP/1.0\r\n\r\n"));
  auto r = ok.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
}

// Item 5: refusals under a flood are logged per reason at most
// log::kThrottleBurst times a second, the rest counted in one line.
TEST_CASE("authz: a flood of refused connections is logged throttled, with a suppressed count") {
  DaemonProcess d("authz-logflood", "\n[limits]\nmax_connections_per_address = 1\n");
  REQUIRE(d.start());
  TestClient holder(d.api_port, client_options("client-a"));
  REQUIRE(holder.get(kRouted));
  constexpr int kFlood = 300;
  boost::asio::io_context io;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> flood;  // open until counted
  for (int i = 0; i < kFlood; ++i) {
    flood.push_back(std::make_unique<boost::asio::ip::tcp::socket>(io));
    flood.back()->connect({boost::asio::ip::make_address("127.0.0.1"), d.api_port});
  }
  // Every refused connection is either a line or counted in a
  // log-suppressed line (flushed every second).
  int lines = 0;
  std::int64_t suppressed = 0;
  for (int tries = 0; tries < 100 && lines + suppressed < kFlood; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    lines = 0;
    suppressed = 0;
    std::istringstream in(d.log());
    std::string line;
    while (std::getline(in, line)) {
      const auto j = json::parse(line, nullptr, false);
      if (j.is_discarded() || j.value("reason", "") != "per_address") continue;
      if (j.value("event", "") == "connection-refused") ++lines;
      if (j.value("event", "") == "log-suppressed") suppressed += j.value("suppressed", 0);
    }
  }
  CHECK(lines + suppressed == kFlood);
  CHECK(suppressed > 0);
  CHECK(lines < kFlood);
}

// Item 5: a TLS renegotiation attempt is refused and logged as a warning
// naming the client.
TEST_CASE("authz: a TLS renegotiation attempt is logged as a warning with the client") {
  DaemonProcess d("authz-reneg");
  edit_config(d, "[tls]\n", "[tls]\nmin_version = \"1.2\"\n");
  REQUIRE(d.start());
  {
    auto o = client_options("client-a");
    o.max_version = TLS1_2_VERSION;
    TestClient c(d.api_port, o);
    REQUIRE(c.get(kRouted));
    CHECK_FALSE(c.renegotiate());
  }
  CHECK(d.log_has({"\"level\":\"warning\"", "tls-renegotiation-refused", "sbc-a"}));
}

// Item 1 (the part that needs no in-memory client directory): every request
// uses the client record as the shard's directory has it now, and a reload
// that loads a CRL revoking an open connection's certificate closes it.
TEST_CASE("authz: an open connection is not served on a client record that changed") {
  DaemonProcess d("authz-keepalive");
  REQUIRE(d.start());
  TestClient a(d.api_port, client_options("client-a"));
  TestClient b(d.api_port, client_options("client-b"));
  REQUIRE(a.get(kRouted));
  const std::string tree_b = "/v1/lookup?number=+12155559999";  // only in tree B
  auto before = b.get(tree_b);
  REQUIRE(before);
  REQUIRE(before->json()["verdict"] == "route");

  REQUIRE(ctl(d, "client update sbc-a --disable").first == 0);
  REQUIRE(ctl(d, "client update sbc-b --tree e164.example").first == 0);
  // The same keep-alive connections, until the shards see the change.
  std::optional<HttpResponse> ra;
  for (int i = 0; i < 100; ++i) {
    auto r = a.get(kRouted);
    if (!r || r->status != 200) {
      if (r) ra = *r;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(ra);
  CHECK(ra->status == 403);
  CHECK(ra->json()["error"]["message"].get<std::string>().find("client sbc-a is disabled") !=
        std::string::npos);
  CHECK(a.wait_closed(std::chrono::seconds(5)));
  std::string verdict;
  for (int i = 0; i < 100 && verdict != "reject"; ++i) {
    auto r = b.get(tree_b);
    REQUIRE(r);
    verdict = r->json().value("verdict", "");
    if (verdict != "reject") std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(verdict == "reject");  // tree B is out of its scope now, on the same connection
}

TEST_CASE("authz: a CRL reload closes the open connections of the certificates it revokes") {
  DaemonProcess d("authz-crl");
  REQUIRE(d.start());
  TestClient a(d.api_port, client_options("client-a"));
  TestClient b(d.api_port, client_options("client-b"));
  REQUIRE(a.get(kRouted));
  REQUIRE(b.get(kRouted));
  const std::string pki = d.dir + "/pki";
  REQUIRE(run("cd " + pki + " && openssl ca -batch -config ca.d/ca.cnf -revoke client-a.crt " +
              ">/dev/null 2>&1 && openssl ca -batch -config ca.d/ca.cnf -gencrl -out crl.pem " +
              ">/dev/null 2>&1") == 0);
  d.signal(SIGHUP);
  REQUIRE(d.log_has({"config-reload", "\"result\":\"ok\""}));
  CHECK(a.wait_closed(std::chrono::seconds(5)));
  CHECK(d.log_has({"connection-closed", "revoked", "sbc-a"}));
  // The other client's connection is untouched.
  auto rb = b.get(kRouted);
  REQUIRE(rb);
  CHECK(rb->status == 200);
}
