// Unit tests of the server's pieces that need no network: the settings
// table and its parser, query strings, response bytes, the rate limiter
// (with injected time) and the metrics text.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "resolver/server/api.hpp"
#include "resolver/server/http_text.hpp"
#include "resolver/server/result_writer.hpp"
#include "resolver/service/admission.hpp"
#include "resolver/service/errors.hpp"
#include "resolver/service/metrics.hpp"
#include "resolver/service/rate_limiter.hpp"
#include "resolver/service/settings.hpp"

using namespace speerd::server;
using namespace speerd::service;
using namespace std::chrono_literals;

namespace {

speerd::Expected<ServerConfig> parse(const std::string& text) {
  std::istringstream in(text);
  return parse_server_config(toml::parse(in, "speerd.toml"));
}

const std::string kTls = R"(
[tls]
certificate = "s.crt"
private_key = "s.key"
client_ca = "ca.crt"
)";

}  // namespace

TEST_CASE("settings: defaults, and every key of the table parses") {
  auto c = parse(kTls);
  REQUIRE(c);
  CHECK(c->tls.min_version == "1.3");
  CHECK(c->limits.max_connections == 10000);
  CHECK(c->limits.max_connections < 20000);  // below the open-file limit
  CHECK(c->admin.listen == "127.0.0.1:9153");
  const auto text = describe_settings();
  for (const auto& s : settings()) {
    CHECK(text.find(std::string(s.key) + " = ") != std::string::npos);
    CHECK_FALSE(s.help.empty());
  }
}

TEST_CASE("settings: unknown keys, wrong types and bad values are named") {
  auto unknown = parse(kTls + "[limits]\nmax_conections = 5\n");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().find("[limits] max_conections: unknown key") != std::string::npos);
  CHECK(unknown.error().find("speerd.toml:7") != std::string::npos);

  auto type = parse(kTls + "[limits]\nidle_timeout_ms = \"60s\"\n");
  REQUIRE_FALSE(type);
  CHECK(type.error().find("[limits] idle_timeout_ms: expected an integer, got a string") !=
        std::string::npos);

  auto range = parse(kTls + "[limits]\nmax_connections = 50000\n");
  REQUIRE_FALSE(range);
  CHECK(range.error().find("[limits] max_connections: 50000 is outside 1..18000") !=
        std::string::npos);

  auto version = parse(R"(
[tls]
certificate = "a"
private_key = "b"
client_ca = "c"
min_version = "1.1"
)");
  REQUIRE_FALSE(version);
  CHECK(version.error().find("[tls] min_version: \"1.1\" is not one of 1.3, 1.2") !=
        std::string::npos);

  auto missing = parse("[server]\nthreads = 2\n");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("[tls] certificate: required") != std::string::npos);

  auto listen = parse(kTls + "[server]\nlisten = \"nowhere\"\n");
  REQUIRE_FALSE(listen);
  CHECK(listen.error().find("[server] listen") != std::string::npos);

  auto batch = parse(kTls + "[limits]\nmax_batch = 50\nrate_burst = 10\n");
  REQUIRE_FALSE(batch);
  CHECK(batch.error().find("rate_burst") != std::string::npos);
}

TEST_CASE("settings: host:port") {
  CHECK(parse_host_port("127.0.0.1:0")->port == 0);
  CHECK(parse_host_port("[::1]:5443")->host == "::1");
  CHECK_FALSE(parse_host_port("::1:5443:"));
  CHECK_FALSE(parse_host_port("host:99999"));
  CHECK_FALSE(parse_host_port("host"));
}

TEST_CASE("query strings: RFC 3986 decoding, '+' stays a plus") {
  auto q = parse_query("number=+1%20215&service=E2U+sip");
  REQUIRE(q);
  CHECK(*param(*q, "number") == "+1 215");
  CHECK(*param(*q, "service") == "E2U+sip");
  CHECK(parse_query("")->empty());
  CHECK(parse_query("a=1&")->size() == 1);
  CHECK(*param(*parse_query("flag"), "flag") == "");
  CHECK_FALSE(parse_query("a=1&a=2"));
  CHECK_FALSE(parse_query("=1"));
  CHECK_FALSE(parse_query("a=%4"));
  CHECK_FALSE(parse_query("a=%zz"));
  CHECK_FALSE(parse_query("a=%0a"));
  CHECK_FALSE(parse_query("a=" + std::string(2000, 'x')));
  CHECK_FALSE(parse_query("a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9"));
  CHECK(split_target("/v1/lookup?x=1").path == "/v1/lookup");
  CHECK(split_target("/v1/lookup?x=1").query == "x=1");
}

TEST_CASE("input checks") {
  CHECK_FALSE(check_number("+1 (215) 555-1234"));
  CHECK(check_number(""));
  CHECK(check_number("+1215x"));
  CHECK(check_number(std::string(65, '1')));
  CHECK_FALSE(check_service("E2U+sip:x-y.z_1"));
  CHECK(check_service("E2U;sip"));
  CHECK_FALSE(check_uri("sips:alice@peer.example;transport=tls"));
  CHECK(check_uri("sip:a b@x"));
  CHECK(check_uri(""));
}

TEST_CASE("responses: one buffer, JSON errors with stable codes") {
  Response r;
  r.status = 429;
  r.body = error_body(ErrorCode::rate_limited, "slow down");
  r.retry_after_s = 2;
  r.close = true;
  const auto text = serialize(r);
  CHECK(text.rfind("HTTP/1.1 429 Too Many Requests\r\n", 0) == 0);
  CHECK(text.find("Content-Length: " + std::to_string(r.body.size()) + "\r\n") !=
        std::string::npos);
  CHECK(text.find("Retry-After: 2\r\n") != std::string::npos);
  CHECK(text.find("Connection: close\r\n") != std::string::npos);
  CHECK(text.substr(text.size() - r.body.size()) == r.body);
  auto j = nlohmann::json::parse(r.body);
  CHECK(j["error"]["code"] == "rate-limited");
  CHECK(j["error"]["message"] == "slow down");
  // Invalid UTF-8 in a message does not break the JSON.
  CHECK_FALSE(nlohmann::json::parse(error_body(ErrorCode::bad_input, "\xff\xfe"), nullptr, false)
                  .is_discarded());
}

TEST_CASE("rate limiter: burst, refill, Retry-After, one bucket per client") {
  RateLimiter rl;
  const auto t0 = RateLimiter::Clock::time_point{} + 1000s;
  const RateLimit limit{10, 5};
  for (int i = 0; i < 5; ++i) CHECK(rl.acquire("a", limit, 1, t0).allowed);
  auto d = rl.acquire("a", limit, 1, t0);
  CHECK_FALSE(d.allowed);
  CHECK(d.retry_after == 1s);
  CHECK(rl.acquire("b", limit, 1, t0).allowed);          // another client
  CHECK(rl.acquire("a", limit, 1, t0 + 100ms).allowed);  // one token back after 0.1 s
  CHECK_FALSE(rl.acquire("a", limit, 1, t0 + 100ms).allowed);
  CHECK(rl.acquire("a", limit, 5, t0 + 10s).allowed);  // refilled to the burst, not beyond
  CHECK_FALSE(rl.acquire("a", limit, 1, t0 + 10s).allowed);
  // More than the burst never passes, and is not charged.
  const auto big = rl.acquire("c", limit, 50, t0);
  CHECK_FALSE(big.allowed);
  CHECK(big.over_burst);
  CHECK(rl.acquire("c", limit, 5, t0).allowed);  // the bucket was left full
  // A slow rate gives a longer Retry-After.
  const RateLimit slow{1, 1};
  CHECK(rl.acquire("d", slow, 1, t0).allowed);
  CHECK(rl.acquire("d", slow, 1, t0).retry_after == 1s);
  // Full buckets are forgotten.
  CHECK(rl.size() == 4);
  rl.forget_idle(t0 + 1h, 60s);
  CHECK(rl.size() == 0);
}

TEST_CASE("admission: total and per-address caps, released by the ticket") {
  Admission adm;
  auto a1 = adm.admit("192.0.2.1", 3, 2);
  auto a2 = adm.admit("192.0.2.1", 3, 2);
  auto a3 = adm.admit("192.0.2.1", 3, 2);
  REQUIRE(std::holds_alternative<Refused>(a3));
  CHECK(std::get<Refused>(a3) == Refused::per_address);
  auto b1 = adm.admit("192.0.2.2", 3, 2);
  auto b2 = adm.admit("192.0.2.2", 3, 2);
  REQUIRE(std::holds_alternative<Refused>(b2));
  CHECK(std::get<Refused>(b2) == Refused::max_connections);
  CHECK(adm.open() == 3);
  a1 = Refused::draining;  // drops the ticket
  CHECK(adm.open() == 2);
  CHECK(std::holds_alternative<Admission::Ticket>(adm.admit("192.0.2.1", 3, 2)));
  CHECK(adm.open() == 2);  // that ticket was a temporary
}

TEST_CASE("metrics: Prometheus text from the table") {
  Metrics a, b;
  a.inc2(Metric::requests, L(Endpoint::lookup), L(Status::ok), 2);
  b.inc2(Metric::requests, L(Endpoint::lookup), L(Status::ok), 3);
  a.observe(Metric::request_seconds, L(Endpoint::route), 300us);
  a.observe(Metric::request_seconds, L(Endpoint::route), 20ms);
  a.add_gauge(Metric::connections_open, 2);
  b.add_gauge(Metric::connections_open, -1);
  const auto text = render_metrics({&a, &b});
  CHECK(text.find("# TYPE speerd_requests_total counter\n") != std::string::npos);
  CHECK(text.find("speerd_requests_total{endpoint=\"lookup\",status=\"ok\"} 5\n") !=
        std::string::npos);
  CHECK(text.find("speerd_requests_total{endpoint=\"batch\",status=\"ok\"} 0\n") !=
        std::string::npos);
  CHECK(text.find("speerd_connections_open 1\n") != std::string::npos);
  CHECK(
      text.find("speerd_request_duration_seconds_bucket{endpoint=\"route\",le=\"0.00025\"} 0\n") !=
      std::string::npos);
  CHECK(text.find("speerd_request_duration_seconds_bucket{endpoint=\"route\",le=\"0.0005\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("speerd_request_duration_seconds_bucket{endpoint=\"route\",le=\"+Inf\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("speerd_request_duration_seconds_count{endpoint=\"route\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("speerd_request_duration_seconds_sum{endpoint=\"route\"} 0.0203\n") !=
        std::string::npos);
  // Every family's label values match its enum (table order is the contract).
  CHECK(metric_table().size() == static_cast<std::size_t>(Metric::kCount));
  for (std::size_t i = 0; i < metric_table().size(); ++i) {
    CHECK(static_cast<std::size_t>(metric_table()[i].id) == i);
  }
  CHECK(metric_table()[L(Metric::errors)].values[0].size() == kErrors.size());
}

TEST_CASE("result writer: byte for byte what to_json(r).dump() gives") {
  using namespace speerd::pipeline;
  using namespace speerd::model;
  namespace dns = speerd::dns;
  auto same = [](const LookupResult& r) {
    std::string mine;
    write_json(r, mine);
    const auto theirs = to_json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    CHECK(mine == theirs);
  };
  LookupResult empty;
  same(empty);

  LookupResult r;
  r.verdict = Verdict::route;
  r.code = reason::kRouted;
  r.reason =
      "quote \" backslash \\ tab \t newline \n bell \x07 del \x7f e\xcc\x81 \xe2\x82\xac "
      "\xf0\x9f\x98\x80";
  r.number = "+12155551234";
  r.tree = "private-a";
  r.uri = "sip:alice@good.peers.example";
  Target t;
  t.host = "sip1.good.peers.example";
  t.address = "2001:db8::1";
  t.port = 65535;
  t.transport = "tls";
  t.priority = 10;
  t.weight = 60;
  t.outcome = dns::Outcome::bogus("signature expired from 127.0.0.1");
  r.targets = {t, t};
  UriResult u;
  u.uri = r.uri;
  u.order = 100;
  u.preference = 10;
  u.service = "E2U+sip";
  u.status = "used";
  u.targets = {t};
  UriResult v = u;
  v.targets.clear();
  v.status = "unresolved";
  r.uris = {u, v};
  r.ttl = 4294967295u;
  r.outcome = dns::Outcome::indeterminate("timeout", dns::ede::kNoReachableAuthority);
  Step s;
  s.name = "4.3.2.1.5.5.5.5.1.2.1.e164.example.";
  s.type = "NAPTR";
  s.result = "answer";
  s.ttl = 300;
  s.outcome = dns::Outcome::secure();
  Step s2 = s;
  s2.detail = "100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:alice@x!\" .";
  s2.outcome = dns::Outcome::insecure();
  r.dnssec = {s, s2};
  r.store.check = StoreCheck::match;
  r.store.record_id = "sed:42";
  r.store.detail = "provisioned";
  r.cached = true;
  r.stale = true;
  same(r);
  r.store.check = StoreCheck::no_record;
  r.store.detail.clear();
  r.number.clear();
  r.tree.clear();
  same(r);
  // The API form leaves out what only operators need; speerctl's full form has it.
  const auto api = to_json(r);
  const auto full = to_json(r, JsonForm::full);
  CHECK_FALSE(api["dnssec"][1].contains("detail"));
  CHECK(full["dnssec"][1]["detail"] == s2.detail);
  CHECK_FALSE(api["uris"][0].contains("targets"));
  CHECK(full["uris"][0]["targets"].size() == 1);
  CHECK(api["targets"].size() == 2);
  // Not UTF-8: both replace it and stay valid JSON.
  LookupResult bad;
  bad.reason = "\xff\xfe";
  std::string mine;
  write_json(bad, mine);
  CHECK_FALSE(nlohmann::json::parse(mine, nullptr, false).is_discarded());
}
