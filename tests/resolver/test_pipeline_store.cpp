// The pipeline's cross-check against a real SED store (SQLite, a temporary
// file), with DNS from the in-memory fake: match, mismatch under strict and
// advisory, no record, store-authoritative, the store vouching for an
// insecure target, and the client scope of the store.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <filesystem>

#include "resolver/pipeline/pipeline.hpp"
#include "sed-store/store.hpp"
#include "tests/resolver/fake_dns.hpp"

using namespace speerd;
using namespace speerd::pipeline;
using namespace speerd::model;
using speerd::dns::rrtype::A;
using speerd::dns::rrtype::NAPTR;
using speerd::testing::FakeDns;

namespace {

// By field name: AddClient grows (sources, issue 14) and a positional list
// would shift.
store::AddClient client(const char* name, const char* cert_name) {
  store::AddClient c;
  c.name = name;
  c.cert_name = cert_name;
  return c;
}

struct StoreFixture {
  std::filesystem::path file;
  std::unique_ptr<store::Store> db;
  std::int64_t client_id = 0;
  std::int64_t other_id = 0;

  StoreFixture() {
    file = std::filesystem::temp_directory_path() /
           ("speerd-pipeline-store-" + std::to_string(::getpid()) + "-" +
            std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".db");
    std::filesystem::remove(file);
    store::OpenOptions o;
    o.create = true;
    auto s = store::open_store("sqlite:" + file.string(), o);
    REQUIRE(s);
    db = std::move(*s);
    std::vector<store::Change> changes{
        client("sbe-a", "sbe-a.example"),
        client("sbe-b", "sbe-b.example"),
        store::AddDestinationGroup{"dg-1215", ""},
        store::AddIdentifier{"dg-1215", store::IdentifierKind::prefix, "1215", ""},
        store::AddRouteGroup{"rg-peer", 10, true, "", {"dg-1215"}},
        store::AddSed{"rg-peer", "", "peer.example", "5060", "udp", 10},
        store::AddOffer{"rg-peer", "sbe-a"},
    };
    auto applied = db->apply(changes, {"test"});
    REQUIRE(applied);
    auto clients = db->list_clients();
    REQUIRE(clients);
    for (const auto& c : *clients) (c.name == "sbe-a" ? client_id : other_id) = c.id;
    REQUIRE(client_id != 0);
  }
  ~StoreFixture() {
    db.reset();
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(file.string() + suffix, ec);
    }
  }
};

struct Fixture : StoreFixture {
  boost::asio::io_context io;
  FakeDns dns{io};
  std::shared_ptr<config::ResolverConfig> cfg = std::make_shared<config::ResolverConfig>();
  std::unique_ptr<Pipeline> p;

  explicit Fixture(config::StorePolicy policy) {
    config::TreeConfig t;
    t.name = "a";
    t.suffix = "e164.test.";
    cfg->trees.push_back(t);
    cfg->lookup.store_policy = policy;
    dns.answer("4.3.2.1.5.1.2.1.e164.test.", NAPTR,
               {R"(100 10 "u" "E2U+sip" "!^.*$!sip:x@peer.example!" .)"}, 600);
    dns.answer("peer.example.", A, {"192.0.2.1"}, 120);
    dns.answer("4.4.4.4.5.1.2.1.e164.test.", NAPTR,
               {R"(100 10 "u" "E2U+sip" "!^.*$!sip:x@elsewhere.example!" .)"}, 600);
    dns.answer("elsewhere.example.", A, {"198.51.100.7"}, 120);
  }
  Pipeline& pipeline() {
    if (!p) {
      PipelineOptions o;
      o.store = db.get();
      o.locator.seed = 1;
      p = std::make_unique<Pipeline>(io, dns, cfg, o);
    }
    return *p;
  }
  LookupResult lookup(const std::string& number, std::int64_t client) {
    LookupResult out;
    pipeline().lookup({number, "", {"c" + std::to_string(client), {"a"}, client}},
                      [&](ResultPtr r) { out = *r; });
    io.restart();
    io.run();
    return out;
  }
};

}  // namespace

TEST_CASE("pipeline store: DNS agrees with the provisioned SED: match") {
  Fixture f(config::StorePolicy::strict);
  auto r = f.lookup("+12151234", f.client_id);
  CHECK(r.verdict == Verdict::route);
  CHECK(r.store.check == StoreCheck::match);
  CHECK_FALSE(r.store.record_id.empty());
}

TEST_CASE("pipeline store: DNS points elsewhere: strict rejects, advisory flags") {
  {
    Fixture f(config::StorePolicy::strict);
    auto r = f.lookup("+12154444", f.client_id);
    CHECK(r.verdict == Verdict::reject);
    CHECK(r.code == reason::kStoreMismatch);
    CHECK(r.store.check == StoreCheck::mismatch);
    CHECK(r.targets.empty());
  }
  Fixture f(config::StorePolicy::advisory);
  auto r = f.lookup("+12154444", f.client_id);
  CHECK(r.verdict == Verdict::route);
  CHECK(r.store.check == StoreCheck::mismatch);
  CHECK(r.targets.at(0).address == "198.51.100.7");
}

TEST_CASE("pipeline store: a client without an offer sees no record") {
  Fixture f(config::StorePolicy::strict);
  auto r = f.lookup("+12151234", f.other_id);
  CHECK(r.verdict == Verdict::route);  // DNS alone, validated
  CHECK(r.store.check == StoreCheck::no_record);
}

TEST_CASE("pipeline store: without a client there is no store check") {
  Fixture f(config::StorePolicy::strict);
  auto r = f.lookup("+12151234", 0);
  CHECK(r.verdict == Verdict::route);
  CHECK(r.store.check == StoreCheck::not_checked);
}

TEST_CASE("pipeline store: store-authoritative answers without an ENUM query") {
  Fixture f(config::StorePolicy::store_authoritative);
  auto r = f.lookup("+12151234", f.client_id);
  CHECK(r.verdict == Verdict::route);
  CHECK(r.store.check == StoreCheck::match);
  // The provisioned host name is located (RFC 3263): a route carries an address.
  REQUIRE(r.targets.size() == 1);
  CHECK(r.targets[0].host == "peer.example");
  CHECK(r.targets[0].address == "192.0.2.1");
  CHECK(r.targets[0].port == 5060);
  CHECK(r.targets[0].transport == "udp");
  CHECK(f.dns.count("4.3.2.1.5.1.2.1.e164.test.", NAPTR) == 0);
  // A number the store does not know still goes to DNS.
  auto other = f.lookup("+19999", f.client_id);
  CHECK(f.dns.total() > 0);
  CHECK(other.store.check == StoreCheck::no_record);
}

TEST_CASE("pipeline store: an insecure target routes when the store provisions it") {
  Fixture f(config::StorePolicy::strict);
  f.dns.answer("peer.example.", A, {"192.0.2.1"}, 120, dns::Outcome::insecure());
  f.dns.answer("elsewhere.example.", A, {"198.51.100.7"}, 120, dns::Outcome::insecure());
  auto vouched = f.lookup("+12151234", f.client_id);
  CHECK(vouched.verdict == Verdict::route);
  CHECK(vouched.store.check == StoreCheck::match);
  CHECK(vouched.outcome.state == dns::Security::insecure);
  // Not provisioned, and insecure: refused.
  auto refused = f.lookup("+12154444", f.client_id);
  CHECK(refused.verdict == Verdict::reject);
  CHECK(refused.code == reason::kInsecureNotAllowed);
  // Provisioned, but the client has no offer: no vouching.
  auto other = f.lookup("+12151234", f.other_id);
  CHECK(other.verdict == Verdict::reject);
}

TEST_CASE("pipeline store: route() cross-checks the URI's host") {
  Fixture f(config::StorePolicy::strict);
  LookupResult out;
  f.pipeline().route({"sip:x@peer.example", {"c", {"a"}, f.client_id}},
                     [&](ResultPtr r) { out = *r; });
  f.io.run();
  CHECK(out.verdict == Verdict::route);
  CHECK(out.store.check == StoreCheck::match);
}
