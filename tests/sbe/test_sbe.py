#!/usr/bin/env python3
"""Kamailio + sipp + speerd end to end (issue 17, ctest label `sbe`).

    test_sbe.py LAB BUILD start     fixture: testbed, PKI, store, speerd,
                                     three sipp UAS, Kamailio with the shipped
                                     conf/kamailio-speerd.cfg (started once)
    test_sbe.py LAB BUILD stop      fixture cleanup
    test_sbe.py LAB BUILD CASE      one case (see CASES); exit 0 iff it passes
    test_sbe.py --list              the cases (tests/sbe/CMakeLists.txt adds one ctest each)

Every case checks the SIP final answer sipp's UAC got and which UAS got the
INVITE (or that none did). Cases share one lab and change speerd, so ctest
runs them one at a time (RESOURCE_LOCK).
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tools/sbe"))
import sbelab  # noqa: E402

SCEN = os.path.join(sbelab.SOURCE, "tools/sbe")


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


class Case:
    def __init__(self, lab):
        self.lab = lab

    def invites(self):
        return {n: self.lab.invites_at(n) for n in ("a", "b", "c")}

    def expect_call(self, number, code, went_to, calls=1, rate=10):
        """`calls` calls to `number` get final answer `code`; `went_to` maps
        each UAS to the INVITEs it must have received for them (others: 0)."""
        before = self.invites()
        rc, out, log = self.lab.call(number, code, calls=calls, rate=rate)
        if rc != 0:
            raise Failed("calls to %s did not all get %d (sipp exit %d):\n%s\n%s\nKamailio:\n%s" % (
                number, code, rc, self.lab.tail(os.path.basename(log) + ".err"),
                self.lab.tail(os.path.basename(log), 1500), self.lab.tail("kamailio.log", 1500)))
        want = {n: went_to.get(n, 0) for n in before}

        def got():
            after = self.invites()
            return {n: after[n] - before[n] for n in after}

        # The calls are over; give a UAS's log a moment to reach the disk.
        until = time.monotonic() + 2
        while got() != want and time.monotonic() < until:
            time.sleep(0.05)
        check(got() == want, "%s: INVITEs at the UAS %s, expected %s" % (number, got(), want))


def provision(ports):
    """The SED store: which number goes to which UAS (store-authoritative)."""
    a, b, c = ports["a"], ports["b"], ports["c"]
    return (
        "dest-group,dg-a,to UAS a\nnumber,dg-a,12155551234\n"
        "route-group,rg-a,10,true,dg-a,UAS a\nsed,rg-a,10,,127.0.0.1,%d,udp\noffer,rg-a,sbe\n"
        "dest-group,dg-fo,UAS b then c\nnumber,dg-fo,12155557001\n"
        "route-group,rg-fo,10,true,dg-fo,b then c\n"
        "sed,rg-fo,10,,127.0.0.1,%d,udp\nsed,rg-fo,20,,127.0.0.1,%d,udp\noffer,rg-fo,sbe\n"
        "dest-group,dg-ca,UAS c then a\nnumber,dg-ca,12155557002\n"
        "route-group,rg-ca,10,true,dg-ca,c then a\n"
        "sed,rg-ca,10,,127.0.0.1,%d,udp\nsed,rg-ca,20,,127.0.0.1,%d,udp\noffer,rg-ca,sbe\n"
        "dest-group,dg-tls,TLS first\nnumber,dg-tls,12155557003\n"
        "route-group,rg-tls,10,true,dg-tls,tls then a\n"
        "sed,rg-tls,10,,127.0.0.1,%d,tls\nsed,rg-tls,20,,127.0.0.1,%d,udp\noffer,rg-tls,sbe\n"
        % (a, b, c, c, a, a, a))


def start(lab):
    # UAS ports first: the store names them.
    lab.create("", idle_timeout_ms=1000, speerd_threads=1, kamailio_children=2, speerd_workers=2)
    ports = {
        "a": lab.start_uas("a", os.path.join(SCEN, "uas-answer.xml")),
        "b": lab.start_uas("b", os.path.join(SCEN, "uas-busy.xml")),
        "c": lab.start_uas("c", os.path.join(SCEN, "uas-answer.xml")),
    }
    with open(lab.path("routes.csv"), "w") as f:
        f.write(provision(ports))
    sbelab.sh([lab.speerctl, "import", lab.path("routes.csv"), "--store", lab.state["store"],
               "--actor", "test_sbe"])
    lab.start_speerd()
    lab.start_kamailio()


# --- cases ------------------------------------------------------------------

def case_routed(c):
    """One call, one lookup at speerd, to the one provisioned next hop."""
    before = c.lab.metric("speerd_lookups_total")
    c.expect_call("+12155551234", 200, {"a": 1})
    check(c.lab.metric("speerd_lookups_total") - before == 1, "not one lookup for one call")


def case_keep_alive(c):
    """Calls reuse each async worker's TLS connection: at most one handshake
    per worker for 20 calls (none when the connections are still open)."""
    before = c.lab.metric("speerd_tls_handshakes_total")
    lookups = c.lab.metric("speerd_lookups_total")
    c.expect_call("+12155551234", 200, {"a": 20}, calls=20, rate=50)
    hs = c.lab.metric("speerd_tls_handshakes_total") - before
    check(c.lab.metric("speerd_lookups_total") - lookups == 20, "not one lookup per call")
    check(hs <= c.lab.state["speerd_workers"], "%d TLS handshakes for 20 calls" % hs)


def case_tls12_refused(c):
    """A speerd stand-in that offers at most TLS 1.2 (same certificate):
    Kamailio does not talk to it -> 503."""
    lab = c.lab
    lab.stop_speerd()
    out = open(lab.path("s_server.log"), "w")
    srv = subprocess.Popen(
        ["openssl", "s_server", "-accept", "127.0.0.1:%d" % lab.state["api_port"], "-tls1_2",
         "-cert", lab.pki("server.crt"), "-key", lab.pki("server.key"), "-CAfile",
         lab.pki("ca.crt"), "-Verify", "1", "-www", "-naccept", "5"],
        stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        sbelab.wait_for("openssl s_server", lambda: port_open(lab.state["api_port"]), 10)
        c.expect_call("+12155551234", 503, {})
        log = lab.tail("s_server.log")
        check("unsupported protocol" in log or "version" in log,
              "s_server saw no protocol version refusal:\n" + log)
    finally:
        sbelab.stop_pid(srv.pid)
        lab.start_speerd()
    c.expect_call("+12155551234", 200, {"a": 1})


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def case_number_forms(c):
    """The E.164 number from the Request-URI: separators and %2B decoded; no '+' -> 484."""
    c.expect_call("+1-215-555-1234", 200, {"a": 1})
    c.expect_call("%2B12155551234", 200, {"a": 1})
    before = c.lab.metric("speerd_lookups_total")
    c.expect_call("12155551234", 484, {})
    c.expect_call("+1215555123x", 484, {})
    check(c.lab.metric("speerd_lookups_total") == before, "a non-E.164 number went to speerd")


def case_target_order(c):
    """The first target is relayed; the second is not tried when the first answers."""
    c.expect_call("+12155557002", 200, {"c": 1})


def case_unusable_transport_skipped(c):
    """A first target over TLS, which this SBE does not send (SBE_TRANSPORTS):
    the call goes to the next one."""
    c.expect_call("+12155557003", 200, {"a": 1})


def case_failover(c):
    """The first target answers 503: the call goes to the second (failure_route)."""
    c.expect_call("+12155557001", 200, {"b": 1, "c": 1})


def case_not_found(c):
    c.expect_call("+12155550000", 404, {})   # secure NXDOMAIN in both trees
    c.expect_call("+12155551237", 404, {})   # found, but no E2U+sip record


def case_bogus(c):
    c.expect_call("+12155551299", 503, {})   # ENUM NAPTR altered after signing
    c.expect_call("+12155551240", 503, {})   # the peer's NAPTR and A are bogus
    check("dnssec-bogus" in c.lab.tail("kamailio.log", 20000), "Kamailio did not log the code")


def case_insecure_refused(c):
    c.expect_call("+12155551243", 503, {})   # the peer domain is unsigned
    check("insecure-not-allowed" in c.lab.tail("kamailio.log", 20000), "code not logged")


def nsd_processes(lab):
    """The testbed's NSD processes (both instances, with their children)."""
    pids = []
    for n in ("1", "2"):
        with open(os.path.join(lab.state["testbed"], "nsd%s/nsd.pid" % n)) as f:
            pids.append(int(f.read().strip()))
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    ppid = int(f.read().split(")")[-1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid in pids:
                pids.append(int(entry))
    return pids


def case_indeterminate(c):
    """Both authoritative servers stop answering (SIGSTOP): no answer can be
    validated -> 503."""
    pids = nsd_processes(c.lab)
    for p in pids:
        os.kill(p, signal.SIGSTOP)
    try:
        c.expect_call("+12155551238", 503, {})   # not asked before: not cached
        check("upstream-failure" in c.lab.tail("kamailio.log", 20000), "code not logged")
    finally:
        for p in pids:
            os.kill(p, signal.SIGCONT)
    c.expect_call("+12155551234", 200, {"a": 1})


def case_not_allowed(c):
    """strict store policy: DNS points elsewhere than the provisioned SED -> 403."""
    c.lab.restart_speerd(policy="strict")
    try:
        c.expect_call("+12155551234", 403, {})
    finally:
        c.lab.restart_speerd(policy="store-authoritative")
    c.expect_call("+12155551234", 200, {"a": 1})


def case_speerd_down(c):
    c.lab.stop_speerd()
    try:
        c.expect_call("+12155551234", 503, {})
    finally:
        c.lab.start_speerd()
    c.expect_call("+12155551234", 200, {"a": 1})


def case_speerd_hung(c):
    """speerd stopped (SIGSTOP): lookups time out -> 503, while the SIP workers
    keep answering (the lookups wait in the async workers)."""
    pid = c.lab.state["speerd_pid"]
    os.kill(pid, signal.SIGSTOP)
    try:
        result = {}
        # As many hung calls as there are async workers, plus one queued.
        workers = c.lab.state["speerd_workers"]
        tm0 = tm_stats(c.lab)
        t = threading.Thread(target=lambda: result.update(
            r=c.lab.call("+12155551234", 503, calls=workers + 1, rate=100)))
        t.start()
        # Once Kamailio holds all the calls and has answered none of them,
        # every async worker waits on speerd: a SIP worker still answers.
        sbelab.wait_for("Kamailio to take the calls",
                        lambda: tm_stats(c.lab)["total"] - tm0["total"] >= workers + 1, 10)
        check(sbelab.sip_options(c.lab.state["sip_port"], 1.0) == 200,
              "OPTIONS not answered while speerd hangs")
        check(tm_stats(c.lab)["5xx"] == tm0["5xx"],
              "the hung calls were answered before the OPTIONS was")
        t.join()
        rc, out, log = result["r"]
        check(rc == 0, "hung speerd: calls did not all get 503:\n" + out[-1500:])
    finally:
        os.kill(pid, signal.SIGCONT)
    c.expect_call("+12155551234", 200, {"a": 1})


def tm_stats(lab):
    """Kamailio's transaction counters (kamcmd tm.stats on the lab's socket)."""
    out = sbelab.sh(["kamcmd", "-s", "unix:" + lab.path("kamailio-run/kamailio_ctl"), "tm.stats"])
    stats = {}
    for line in out.splitlines():
        k, _, v = line.strip().partition(":")
        if v.strip().isdigit():
            stats[k] = int(v)
    return stats


def case_speerd_restart(c):
    """speerd restarted while calls arrive: every call gets 200 or 503
    (never hangs, never goes elsewhere), and calls route again afterwards."""
    before = c.invites()
    result = {}
    total = 60
    t = threading.Thread(target=lambda: result.update(
        r=c.lab.call("+12155551234", 200, calls=total, rate=20, timeout=30)))
    t.start()
    time.sleep(1.0)
    c.lab.restart_speerd()
    t.join()
    rc, out, log = result["r"]
    errors = c.lab.tail(os.path.basename(log) + ".err", 10 ** 6)
    aborted = [e for e in errors.split("Aborting call") if "received '" in e]
    not_503 = [e for e in aborted if "received 'SIP/2.0 503" not in e]
    check(not not_503, "a call got something else than 200 or 503:\n" + "".join(not_503)[:1500])
    ok = total - len(aborted)
    check("Successful call" in out, "no sipp statistics:\n" + out[-1500:])
    after = c.invites()
    check(after["a"] - before["a"] == ok, "%d calls set up, UAS a got %d INVITEs" % (
        ok, after["a"] - before["a"]))
    check(after["b"] == before["b"] and after["c"] == before["c"], "a call went elsewhere")
    check(ok > 0, "no call was set up around the restart")
    c.expect_call("+12155551234", 200, {"a": 1})


def case_server_cert_other_ca(c):
    """speerd presents a certificate from a CA Kamailio does not trust: refused -> 503."""
    c.lab.restart_speerd(server_cert="server-otherca")
    try:
        mark = len(c.lab.tail("kamailio.log", 10 ** 7))
        c.expect_call("+12155551234", 503, {})
        log = c.lab.tail("kamailio.log", 10 ** 7)[mark:]
        check("speerd: lookup of +12155551234 failed" in log, "no lookup failure logged:\n" + log)
        check(c.lab.metric("speerd_lookups_total") == 0, "a lookup got through")
    finally:
        c.lab.restart_speerd(server_cert="server")
    c.expect_call("+12155551234", 200, {"a": 1})


def case_client_cert_revoked(c):
    """Kamailio's certificate revoked (new CRL, reload): once its kept-alive
    connections are gone, speerd refuses the new ones -> 503."""
    lab = c.lab
    c.expect_call("+12155551234", 200, {"a": 1})
    crl = lab.pki("crl-active.pem")

    def use_crl(name):
        with open(lab.pki(name), "rb") as f, open(crl + ".new", "wb") as out:
            out.write(f.read())
        os.rename(crl + ".new", crl)
        ok = lab.metric("speerd_config_reloads_total")
        lab.reload_speerd()
        sbelab.wait_for("speerd to reload", lambda: lab.metric("speerd_config_reloads_total") > ok)

    use_crl("crl-kamailio.pem")
    try:
        # speerd closes the revoked certificate's established connections at
        # the reload (issue 15 item 1).
        sbelab.wait_for("Kamailio's connections to close",
                        lambda: lab.metric("speerd_connections_open") == 0, 10)
        refused = lab.metric("speerd_connections_refused_total")
        c.expect_call("+12155551234", 503, {})
        check(lab.metric("speerd_connections_refused_total") > refused, "no refused connection")
        check("certificate revoked" in lab.tail("speerd.log", 20000), "speerd did not say why")
    finally:
        use_crl("crl.pem")
    c.expect_call("+12155551234", 200, {"a": 1})


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def main(argv):
    if argv[1:] == ["--list"]:
        print(" ".join(CASES))
        return 0
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    lab = sbelab.Lab(argv[1], argv[2])
    what = argv[3]
    try:
        if what == "start":
            start(lab)
        elif what == "stop":
            lab.destroy()
        elif what in CASES:
            for p in ["speerd_pid", "kamailio_pid"]:
                check(lab.state.get(p) and sbelab.alive(lab.state[p]),
                      "the sbe fixture is not running (%s)" % p)
            CASES[what](Case(lab))
        else:
            sys.stderr.write("unknown case %s (known: %s)\n" % (what, " ".join(sorted(CASES))))
            return 2
    except (Failed, sbelab.LabError) as e:
        print("FAILED: %s" % e)
        return 1
    print("passed: " + what)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
