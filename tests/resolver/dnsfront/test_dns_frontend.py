#!/usr/bin/env python3
"""ENUM over DNS end to end (issue 14, ctest label `dns-frontend`).

    test_dns_frontend.py LAB BUILD start   fixture: testbed, PKI, store, speerd
                                            with [dns_front] on 127.0.0.1 and ::1
    test_dns_frontend.py LAB BUILD stop    fixture cleanup
    test_dns_frontend.py LAB BUILD CASE    one case (see CASES); exit 0 iff it passes
    test_dns_frontend.py --list            the cases (one ctest each)

Real clients: dig (bind9-dnsutils) and kdig (knot-dnsutils) against the real
daemon on the signed-zone testbed. One lab per ctest run; the cases only
read, so they share it. Clients, by source address:

    127.0.0.1, ::1   sbe     trees e164.example, e164.tree-b.example,
                             e164.unsigned.example (require-secure here)
    127.0.0.3        narrow  tree e164.tree-b.example only
    127.0.0.2        (no client: unknown source)
    127.0.0.4        strict  TSIG required (keys: tsig_cases.py)

Over DNS over TLS (127.0.0.1, its own port; the cases: dot_cases.py) by
client certificate, from the lab's PKI (tools/pki/mkpki and sbelab's extra certificates):

    kamailio.crt         sbe (SAN DNS sbe-kamailio.example)
    client-b.crt         narrow (SAN DNS sbc-b.example)
    client-unknown.crt   valid, no client record
    client-otherca.crt   from a CA speerd does not trust
"""

import json
import os
import re
import socket
import struct
import subprocess
import sys
import types

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../tools/sbe"))
import sbelab  # noqa: E402
import as_received_cases  # noqa: E402  (naptr_answer = "as-received", a second speerd)
import dot_cases  # noqa: E402  (DNS over TLS)
import rrl_cases  # noqa: E402  (UDP response-rate limiting)
import additional_cases  # noqa: E402  (SRV/A/AAAA of the next hops)
import trace_cases  # noqa: E402  (speerctl trace --dns)
import tsig_cases  # noqa: E402
import dot_reload_cases  # noqa: E402  (DoT: CRL reload, connection cap, client disabled)


Failed = sbelab.Failed
check = sbelab.check


def enum_name(number, tree="e164.example."):
    return ".".join(reversed(number.lstrip("+"))) + "." + tree


class DnsLab(sbelab.Lab):
    """The SBE lab's testbed, PKI and store, speerd with a DNS front end."""

    def write_speerd_config(self):
        super().write_speerd_config()
        s = self.state
        with open(self.path("speerd.toml")) as f:
            toml = f.read()
        # The unsigned tree, under require-secure: its answers are insecure. That
        # keeps /readyz at 503 (the priming check wants every require-secure tree
        # to answer secure), which is_ready and case_readyz_names_the_tree expect.
        toml = toml.replace("[lookup]\n", '[[enum.tree]]\nname = "unsigned"\n'
                            'suffix = "e164.unsigned.example."\npolicy = "require-secure"\n\n'
                            "[lookup]\n", 1)
        toml += ('\n[dns_front]\nenabled = true\nlisten = ["127.0.0.1:%d", "[::1]:%d"]\n'
                 "max_udp_size = 1232\nnegative_ttl_s = 60\ntcp_idle_timeout_ms = 2000\n"
                 "tcp_max_inflight = 8\ntls_listen = [\"127.0.0.1:%d\"]\n"
                 "tls_handshake_timeout_ms = 1000\n"
                 "rrl_responses_per_second = 100\nrrl_slip = 2\n" % (s["dns_port"], s["dns_port6"],
                                                       s["dot_port"]))
        with open(self.path("speerd.toml"), "w") as f:
            f.write(toml)


    def is_ready(self, status, body):
        """Ready but for the deliberately insecure tree: every /readyz check ok,
        except priming, which names that tree."""
        try:
            checks = json.loads(body)["checks"]
        except (ValueError, KeyError):
            return False
        bad = {k: v for k, v in checks.items() if v != "ok"}
        return status == 503 and list(bad) == ["priming"] and UNSIGNED_PRIMING in bad["priming"]


UNSIGNED_PRIMING = "tree unsigned: SOA e164.unsigned.example.: insecure"


class Answer:
    """dig's or kdig's text output, read back."""

    def __init__(self, text):
        self.text = text
        m = re.search(r"status: (\w+)", text)
        self.status = m.group(1) if m else None
        m = re.search(r";; [Ff]lags: ([a-z ]*);", text)  # dig, kdig
        self.flags = set(m.group(1).split()) if m else set()
        self.ede = [(int(c), t) for c, t in re.findall(r"EDE: (\d+)[^:\n]*(?::\s*\((.*)\))?", text)]
        self.answer = self._section("ANSWER")
        self.authority = self._section("AUTHORITY")

    def _section(self, name):
        m = re.search(r";; %s SECTION:\n(.*?)(?:\n\n|\Z)" % name, self.text, re.S)
        if not m:
            return []
        return [line.split() for line in m.group(1).splitlines() if line and line[0] != ";"]

    def __str__(self):
        return self.text


class Case:
    def __init__(self, lab):
        self.lab = lab

    def dig(self, name, qtype="NAPTR", source="127.0.0.1", server="127.0.0.1", extra=()):
        port = self.lab.state["dns_port6" if ":" in server else "dns_port"]
        out = subprocess.run(
            ["dig", "@" + server, "-p", str(port), "-b", source, name, qtype, "+tries=1",
             "+time=10", "+nocookie"] + list(extra),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60, text=True)
        return Answer(out.stdout)

    def kdig(self, name, qtype="NAPTR", extra=(), port="dns_port"):
        out = subprocess.run(
            ["kdig", "@127.0.0.1", "-p", str(self.lab.state[port]), name, qtype,
             "+retry=0", "+timeout=10"] + list(extra),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60, text=True)
        return Answer(out.stdout)

    def tls_flags(self, cert, dig=False):
        """The flags of an authenticated DoT query: speerd's CA and name, and
        the client certificate `cert` (None: none)."""
        pki = self.lab.pki
        out = ["+tls-ca=" + pki("ca.crt"), "+tls-hostname=localhost"]
        if dig:
            out.insert(0, "+tls")
        if cert:
            out += ["+tls-certfile=" + pki(cert + ".crt"), "+tls-keyfile=" + pki(cert + ".key")]
        return out

    def kdig_tls(self, name, cert, qtype="NAPTR", extra=()):
        return self.kdig(name, qtype, self.tls_flags(cert) + list(extra), port="dot_port")

    def dig_tls(self, name, cert, qtype="NAPTR", extra=()):
        out = subprocess.run(
            ["dig", "@127.0.0.1", "-p", str(self.lab.state["dot_port"]), name, qtype,
             "+tries=1", "+time=10"] + self.tls_flags(cert, dig=True) + list(extra),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60, text=True)
        return Answer(out.stdout)


def start(lab):
    # narrow's certificate name is client-b.crt's SAN: the same client over
    # UDP/TCP (by source) and over DoT (by certificate).
    lab.create("client,narrow,sbc-b.example,,1000,1000,true,e164.tree-b.example,DNS only\n")
    for args in (["client", "update", "sbe", "--source", "127.0.0.1", "--source", "::1",
                  "--tree", "e164.example", "--tree", "e164.tree-b.example",
                  "--tree", "e164.unsigned.example"],
                 ["client", "update", "narrow", "--source", "127.0.0.3/32"]):
        sbelab.sh([lab.speerctl] + args + ["--store", lab.state["store"], "--actor", "test"])
    tsig_cases.setup(lab)
    port, port6, dot = sbelab.free_ports(3)
    lab.state.update(dns_port=port, dns_port6=port6, dot_port=dot)
    lab.save()
    lab.start_speerd()


# --- the answers ------------------------------------------------------------

def naptrs(a):
    return [r for r in a.answer if len(r) >= 4 and r[3] == "NAPTR"]


def case_routed(c):
    a = c.dig(enum_name("+12155551234"), extra=["+dnssec"])
    check(a.status == "NOERROR", "status %s\n%s" % (a.status, a))
    rules = naptrs(a)
    check(len(rules) == 2, "two E2U+sip rules expected\n%s" % a)
    # Terminal rules in speerd's order, the URI the pipeline validated.
    # name TTL IN NAPTR order preference flags services regexp replacement
    check([r[8] for r in rules] == ['"!^.*$!sip:alice@good.peers.example!"',
                                    '"!^.*$!sip:alice-backup@good.peers.example!"'],
          "regexps\n%s" % a)
    check(all(r[6] == '"u"' and r[7] == '"E2U+sip"' and r[9] == "." for r in rules),
          "terminal rules: flags u, the enumservice, replacement .\n%s" % a)
    check(int(rules[0][4]) < int(rules[1][4]), "order does not keep speerd's order\n%s" % a)
    # TTL no longer than the shortest behind it (A/AAAA of the targets: 300).
    check(all(int(r[1]) <= 300 for r in rules), "TTL above 300\n%s" % a)
    check("ad" in a.flags, "every step secure and DO set, yet no AD\n%s" % a)
    check("aa" not in a.flags, "speerd is not the zone's authority\n%s" % a)


def case_ad_only_when_asked(c):
    a = c.dig(enum_name("+12155551234"), extra=["+noadflag"])
    check(a.status == "NOERROR" and len(naptrs(a)) == 2, "answer\n%s" % a)
    check("ad" not in a.flags, "AD set though the client set neither AD nor DO\n%s" % a)
    a = c.dig(enum_name("+12155551234"), extra=["+adflag"])
    check("ad" in a.flags, "AD asked for with the AD bit (RFC 6840 5.7), not set\n%s" % a)


def case_ipv6(c):
    a = c.dig(enum_name("+12155551234"), source="::1", server="::1")
    check(a.status == "NOERROR" and len(naptrs(a)) == 2, "over IPv6\n%s" % a)


def case_tree_b(c):
    a = c.dig(enum_name("+12155559999", "e164.tree-b.example."))
    check(a.status == "NOERROR", "status\n%s" % a)
    check([r[8] for r in naptrs(a)] == ['"!^.*$!sip:treeb@good.peers.example!"'], "rule\n%s" % a)


def case_tree_b_not_shadowed(c):
    # The query names tree B: tree A's answer for the same number is not it.
    a = c.dig(enum_name("+12155551234", "e164.tree-b.example."))
    check([r[8] for r in naptrs(a)] == ['"!^.*$!sip:alice-treeb@good.peers.example!"'],
          "tree B's own rule expected\n%s" % a)


def case_kdig(c):
    a = c.kdig(enum_name("+12155551234"), extra=["+dnssec"])
    check(a.status == "NOERROR", "kdig status\n%s" % a)
    check(len(naptrs(a)) == 2, "kdig NAPTRs\n%s" % a)


# --- failures, in DNS terms -------------------------------------------------

def expect(a, status, ede=None, text=None, answers=0):
    check(a.status == status, "status %s, expected %s\n%s" % (a.status, status, a))
    check(len(a.answer) == answers, "%d answer records, expected %d\n%s" % (
        len(a.answer), answers, a))
    codes = [e[0] for e in a.ede]
    if ede is None:
        check(codes == [], "unexpected EDE %s\n%s" % (codes, a))
    else:
        check(ede in codes, "EDE %s expected, got %s\n%s" % (ede, codes, a))
    if text:
        check(any(text in (e[1] or "") for e in a.ede), "EXTRA-TEXT without %r\n%s" % (text, a))


def case_bogus(c):
    a = c.dig(enum_name("+12155551299"), extra=["+dnssec"])
    expect(a, "SERVFAIL", 6, "dnssec-bogus")


def case_bogus_target(c):
    # The ENUM step is secure, the peer's NAPTR is bogus: no route, no data.
    a = c.dig(enum_name("+12155551240"))
    check(a.status == "SERVFAIL", "status\n%s" % a)
    check(len(a.answer) == 0, "data for a bogus route\n%s" % a)


def case_insecure_forbidden(c):
    a = c.dig(enum_name("+12155551234", "e164.unsigned.example."))
    expect(a, "SERVFAIL", 15, "insecure-not-allowed")


def case_readyz_names_the_tree(c):
    """The node is not ready while a require-secure tree answers insecure, and
    /readyz says which tree; every other check is ok (the DNS front end answers
    all the same, as the other cases show)."""
    status, body = c.lab.admin("/readyz")
    check(status == 503, "/readyz %s: %s" % (status, body))
    checks = json.loads(body)["checks"]
    check(UNSIGNED_PRIMING in checks["priming"], "priming: %s" % checks["priming"])
    others = {k: v for k, v in checks.items() if k != "priming" and v != "ok"}
    check(not others, "other checks not ok: %s" % others)


def case_out_of_scope(c):
    a = c.dig(enum_name("+12155551234"), source="127.0.0.3")
    expect(a, "REFUSED", 18)
    a = c.dig(enum_name("+12155559999", "e164.tree-b.example."), source="127.0.0.3")
    check(a.status == "NOERROR" and len(naptrs(a)) == 1, "narrow's own tree\n%s" % a)


def case_unknown_source(c):
    a = c.dig(enum_name("+12155551234"), source="127.0.0.2")
    expect(a, "REFUSED")
    check(a.authority == [], "data for an unknown source\n%s" % a)


def case_out_of_tree(c):
    for name in ["www.example.com.", "e164.arpa.", "good.peers.example."]:
        a = c.dig(name, "A")
        expect(a, "REFUSED", 20)
        check("ra" not in a.flags, "an open resolver would say RA\n%s" % a)


def soa(a):
    return [r for r in a.authority if len(r) >= 4 and r[3] == "SOA"]


def case_nxdomain(c):
    a = c.dig(enum_name("+12155550000"), extra=["+dnssec"])
    expect(a, "NXDOMAIN")
    s = soa(a)
    check(len(s) == 1 and s[0][0] == "e164.example.", "SOA of the tree in authority\n%s" % a)
    check(int(s[0][1]) <= 60 and int(s[0][-1]) <= 60, "SOA TTL/minimum above 60\n%s" % a)
    check("ad" in a.flags, "secure denial, DO set, no AD\n%s" % a)


def case_nodata(c):
    a = c.dig(enum_name("+1215555123"))
    expect(a, "NOERROR")
    check(len(soa(a)) == 1, "SOA in authority\n%s" % a)


def case_other_qtype(c):
    for qtype in ["A", "AAAA", "SRV", "TXT"]:
        a = c.dig(enum_name("+12155551234"), qtype)
        expect(a, "NOERROR")
        check(len(soa(a)) == 1, "%s: SOA in authority\n%s" % (qtype, a))


def case_any(c):
    a = c.dig(enum_name("+12155551234"), "ANY")
    expect(a, "NOERROR", answers=1)
    r = a.answer[0]
    check(r[3] == "HINFO" and r[4] == '"RFC8482"', "RFC 8482 HINFO expected\n%s" % a)


def udp_raw(c, payload, source="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(10)
    s.bind((source, 0))
    s.sendto(payload, ("127.0.0.1", c.lab.state["dns_port"]))
    try:
        return s.recv(65535)
    finally:
        s.close()


def query_wire(qid, name, qtype=35, opcode=0, flags=0x0100):
    """A query built by the test itself (the product builds with ldns)."""
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"
    return struct.pack(">HHHHHH", qid, flags | (opcode << 11), 1, 0, 0, 0) + q + struct.pack(
        ">HH", qtype, 1)


def rcode_of(reply):
    return struct.unpack(">H", reply[2:4])[0] & 0xF


def case_malformed(c):
    good = query_wire(0x1234, enum_name("+12155551234"))
    cut = good[:-3]  # the question ends inside QTYPE
    reply = udp_raw(c, cut)
    check(struct.unpack(">H", reply[:2])[0] == 0x1234, "FORMERR carries the query's id")
    check(rcode_of(reply) == 1, "FORMERR expected, rcode %d" % rcode_of(reply))
    two = struct.pack(">HHHHHH", 0x2222, 0x0100, 2, 0, 0, 0) + good[12:] + good[12:]
    check(rcode_of(udp_raw(c, two)) == 1, "two questions: FORMERR expected")


def case_unknown_opcode(c):
    reply = udp_raw(c, query_wire(0x4321, enum_name("+12155551234"), opcode=2))
    check(rcode_of(reply) == 4, "NOTIMP expected, rcode %d" % rcode_of(reply))
    a = c.dig(enum_name("+12155551234"), extra=["+opcode=5"])
    check(a.status == "NOTIMP", "dig +opcode=5 (UPDATE): NOTIMP expected\n%s" % a)


def case_response_dropped(c):
    # A message with QR=1 gets no answer (answering responses invites loops).
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.5)
    s.sendto(query_wire(7, enum_name("+12155551234"), flags=0x8100),
             ("127.0.0.1", c.lab.state["dns_port"]))
    try:
        s.recv(65535)
        got = True
    except socket.timeout:
        got = False
    s.close()
    check(not got, "speerd answered a response")


# --- transports -------------------------------------------------------------

def case_truncation_tcp_retry(c):
    name = enum_name("+12155551270")
    a = c.dig(name, extra=["+ignore", "+bufsize=512"])
    check("tc" in a.flags, "a large answer over UDP must set TC\n%s" % a)
    check(a.answer == [], "a truncated answer carries no records\n%s" % a)
    a = c.dig(name, extra=["+bufsize=512"])  # dig retries over TCP on TC
    check("tc" not in a.flags and len(naptrs(a)) == 12, "the TCP retry has all 12\n%s" % a)
    check("Truncated, retrying in TCP mode" in a.text, "dig did not retry over TCP\n%s" % a)
    a = c.dig(name)  # 1232 bytes fit without truncation
    check("tc" not in a.flags and len(naptrs(a)) == 12, "1232 bytes: no truncation\n%s" % a)


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise Failed("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def case_pipelined_tcp(c):
    numbers = ["+12155551234", "+12155550000", "+12155551299", "+12155559999", "+12155551235",
               "+12155551236", "+12155551238", "+12155551250", "+1215555123", "+12155551237"]
    ids = list(range(100, 100 + len(numbers)))
    s = socket.create_connection(("127.0.0.1", c.lab.state["dns_port"]), timeout=20)
    msgs = b""
    for i, n in zip(ids, numbers):
        tree = "e164.tree-b.example." if n == "+12155559999" else "e164.example."
        q = query_wire(i, enum_name(n, tree))
        msgs += struct.pack(">H", len(q)) + q
    s.sendall(msgs)  # all at once: pipelined (RFC 7766 6.2.1.1)
    got = {}
    for _ in ids:
        size = struct.unpack(">H", read_exact(s, 2))[0]
        reply = read_exact(s, size)
        got[struct.unpack(">H", reply[:2])[0]] = rcode_of(reply)
    s.close()
    check(sorted(got) == ids, "answers for ids %s, sent %s" % (sorted(got), ids))
    check(got[100] == 0 and got[101] == 3 and got[102] == 2, "rcodes %s" % got)


def case_tcp_idle_close(c):
    s = socket.create_connection(("127.0.0.1", c.lab.state["dns_port"]), timeout=10)
    try:
        data = s.recv(1)  # tcp_idle_timeout_ms = 2000: speerd closes first
    except socket.timeout:
        data = None
    s.close()
    check(data == b"", "an idle TCP connection was not closed (recv gave %r)" % (data,))


def case_kdig_tcp(c):
    a = c.kdig(enum_name("+12155551270"), extra=["+tcp"])
    check(a.status == "NOERROR" and len(naptrs(a)) == 12, "kdig +tcp\n%s" % a)


def metric_sample(lab, series):
    status, text = lab.admin("/metrics")
    check(status == 200, "/metrics: %s" % status)
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    raise Failed("no series %s in /metrics" % series)


def case_metrics(c):
    series = ['speerd_dns_ede_total{code="6"}',
              'speerd_dns_queries_total{transport="udp",rcode="servfail"}',
              'speerd_dns_queries_total{transport="tcp",rcode="refused"}',
              'speerd_dns_refused_total{reason="unknown_source"}']
    before = [metric_sample(c.lab, s) for s in series]
    c.dig(enum_name("+12155551299"))  # bogus over UDP
    c.dig(enum_name("+12155551234"), source="127.0.0.2", extra=["+tcp"])  # unknown source
    after = [metric_sample(c.lab, s) for s in series]
    for s, b, a in zip(series, before, after):
        check(a >= b + 1, "%s: %s before, %s after" % (s, b, a))


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}
# DoT (dot_cases.py, dot_reload_cases.py), TSIG (tsig_cases.py), speerctl trace --dns
# (trace_cases.py): the same lab; their cases use these helpers.
HELPERS = types.SimpleNamespace(check=check, enum_name=enum_name, naptrs=naptrs,
                                metric_sample=metric_sample, expect=expect, query_wire=query_wire,
                                read_exact=read_exact, rcode_of=rcode_of)
CASES.update(dot_cases.cases(HELPERS))
CASES.update(as_received_cases.CASES)
CASES.update(rrl_cases.CASES)
CASES.update(additional_cases.CASES)
CASES.update(tsig_cases.cases(HELPERS))
CASES.update(dot_reload_cases.cases(HELPERS))
CASES.update(trace_cases.cases(HELPERS))


def main(argv):
    return sbelab.fixture_main(argv, __doc__, DnsLab, start, CASES, Case,
                               ["speerd_pid"], (Failed, subprocess.TimeoutExpired, OSError))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
