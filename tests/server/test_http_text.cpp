// HTTP text of the API (resolver/server/http_text.hpp): query strings, input
// checks, one-buffer responses and JSON errors with stable codes.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "resolver/server/api.hpp"
#include "resolver/server/http_text.hpp"
#include "resolver/service/errors.hpp"

using namespace speerd::server;
using namespace speerd::service;

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
