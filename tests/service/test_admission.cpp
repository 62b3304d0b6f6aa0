// Connection admission (resolver/service/admission.hpp): total and
// per-address caps, released by the ticket.
#include <catch2/catch.hpp>

#include "resolver/service/admission.hpp"

using namespace speerd::service;

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
