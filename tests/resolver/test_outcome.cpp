#include <catch2/catch.hpp>

#include "resolver/dns/outcome.hpp"

using namespace speerd::dns;

TEST_CASE("outcome: the weakest step decides, bogus weakest") {
  const Outcome s = Outcome::secure();
  const Outcome i = Outcome::insecure();
  const Outcome b = Outcome::bogus("validation failure <x. A IN>: signature expired");
  const Outcome d = Outcome::indeterminate("timeout");
  CHECK(weakest(s, i).state == Security::insecure);
  CHECK(weakest(i, s).state == Security::insecure);
  CHECK(weakest(i, d).state == Security::indeterminate);
  CHECK(weakest(d, b).state == Security::bogus);
  CHECK(weakest(b, s).state == Security::bogus);
  CHECK(weakest(s, s).state == Security::secure);
}

TEST_CASE("outcome: a tie keeps the first (earliest) step's reason") {
  const Outcome b1 = Outcome::bogus("first");
  const Outcome b2 = Outcome::bogus("second");
  CHECK(weakest(b1, b2).reason == "first");
}

TEST_CASE("outcome: EDE codes derived from libunbound's why_bogus texts") {
  CHECK(ede_from_reason("validation failure <sip.bogus.example. A IN>: ECDSA signature "
                        "verification failed from 127.0.0.1") == ede::kDnssecBogus);
  CHECK(ede_from_reason("validation failure <x. A IN>: signature expired from 127.0.0.1 for key "
                        "expired.example. while building chain of trust") ==
        ede::kSignatureExpired);
  CHECK(ede_from_reason("validation failure <x. A IN>: signature before inception date") ==
        ede::kSignatureNotYetValid);
  CHECK(ede_from_reason("validation failure <x. A IN>: no signatures from 127.0.0.1") ==
        ede::kRrsigsMissing);
  CHECK(ede_from_reason("validation failure <x. DS IN>: No DNSKEY record from 127.0.0.1") ==
        ede::kDnskeyMissing);
  CHECK(ede_from_reason("anything else") == ede::kDnssecBogus);
  CHECK(Outcome::bogus("signature expired").ede == ede::kSignatureExpired);
}

TEST_CASE("outcome: names") {
  CHECK(to_string(Security::secure) == "secure");
  CHECK(to_string(Security::insecure) == "insecure");
  CHECK(to_string(Security::bogus) == "bogus");
  CHECK(to_string(Security::indeterminate) == "indeterminate");
}
