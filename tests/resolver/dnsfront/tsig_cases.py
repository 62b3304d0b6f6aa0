"""TSIG (RFC 8945) cases of test_dns_frontend.py (its fixture, its lab):
dig -y and kdig -y against speerd. Clients and keys, set up by setup():

    sbe      key sbe.tsig.      (sources 127.0.0.1, ::1; TSIG optional)
    strict   key strict.tsig.   source 127.0.0.4, --tsig-required, tree e164.example

Time skew is a unit case (test_dnsfront_tsig.cpp): dig cannot sign in the
past and faketime is not on the testbed.
"""

import re

import sbelab

SBE_KEY = "sbe.tsig"
SBE_SECRET = "c2JlLXRzaWctc2VjcmV0LWZvci10aGUtZG5zLXRlc3Q="  # 32 bytes
STRICT_KEY = "strict.tsig"
STRICT_SECRET = "c3RyaWN0LXRzaWctc2VjcmV0LWZvci1kbnMtdGVzdHM="
WRONG_SECRET = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZyE="
STRICT_SOURCE = "127.0.0.4"


def setup(lab):
    store = ["--store", lab.state["store"], "--actor", "test"]
    for args in (["client", "tsig", "add", "sbe", "--key-name", SBE_KEY, "--secret", SBE_SECRET],
                 ["client", "add", "strict", "--cert-name", "strict.example", "--tree",
                  "e164.example", "--source", STRICT_SOURCE, "--tsig-required"],
                 ["client", "tsig", "add", "strict", "--key-name", STRICT_KEY,
                  "--secret", STRICT_SECRET]):
        sbelab.sh([lab.speerctl] + args + store)


def y(key, secret):
    return ["-y", "hmac-sha256:%s:%s" % (key, secret)]


def tsig_line(a):
    """The answer's TSIG record as dig/kdig print it (split), or None."""
    for line in a.text.splitlines():
        f = line.split()
        if len(f) > 3 and f[0].rstrip(".") in (SBE_KEY, STRICT_KEY, "nobody.tsig") and \
                "TSIG" in f[:5]:
            return f
    return None


def verified(a):
    """An answer with a TSIG record that dig or kdig did not complain about
    (they print why when it does not verify)."""
    bad = re.search(r"Couldn't verify|verif\w* failed|tsig indicates error|expected a TSIG|"
                    r"WARNING.*TSIG|TSIG.*WARNING", a.text, re.I)
    return tsig_line(a) is not None and bad is None and \
        re.search(r"BADSIG|BADKEY|BADTIME", a.text) is None


def case_tsig_signed_answer(c, h):
    a = c.dig(h.enum_name("+12155551234"), extra=y(SBE_KEY, SBE_SECRET))
    h.check(a.status == "NOERROR" and len(h.naptrs(a)) == 2, "signed query\n%s" % a)
    h.check(verified(a), "the answer's TSIG does not verify (dig)\n%s" % a)
    k = c.kdig(h.enum_name("+12155551234"), extra=y(SBE_KEY, SBE_SECRET))
    h.check(k.status == "NOERROR" and len(h.naptrs(k)) == 2, "kdig signed query\n%s" % k)
    h.check(verified(k), "the answer's TSIG does not verify (kdig)\n%s" % k)


def case_tsig_bad_secret(c, h):
    a = c.dig(h.enum_name("+12155551234"), extra=y(SBE_KEY, WRONG_SECRET))
    h.check(a.status == "NOTAUTH", "a wrong secret is NOTAUTH\n%s" % a)
    h.check("BADSIG" in a.text, "TSIG error BADSIG expected\n%s" % a)
    h.check(not h.naptrs(a), "no data with a bad MAC\n%s" % a)


def case_tsig_unknown_key(c, h):
    a = c.dig(h.enum_name("+12155551234"), extra=y("nobody.tsig", SBE_SECRET))
    h.check(a.status == "NOTAUTH", "an unknown key is NOTAUTH\n%s" % a)
    h.check("BADKEY" in a.text, "TSIG error BADKEY expected\n%s" % a)
    h.check(not h.naptrs(a), "no data with an unknown key\n%s" % a)
    # kdig shows the TSIG error as the status (rcode NOTAUTH + TSIG error BADKEY).
    a = c.kdig(h.enum_name("+12155551234"), extra=y("nobody.tsig", SBE_SECRET))
    h.check(a.status == "BADKEY" and tsig_line(a) and tsig_line(a)[-2] == "BADKEY",
            "kdig: BADKEY expected\n%s" % a)


def case_tsig_required(c, h):
    a = c.dig(h.enum_name("+12155551234"), qtype="TXT", source=STRICT_SOURCE)
    h.check(a.status == "REFUSED", "unsigned from a client that requires TSIG\n%s" % a)
    h.check([e for e, _ in a.ede] == [18], "EDE 18 (Prohibited) expected\n%s" % a)
    a = c.dig(h.enum_name("+12155551234"), qtype="TXT", source=STRICT_SOURCE,
              extra=y(STRICT_KEY, STRICT_SECRET) + ["+tcp"])
    h.check(a.status == "NOERROR" and verified(a), "signed over TCP: served, signed\n%s" % a)


def case_tsig_key_names_the_client(c, h):
    # From no client's prefix, sbe's key: sbe is served.
    a = c.dig(h.enum_name("+12155551234"), source="127.0.0.2", extra=y(SBE_KEY, SBE_SECRET))
    h.check(a.status == "NOERROR" and len(h.naptrs(a)) == 2 and verified(a),
          "the key names its client from any source\n%s" % a)
    # From sbe's prefix with strict's key: two identities, refused (signed).
    a = c.dig(h.enum_name("+12155551234"), extra=y(STRICT_KEY, STRICT_SECRET))
    h.check(a.status == "REFUSED" and [e for e, _ in a.ede] == [18] and verified(a),
          "another client's key from sbe's prefix\n%s" % a)


def case_tsig_truncated_signed(c, h):
    # 12 NAPTRs do not fit 512 bytes: TC=1, and that answer is signed too.
    a = c.dig(h.enum_name("+12155551270"), extra=y(SBE_KEY, SBE_SECRET) +
              ["+bufsize=512", "+ignore"])
    h.check("tc" in a.flags, "TC expected\n%s" % a)
    h.check(verified(a), "the truncated answer is signed\n%s" % a)
    a = c.kdig(h.enum_name("+12155551270"), extra=y(SBE_KEY, SBE_SECRET) + ["+tcp"])
    h.check(a.status == "NOERROR" and len(h.naptrs(a)) == 12 and verified(a),
          "over TCP, the full answer signed\n%s" % a)


def case_tsig_dot(c, h):
    a = c.kdig_tls(h.enum_name("+12155551234"), "kamailio", extra=y(SBE_KEY, SBE_SECRET))
    h.check(a.status == "NOERROR" and len(h.naptrs(a)) == 2 and verified(a),
          "DoT with the certificate's client's key\n%s" % a)
    a = c.kdig_tls(h.enum_name("+12155551234"), "kamailio", extra=y(STRICT_KEY, STRICT_SECRET))
    h.check(a.status == "REFUSED" and [e for e, _ in a.ede] == [18],
          "DoT with another client's key\n%s" % a)


def case_tsig_metrics(c, h):
    series = ['speerd_dns_tsig_total{result="%s"}' % r for r in ("ok", "badsig", "missing")]
    before = [h.metric_sample(c.lab, s) for s in series]
    c.dig(h.enum_name("+12155551234"), qtype="TXT", extra=y(SBE_KEY, SBE_SECRET))
    c.dig(h.enum_name("+12155551234"), qtype="TXT", extra=y(SBE_KEY, WRONG_SECRET))
    c.dig(h.enum_name("+12155551234"), qtype="TXT", source=STRICT_SOURCE)
    after = [h.metric_sample(c.lab, s) for s in series]
    for s, b, a in zip(series, before, after):
        h.check(a >= b + 1, "%s: %s before, %s after" % (s, b, a))


def cases(helpers):
    """The cases by name, each called with the case and `helpers` (check,
    enum_name, naptrs, metric_sample of test_dns_frontend.py)."""
    return {name[5:]: (lambda fn: lambda c: fn(c, helpers))(fn)
            for name, fn in globals().items() if name.startswith("case_")}
