"""Kamailio's stock enum module resolving through speerd's DNS front end
(issue 14; ctest labels `sbe` and `dns-frontend`), in test_sbe.py's lab.

A second Kamailio runs conf/kamailio-enum.cfg as shipped, on its own SIP port,
in its own mount namespace (`unshare -m`) whose /etc/resolv.conf names only
speerd's `[dns_front]` listener on 127.53.0.N:53 (the first N whose port 53 is
free over UDP and TCP): the host's resolv.conf is untouched. speerd knows this
Kamailio by the source address of its queries (the kernel picks 127.0.0.1 for
127.53.0.N), stored as the lab client `sbe`'s source prefix. Its scope is the
lab's (e164.example, e164.tree-b.example); the module asks e164.example.

Needs root (a mount namespace, port 53); without it only these cases fail.
"""

import os
import re
import socket
import subprocess

import sbelab

CONFIG = os.path.join(sbelab.SOURCE, "conf/kamailio-enum.cfg")
SUFFIX = "e164.example."
# Signed into the testbed's e164.example (secure), see dns_records: a URI with
# an IP literal, since the Kamailio's resolver is speerd, which answers ENUM
# trees only (no A/AAAA/SRV for host names).
ROUTED = "+12155557020"    # -> sip:enum@127.0.0.1:<UAS d>
FAILOVER = "+12155557021"  # -> UAS b (busy, 503), then UAS c
SERIAL = "+12155557022"    # -> UAS d (answers), then UAS c
BOGUS = "+12155551299"     # the testbed's ENUM NAPTR altered after signing


Failed = sbelab.Failed
check = sbelab.check


def enum_name(number):
    return ".".join(reversed(number.lstrip("+"))) + "." + SUFFIX


def dns_records(ports):
    """Zone lines for the testbed (TESTBED_EXTRA_RECORDS): the numbers above."""
    rule = '100 %d "u" "E2U+sip" "!^.*$!sip:%s@127.0.0.1:%d!" .'
    return "".join("e164.example. %s 3600 IN NAPTR %s\n" % (enum_name(n), rule % r) for n, r in (
        (ROUTED, (10, "enum", ports["d"])),
        (FAILOVER, (10, "enum-b", ports["b"])),
        (FAILOVER, (20, "enum-c", ports["c"])),
        (SERIAL, (10, "enum-first", ports["d"])),
        (SERIAL, (20, "enum-second", ports["c"]))))


def free_dns_address():
    """127.53.0.N with nothing bound to port 53 (UDP or TCP) on it, nor on
    the wildcard address."""
    for n in range(1, 255):
        addr = "127.53.0.%d" % n
        socks = []
        try:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(socket.AF_INET, kind)
                socks.append(s)
                s.bind((addr, 53))
            return addr
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise sbelab.LabError("no 127.53.0.N with port 53 free")


def setup(lab):
    """Before speerd starts: its DNS front end and the client's source prefix."""
    if os.geteuid() != 0:
        lab.state["enum_error"] = "needs root (unshare -m, port 53)"
        lab.save()
        return
    lab.state["dns_front"] = free_dns_address() + ":53"
    lab.save()
    sbelab.sh([lab.speerctl, "client", "update", "sbe", "--source", "127.0.0.1/32", "--store",
               lab.state["store"], "--actor", "test_sbe"])


def start_kamailio(lab):
    """The enum Kamailio, in its mount namespace (after speerd is up)."""
    s = lab.state
    if s.get("enum_error"):
        return
    resolv = lab.path("resolv.conf")
    with open(resolv, "w") as f:
        f.write("# the enum Kamailio's only name server: speerd (its mount namespace only)\n"
                "nameserver %s\noptions attempts:1 timeout:3\n" % s["dns_front"].rsplit(":", 1)[0])
    run = lab.path("kamailio-enum-run")
    os.makedirs(run, exist_ok=True)
    port = sbelab.free_ports(1)[0]
    args = ["unshare", "-m", "--", "sh", "-c", 'mount --bind "$0" /etc/resolv.conf && exec "$@"',
            resolv, "kamailio", "-f", CONFIG, "-DD", "-E", "-m", "32", "-M", "8", "-Y", run,
            "-A", "ENUM_LISTEN=udp:127.0.0.1:%d" % port, "-A", "ENUM_CHILDREN=2",
            "-A", 'ENUM_SUFFIX="%s"' % SUFFIX, "-A", 'ENUM_CTL="unix:%s/kamailio_ctl"' % run]
    log = open(lab.path("kamailio-enum.log"), "a")
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                         start_new_session=True)
    s.update(kamailio_enum_pid=p.pid, enum_sip_port=port)
    lab.save()

    def ready():
        if p.poll() is not None:
            raise sbelab.LabError("enum Kamailio exited (%d): %s" % (
                p.returncode, lab.tail("kamailio-enum.log")))
        return sbelab.sip_options(port, 0.2) == 200

    sbelab.wait_for("the enum Kamailio to answer OPTIONS", ready)


def running(c):
    s = c.lab.state
    check(not s.get("enum_error"), s.get("enum_error", ""))
    check(s.get("kamailio_enum_pid") and sbelab.alive(s["kamailio_enum_pid"]),
          "the enum Kamailio is not running:\n" + c.lab.tail("kamailio-enum.log"))


def call(c, number, code, went_to):
    c.expect_call(number, code, went_to, sip_port=c.lab.state["enum_sip_port"],
                  kamailio_log="kamailio-enum.log")


def dig_status(lab, number):
    """speerd's rcode for the number's NAPTR, asked as the enum Kamailio asks
    (from 127.0.0.1)."""
    addr = lab.state["dns_front"].rsplit(":", 1)[0]
    out = subprocess.run(["dig", "@" + addr, "-b", "127.0.0.1", enum_name(number), "NAPTR",
                          "+tries=1", "+time=3"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=20).stdout
    m = re.search(r"status: (\w+)", out)
    return m.group(1) if m else None


def last_invite(lab, uas):
    with open(lab.state["uas"][uas]["log"], errors="replace") as f:
        lines = [line.split()[1] for line in f if line.startswith("INVITE sip:")]
    return lines[-1] if lines else None


# --- cases (test_sbe.py adds them as enum_<name>) ---------------------------

def case_routed(c):
    """A secure number: one NAPTR query at speerd (NOERROR), the Request-URI
    is the URI speerd validated, the INVITE reaches UAS d."""
    running(c)
    lab = c.lab
    with open("/etc/resolv.conf") as f:
        check(lab.state["dns_front"].split(":")[0] not in f.read(),
              "the host's /etc/resolv.conf names speerd")
    ok = lab.metric("speerd_dns_queries_total", 'rcode="noerror"')
    call(c, ROUTED, 200, {"d": 1})
    check(lab.metric("speerd_dns_queries_total", 'rcode="noerror"') > ok,
          "speerd answered no NOERROR query: the enum module did not ask it")
    want = "sip:enum@127.0.0.1:%d" % lab.state["uas"]["d"]["port"]
    check(last_invite(lab, "d") == want, "UAS d got %s, not %s" % (last_invite(lab, "d"), want))


def case_failover(c):
    """Two URIs in speerd's order, tried one at a time (serial forking by the
    q values the module sets): when the first answers, the second gets no
    INVITE; when the first (UAS b) answers 503, the call goes to the second."""
    running(c)
    call(c, SERIAL, 200, {"d": 1})
    call(c, FAILOVER, 200, {"b": 1, "c": 1})


def case_bogus(c):
    """A bogus ENUM NAPTR: speerd answers SERVFAIL (EDE 6), the module gets no
    NAPTR, Kamailio answers 404 and relays nothing."""
    running(c)
    lab = c.lab
    servfail = lab.metric("speerd_dns_queries_total", 'rcode="servfail"')
    ede6 = lab.metric("speerd_dns_ede_total", 'code="6"')
    call(c, BOGUS, 404, {})
    check(lab.metric("speerd_dns_queries_total", 'rcode="servfail"') > servfail,
          "speerd answered no SERVFAIL")
    check(lab.metric("speerd_dns_ede_total", 'code="6"') > ede6, "no EDE 6 (DNSSEC Bogus)")
    check("enum: no validated route for %s" % BOGUS in lab.tail("kamailio-enum.log", 20000),
          "the enum Kamailio did not log the failed lookup")


def case_out_of_scope(c):
    """The client's scope narrowed to e164.tree-b.example: the routed number's
    tree is out of scope, speerd answers REFUSED (EDE 18), nothing is relayed;
    with the scope back the call routes again."""
    running(c)
    lab = c.lab
    store = ["--store", lab.state["store"], "--actor", "test_sbe"]
    trees = ["--tree", "e164.example", "--tree", "e164.tree-b.example"]
    sbelab.sh([lab.speerctl, "client", "update", "sbe", "--tree", "e164.tree-b.example"] + store)
    try:
        # Until speerd has the new record (its next store poll).
        sbelab.wait_for("speerd to narrow the scope", lambda: dig_status(lab, ROUTED) == "REFUSED",
                        10)
        refused = lab.metric("speerd_dns_refused_total", 'reason="out_of_scope"')
        ede18 = lab.metric("speerd_dns_ede_total", 'code="18"')
        call(c, ROUTED, 404, {})
        check(lab.metric("speerd_dns_refused_total", 'reason="out_of_scope"') > refused,
              "speerd refused no query as out of scope")
        check(lab.metric("speerd_dns_ede_total", 'code="18"') > ede18, "no EDE 18 (Prohibited)")
    finally:
        sbelab.sh([lab.speerctl, "client", "update", "sbe"] + trees + store)
    sbelab.wait_for("speerd to widen the scope", lambda: dig_status(lab, ROUTED) == "NOERROR", 10)
    call(c, ROUTED, 200, {"d": 1})


CASES = {"enum_" + name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}
