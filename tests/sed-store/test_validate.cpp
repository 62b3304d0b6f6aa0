// validate.hpp: the input rules every stored field passes (pure, no database).
#include <catch2/catch.hpp>

#include "sed-store/validate.hpp"

namespace speerd::store::validate {

TEST_CASE("digits: 1-15 ASCII digits, look-alikes named", "[validate]") {
  CHECK(digits("12155551234").value() == "12155551234");
  CHECK(digits("0").value() == "0");
  CHECK(digits("123456789012345").has_value());
  CHECK_FALSE(digits("1234567890123456"));
  CHECK_FALSE(digits(""));
  CHECK_FALSE(digits("+12155551234"));
  CHECK_FALSE(digits("1215 555"));
  CHECK_FALSE(digits("12a"));
  CHECK_FALSE(
      digits(std::string("12\0"
                         "34",
                         5)));
  CHECK(digits("１２３").error().find("U+FF11") != std::string::npos);
  CHECK(digits("٣").error().find("U+0663") != std::string::npos);
  CHECK(digits("۳").error().find("non-ASCII digit") != std::string::npos);
  CHECK(digits("१").error().find("non-ASCII digit") != std::string::npos);
  CHECK(digits("12\xff").error().find("not UTF-8") != std::string::npos);
  CHECK(digits(std::string(100000, '9')).error().size() < 200);
}

TEST_CASE("names, certificate names, pins", "[validate]") {
  CHECK(name("rg-a.1_x").has_value());
  CHECK_FALSE(name("-a"));
  CHECK_FALSE(name(".a"));
  CHECK_FALSE(name("a b"));
  CHECK_FALSE(name("a'"));
  CHECK_FALSE(name(std::string(65, 'a')));
  CHECK(name(std::string(64, 'a')).has_value());
  CHECK(cert_name("CN=x, O=O'Reilly; --").has_value());
  CHECK_FALSE(cert_name("CN=\tx"));
  CHECK_FALSE(cert_name("CN=x "));
  CHECK_FALSE(cert_name("CN=ü"));
  CHECK(spki_pin("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=").has_value());
  CHECK_FALSE(spki_pin("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV="));  // not canonical
  CHECK_FALSE(spki_pin("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"));
  CHECK_FALSE(spki_pin("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSu%U="));
  CHECK(actor("alice@ops.example").has_value());
  CHECK_FALSE(actor("alice; --"));
  CHECK_FALSE(actor(""));
}

TEST_CASE("domains and hosts are normalized", "[validate]") {
  CHECK(domain("E164.Arpa").value() == "e164.arpa.");
  CHECK(domain("e164.arpa.").value() == "e164.arpa.");
  CHECK(domain(".", true).value() == ".");
  CHECK_FALSE(domain("."));
  CHECK_FALSE(domain("a..b"));
  CHECK_FALSE(domain("-a.b"));
  CHECK_FALSE(domain("a_b.c"));
  CHECK_FALSE(domain(std::string(64, 'a') + ".b"));
  CHECK(host("SBC1.Example.").value() == "sbc1.example");
  CHECK(host("192.0.2.1").value() == "192.0.2.1");
  CHECK_FALSE(host("192.0.2.300"));
  CHECK(host("[2001:DB8:0::1]").value() == "2001:db8::1");
  CHECK(host("2001:db8::1").value() == "2001:db8::1");
  CHECK_FALSE(host("[sbc.example]"));
  CHECK_FALSE(host("sbc example"));
  CHECK_FALSE(host(""));
}

TEST_CASE("ports, transports, priorities", "[validate]") {
  CHECK(port("").value() == 0);
  CHECK(port("5061").value() == 5061);
  CHECK_FALSE(port("0"));
  CHECK_FALSE(port("65536"));
  CHECK_FALSE(port("-1"));
  CHECK_FALSE(port("50 61"));
  CHECK(transport("TLS").value() == "tls");
  CHECK(transport("").value().empty());
  CHECK_FALSE(transport("tcp; --"));
  CHECK(priority(0).value() == 0);
  CHECK_FALSE(priority(-1));
  CHECK_FALSE(priority(65536));
}

TEST_CASE("SIP URIs", "[validate]") {
  auto u = sip_uri("SIP:+12155551234@Peer-A.Example:5070;transport=TCP;lr");
  REQUIRE(u);
  CHECK(u->uri == "sip:+12155551234@peer-a.example:5070;transport=TCP;lr");
  CHECK(u->host == "peer-a.example");
  CHECK(u->port == 5070);
  CHECK(u->transport == "tcp");
  auto v6 = sip_uri("sips:[2001:DB8::1]");
  REQUIRE(v6);
  CHECK(v6->host == "2001:db8::1");
  CHECK(v6->uri == "sips:[2001:db8::1]");
  CHECK_FALSE(sip_uri("tel:+12155551234"));
  CHECK_FALSE(sip_uri("sip:"));
  CHECK_FALSE(sip_uri("sip:x.example?subject=hi"));
  CHECK_FALSE(sip_uri("sip:x.example;transport=bogus"));
  CHECK_FALSE(sip_uri("sip:x.example:99999"));
  CHECK_FALSE(sip_uri("sip:a b@x.example"));
  CHECK_FALSE(sip_uri("sip:x.example;a=\"b\""));
  CHECK_FALSE(sip_uri("sip:@x.example"));
}

TEST_CASE("descriptions take any printable UTF-8", "[validate]") {
  CHECK(description("Zürich – 50% ' OR 1=1 --; \"x\"").has_value());
  CHECK(description("").has_value());
  CHECK_FALSE(description("a\nb"));
  CHECK_FALSE(description(std::string("a\0b", 3)));
  CHECK_FALSE(description("\xc2\x85"));  // C1 control (NEL)
  CHECK_FALSE(description("\xc0\xaf"));  // overlong
  CHECK_FALSE(description(std::string(257, 'x')));
}

TEST_CASE("quote makes any input safe to print", "[validate]") {
  CHECK(quote("abc") == "'abc'");
  CHECK(quote(std::string("a\0'\n", 4)) == "'a\\x00\\x27\\x0a'");
  CHECK(quote(std::string(100, 'x')).find("... (100 bytes)") != std::string::npos);
}

}  // namespace speerd::store::validate
