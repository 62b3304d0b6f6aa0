// The answer shapes of issue 20 (result_writer's write_answer): the compact
// view's content, the transport filter and first-N, IPv6 literals usable as
// is, and a route the filter empties becoming a reject that says why.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "resolver/server/api.hpp"
#include "resolver/server/result_writer.hpp"

using namespace speerd;
using namespace speerd::server;
using nlohmann::json;

namespace {

model::Target target(std::string host, std::string address, std::uint16_t port,
                     std::string transport) {
  model::Target t;
  t.host = std::move(host);
  t.address = std::move(address);
  t.port = port;
  t.transport = std::move(transport);
  t.outcome = dns::Outcome::secure();
  return t;
}

pipeline::LookupResult routed() {
  pipeline::LookupResult r;
  r.verdict = model::Verdict::route;
  r.code = model::reason::kRouted;
  r.reason = "routed to sip:alice@good.peers.example via tree private-a";
  r.number = "+12155551234";
  r.uri = "sip:alice@good.peers.example";
  r.targets = {target("sip1.good.peers.example", "127.0.0.11", 5061, "tls"),
               target("sip1.good.peers.example", "::1", 5061, "tls"),
               target("sip1.good.peers.example", "127.0.0.11", 5060, "tcp"),
               target("sip1.good.peers.example", "::1", 5060, "udp"),
               target("sip1.good.peers.example", "127.0.0.11", 5060, "udp")};
  r.ttl = 300;
  r.outcome = dns::Outcome::secure();
  model::Step s;
  s.name = "4.3.2.1.5.5.5.5.1.2.1.e164.example.";
  s.type = "NAPTR";
  s.result = "answer";
  s.outcome = dns::Outcome::secure();
  r.dnssec = {s, s, s};
  r.cached = true;
  r.age = 7;
  return r;
}

json answer(const pipeline::LookupResult& r, const AnswerShape& s) {
  std::string out;
  write_answer(r, s, out);
  const auto j = json::parse(out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

}  // namespace

TEST_CASE("answer shape: the compact view has what an SBE routes on, and no chain") {
  AnswerShape s;
  s.view = luf::View::compact;
  const auto j = answer(routed(), s);
  CHECK(j["verdict"] == "route");
  CHECK(j["code"] == "routed");
  CHECK(j["uri"] == "sip:alice@good.peers.example");
  CHECK(j["number"] == "+12155551234");
  CHECK(j["outcome"]["state"] == "secure");
  CHECK(j["age"] == 7);
  CHECK(j["cached"] == true);
  CHECK(j["failure_cache"] == false);
  CHECK_FALSE(j.contains("dnssec"));
  CHECK_FALSE(j.contains("uris"));
  CHECK_FALSE(j.contains("store"));
  CHECK_FALSE(j.contains("reason"));  // routes carry no prose
  REQUIRE(j["targets"].size() == 5);  // max_targets 0 here: all
  CHECK(j["targets"][0] == json{{"address", "127.0.0.11"},
                                {"host", "sip1.good.peers.example"},
                                {"port", 5061},
                                {"transport", "tls"}});
  CHECK(j["targets"][1]["address"] == "[::1]");  // usable as is in a URI
}

TEST_CASE("answer shape: transport filter and first N keep speerd's order") {
  AnswerShape s;
  s.transports = luf::kUdp;
  auto j = answer(routed(), s);  // the full view, filtered
  REQUIRE(j["targets"].size() == 2);
  CHECK(j["targets"][0]["transport"] == "udp");
  CHECK(j["targets"][0]["address"] == "::1");  // the full view keeps the bare literal
  CHECK(j["dnssec"].size() == 3);
  s.view = luf::View::compact;
  s.max_targets = 1;
  j = answer(routed(), s);
  REQUIRE(j["targets"].size() == 1);
  CHECK(j["targets"][0]["address"] == "[::1]");
  s.transports = luf::kTcp | luf::kTls;
  s.max_targets = 2;
  j = answer(routed(), s);
  REQUIRE(j["targets"].size() == 2);
  CHECK(j["targets"][1]["transport"] == "tls");
}

TEST_CASE("answer shape: a route without a usable transport is a reject that says why") {
  auto r = routed();
  r.targets.resize(2);  // TLS only
  AnswerShape s;
  s.transports = luf::kUdp;
  for (auto view : {luf::View::full, luf::View::compact}) {
    s.view = view;
    const auto j = answer(r, s);
    CHECK(j["verdict"] == "reject");
    CHECK(j["code"] == "no-targets");
    CHECK(j["uri"] == "");
    CHECK(j["targets"].empty());
    CHECK(j["reason"].get<std::string>().find("uses transport udp (it offers tls)") !=
          std::string::npos);
  }
}

TEST_CASE("answer shape: the plain full view is write_json, and says the number dialled") {
  const auto r = routed();
  std::string plain, shaped;
  write_json(r, plain);
  write_answer(r, AnswerShape{}, shaped);
  CHECK(plain == shaped);
  AnswerShape s;
  s.dialed = "2155551234";
  CHECK(answer(r, s)["dialed"] == "2155551234");
  s.view = luf::View::compact;
  CHECK(answer(r, s)["dialed"] == "2155551234");
}

TEST_CASE("answer shape: client defaults and request options, and the dial plan") {
  luf::ClientOptions stored = luf::parse_options("view=compact&transport=udp").value();
  auto shape = shape_of(stored);
  CHECK(shape.view == luf::View::compact);
  CHECK(shape.max_targets == kCompactDefaultTargets);
  shape = shape_of(stored.over(luf::parse_options("view=full").value()));
  CHECK(shape.view == luf::View::full);
  CHECK(shape.max_targets == 0);
  CHECK(shape.transports == luf::kUdp);
  CHECK(shape_of(stored.over(luf::parse_options("max_targets=0").value())).max_targets == 0);

  // Without a dial plan a number needs its '+', and the message says so.
  auto e = e164_of("12155551234", {});
  REQUIRE_FALSE(e);
  CHECK(e.error().find("E.164") != std::string::npos);
  CHECK(e.error().find("+12155551234") != std::string::npos);
  const auto plan = luf::parse_options("country_code=1&trunk_prefix=1&intl_prefix=011").value();
  CHECK(e164_of("2155551234", plan).value() == "+12155551234");
  CHECK(e164_of("+12155551234", {}).value() == "+12155551234");
}
