// parse_sip_uri and the transport tables (RFC 3261 19.1, RFC 3263 4.1, RFC 4168,
// RFC 5630, RFC 7118).
#include <catch2/catch.hpp>
#include <string>

#include "resolver/lrf/sip_uri.hpp"

using namespace speerd::lrf;

namespace {

SipUri ok(const std::string& text) {
  auto u = parse_sip_uri(text);
  INFO(text << " -> " << (u ? std::string("ok") : u.error()));
  REQUIRE(u);
  return *u;
}

std::string err(const std::string& text) {
  auto u = parse_sip_uri(text);
  INFO(text);
  REQUIRE_FALSE(u);
  return u.error();
}

}  // namespace

TEST_CASE("SIP URI: user, domain, no port") {
  auto u = ok("sip:alice@Good.Peers.Example");
  CHECK(u.scheme == Scheme::sip);
  CHECK(u.user == "alice");
  CHECK(u.host == "good.peers.example");
  CHECK(u.fqdn() == "good.peers.example.");
  CHECK(u.host_kind == HostKind::domain);
  CHECK_FALSE(u.port);
  CHECK_FALSE(u.transport_param);
  CHECK_FALSE(u.numeric_host());
}

TEST_CASE("SIP URI: scheme is case-insensitive, sips, no user part") {
  CHECK(ok("SIP:example.com").scheme == Scheme::sip);
  CHECK(ok("SiPs:example.com").scheme == Scheme::sips);
  auto u = ok("sips:example.com");
  CHECK(u.user.empty());
  CHECK(u.host == "example.com");
}

TEST_CASE("SIP URI: trailing dot of the host is dropped") {
  CHECK(ok("sip:a@example.com.").host == "example.com");
}

TEST_CASE("SIP URI: telephone-subscriber user part with parameters and escapes") {
  auto u = ok("sip:+1-215-555-1234;phone-context=example.com;x=%41@gw.example.com;user=phone");
  CHECK(u.user == "+1-215-555-1234;phone-context=example.com;x=%41");
  CHECK(u.host == "gw.example.com");
  REQUIRE(u.params.size() == 1);
  CHECK(u.params[0] == std::pair<std::string, std::string>{"user", "phone"});
}

TEST_CASE("SIP URI: the password is dropped") {
  auto u = ok("sip:alice:secret@example.com");
  CHECK(u.user == "alice");
}

TEST_CASE("SIP URI: port, transport, maddr, lr and headers") {
  auto u = ok("sip:alice@example.com:5080;Transport=TCP;lr;maddr=192.0.2.1?subject=hi&x=y");
  CHECK(u.port == 5080);
  CHECK(u.transport_param == "tcp");
  CHECK(u.maddr == "192.0.2.1");
  REQUIRE(u.params.size() == 3);
  CHECK(u.params[0].first == "transport");
  CHECK(u.params[1] == std::pair<std::string, std::string>{"lr", ""});
}

TEST_CASE("SIP URI: IPv4 host") {
  auto u = ok("sip:10.0.0.1:5070");
  CHECK(u.host_kind == HostKind::ipv4);
  CHECK(u.host == "10.0.0.1");
  CHECK(u.port == 5070);
  CHECK(u.numeric_host());
}

TEST_CASE("SIP URI: IPv6 reference, canonicalised") {
  auto u = ok("sips:bob@[2001:DB8:0:0::1]:5061;transport=tcp");
  CHECK(u.host_kind == HostKind::ipv6);
  CHECK(u.host == "2001:db8::1");
  CHECK(u.port == 5061);
  CHECK(ok("sip:[::1]").host == "::1");
}

TEST_CASE("SIP URI: other schemes are refused with a reason") {
  CHECK_THAT(err("tel:+12155551234"), Catch::Contains("unsupported URI scheme 'tel'"));
  CHECK_THAT(err("http://example.com/"), Catch::Contains("unsupported URI scheme"));
  CHECK_THAT(err("mailto:a@example.com"), Catch::Contains("unsupported URI scheme"));
  CHECK_THAT(err("example.com"), Catch::Contains("no scheme"));
  CHECK_THAT(err(""), Catch::Contains("empty"));
}

TEST_CASE("SIP URI: control characters, spaces and non-ASCII are refused with the position") {
  CHECK_THAT(err("sip:alice@example.com\r\nVia: x"), Catch::Contains("position 22"));
  CHECK_THAT(err("sip:alice@example.com\r\nVia: x"), Catch::Contains("\\x0d"));
  CHECK_THAT(err("sip:al ice@example.com"), Catch::Contains("position 7"));
  CHECK_THAT(err(std::string("sip:a@exa\0mple.com", 18)), Catch::Contains("\\x00"));
  CHECK_THAT(err("sip:\xc3\xa9@example.com"), Catch::Contains("U+00E9"));
  CHECK_THAT(err("sip:a@example.com\x7f"), Catch::Contains("position 18"));
}

TEST_CASE("SIP URI: malformed hosts") {
  CHECK_THAT(err("sip:alice@"), Catch::Contains("empty host"));
  CHECK_THAT(err("sip:alice@;transport=tcp"), Catch::Contains("empty host"));
  CHECK_THAT(err("sip:a@-example.com"), Catch::Contains("starts or ends with '-'"));
  CHECK_THAT(err("sip:a@example-.com"), Catch::Contains("starts or ends with '-'"));
  CHECK_THAT(err("sip:a@exa..mple.com"), Catch::Contains("empty label"));
  CHECK_THAT(err("sip:a@" + std::string(64, 'a') + ".com"), Catch::Contains("longer than 63"));
  CHECK_THAT(err("sip:a@ex_ample.com"), Catch::Contains("invalid character '_'"));
  CHECK_THAT(err("sip:a@example.123"), Catch::Contains("must start with a letter"));
  CHECK_THAT(err("sip:a@1.2.3"), Catch::Contains("malformed IPv4"));
  CHECK_THAT(err("sip:a@256.1.1.1"), Catch::Contains("malformed IPv4"));
  CHECK_THAT(err("sip:a@[::1"), Catch::Contains("unterminated IPv6"));
  CHECK_THAT(err("sip:a@[::g]"), Catch::Contains("malformed IPv6"));
  CHECK_THAT(err("sip:a@[fe80::1%25eth0]"), Catch::Contains("malformed IPv6"));
  CHECK_THAT(err("sip:a@[::1]x"), Catch::Contains("invalid character"));
  CHECK_THAT(err("sip:a@exa%41mple.com"), Catch::Contains("invalid character '%'"));
}

TEST_CASE("SIP URI: malformed ports") {
  CHECK_THAT(err("sip:a@example.com:"), Catch::Contains("empty port"));
  CHECK_THAT(err("sip:a@example.com:0"), Catch::Contains("out of range"));
  CHECK_THAT(err("sip:a@example.com:65536"), Catch::Contains("out of range"));
  CHECK_THAT(err("sip:a@example.com:123456"), Catch::Contains("out of range"));
  CHECK_THAT(err("sip:a@example.com:50x0"), Catch::Contains("port"));
  CHECK(ok("sip:a@example.com:65535").port == 65535);
}

TEST_CASE("SIP URI: malformed user part and parameters") {
  CHECK_THAT(err("sip:@example.com"), Catch::Contains("empty user part"));
  CHECK_THAT(err("sip::pw@example.com"), Catch::Contains("empty user part"));
  CHECK_THAT(err("sip:a@b@example.com"), Catch::Contains("more than one '@'"));
  CHECK_THAT(err("sip:a<b@example.com"), Catch::Contains("invalid character '<'"));
  CHECK_THAT(err("sip:a%zz@example.com"), Catch::Contains("malformed %-escape"));
  CHECK_THAT(err("sip:a%4@example.com"), Catch::Contains("malformed %-escape"));
  CHECK_THAT(err("sip:a@example.com;=x"), Catch::Contains("empty parameter name"));
  CHECK_THAT(err("sip:a@example.com;transport="), Catch::Contains("empty parameter value"));
  CHECK_THAT(err("sip:a@example.com;transport=tcp;transport=udp"),
             Catch::Contains("duplicate parameter 'transport'"));
  CHECK_THAT(err("sip:a@example.com;x\"=1"), Catch::Contains("invalid character '\"'"));
  CHECK_THAT(err("sip:a@example.com?x=<y>"), Catch::Contains("invalid character '<'"));
}

TEST_CASE("SIP URI: length limit") {
  const std::string longuser(1100, 'a');
  CHECK_THAT(err("sip:" + longuser + "@example.com"), Catch::Contains("longer than 1024"));
}

TEST_CASE("effective_transport: scheme and the transport= parameter (RFC 5630, RFC 7118)") {
  auto t = [](const std::string& uri) {
    auto u = parse_sip_uri(uri);
    REQUIRE(u);
    return effective_transport(*u);
  };
  CHECK_FALSE(*t("sip:a@example.com"));
  CHECK(*t("sip:a@example.com;transport=udp") == Transport::udp);
  CHECK(*t("sip:a@example.com;transport=tcp") == Transport::tcp);
  CHECK(*t("sip:a@example.com;transport=TLS") == Transport::tls);
  CHECK(*t("sip:a@example.com;transport=sctp") == Transport::sctp);
  CHECK(*t("sip:a@example.com;transport=ws") == Transport::ws);
  CHECK(*t("sip:a@example.com;transport=wss") == Transport::wss);
  CHECK(*t("sips:a@example.com;transport=tcp") == Transport::tls);
  CHECK(*t("sips:a@example.com;transport=tls") == Transport::tls);
  CHECK(*t("sips:a@example.com;transport=sctp") == Transport::tls_sctp);
  CHECK(*t("sips:a@example.com;transport=ws") == Transport::wss);
  auto udp = t("sips:a@example.com;transport=udp");
  REQUIRE_FALSE(udp);
  CHECK_THAT(udp.error(), Catch::Contains("no TLS over UDP"));
  auto other = t("sip:a@example.com;transport=dccp");
  REQUIRE_FALSE(other);
  CHECK_THAT(other.error(), Catch::Contains("unknown transport parameter 'dccp'"));
}

TEST_CASE("transport tables: NAPTR services, SRV names, default ports") {
  CHECK(transport_from_naptr_service("SIP+D2U") == Transport::udp);
  CHECK(transport_from_naptr_service("sip+d2t") == Transport::tcp);
  CHECK(transport_from_naptr_service("SIPS+D2T") == Transport::tls);
  CHECK(transport_from_naptr_service("SIP+D2S") == Transport::sctp);
  CHECK(transport_from_naptr_service("SIPS+D2S") == Transport::tls_sctp);
  CHECK(transport_from_naptr_service("SIP+D2W") == Transport::ws);
  CHECK(transport_from_naptr_service("SIPS+D2W") == Transport::wss);
  CHECK_FALSE(transport_from_naptr_service("SIPS+D2U"));
  CHECK_FALSE(transport_from_naptr_service("E2U+sip"));
  CHECK_FALSE(transport_from_naptr_service("SIP+D2T+X"));
  CHECK(is_sip_naptr_service("SIPS+D2U"));
  CHECK_FALSE(is_sip_naptr_service("E2U+sip"));
  CHECK_FALSE(is_sip_naptr_service("SIPX+D2T"));
  for (Transport t : kAllTransports) {
    CHECK(transport_from_naptr_service(naptr_service(t)) == t);
  }
  CHECK(*srv_prefix(Transport::tls) == "_sips._tcp");
  CHECK(*srv_prefix(Transport::tcp) == "_sip._tcp");
  CHECK(*srv_prefix(Transport::udp) == "_sip._udp");
  CHECK(*srv_prefix(Transport::sctp) == "_sip._sctp");
  CHECK(*srv_prefix(Transport::tls_sctp) == "_sips._sctp");
  CHECK_FALSE(srv_prefix(Transport::ws));
  CHECK(default_port(Transport::udp) == 5060);
  CHECK(default_port(Transport::tcp) == 5060);
  CHECK(default_port(Transport::tls) == 5061);
  CHECK(default_port(Transport::ws) == 80);
  CHECK(default_port(Transport::wss) == 443);
  CHECK(default_transport(Scheme::sip) == Transport::udp);
  CHECK(default_transport(Scheme::sips) == Transport::tls);
  CHECK(is_secure(Transport::tls));
  CHECK(is_secure(Transport::wss));
  CHECK(is_secure(Transport::tls_sctp));
  CHECK_FALSE(is_secure(Transport::tcp));
  CHECK(to_string(Transport::tls_sctp) == "tls-sctp");
}
