// The whole pipeline (LUF + LRF + policy + cache) against the real testbed:
// NSD serving really signed zones, libunbound validating.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "resolver/dns/health.hpp"
#include "resolver/dns/unbound_client.hpp"
#include "resolver/pipeline/pipeline.hpp"
#include "tests/resolver/testbed.hpp"

using namespace speerd;
using namespace speerd::pipeline;
using namespace speerd::model;
using namespace std::chrono_literals;
using speerd::testing::testbed_config;

namespace {

struct Harness {
  boost::asio::io_context io;
  std::unique_ptr<dns::UnboundClient> client;
  std::shared_ptr<config::ResolverConfig> cfg;
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now();
  std::unique_ptr<Pipeline> p;

  explicit Harness(config::ResolverConfig c, bool keep_received = false)
      : cfg(std::make_shared<config::ResolverConfig>(std::move(c))) {
    auto made = dns::UnboundClient::create(io, cfg->dns);
    REQUIRE(made);
    client = std::move(*made);
    PipelineOptions o;
    o.clock = [this] { return now; };
    o.locator.seed = 7;
    o.keep_received = keep_received;
    p = std::make_unique<Pipeline>(io, *client, cfg, o);
  }
  LookupResult lookup(const std::string& number) {
    LookupResult out;
    p->lookup({number, "", {}}, [&](ResultPtr r) { out = *r; });
    io.restart();
    io.run();
    return out;
  }
};

bool has_step(const LookupResult& r, dns::Security s) {
  for (const auto& st : r.dnssec) {
    if (st.outcome.state == s) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("pipeline testbed: a full secure lookup: ENUM -> NAPTR -> SRV -> A/AAAA") {
  Harness h(testbed_config());
  auto r = h.lookup("+12155551234");
  CHECK(r.verdict == Verdict::route);
  CHECK(r.outcome.state == dns::Security::secure);
  CHECK(r.uri == "sip:alice@good.peers.example");
  REQUIRE_FALSE(r.targets.empty());
  // SIPS+D2T has the lowest NAPTR order at good.peers.example: TLS first.
  CHECK(r.targets.front().transport == "tls");
  CHECK(r.targets.front().port == 5061);
  // The SRV record that named it (the DNS front end's additional section).
  CHECK(r.targets.front().srv == "_sips._tcp.good.peers.example.");
  for (const auto& t : r.targets) CHECK(t.outcome.state == dns::Security::secure);
  CHECK(r.ttl == 300);  // the A/AAAA records' TTL is the smallest on the path
  CHECK(r.dnssec.size() >= 4);
  CHECK(r.uris.size() == 2);
  CHECK(r.uris[1].status == "fallback");
  // The RRset as received only when asked for (a DNS front end answering
  // "as-received"): otherwise cached answers do not carry it.
  CHECK(r.received_naptrs.empty());
  Harness kept(testbed_config(), true);
  const auto k = kept.lookup("+12155551234");
  CHECK(k.received_naptrs.size() == 3);
  CHECK(k.received_owner == "4.3.2.1.5.5.5.5.1.2.1.e164.example.");
}

TEST_CASE("pipeline testbed: peers whose data is bogus never route") {
  Harness h(testbed_config());
  SECTION("tampered") {
    auto r = h.lookup("+12155551240");
    CHECK(r.verdict == Verdict::reject);
    CHECK(r.code == reason::kDnssecBogus);
    CHECK(r.targets.empty());
  }
  SECTION("expired signatures: EDE 7") {
    auto r = h.lookup("+12155551241");
    CHECK(r.verdict == Verdict::reject);
    CHECK(r.code == reason::kDnssecBogus);
    CHECK(r.outcome.ede == std::optional<std::uint16_t>(dns::ede::kSignatureExpired));
  }
  SECTION("stripped signatures") {
    auto r = h.lookup("+12155551242");
    CHECK(r.verdict == Verdict::reject);
    CHECK(r.code == reason::kDnssecBogus);
    CHECK(r.outcome.state == dns::Security::bogus);
  }
}

TEST_CASE("pipeline testbed: an insecure peer domain under both policies") {
  auto cfg = testbed_config();
  {
    Harness h(cfg);
    auto r = h.lookup("+12155551243");
    CHECK(r.verdict == Verdict::reject);
    CHECK(r.code == reason::kInsecureNotAllowed);
  }
  cfg.lookup.allow_insecure_targets = true;
  Harness h(cfg);
  auto r = h.lookup("+12155551243");
  CHECK(r.verdict == Verdict::route);
  CHECK(r.outcome.state == dns::Security::insecure);  // the weakest step decides
  REQUIRE_FALSE(r.targets.empty());
  CHECK(r.targets[0].address == "127.0.0.21");
  CHECK(has_step(r, dns::Security::secure));  // the ENUM step itself was secure
}

TEST_CASE("pipeline testbed: identical concurrent lookups cost one resolution") {
  auto cfg = testbed_config();
  Harness one(cfg);
  REQUIRE(one.lookup("+12155551235").verdict == Verdict::route);
  const auto single = one.client->queries_sent();
  REQUIRE(single >= 3);

  Harness many(cfg);
  int routed = 0;
  for (int i = 0; i < 25; ++i) {
    many.p->lookup({"+12155551235", "", {}},
                   [&](ResultPtr r) { routed += r->verdict == Verdict::route ? 1 : 0; });
  }
  many.io.run();
  CHECK(routed == 25);
  CHECK(many.client->queries_sent() == single);
  CHECK(many.p->stats().resolutions == 1);
}

TEST_CASE("pipeline testbed: cache hits, then expiry by TTL") {
  Harness h(testbed_config());
  REQUIRE(h.lookup("+12155551236").verdict == Verdict::route);
  const auto sent = h.client->queries_sent();
  auto hit = h.lookup("+12155551236");
  CHECK(hit.cached);
  CHECK(h.client->queries_sent() == sent);
  h.now += 301s;
  auto fresh = h.lookup("+12155551236");
  CHECK_FALSE(fresh.cached);
  CHECK(h.client->queries_sent() > sent);
}

TEST_CASE("pipeline testbed: a secure NXDOMAIN is cached as a negative answer") {
  Harness h(testbed_config());
  auto r = h.lookup("+12155550000");
  CHECK(r.code == reason::kNotFound);
  CHECK(r.outcome.state == dns::Security::secure);
  CHECK(r.ttl > 0);
  const auto sent = h.client->queries_sent();
  CHECK(h.lookup("+12155550000").cached);
  CHECK(h.client->queries_sent() == sent);
}

// Failover needs a testbed of its own: it stops the authoritative servers.
TEST_CASE(
    "pipeline testbed: upstream failover, then cached and stale answers, then a clean error") {
  const char* src = std::getenv("SPEERD_SOURCE_DIR");
  REQUIRE(src != nullptr);
  const std::string tb = std::string(std::getenv("SPEERD_BINARY_DIR")) + "/testbed-failover";
  const std::string tool = std::string(src) + "/tools/testbed/testbed";
  REQUIRE(std::system((tool + " start " + tb + " >/dev/null").c_str()) == 0);
  struct Stop {
    std::string cmd;
    ~Stop() { [[maybe_unused]] int rc = std::system(cmd.c_str()); }
  } stop{tool + " stop " + tb + " >/dev/null"};

  auto cfg = config::load_resolver_config(tb + "/speerd.toml");
  REQUIRE(cfg);
  cfg->dns.query_timeout = 4000ms;
  cfg->cache.stale_window = 120;

  // One of two servers down: lookups still succeed.
  REQUIRE(std::system((tool + " stop-instance " + tb + " 1 >/dev/null").c_str()) == 0);
  Harness h(*cfg);
  auto r = h.lookup("+12155551234");
  for (const auto& u : r.uris) INFO(u.uri << ": " << u.status);
  CHECK(r.verdict == Verdict::route);
  CHECK_FALSE(r.cached);

  // Both down. Give the pipeline a fresh libunbound context (no DNS cache of
  // its own), so only speerd's cache can answer.
  REQUIRE(std::system((tool + " stop-instance " + tb + " 2 >/dev/null").c_str()) == 0);
  REQUIRE(h.client->reconfigure(cfg->dns));
  auto cached = h.lookup("+12155551234");
  CHECK(cached.verdict == Verdict::route);
  CHECK(cached.cached);
  CHECK_FALSE(cached.stale);

  h.now += 300s + 60s;  // past the TTL (300), inside the stale window (120)
  auto stale = h.lookup("+12155551234");
  CHECK(stale.verdict == Verdict::route);
  CHECK(stale.stale);
  CHECK(stale.uri == r.uri);

  h.now += 120s;  // past the stale window
  auto gone = h.lookup("+12155551234");
  CHECK(gone.verdict == Verdict::reject);
  CHECK(gone.code == reason::kUpstreamFailure);
  CHECK_FALSE(gone.stale);

  // A server comes back: lookups succeed again once the failure cache's
  // bound for this failure (RFC 9520; [cache] failure_min_ttl) has passed.
  REQUIRE(std::system((tool + " start-instance " + tb + " 2 >/dev/null").c_str()) == 0);
  REQUIRE(h.client->reconfigure(cfg->dns));
  auto held = h.lookup("+12155551234");
  CHECK(held.failure_cached);
  CHECK(held.verdict == Verdict::reject);
  h.now += std::chrono::seconds(cfg->cache.failure_min_ttl);
  auto back = h.lookup("+12155551234");
  CHECK(back.verdict == Verdict::route);
  CHECK_FALSE(back.stale);
}

TEST_CASE("health prober: every server up, then one instance down, then both") {
  const std::string src = std::getenv("SPEERD_SOURCE_DIR");
  const std::string tb = std::string(std::getenv("SPEERD_BINARY_DIR")) + "/testbed-health";
  const std::string tool = src + "/tools/testbed/testbed";
  REQUIRE(std::system((tool + " start " + tb + " >/dev/null").c_str()) == 0);
  struct Stop {
    std::string cmd;
    ~Stop() { [[maybe_unused]] int rc = std::system(cmd.c_str()); }
  } stop{tool + " stop " + tb + " >/dev/null"};
  auto cfg = config::load_resolver_config(tb + "/speerd.toml");
  REQUIRE(cfg);

  boost::asio::io_context io;
  auto prober = dns::HealthProber::create(io, cfg->dns.stubs, 1000ms, 500ms);
  auto probe = [&] {
    bool done = false;
    prober->probe_once([&] { done = true; });
    io.restart();
    io.run();
    REQUIRE(done);
  };
  probe();
  REQUIRE(prober->servers().size() == 2 * cfg->dns.stubs.size());
  for (const auto& s : prober->servers()) {
    INFO(s.zone << " " << s.server << ": " << s.last_error);
    CHECK(s.up);
  }
  CHECK(prober->all_zones_reachable());

  REQUIRE(std::system((tool + " stop-instance " + tb + " 1 >/dev/null").c_str()) == 0);
  probe();
  probe();  // down after two failures in a row
  std::size_t down = 0;
  for (const auto& s : prober->servers()) down += s.up ? 0 : 1;
  CHECK(down == cfg->dns.stubs.size());
  CHECK(prober->all_zones_reachable());

  REQUIRE(std::system((tool + " stop-instance " + tb + " 2 >/dev/null").c_str()) == 0);
  probe();
  probe();
  CHECK_FALSE(prober->all_zones_reachable());
  for (const auto& s : prober->servers()) CHECK_FALSE(s.last_error.empty());
}
