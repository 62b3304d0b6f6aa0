#!/usr/bin/env python3
"""Kamailio + sipp + speerd end to end (issue 17, ctest label `sbe`).

    test_sbe.py LAB BUILD start     fixture: testbed, PKI, store, speerd,
                                     three sipp UAS, Kamailio with the shipped
                                     conf/kamailio-speerd.cfg (started once)
    test_sbe.py LAB BUILD stop      fixture cleanup
    test_sbe.py LAB BUILD CASE      one case (see CASES); exit 0 iff it passes
    test_sbe.py --list              the cases (tests/sbe/CMakeLists.txt adds one ctest each)

The enum_* cases (enum_cases.py) call a second Kamailio, conf/kamailio-enum.cfg
with the stock enum module, whose name server is speerd's DNS front end.

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
import enum_cases  # noqa: E402

SCEN = os.path.join(sbelab.SOURCE, "tools/sbe")


Failed = sbelab.Failed
check = sbelab.check


class Case:
    def __init__(self, lab):
        self.lab = lab

    def invites(self):
        return {n: self.lab.invites_at(n) for n in sorted(self.lab.state["uas"])}

    def expect_call(self, number, code, went_to, calls=1, rate=10, sip_port=None,
                    kamailio_log="kamailio.log"):
        """`calls` calls to `number` get final answer `code`; `went_to` maps
        each UAS to the INVITEs it must have received for them (others: 0).
        `sip_port`: another Kamailio of the lab (its log `kamailio_log`)."""
        before = self.invites()
        rc, out, log = self.lab.call(number, code, calls=calls, rate=rate, sip_port=sip_port)
        if rc != 0:
            raise Failed("calls to %s did not all get %d (sipp exit %d):\n%s\n%s\nKamailio:\n%s" % (
                number, code, rc, self.lab.tail(os.path.basename(log) + ".err"),
                self.lab.tail(os.path.basename(log), 1500), self.lab.tail(kamailio_log, 1500)))
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
        # A next hop provisioned as a host name: speerd resolves it (A/AAAA).
        "dest-group,dg-host,host name\nnumber,dg-host,12155557004\n"
        "route-group,rg-host,10,true,dg-host,%s\n"
        "sed,rg-host,10,,%s,%d,udp\noffer,rg-host,sbe\n"
        % (a, b, c, c, a, a, a, HOST_E, HOST_E, ports["e"]))


# A number only DNS knows (not in the store): its ENUM NAPTR names
# sip:dns@sbelab.good.peers.example, whose NAPTR -> SRV -> A (signed into the
# testbed's secure zones) end at UAS d's port on 127.0.0.1.
DNS_NUMBER = "+12155557010"
DNS_HOST = "uas-d.sbelab.good.peers.example"
# The host name of UAS e in the store (its A record in the testbed).
HOST_E = "uas-e.sbelab.good.peers.example"


def dns_records(port):
    return (
        "e164.example. 0.1.0.7.5.5.5.5.1.2.1.e164.example. 3600 IN NAPTR 100 10 \"u\" \"E2U+sip\" "
        "\"!^.*$!sip:dns@sbelab.good.peers.example!\" .\n"
        "good.peers.example. sbelab.good.peers.example. 3600 IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" "
        "_sip._udp.sbelab.good.peers.example.\n"
        "good.peers.example. _sip._udp.sbelab.good.peers.example. 600 IN SRV 10 0 %d %s.\n"
        "good.peers.example. %s. 300 IN A 127.0.0.1\n"
        "good.peers.example. %s. 300 IN A 127.0.0.1\n" % (port, DNS_HOST, DNS_HOST, HOST_E))


def start(lab):
    # UAS ports first: the store and the testbed's zones name them.
    b, c, d, e = sbelab.free_ports(4)
    zone_ports = {"b": b, "c": c, "d": d}
    lab.create("", idle_timeout_ms=1000, speerd_threads=1, kamailio_children=2, speerd_workers=2,
               extra_records=dns_records(d) + enum_cases.dns_records(zone_ports))
    answer = os.path.join(SCEN, "uas-answer.xml")
    ports = {
        "a": lab.start_uas("a", answer),
        "b": lab.start_uas("b", os.path.join(SCEN, "uas-busy.xml"), port=b),
        "c": lab.start_uas("c", answer, port=c),
        "d": lab.start_uas("d", answer, port=d),
        "e": lab.start_uas("e", answer, port=e),
    }
    with open(lab.path("routes.csv"), "w") as f:
        f.write(provision(ports))
    sbelab.sh([lab.speerctl, "import", lab.path("routes.csv"), "--store", lab.state["store"],
               "--actor", "test_sbe"])
    enum_cases.setup(lab)
    lab.start_speerd()
    lab.start_kamailio()
    enum_cases.start_kamailio(lab)


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
    """The number from the Request-URI: separators and %2B decoded; what is
    no number at all -> 484 without asking speerd."""
    c.expect_call("+1-215-555-1234", 200, {"a": 1})
    c.expect_call("%2B12155551234", 200, {"a": 1})
    before = c.lab.metric("speerd_requests_total")
    c.expect_call("+1215555123x", 484, {})
    c.expect_call("+0215555123", 484, {})
    check(c.lab.metric("speerd_requests_total") == before, "a non-number went to speerd")


def case_bad_number(c):
    """A number without its '+' goes to speerd, which has no dial plan for
    this SBE and answers 400 bad-number: 484 (a dialling problem, not 503)."""
    before = c.lab.metric("speerd_errors_total", 'code="bad-number"')
    lookups = c.lab.metric("speerd_lookups_total", 'verdict="route"')
    mark = len(c.lab.tail("kamailio.log", 10 ** 7))
    c.expect_call("12155551234", 484, {})
    check(c.lab.metric("speerd_errors_total", 'code="bad-number"') - before == 1,
          "speerd did not answer bad-number once")
    check(c.lab.metric("speerd_lookups_total", 'verdict="route"') == lookups, "a route was looked up")
    log = c.lab.tail("kamailio.log", 10 ** 7)[mark:]
    check("speerd: bad-number for '12155551234'" in log, "Kamailio did not log bad-number:\n" + log)


def case_dial_plan(c):
    """With a dial plan stored for this SBE, speerd turns a national number
    into E.164 and the call routes; without it the same number is 484."""
    lab = c.lab
    store = ["--store", lab.state["store"], "--actor", "test_sbe"]
    sbelab.sh([lab.speerctl, "client", "update", "sbe", "--options",
               "country_code=1&trunk_prefix=1&intl_prefix=011"] + store)
    try:
        # Until speerd has the new record (its next store poll).
        sbelab.wait_for("speerd to apply the dial plan",
                        lambda: lab.api("/lookup?view=compact&number=12155551234")[0] == 200, 10)
        status, body = lab.api("/lookup?view=compact&number=12155551234")
        check(body.get("number") == "+12155551234" and body.get("dialed") == "12155551234",
              "speerd did not report the E.164 it used: %s" % body)
        c.expect_call("12155551234", 200, {"a": 1})    # trunk prefix 1
        c.expect_call("01112155551234", 200, {"a": 1})  # international prefix 011
    finally:
        sbelab.sh([lab.speerctl, "client", "update", "sbe", "--options", ""] + store)
    sbelab.wait_for("speerd to drop the dial plan",
                    lambda: lab.api("/lookup?view=compact&number=12155551234")[0] == 400, 10)
    c.expect_call("12155551234", 484, {})


def case_target_order(c):
    """The first target is relayed; the second is not tried when the first answers."""
    c.expect_call("+12155557002", 200, {"c": 1})


def case_unusable_transport_skipped(c):
    """A first target over TLS, which this SBE does not send
    (SPEERD_TRANSPORTS: speerd leaves it out of the answer): the call goes to
    the next one."""
    c.expect_call("+12155557003", 200, {"a": 1})


def case_failover(c):
    """The first target answers 503: the call goes to the second (failure_route)."""
    c.expect_call("+12155557001", 200, {"b": 1, "c": 1})


def case_dns_next_hop(c):
    """A number only DNS knows: speerd follows ENUM NAPTR -> the peer's NAPTR
    -> SRV -> A (all signed, secure) to UAS d; the call goes there."""
    status, body = c.lab.api("/lookup?view=compact&transport=udp,tcp&number=%2B" + DNS_NUMBER[1:])
    check(status == 200 and body and body.get("verdict") == "route",
          "speerd did not route %s: %s %s" % (DNS_NUMBER, status, body))
    t = body["targets"][0]
    d = c.lab.state["uas"]["d"]["port"]
    check(t["host"] == DNS_HOST and t["address"] == "127.0.0.1" and t["port"] == d,
          "the first target is not the testbed's SRV/A: %s" % body)
    check(body["outcome"]["state"] == "secure", "not secure: %s" % body)
    c.expect_call(DNS_NUMBER, 200, {"d": 1})


def case_hostname_target(c):
    """A next hop provisioned in the store as a host name: speerd resolves
    it (its A in the testbed, secure) and Kamailio relays there (UAS e)."""
    status, body = c.lab.api("/lookup?view=compact&transport=udp,tcp&number=%2B12155557004")
    check(status == 200 and body and body.get("verdict") == "route",
          "speerd did not route +12155557004: %s %s" % (status, body))
    t = body["targets"][0]
    check(t["host"] == HOST_E and t["address"] == "127.0.0.1" and
          t["port"] == c.lab.state["uas"]["e"]["port"] and body["outcome"]["state"] == "secure",
          "the first target is not the host name's secure A: %s" % body)
    c.expect_call("+12155557004", 200, {"e": 1})


def case_rate_limited(c):
    """This SBE over its rate limit at speerd (429): 503 Routing Busy, nothing
    relayed; calls route again once the limit is back."""
    lab = c.lab
    store = ["--store", lab.state["store"], "--actor", "test_sbe"]
    sbelab.sh([lab.speerctl, "client", "update", "sbe", "--rate", "1", "--burst", "1"] + store)
    try:
        # Until speerd has the new limit (its next store poll) and this
        # SBE's one token is used up.
        sbelab.wait_for("speerd to refuse with 429", lambda: lab.api(
            "/lookup?view=compact&number=%2B12155551234")[0] == 429, 10)
        # A token comes back each second: a call that sipp started after
        # that got it and went through; try again (the mapping is what counts).
        for attempt in range(5):
            limited = lab.metric("speerd_rate_limited_total")
            mark = len(lab.tail("kamailio.log", 10 ** 7))
            before = c.invites()
            while lab.api("/lookup?view=compact&number=%2B12155551234")[0] != 429:
                pass
            rc, out, log = lab.call("+12155551234", 503)
            if rc == 0:
                break
        check(rc == 0, "no call got 503 while rate limited:\n" + out[-1500:])
        check(lab.metric("speerd_rate_limited_total") > limited, "speerd sent no 429")
        check(c.invites() == before, "a call was relayed while rate limited")
        with open(log, errors="replace") as f:
            check("SIP/2.0 503 Routing Busy" in f.read(), "not 503 Routing Busy")
        check("speerd: rate limited for +12155551234" in lab.tail("kamailio.log", 10 ** 7)[mark:],
              "Kamailio did not log the rate limit")
    finally:
        sbelab.sh([lab.speerctl, "client", "update", "sbe", "--rate", "1000000", "--burst",
                   "1000000"] + store)
    sbelab.wait_for("speerd to lift the limit", lambda: all(
        lab.api("/lookup?view=compact&number=%2B12155551234")[0] == 200 for _ in range(3)), 10)
    c.expect_call("+12155551234", 200, {"a": 1})


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
CASES.update(enum_cases.CASES)


def main(argv):
    return sbelab.fixture_main(argv, __doc__, sbelab.Lab, start, CASES, Case,
                               ["speerd_pid", "kamailio_pid"], (Failed,))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
