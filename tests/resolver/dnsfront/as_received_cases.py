"""[dns_front] naptr_answer = "as-received" end to end (issue 14), a case of
test_dns_frontend.py's lab: a second speerd on the lab's testbed and store
(its own ports and log, the same config but for that row) for as long as the
case runs, asked with dig from the client `sbe`'s source, 127.0.0.1.
"""

import re
import subprocess
import urllib.request

import sbelab


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


def start_second(lab):
    """The second speerd; returns (process, its DNS port)."""
    s = lab.state
    with open(lab.path("speerd.toml")) as f:
        toml = f.read()
    ports = sbelab.free_ports(5)
    # The quote after each port: 127.0.0.1:432 must not match 127.0.0.1:4321.
    for (host, key), new in zip((("127.0.0.1", "api_port"), ("127.0.0.1", "admin_port"),
                                 ("127.0.0.1", "dns_port"), ("[::1]", "dns_port6"),
                                 ("127.0.0.1", "dot_port")), ports):
        old = '"%s:%d"' % (host, s[key])
        check(old in toml, "%s not in the lab's speerd.toml" % old)
        toml = toml.replace(old, '"%s:%d"' % (host, new))
    toml = toml.replace(lab.path("speerd.log"), lab.path("speerd-received.log"))
    check(toml.rstrip().rsplit("\n[", 1)[-1].startswith("dns_front]"), "[dns_front] is not last")
    toml += 'naptr_answer = "as-received"\n'
    with open(lab.path("speerd-received.toml"), "w") as f:
        f.write(toml)
    err = open(lab.path("speerd-received.stderr"), "w")
    p = subprocess.Popen([lab.speerd, "--config", lab.path("speerd-received.toml")],
                         stdin=subprocess.DEVNULL, stdout=err, stderr=err, start_new_session=True)

    def ready():
        if p.poll() is not None:
            raise Failed("the second speerd exited (%d): %s" % (
                p.returncode, lab.tail("speerd-received.stderr")))
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/readyz" % ports[1], timeout=2) as r:
                return lab.is_ready(r.status, r.read().decode())
        except urllib.error.HTTPError as e:
            return lab.is_ready(e.code, e.read().decode())
        except OSError:
            return False

    try:
        sbelab.wait_for("the second speerd /readyz", ready)
    except BaseException:
        sbelab.stop_pid(p.pid)
        raise
    return p, ports[2]


def case_as_received(c):
    """The number's RRset as its zone served it: the back-reference rule
    (synthesized: its result), every rule of the RRset (also another
    service's); a route through a non-terminal rule and failures as before."""
    lab = c.lab
    p, port = start_second(lab)
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
        sbelab.stop_pid(p.pid)
    err = lab.tail("speerd-received.stderr", 10 ** 6)
    check("Sanitizer" not in err and "runtime error:" not in err, "sanitizer report:\n" + err)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}
