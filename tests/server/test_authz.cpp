// Issue 15: authorization and policy, against the real speerd process on the
// signed-zone testbed (real NSD zones, the SQLite store provisioned with
// speerctl, mTLS with the test PKI). Each case is one fail-open path closed.
#include <signal.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <openssl/ssl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>

#include "tests/server/support/daemon_process.hpp"
#include "tests/server/support/harness.hpp"

using namespace speerd::test;
using nlohmann::json;

namespace {

const std::string kRouted = "/v1/lookup?number=+12155551234";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs speerctl with `args` against the daemon's store; {exit status, output}.
std::pair<int, std::string> ctl(const DaemonProcess& d, const std::string& args,
                                bool with_store = true) {
  const std::string out = d.dir + "/ctl.out";
  const int rc =
      run(speerctl_binary() + " " + args +
          (with_store ? " --store " + d.store_uri + " --actor tests" : "") + " >" + out + " 2>&1");
  return {rc, slurp(out)};
}

// Asks on a new connection (the store directory is read per connection)
// every 100 ms until `done` says yes; returns the last response.
HttpResponse poll(const DaemonProcess& d, const std::string& client, const std::string& method,
                  const std::string& target, const std::string& body,
                  const std::function<bool(const HttpResponse&)>& done, int tries = 100) {
  HttpResponse last;
  for (int i = 0; i < tries; ++i) {
    TestClient c(d.api_port, client_options(client));
    auto r = c.request(method, target, body);
    if (r) {
      last = *r;
      if (done(last)) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return last;
}

}  // namespace

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
  // A route request is refused the same way.
  TestClient a(d.api_port, client_options("client-a"));
  auto route = a.get("/v1/route?uri=sip:alice@good.peers.example");
  REQUIRE(route);
  CHECK(route->json()["verdict"] == "reject");
  CHECK(route->json()["reason"].get<std::string>().find("may use no ENUM tree") !=
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

// Item 10: in a require-secure tree an unproven denial ends the lookup as
// insecure; it never falls through to the next tree as a "not found".
TEST_CASE("authz: an insecure NXDOMAIN in a require-secure tree does not fall through") {
  DaemonProcess d("authz-denial");
  // The unsigned tree (no anchor: every answer insecure) first, then tree B,
  // which has +12155559999 (secure).
  d.replace_resolver_text("[[enum.tree]]\nname = \"private-a\"",
                          "[[enum.tree]]\nname = \"unsigned\"\nsuffix = "
                          "\"e164.unsigned.example.\"\npolicy = \"require-secure\"\n\n"
                          "[[enum.tree]]\nname = \"private-a\"");
  d.write_config("");
  REQUIRE(d.start());
  REQUIRE(
      ctl(d, "client update sbc-b --tree e164.unsigned.example --tree e164.tree-b.example").first ==
      0);
  const auto r = poll(d, "client-b", "GET", "/v1/lookup?number=+12155559999", {},
                      [](const HttpResponse& h) {  // the new scope is in force
                        const auto j = h.json();
                        for (const auto& s : j["dnssec"]) {
                          if (s.value("name", "").find("unsigned") != std::string::npos) {
                            return true;
                          }
                        }
                        return false;
                      });
  INFO(r.body);
  CHECK(r.json()["verdict"] == "reject");
  CHECK(r.json()["code"] == "insecure-not-allowed");
  CHECK(r.json()["outcome"]["state"] == "insecure");
  CHECK(r.json()["reason"].get<std::string>().find("NXDOMAIN") != std::string::npos);
  // Only the unsigned tree was asked.
  const auto body = r.json();
  for (const auto& step : body["dnssec"]) {
    CHECK(step["name"].get<std::string>().find("tree-b") == std::string::npos);
  }
}

// Item 13: a store-authoritative answer that routes carries located next
// hops; a provisioned host that does not resolve is no route.
TEST_CASE("authz: a store-authoritative route carries located next hops or does not route") {
  DaemonProcess d("authz-store-auth");
  d.replace_resolver_text("[lookup]\n", "[lookup]\nstore_policy = \"store-authoritative\"\n");
  d.write_config("");
  REQUIRE(d.start());
  for (const std::string cmd :
       {"dest-group add dg-1215", "number add dg-1215 1215 --kind prefix",
        "route-group add rg-1 --dest-group dg-1215",
        "sed add rg-1 --host nowhere.good.peers.example --port 5060 --transport tcp",
        "offer add rg-1 sbc-a"}) {
    INFO(cmd);
    REQUIRE(ctl(d, cmd).first == 0);
  }
  const auto provisioned = [](const HttpResponse& h) {
    return h.json()["store"].value("check", "") == "match";
  };
  auto r = poll(d, "client-a", "GET", kRouted, {}, provisioned);
  INFO(r.body);
  CHECK(r.json()["store"]["check"] == "match");
  CHECK(r.json()["verdict"] == "reject");
  CHECK(r.json()["code"] == "no-targets");
  CHECK(r.json()["targets"].empty());

  // A provisioned host that resolves: every target has an address.
  REQUIRE(ctl(d,
              "sed add rg-1 --host sip1.good.peers.example --port 5060 --transport tcp "
              "--priority 20")
              .first == 0);
  r = poll(d, "client-a", "GET", kRouted, {},
           [](const HttpResponse& h) { return h.json().value("verdict", "") == "route"; });
  INFO(r.body);
  CHECK(r.json()["verdict"] == "route");
  REQUIRE_FALSE(r.json()["targets"].empty());
  const auto body = r.json();
  for (const auto& t : body["targets"]) {
    CHECK_FALSE(t["address"].get<std::string>().empty());
    CHECK(t["port"] == 5060);
    CHECK(t["transport"] == "tcp");
  }
}

namespace {

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Rewrites the daemon's file in place (atomically) with `from` -> `to`.
void edit_config(const DaemonProcess& d, const std::string& from, const std::string& to) {
  std::string text = slurp(d.config);
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  {
    std::ofstream out(d.config + ".edit");
    out << text;
  }
  REQUIRE(std::rename((d.config + ".edit").c_str(), d.config.c_str()) == 0);
}

}  // namespace

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
  for (int i = 0; i < kFlood; ++i) {
    boost::asio::ip::tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), d.api_port});
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

// Item 12: an IP-literal host needs no DNS: its outcome is not-applicable,
// never secure, and [lookup] allow_ip_literal_targets decides.
TEST_CASE("authz: an IP-literal URI is not-applicable, and policy decides whether it routes") {
  DaemonProcess d("authz-literal");
  REQUIRE(d.start());
  const std::string target = "/v1/route?uri=sip:alice@127.0.0.21:5060";
  {
    TestClient a(d.api_port, client_options("client-a"));
    auto r = a.get(target);
    REQUIRE(r);
    INFO(r->body);
    CHECK(r->json()["verdict"] == "route");
    CHECK(r->json()["outcome"]["state"] == "not-applicable");
    REQUIRE(r->json()["targets"].size() == 1);
    CHECK(r->json()["targets"][0]["dnssec"]["state"] == "not-applicable");
  }
  edit_config(d, "[lookup]\n", "[lookup]\nallow_ip_literal_targets = false\n");
  d.signal(SIGHUP);
  REQUIRE(d.log_has({"config-reload", "\"result\":\"ok\"", "\"pipelines_rebuilt\":true"}));
  TestClient a(d.api_port, client_options("client-a"));
  auto r = a.get(target);
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->json()["verdict"] == "reject");
  CHECK(r->json()["code"] == "insecure-not-allowed");
  CHECK(r->json()["reason"].get<std::string>().find("IP literal") != std::string::npos);
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

// Item 14: Enumservices match by type and subtype together (RFC 6117, as
// Kamailio's enum module matches them); a request naming no service gets
// the tree's set (default: what SBCs accept for SIP, E2U+sip and
// E2U+voice:sip), here widened for tree A with RFC 4769 pstn:sip.
TEST_CASE("authz: enumservices match by type and subtype, the default set is per tree") {
  DaemonProcess d("authz-enumservice");
  d.replace_resolver_text("name = \"private-a\"\n",
                          "name = \"private-a\"\nservice = \"E2U+sip+voice:sip+pstn:sip\"\n");
  d.write_config("");
  REQUIRE(d.start());
  TestClient a(d.api_port, client_options("client-a"));
  const auto uri_of = [&](const std::string& query) -> std::string {
    auto r = a.get("/v1/lookup?number=" + query);
    REQUIRE(r);
    INFO(r->body);
    return r->json().value("uri", "") + "|" + r->json().value("code", "");
  };
  CHECK(uri_of("+12155551260") == "sip:voice@good.peers.example|routed");
  CHECK(uri_of("+12155551261") == "sip:pstn@good.peers.example|routed");
  CHECK(uri_of("+12155551234") == "sip:alice@good.peers.example|routed");
  // A named service is matched exactly.
  CHECK(uri_of("+12155551260&service=E2U+sip") == "|no-usable-record");
  CHECK(uri_of("+12155551260&service=E2U+voice") == "|no-usable-record");
  CHECK(uri_of("+12155551260&service=E2U+voice:sip") == "sip:voice@good.peers.example|routed");
}

// Item 11: an insecure outcome says what the validator found, not one
// fixed text: an unsigned delegation (signed parent, NSEC proof of no DS)
// and a name no trust anchor covers are told apart.
TEST_CASE("authz: insecure outcomes say why: unsigned delegation or no trust anchor") {
  DaemonProcess d("authz-insecure-why");
  d.replace_resolver_text("[[enum.tree]]\nname = \"private-a\"",
                          "[[enum.tree]]\nname = \"unsigned\"\nsuffix = "
                          "\"e164.unsigned.example.\"\npolicy = \"allow-insecure\"\n\n"
                          "[[enum.tree]]\nname = \"private-a\"");
  d.replace_resolver_text("[lookup]\n", "[lookup]\nallow_insecure_targets = true\n");
  d.write_config("");
  REQUIRE(d.start());
  REQUIRE(ctl(d, "client update sbc-a --tree e164.unsigned.example").first == 0);
  // The peer domain: provably insecure.
  TestClient a(d.api_port, client_options("client-a"));
  auto peer = a.get("/v1/route?uri=sip:x@insecure.peers.example");
  REQUIRE(peer);
  INFO(peer->body);
  CHECK(peer->json()["outcome"]["state"] == "insecure");
  const auto why = peer->json()["outcome"]["reason"].get<std::string>();
  CHECK(why.find("unsigned delegation") != std::string::npos);
  CHECK(why.find("insecure.peers.example.") != std::string::npos);
  // The unsigned tree: no anchor at all.
  const auto r =
      poll(d, "client-a", "GET", "/v1/lookup?number=+12155551234", {},
           [](const HttpResponse& h) { return h.json().value("tree", "") == "unsigned"; });
  INFO(r.body);
  CHECK(r.json()["tree"] == "unsigned");
  bool no_anchor = false;
  const auto body = r.json();
  for (const auto& step : body["dnssec"]) {
    if (step["name"].get<std::string>().find("e164.unsigned.example.") == std::string::npos)
      continue;
    no_anchor = step["reason"].get<std::string>().find(
                    "no trust anchor covers 4.3.2.1.5.5.5.5.1.2.1.e164.unsigned.example.") !=
                std::string::npos;
  }
  CHECK(no_anchor);
}

// Item 15: a ported number (RFC 4769 pstn:tel with RFC 4694 rn/npdi) routes
// by its routing number's SED where the store provisions it, and says so.
TEST_CASE("authz: a ported number routes by its routing number and the answer says so") {
  DaemonProcess d("authz-ported");
  d.replace_resolver_text("name = \"private-a\"\n",
                          "name = \"private-a\"\nservice = \"E2U+sip+voice:sip+pstn:tel\"\n");
  d.write_config("");
  REQUIRE(d.start());
  const std::string ported = "/v1/lookup?number=+12155551262";
  {
    // Not provisioned: a tel: URI cannot be located, so no route.
    TestClient a(d.api_port, client_options("client-a"));
    auto r = a.get(ported);
    REQUIRE(r);
    INFO(r->body);
    CHECK(r->json()["verdict"] == "reject");
  }
  for (const std::string cmd :
       {"dest-group add dg-carrier", "number add dg-carrier 12155559999 --kind rn",
        "route-group add rg-carrier --dest-group dg-carrier",
        "sed add rg-carrier --host sip2.good.peers.example --port 5060 --transport tcp",
        "offer add rg-carrier sbc-a"}) {
    INFO(cmd);
    REQUIRE(ctl(d, cmd).first == 0);
  }
  const auto r = poll(d, "client-a", "GET", ported, {}, [](const HttpResponse& h) {
    return h.json().value("verdict", "") == "route";
  });
  INFO(r.body);
  CHECK(r.json()["verdict"] == "route");
  const auto why = r.json()["reason"].get<std::string>();
  CHECK(why.find("ported number") != std::string::npos);
  CHECK(why.find("routing number +12155559999") != std::string::npos);
  CHECK(why.find("dg-carrier") != std::string::npos);
  REQUIRE(r.json()["targets"].size() == 1);
  CHECK(r.json()["targets"][0]["address"] == "127.0.0.12");
  CHECK(r.json()["targets"][0]["port"] == 5060);
  CHECK(r.json()["targets"][0]["transport"] == "tcp");
}

// Item 16: speerctl validates its arguments, and import errors name the line
// and field, not the content.
TEST_CASE("authz: speerctl refuses a bad --since and import errors do not echo input") {
  DaemonProcess d("authz-speerctl");
  for (const std::string since : {"yesterday", "2026-13-01", "2026-02-30", "2026-12-01T25:00",
                                  "2026-12-01 10:00:00 OR 1=1"}) {
    INFO(since);
    auto [rc, out] = ctl(d, "audit list --since '" + since + "' --store " + d.store_uri, false);
    CHECK(rc == 2);
    CHECK(out.find("--since:") != std::string::npos);
    CHECK(out.find(since) == std::string::npos);
  }
  CHECK(ctl(d, "audit list --since 2026-12-01 --store " + d.store_uri, false).first == 0);
  CHECK(ctl(d, "audit list --since 2026-12-01T10:20:30.5Z --store " + d.store_uri, false).first ==
        0);
  CHECK(ctl(d, "audit list --type clients --store " + d.store_uri, false).first == 2);
  // Nothing was changed after 2999: an empty list, not every entry.
  auto [frc, future] = ctl(d, "audit list --since 2999-01-01 --json --store " + d.store_uri, false);
  CHECK(frc == 0);
  CHECK(future.find("sbc-a") == std::string::npos);
  auto [prc, past] = ctl(d, "audit list --since 2000-01-01 --json --store " + d.store_uri, false);
  CHECK(prc == 0);
  CHECK(past.find("sbc-a") != std::string::npos);

  const std::string secret = "SECRET-LINE-CONTENT-0123456789-abcdefghij";
  const std::string csv = d.dir + "/bad.csv";
  const std::string jsonl = d.dir + "/bad.jsonl";
  {
    std::ofstream(csv) << "dest-group,dg-x,\n" << secret << "\n";
    std::ofstream(jsonl) << "{\"type\":\"dest-group\",\"name\":\"" << secret << "\n";
  }
  auto [crc, cout_] = ctl(d, "import " + csv);
  INFO(cout_);
  CHECK(crc == 2);
  CHECK(cout_.find("line 2, field 1 (type)") != std::string::npos);
  CHECK(cout_.find("SECRET") == std::string::npos);
  auto [jrc, jout] = ctl(d, "import " + jsonl);
  INFO(jout);
  CHECK(jrc == 2);
  CHECK(jout.find("line 1: not valid JSON") != std::string::npos);
  CHECK(jout.find("SECRET") == std::string::npos);
}

// Item 9: a tree's own trust_anchor_files are its own: one validator context
// per anchor set, so a tree never validates under another tree's anchor.
TEST_CASE("authz: a tree does not validate under another tree's trust anchor") {
  DaemonProcess d("authz-tree-anchors");
  const std::string anchors = std::string(std::getenv("SPEERD_TESTBED")) + "/anchors/";
  d.drop_resolver_lines("trust_anchor_files");
  d.replace_resolver_text("[dns]\n",
                          "[dns]\ntrust_anchor_files = [\"" + anchors + "peers.example.ds\"]\n");
  // Tree A is given tree B's anchor only; tree B has both zones' anchors.
  d.replace_resolver_text(
      "name = \"private-a\"\n",
      "name = \"private-a\"\ntrust_anchor_files = [\"" + anchors + "e164.tree-b.example.ds\"]\n");
  d.replace_resolver_text("name = \"private-b\"\n",
                          "name = \"private-b\"\ntrust_anchor_files = [\"" + anchors +
                              "e164.example.ds\", \"" + anchors + "e164.tree-b.example.ds\"]\n");
  d.write_config("");
  REQUIRE(d.start());
  TestClient a(d.api_port, client_options("client-a"));
  auto r = a.get(kRouted);
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->json()["verdict"] == "reject");
  CHECK(r->json()["code"] == "insecure-not-allowed");
  CHECK(r->json()["outcome"]["state"] == "insecure");
  // Tree B validates its own zone under its own anchor.
  REQUIRE(ctl(d, "client update sbc-b --tree e164.tree-b.example").first == 0);
  const auto b =
      poll(d, "client-b", "GET", "/v1/lookup?number=+12155559999", {},
           [](const HttpResponse& h) { return h.json().value("tree", "") == "private-b"; });
  INFO(b.body);
  CHECK(b.json()["verdict"] == "route");
  CHECK(b.json()["outcome"]["state"] == "secure");
}

// Item 9: speerctl lookup uses the store's trust anchors as the daemon does.
TEST_CASE("authz: speerctl lookup validates with the store's trust anchors") {
  DaemonProcess d("authz-ctl-anchors");
  d.drop_resolver_lines("trust_anchor_files");
  d.write_config("");
  const std::string anchors = std::string(std::getenv("SPEERD_TESTBED")) + "/anchors/";
  for (const std::string zone : {"e164.example", "peers.example"}) {
    REQUIRE(ctl(d, "trust-anchor add " + zone + ". --file " + anchors + zone + ".ds").first == 0);
  }
  auto [rc, out] = ctl(d, "lookup +12155551234 -c " + d.config + " --store " + d.store_uri, false);
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("dnssec:   secure") != std::string::npos);
}
