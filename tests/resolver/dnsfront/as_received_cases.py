"""[dns_front] naptr_answer = "as-received" end to end (issue 14), a case of
test_dns_frontend.py's lab: a second speerd (second_speerd.py: the same
config but for that row) for as long as the case runs, asked with dig from
the client `sbe`'s source, 127.0.0.1.
"""

import re
import subprocess

import sbelab
import second_speerd


Failed = sbelab.Failed
check = sbelab.check


def enum_name(number):
    return ".".join(reversed(number.lstrip("+"))) + ".e164.example."


def dig(port, number):
    """(status, [regexp of each NAPTR in the answer]) from dig's output."""
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "-b", "127.0.0.1",
                          enum_name(number), "NAPTR", "+tries=1", "+time=10", "+nocookie"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=60).stdout
    m = re.search(r"status: (\w+)", out)
    section = re.search(r";; ANSWER SECTION:\n(.*?)(?:\n\n|\Z)", out, re.S)
    rows = [line.split() for line in (section.group(1).splitlines() if section else [])
            if line and line[0] != ";"]
    # name TTL IN NAPTR order preference flags services regexp replacement
    return (m.group(1) if m else None), [r[8] for r in rows if len(r) >= 10 and r[3] == "NAPTR"], out


def case_as_received(c):
    """The number's RRset as its zone served it: the back-reference rule
    (synthesized: its result), every rule of the RRset (also another
    service's); a route through a non-terminal rule and failures as before."""
    lab = c.lab
    second = second_speerd.start(lab, "received",
                                 lambda toml: toml + 'naptr_answer = "as-received"\n')
    port = second.port
    try:
        status, rules, out = dig(port, "+12155551235")
        check(status == "NOERROR" and rules == [r'"!^\\+1(.*)$!sip:\\1@good.peers.example!"'],
              "not the zone's rule:\n" + out)
        status, rules, out = dig(lab.state["dns_port"], "+12155551235")  # the lab's, synthesized
        check(rules == ['"!^.*$!sip:2155551235@good.peers.example!"'], "synthesized:\n" + out)
        status, rules, out = dig(port, "+12155551234")
        check(status == "NOERROR" and len(rules) == 3 and
              '"!^.*$!mailto:alice@example.com!"' in rules, "not the whole RRset:\n" + out)
        status, rules, out = dig(port, "+12155551238")  # non-terminal -> chain.e164.example.
        check(rules == ['"!^.*$!sip:chained@good.peers.example!"'],
              "a chained route is not synthesized:\n" + out)
        status, rules, out = dig(port, "+12155551299")  # bogus
        check(status == "SERVFAIL" and not rules, "bogus:\n" + out)
    finally:
        second.stop()


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}
