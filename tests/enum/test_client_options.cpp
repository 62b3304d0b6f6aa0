// enum/client_options: the answer options and dial plan a client may ask
// for (issue 20): one parser for query strings, batch bodies and the store.
#include <catch2/catch.hpp>

#include "enum/client_options.hpp"
#include "enum/e164.hpp"

using namespace speerd::luf;

TEST_CASE("client options: parse, canonical text, errors that name the key") {
  auto o = parse_options(
      "max_targets=2&transport=tcp,udp&view=compact&intl_prefix=011&trunk_prefix=1&"
      "country_code=1");
  REQUIRE(o);
  CHECK(o->view == View::compact);
  CHECK(o->transports == (kUdp | kTcp));
  CHECK(o->max_targets == 2u);
  REQUIRE(o->dial_plan);
  CHECK(o->dial_plan->country_code == "1");
  CHECK(to_text(*o) ==
        "view=compact&transport=udp,tcp&max_targets=2&country_code=1&trunk_prefix=1&"
        "intl_prefix=011");
  CHECK(parse_options(to_text(*o)).value() == *o);
  CHECK(to_text(parse_options("").value()).empty());
  CHECK(parse_options("transport=any").value().transports == 0);

  auto err = [](const char* text) {
    auto r = parse_options(text);
    REQUIRE_FALSE(r);
    return r.error();
  };
  CHECK(err("view=tiny").find("view 'tiny' is not full or compact") != std::string::npos);
  CHECK(err("transport=udp,smoke").find("transport 'smoke'") != std::string::npos);
  CHECK(err("max_targets=65").find("max_targets '65'") != std::string::npos);
  CHECK(err("max_targets=-1").find("max_targets") != std::string::npos);
  CHECK(err("colour=red").find("unknown option 'colour'") != std::string::npos);
  CHECK(err("view").find("not key=value") != std::string::npos);
  CHECK(err("trunk_prefix=0").find("need a country_code") != std::string::npos);
  CHECK(err("country_code=044").find("country_code") != std::string::npos);
  CHECK(err("country_code=44&trunk_prefix=00&intl_prefix=00").find("differ") != std::string::npos);
  CHECK(err("view=\x01").find("'?'") != std::string::npos);  // control bytes not echoed
}

TEST_CASE("client options: a request's options override the client's defaults key by key") {
  const auto stored = parse_options("view=compact&transport=udp&country_code=44").value();
  const auto asked = parse_options("view=full&max_targets=1").value();
  const auto o = stored.over(asked);
  CHECK(o.view == View::full);  // the request wins
  CHECK(o.transports == kUdp);  // kept from the client
  CHECK(o.max_targets == 1u);   // the request adds
  CHECK(o.dial_plan->country_code == "44");
}

TEST_CASE("dial plan: national and '+'-less numbers become E.164") {
  const DialPlan uk{"44", "0", "00"};
  CHECK(apply_dial_plan("+44 20 7946 0000", uk).value() == "+442079460000");
  CHECK(apply_dial_plan("020 7946 0000", uk).value() == "+442079460000");  // trunk prefix
  CHECK(apply_dial_plan("0012155551234", uk).value() == "+12155551234");   // international
  CHECK(apply_dial_plan("442079460000", uk).value() == "+442079460000");   // '+'-less E.164
  CHECK(apply_dial_plan("2079460000", uk).value() == "+442079460000");     // no trunk prefix
  const DialPlan nanp{"1", "1", "011"};
  CHECK(apply_dial_plan("12155551234", nanp).value() == "+12155551234");
  CHECK(apply_dial_plan("(215) 555-1234", nanp).value() == "+12155551234");
  CHECK(apply_dial_plan("011442079460000", nanp).value() == "+442079460000");
  // Whatever comes out is still checked as E.164 by the parser.
  CHECK_FALSE(parse_e164(apply_dial_plan("0000000000000000", uk).value()));
  CHECK_FALSE(apply_dial_plan("12a4", nanp));
  CHECK_FALSE(apply_dial_plan("2155551234", DialPlan{}));  // no plan: no guess
}
