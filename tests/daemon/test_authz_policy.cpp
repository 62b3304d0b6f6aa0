// Issue 15, DNSSEC and policy (items 9-16), against the real speerd
// process on the signed-zone testbed, and speerctl on its store.
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
