"""[dns_front] additional_next_hops = true end to end (issue 14), a case of
test_dns_frontend.py's lab: a second speerd (second_speerd.py) with that row,
asked with dig from the client `sbe`'s source, 127.0.0.1. The testbed's
good.peers.example. has NAPTR -> SRV -> A/AAAA (tools/testbed/ZONES.md).
"""

import re
import subprocess

import sbelab
import second_speerd


check = sbelab.check


def dig(port, name, extra=()):
    """(dig's text, {section: [fields of each record]})."""
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "-b", "127.0.0.1", name, "NAPTR",
                          "+tries=1", "+time=10", "+nocookie"] + list(extra),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=60).stdout
    sections = {}
    for title, body in re.findall(r";; (\w+) SECTION:\n(.*?)(?:\n\n|\Z)", out, re.S):
        sections[title] = [line.split() for line in body.splitlines() if line and line[0] != ";"]
    return out, sections


def case_additional_next_hops(c):
    """The routed number's answer carries its next hops: every SRV record of
    good.peers.example. that named a target, and each target host's address
    records; the lab's own speerd (row off) sends none."""
    lab = c.lab
    name = ".".join(reversed("12155551234")) + ".e164.example."
    out, plain = dig(lab.state["dns_port"], name)
    check("status: NOERROR" in out and "ADDITIONAL" not in plain, "row off:\n" + out)
    second = second_speerd.start(lab, "additional",
                                 lambda toml: toml + "additional_next_hops = true\n")
    try:
        out, s = dig(second.port, name, ["+dnssec"])
        check("status: NOERROR" in out and len(s.get("ANSWER", [])) == 2, "answer:\n" + out)
        extra = s.get("ADDITIONAL", [])
        srv = [r for r in extra if len(r) == 8 and r[3] == "SRV"]
        addresses = {r[0]: r[4] for r in extra if len(r) == 5 and r[3] in ("A", "AAAA")}
        check(srv and all(r[0].endswith("good.peers.example.") for r in srv),
              "no SRV record of good.peers.example.:\n" + out)
        for r in srv:
            check(r[7] in addresses, "SRV target %s without its address:\n%s" % (r[7], out))
        check(len(extra) == len({tuple(r) for r in extra}), "a record twice:\n" + out)
        ttl = int(s["ANSWER"][0][1])
        check(all(int(r[1]) == ttl for r in extra if r[3] != "OPT"),
              "additional TTLs differ from the answer's:\n" + out)
        check(re.search(r";; flags: [a-z ]*\bad\b", out), "AD not set:\n" + out)
    finally:
        second.stop()


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}
