// The daemon settings table (resolver/service/settings.hpp): defaults, every
// key parses, bad keys, types and values are named, host:port.
#include <catch2/catch.hpp>

#include "resolver/service/settings.hpp"

using namespace speerd::service;

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
