// Test helpers for the DNS front end's unit tests (test_dnsfront_units,
// test_dnsfront_tsig, test_dnsfront_memo): a NAPTR's wire rdata from its
// presentation form, and a message check_query() must accept. Built with
// ldns, as a zone or a client would.
#pragma once

#include <stdbool.h>  // before ldns, which otherwise defines bool, true and false

#include <ldns/ldns.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>

#include "resolver/dns/ldns_ptr.hpp"
#include "resolver/dnsfront/query.hpp"

namespace speerd::dnsfront::testing {

// The wire rdata of one NAPTR in presentation form (as a zone serves it).
inline std::string naptr_rdata(const std::string& text) {
  ldns_rr* rr = nullptr;
  REQUIRE(ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr) == LDNS_STATUS_OK);
  dns::Buffer b(ldns_buffer_new(512));
  REQUIRE(ldns_rr_rdata2buffer_wire(b.get(), rr) == LDNS_STATUS_OK);
  std::string out(reinterpret_cast<const char*>(ldns_buffer_begin(b.get())),
                  ldns_buffer_position(b.get()));
  ldns_rr_free(rr);
  return out;
}

// `wire` as check_query() reads it; fails the test when it is rejected.
inline Query parsed(const std::vector<std::uint8_t>& wire) {
  auto c = check_query(wire);
  REQUIRE(std::holds_alternative<Query>(c));
  return std::get<Query>(c);
}

}  // namespace speerd::dnsfront::testing
