// The failure cache in the pipeline, against the real testbed (NSD serving
// really signed zones, libunbound validating): a repeated bogus lookup costs
// no DNS work, expires, grows, and is dropped with the result cache. Time is
// injected; the assertions are on counters (issue 20).
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "resolver/dns/unbound_client.hpp"
#include "resolver/pipeline/pipeline.hpp"
#include "tests/resolver/testbed.hpp"

using namespace speerd;
using namespace speerd::pipeline;
using namespace speerd::model;
using namespace std::chrono_literals;
using speerd::testing::testbed_config;

namespace {

const std::string kBogus = "+12155551299";  // NAPTR changed after signing
const std::string kSecure = "+12155551234";

struct Harness {
  boost::asio::io_context io;
  std::unique_ptr<dns::UnboundClient> client;
  std::shared_ptr<config::ResolverConfig> cfg;
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now();
  std::unique_ptr<Pipeline> p;

  explicit Harness(config::ResolverConfig c)
      : cfg(std::make_shared<config::ResolverConfig>(std::move(c))) {
    cfg->cache.failure_min_ttl = 5;
    cfg->cache.failure_max_ttl = 300;
    auto made = dns::UnboundClient::create(io, cfg->dns);
    REQUIRE(made);
    client = std::move(*made);
    PipelineOptions o;
    o.clock = [this] { return now; };
    p = std::make_unique<Pipeline>(io, *client, cfg, o);
  }
  LookupResult lookup(const std::string& number, ClientScope scope = {}) {
    LookupResult out;
    p->lookup({number, "", std::move(scope)}, [&](ResultPtr r) { out = *r; });
    io.restart();
    io.run();
    return out;
  }
};

}  // namespace

TEST_CASE("failure cache testbed: a second bogus lookup is served from the failure cache") {
  Harness h(testbed_config());
  const auto first = h.lookup(kBogus);
  CHECK(first.code == reason::kDnssecBogus);
  CHECK_FALSE(first.failure_cached);
  CHECK(h.p->stats().resolutions == 1);
  CHECK(h.p->failure_cache().stats().inserts == 1);

  h.now += 2s;
  const auto second = h.lookup(kBogus);
  CHECK(second.failure_cached);
  CHECK(second.age == 2);
  CHECK(second.verdict == Verdict::reject);
  CHECK(second.code == reason::kDnssecBogus);
  CHECK(second.outcome.state == dns::Security::bogus);
  CHECK(second.targets.empty());
  CHECK(h.p->stats().resolutions == 1);  // no DNS work
  CHECK(h.p->failure_cache().stats().hits == 1);

  // Per client scope: another client's lookup is its own entry.
  const auto other = h.lookup(kBogus, {"sbc-x", {"private-a", "private-b"}, 0});
  CHECK_FALSE(other.failure_cached);
  CHECK(h.p->stats().resolutions == 2);

  // Expired: resolved again, and kept twice as long as the failure persists.
  h.now += 4s;
  const auto third = h.lookup(kBogus);
  CHECK_FALSE(third.failure_cached);
  CHECK(h.p->stats().resolutions == 3);
  CHECK(h.p->failure_cache().stats().expiries == 1);
  CHECK(h.lookup(kBogus).ttl == 10);

  // A secure answer never enters it.
  CHECK(h.lookup(kSecure).verdict == Verdict::route);
  CHECK(h.p->failure_cache().stats().inserts == 3);

  // A store change (the daemon's drop_cache) drops failures at once.
  const auto dropped_before = h.p->failure_cache().stats().dropped;
  h.p->drop_cache();
  CHECK(h.p->failure_cache().stats().entries == 0);
  CHECK(h.p->failure_cache().stats().dropped > dropped_before);
  CHECK_FALSE(h.lookup(kBogus).failure_cached);
  CHECK(h.p->stats().resolutions == 5);
}

TEST_CASE("failure cache testbed: a bogus peer location is cached as a failure, never a route") {
  Harness h(testbed_config());
  const auto first = h.lookup("+12155551241");  // ENUM secure, peer zone expired (bogus)
  CHECK(first.verdict == Verdict::reject);
  CHECK(first.outcome.state == dns::Security::bogus);
  const auto second = h.lookup("+12155551241");
  CHECK(second.failure_cached);
  CHECK(second.verdict == Verdict::reject);
  CHECK(second.uri.empty());
  CHECK(h.p->stats().resolutions == 1);
}
