// Issue 12, item 4: which cached answers a change log entry reaches.
#include <catch2/catch.hpp>

#include "resolver/pipeline/cache.hpp"
#include "resolver/pipeline/invalidation.hpp"

using namespace speerd::pipeline;

namespace {

const std::vector<std::string> kTrees = {"e164.example.", "e164.arpa."};

std::string lookup_key(const std::string& number) {
  ClientScope scope;
  scope.client_id = "sbc-a";
  scope.trees = {"example"};
  return cache_key(scope, "lookup", number, "(default)");
}

std::string route_key(const std::string& uri) {
  ClientScope scope;
  scope.client_id = "sbc-a";
  return cache_key(scope, "route", uri, "");
}

bool hits(const std::string& kind, const std::string& value, const std::string& key,
          const LookupResult* r = nullptr, const std::string& end = {}) {
  return affects(invalidation_of(kind, value, end), key, r, kTrees);
}

}  // namespace

TEST_CASE("a number entry reaches that number only", "[store-resilience]") {
  CHECK(hits("number", "12155551234", lookup_key("+12155551234")));
  CHECK_FALSE(hits("number", "12155551234", lookup_key("+12155551235")));
  CHECK_FALSE(hits("number", "12155551234", lookup_key("+121555512345")));
  CHECK_FALSE(hits("number", "12155551234", route_key("sip:12155551234@peer.example")));
}

TEST_CASE("prefix and range entries reach the numbers they cover", "[store-resilience]") {
  CHECK(hits("prefix", "1215", lookup_key("+12155551234")));
  CHECK_FALSE(hits("prefix", "1216", lookup_key("+12155551234")));
  CHECK(hits("range", "12155551200", lookup_key("+12155551234"), nullptr, "12155551299"));
  CHECK_FALSE(hits("range", "12155551200", lookup_key("+12155551300"), nullptr, "12155551299"));
  // Range bounds have the number's length; a longer number is not in it.
  CHECK_FALSE(hits("range", "12155551200", lookup_key("+121555512345"), nullptr, "12155551299"));
}

TEST_CASE("a destination group entry reaches lookups that matched it and route answers",
          "[store-resilience]") {
  LookupResult matched;
  matched.store.destination_group = "dg-east";
  LookupResult other;
  other.store.destination_group = "dg-west";
  CHECK(hits("destination_group", "dg-east", lookup_key("+12155551234"), &matched));
  CHECK_FALSE(hits("destination_group", "dg-east", lookup_key("+12155551234"), &other));
  CHECK_FALSE(hits("destination_group", "dg-east", lookup_key("+12155551234"), nullptr));
  CHECK(hits("destination_group", "dg-east", route_key("sip:alice@peer.example"), &other));
}

TEST_CASE("a routing number entry reaches lookups routed by it", "[store-resilience]") {
  LookupResult ported;
  ported.store.routing_number = "19999";
  LookupResult plain;
  CHECK(hits("rn", "19999", lookup_key("+12155551234"), &ported));
  CHECK_FALSE(hits("rn", "19999", lookup_key("+12155551234"), &plain));
}

TEST_CASE("a flush reaches a number, a zone's numbers, or everything for a zone under no tree",
          "[store-resilience]") {
  CHECK(hits("flush", "+12155551234", lookup_key("+12155551234")));
  CHECK_FALSE(hits("flush", "+12155551234", lookup_key("+12155551235")));
  CHECK(hits("flush", "5.1.2.1.e164.example", lookup_key("+12155551234")));
  CHECK_FALSE(hits("flush", "6.1.2.1.e164.example.", lookup_key("+12155551234")));
  CHECK(hits("flush", "E164.Example.", lookup_key("+12155551234")));
  CHECK(hits("flush", "peer.example", route_key("sip:alice@peer.example")));
  CHECK(hits("flush", "peer.example", lookup_key("+12155551234")));
}

TEST_CASE("an entry kind this node does not know reaches everything", "[store-resilience]") {
  CHECK(hits("all", "", lookup_key("+12155551234")));
  CHECK(hits("something-newer", "x", lookup_key("+12155551234")));
  CHECK(hits("something-newer", "x", route_key("sip:a@b.example")));
}

TEST_CASE("client, anchor and none entries reach no cached answer", "[store-resilience]") {
  for (const char* kind : {"client", "anchor", "none"}) {
    INFO(kind);
    CHECK_FALSE(hits(kind, "sbc-a", lookup_key("+12155551234")));
    CHECK_FALSE(hits(kind, "sbc-a", route_key("sip:a@b.example")));
  }
}
