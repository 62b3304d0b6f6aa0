// Shared by the Store contract tests (test_store_*.cpp): change builders and a
// small populated store (two clients, three destination groups, three route
// groups), with lookups that REQUIRE success.
#pragma once

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sed-store/store.hpp"
#include "tests/sed-store/fixture.hpp"

namespace speerd::store::test {

inline constexpr const char* kPin1 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
inline constexpr const char* kDsExample =
    "example. 3600 IN DS 56021 13 2 "
    "2c2ffbe76679e6146c7caafa943beab6ce58fa547922a2cec0199e559cd356a5";

inline AddClient client(std::string name, std::string cert, std::string pin = "") {
  AddClient c;
  c.name = std::move(name);
  c.cert_name = std::move(cert);
  c.spki_pin = std::move(pin);
  c.trees = {"e164.arpa", "E164.Example."};
  return c;
}

inline AddIdentifier number(std::string dg, std::string v) {
  return AddIdentifier{std::move(dg), IdentifierKind::number, std::move(v), {}};
}
inline AddIdentifier range(std::string dg, std::string a, std::string b) {
  return AddIdentifier{std::move(dg), IdentifierKind::range, std::move(a), std::move(b)};
}
inline AddIdentifier prefix(std::string dg, std::string v) {
  return AddIdentifier{std::move(dg), IdentifierKind::prefix, std::move(v), {}};
}
inline AddIdentifier rn(std::string dg, std::string v) {
  return AddIdentifier{std::move(dg), IdentifierKind::routing_number, std::move(v), {}};
}
inline AddRouteGroup route_group(std::string name, int prio, std::vector<std::string> dgs) {
  AddRouteGroup g;
  g.name = std::move(name);
  g.priority = prio;
  g.destination_groups = std::move(dgs);
  return g;
}
inline AddSed hop(std::string rg, std::string host, std::string port, std::string transport,
                  int prio) {
  AddSed s;
  s.route_group = std::move(rg);
  s.host = std::move(host);
  s.port = std::move(port);
  s.transport = std::move(transport);
  s.priority = prio;
  return s;
}
inline AddSed uri(std::string rg, std::string u, int prio) {
  AddSed s;
  s.route_group = std::move(rg);
  s.uri = std::move(u);
  s.priority = prio;
  return s;
}

// Two clients, three destination groups, three route groups: c1 sees rg-a and
// rg-c (both serve dg-a), c2 sees rg-b (serves dg-b); dg-c has no route group.
inline void populate(Store& s) {
  must_apply(s, {
                    client("c1", "CN=sbc1.peer-one.example"),
                    client("c2", "", kPin1),
                    AddDestinationGroup{"dg-a", "numbers of A"},
                    AddDestinationGroup{"dg-b", ""},
                    AddDestinationGroup{"dg-c", ""},
                    number("dg-a", "12155551234"),
                    range("dg-b", "12155550000", "12155559999"),
                    prefix("dg-a", "1215"),
                    prefix("dg-c", "121"),
                    prefix("dg-b", "44"),
                    rn("dg-b", "19999"),
                    route_group("rg-a", 10, {"dg-a"}),
                    route_group("rg-b", 10, {"dg-b"}),
                    route_group("rg-c", 5, {"dg-a"}),
                    uri("rg-a", "sip:peer-a.example", 20),
                    hop("rg-a", "SBC1.Peer-A.Example.", "5061", "TLS", 10),
                    hop("rg-b", "192.0.2.7", "", "", 10),
                    hop("rg-c", "[2001:DB8::9]", "5060", "udp", 1),
                    AddOffer{"rg-a", "c1"},
                    AddOffer{"rg-c", "c1"},
                    AddOffer{"rg-b", "c2"},
                });
}

inline Client must_find_client(Store& s, ClientIdentity::Kind kind, const std::string& v) {
  auto c = s.find_client({kind, v});
  REQUIRE(c.has_value());
  REQUIRE(c->has_value());
  return **c;
}

inline std::optional<Destination> find(Store& s, const std::string& digits, Id client) {
  auto d = s.find_destination(digits, ClientRef{client});
  if (!d) FAIL("find_destination: " << d.error());
  return *d;
}

}  // namespace speerd::store::test
