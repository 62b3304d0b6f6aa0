"""DNS over TLS cases that change what a running speerd sees (issue 14), of
test_dns_frontend.py's lab (the others: dot_cases.py): each runs a second speerd (second_speerd.py) with
its own CRL file, connection cap or store copy, so the lab's speerd and the
other cases are not disturbed. The client is `sbe` (the kamailio
certificate), from 127.0.0.1.

    dot_crl_reload_closes       a reload whose CRL revokes the certificate closes
                                its open DoT connection; a new one is refused
    dot_max_connections         tls_max_connections = 2: the third connection
                                is closed before TLS, the two open ones still
                                answer, and one closed makes room again
    dot_client_disabled         the client disabled in the store while its DoT
                                connection is open: the connection closes with
                                no answer, UDP from its source gets REFUSED
"""

import os
import shutil
import signal
import socket
import sqlite3
import ssl
import struct
import subprocess
import time

import dot_cases
import sbelab
import second_speerd


Failed = sbelab.Failed
check = sbelab.check


def cases(h):
    """The cases, given test_dns_frontend.py's helpers in `h`: enum_name,
    query_wire, rcode_of, read_exact."""
    routed = h.enum_name("+12155551234")

    def connect(second, cert="kamailio"):
        raw = socket.create_connection(("127.0.0.1", second.dot_port), timeout=10)
        try:
            return dot_cases.dot_context(second.lab, cert).wrap_socket(raw, server_hostname="localhost")
        except BaseException:
            raw.close()
            raise

    def ask(s, qid):
        """One query on DoT connection `s`; its answer's rcode."""
        q = h.query_wire(qid, routed)
        s.sendall(struct.pack(">H", len(q)) + q)
        size = struct.unpack(">H", h.read_exact(s, 2))[0]
        reply = h.read_exact(s, size)
        check(struct.unpack(">H", reply[:2])[0] == qid, "the answer has another id")
        return h.rcode_of(reply)

    def closed(s):
        """True when the peer closed `s` (EOF or a TLS close/reset), waiting
        at most the socket's timeout for it."""
        try:
            return s.recv(1) == b""
        except (ssl.SSLError, ConnectionError):
            return True
        except socket.timeout:
            return False

    def refused(second, cert="kamailio"):
        """True when a new DoT connection gets no answer: the handshake
        fails, or the connection closes before an answer."""
        try:
            s = connect(second, cert)
        except (ssl.SSLError, ConnectionError, socket.timeout):
            return True
        try:
            ask(s, 0x7777)
            return False
        except (Failed, ssl.SSLError, ConnectionError, socket.timeout):
            return True
        finally:
            s.close()

    def case_dot_crl_reload_closes(c):
        lab = c.lab
        crl = lab.pki("crl-dot.pem")
        shutil.copy(lab.pki("crl.pem"), crl)
        second = second_speerd.start(
            lab, "dot-crl", lambda t: t.replace(lab.pki("crl-active.pem"), crl))
        try:
            s = connect(second)
            check(ask(s, 1) == 0, "no NOERROR before the reload")
            reloads = second.metric('speerd_config_reloads_total{result="ok"}')
            shutil.copy(lab.pki("crl-kamailio.pem"), crl + ".new")
            os.rename(crl + ".new", crl)
            os.kill(second.p.pid, signal.SIGHUP)
            sbelab.wait_for("the reload", lambda: second.metric(
                'speerd_config_reloads_total{result="ok"}') > reloads, 20)
            s.settimeout(10)
            check(closed(s), "the revoked certificate's DoT connection is still open")
            s.close()
            check(refused(second), "a new DoT connection with the revoked certificate answered")
            check(not refused(second, "client-b"), "another client's certificate is refused too")
            check("revoked" in lab.tail(second.path("log"), 10 ** 6),
                  "speerd did not say why it closed the connection")
        finally:
            second.stop()

    def case_dot_max_connections(c):
        lab = c.lab
        second = second_speerd.start(lab, "dot-cap", lambda t: t + "tls_max_connections = 2\n")
        try:
            a, b = connect(second), connect(second)
            check(ask(a, 1) == 0 and ask(b, 2) == 0, "the two connections within the cap")
            check(refused(second), "a third DoT connection over tls_max_connections answered")
            check(ask(a, 3) == 0 and ask(b, 4) == 0, "the open connections stopped answering")
            a.close()
            # The slot is free once speerd has seen the close.
            sbelab.wait_for("room for a new connection", lambda: not refused(second), 10)
            b.close()
        finally:
            second.stop()

    def case_dot_client_disabled(c):
        lab = c.lab
        db = lab.path("store-dot-disabled.db")
        if os.path.exists(db):
            os.remove(db)
        src = sqlite3.connect(lab.state["store"][len("sqlite:"):])
        dst = sqlite3.connect(db)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        store = "sqlite:" + db
        second = second_speerd.start(lab, "dot-disabled",
                                     lambda t: t.replace(lab.state["store"], store))
        try:
            s = connect(second)
            check(ask(s, 1) == 0, "no NOERROR before the client is disabled")
            sbelab.sh([lab.speerctl, "client", "update", "sbe", "--disable", "--store", store,
                       "--actor", "test"])
            # speerd reads the store's change within refresh_interval_ms; until
            # then the connection answers; after it, the next query closes it.
            deadline = time.monotonic() + 20
            qid = 2
            while True:
                try:
                    rcode = ask(s, qid)
                except (Failed, ssl.SSLError, ConnectionError):
                    break
                check(rcode == 0, "rcode %d before the connection closed" % rcode)
                check(time.monotonic() < deadline, "the disabled client's connection stays open")
                qid += 1
                time.sleep(0.1)
            s.close()
            check(refused(second), "a new DoT connection of the disabled client answered")
            out = subprocess.run(["dig", "@127.0.0.1", "-p", str(second.port), "-b", "127.0.0.1",
                                  routed, "NAPTR", "+tries=1", "+time=10", "+nocookie"],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 timeout=60).stdout
            check("status: REFUSED" in out, "UDP from the disabled client's source:\n" + out)
        finally:
            second.stop()

    return {name[5:]: fn for name, fn in locals().items() if name.startswith("case_")}
