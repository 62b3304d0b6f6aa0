"""DNS over TLS (RFC 7858) cases of test_dns_frontend.py (its fixture, its lab):
kdig +tls and dig +tls with the test PKI's client certificates, pipelining on
one DoT connection, and the handshakes speerd's DoT port refuses (no or a
foreign certificate, TLS 1.2, ALPN without dot, a client that never finishes).
"""

import socket
import ssl
import struct

import sbelab

Failed = sbelab.Failed
check = sbelab.check


def case_dot_kdig(c, h):
    before = h.metric_sample(c.lab, 'speerd_dns_queries_total{transport="tls",rcode="noerror"}')
    a = c.kdig_tls(h.enum_name("+12155551234"), "kamailio", extra=["+dnssec"])
    check(a.status == "NOERROR", "kdig over DoT\n%s" % a)
    check([r[8] for r in h.naptrs(a)] == ['"!^.*$!sip:alice@good.peers.example!"',
                                        '"!^.*$!sip:alice-backup@good.peers.example!"'],
          "the validated rules over DoT\n%s" % a)
    check("ad" in a.flags, "secure, DO set, no AD over DoT\n%s" % a)
    check("TLS1.3" in a.text, "kdig's TLS session is not TLS 1.3\n%s" % a)
    after = h.metric_sample(c.lab, 'speerd_dns_queries_total{transport="tls",rcode="noerror"}')
    check(after >= before + 1, "transport tls not counted: %s before, %s after" % (before, after))


def case_dot_dig(c, h):
    a = c.dig_tls(h.enum_name("+12155551234"), "kamailio")
    check(a.status == "NOERROR" and len(h.naptrs(a)) == 2, "dig +tls\n%s" % a)
    check("(TLS)" in a.text, "dig did not say it used TLS\n%s" % a)


def case_dot_pipelined(c, h):
    """Queries sent at once on one DoT connection (the client certificate's
    client, sbe) are all answered, each with its own id (RFC 7766 framing
    and pipelining over TLS, RFC 7858 3.3)."""
    queries = [(200, h.enum_name("+12155551234")), (201, h.enum_name("+12155550000")),
               (202, h.enum_name("+12155551299")),
               (203, h.enum_name("+12155559999", "e164.tree-b.example."))]
    raw = socket.create_connection(("127.0.0.1", c.lab.state["dot_port"]), timeout=20)
    s = dot_context(c.lab).wrap_socket(raw, server_hostname="localhost")
    msgs = b""
    for qid, name in queries:
        q = h.query_wire(qid, name)
        msgs += struct.pack(">H", len(q)) + q
    s.sendall(msgs)
    got = {}
    for _ in queries:
        size = struct.unpack(">H", h.read_exact(s, 2))[0]
        reply = h.read_exact(s, size)
        got[struct.unpack(">H", reply[:2])[0]] = h.rcode_of(reply)
    s.close()
    check(got == {200: 0, 201: 3, 202: 2, 203: 0}, "ids and rcodes over DoT: %s" % got)


def refused_connection(a):
    return a.status is None and a.answer == []


def handshakes(c, h, result):
    return h.metric_sample(c.lab, 'speerd_dns_tls_handshakes_total{result="%s"}' % result)


def case_dot_no_certificate(c, h):
    before = handshakes(c, h, "failed")
    a = c.kdig_tls(h.enum_name("+12155551234"), None)
    check(refused_connection(a), "kdig without a client certificate got an answer\n%s" % a)
    a = c.dig_tls(h.enum_name("+12155551234"), None)
    check(refused_connection(a), "dig without a client certificate got an answer\n%s" % a)
    check(handshakes(c, h, "failed") >= before + 2, "handshake failures not counted")


def case_dot_other_ca(c, h):
    before = handshakes(c, h, "failed")
    a = c.kdig_tls(h.enum_name("+12155551234"), "client-otherca")
    check(refused_connection(a), "a certificate from another CA got an answer\n%s" % a)
    check(handshakes(c, h, "failed") >= before + 1, "handshake failure not counted")


def case_dot_unknown_client(c, h):
    """A valid certificate of no client: the handshake completes, the
    connection closes with no answer data."""
    series = 'speerd_dns_refused_total{reason="unknown_client"}'
    before = h.metric_sample(c.lab, series)
    a = c.kdig_tls(h.enum_name("+12155551234"), "client-unknown")
    check(refused_connection(a), "a certificate of no client got an answer\n%s" % a)
    check(h.metric_sample(c.lab, series) >= before + 1, "%s not counted" % series)


def case_dot_out_of_scope(c, h):
    """client-b.crt is narrow's: its scope applies over DoT as over UDP."""
    a = c.kdig_tls(h.enum_name("+12155551234"), "client-b")
    h.expect(a, "REFUSED", 18)
    a = c.kdig_tls(h.enum_name("+12155559999", "e164.tree-b.example."), "client-b")
    check(a.status == "NOERROR" and len(h.naptrs(a)) == 1, "narrow's own tree over DoT\n%s" % a)


def dot_context(lab, cert="kamailio", alpn=("dot",), max_version=None):
    ctx = ssl.create_default_context(cafile=lab.pki("ca.crt"))
    ctx.load_cert_chain(lab.pki(cert + ".crt"), lab.pki(cert + ".key"))
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    if max_version:
        ctx.maximum_version = max_version
    return ctx


def dot_handshake(c, ctx):
    """The TLS session speerd's DoT port agrees to, or the error."""
    raw = socket.create_connection(("127.0.0.1", c.lab.state["dot_port"]), timeout=10)
    try:
        s = ctx.wrap_socket(raw, server_hostname="localhost")
        out = (s.version(), s.selected_alpn_protocol())
        s.close()
        return out
    except (ssl.SSLError, OSError) as e:
        raw.close()
        return e


def case_dot_tls13_alpn(c, h):
    got = dot_handshake(c, dot_context(c.lab))
    check(got == ("TLSv1.3", "dot"), "TLS 1.3 with ALPN dot expected, got %r" % (got,))
    got = dot_handshake(c, dot_context(c.lab, alpn=None))
    check(got == ("TLSv1.3", None), "a client without ALPN is served, got %r" % (got,))
    got = dot_handshake(c, dot_context(c.lab, max_version=ssl.TLSVersion.TLSv1_2))
    check(isinstance(got, Exception), "a TLS 1.2 handshake was accepted: %r" % (got,))
    got = dot_handshake(c, dot_context(c.lab, alpn=("h2",)))
    check(isinstance(got, Exception), "ALPN h2 without dot was accepted: %r" % (got,))


def case_dot_half_open(c, h):
    """A client that connects and never completes its handshake is closed
    (tls_handshake_timeout_ms), and counted."""
    before = handshakes(c, h, "timeout")
    s = socket.create_connection(("127.0.0.1", c.lab.state["dot_port"]), timeout=20)
    try:
        data = s.recv(1)
    except socket.timeout:
        data = None
    s.close()
    check(data == b"", "a half-open TLS client was not closed (recv gave %r)" % (data,))
    check(handshakes(c, h, "timeout") >= before + 1, "handshake timeout not counted")


def cases(helpers):
    """The cases by name, each called with the case and `helpers` (enum_name,
    naptrs, metric_sample, expect, query_wire, read_exact, rcode_of of
    test_dns_frontend.py)."""
    return {name[5:]: (lambda fn: lambda c: fn(c, helpers))(fn)
            for name, fn in globals().items() if name.startswith("case_")}
