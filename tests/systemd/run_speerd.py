#!/usr/bin/env python3
"""Runs speerd as systemd would (Type=notify) on the signed-zone testbed and
checks the whole life cycle through the notify socket and real mTLS clients (curl).

  run_speerd.py --speerd BIN --speerctl BIN --example TOML --dir DIR
                [--pki-tool tools/pki/mkpki] [--ipv6]

The configuration is the example file (conf/speerd.toml, or the one a package
installed) with its daemon sections kept and its paths pointed into DIR, listeners on
port 0, and the testbed's
resolver sections ($SPEERD_TESTBED/speerd.toml) in place of the example's.
--ipv6: listeners on [::1] and every upstream stub as ::1@PORT (NSD listens there too).

Checks, in order:
  - READY=1 arrives, with MAINPID = the process and STATUS naming the API port;
  - right after READY=1 (no retry) a lookup over mTLS routes and is DNSSEC-secure,
    a bogus name is rejected, /healthz answers, and /readyz becomes 200;
  - SIGHUP: RELOADING=1 then READY=1 with STATUS=reloaded;
  - SIGHUP with a broken file: READY=1 with STATUS naming the bad section, and the
    old configuration keeps serving;
  - SIGTERM: STOPPING=1, then exit status 0.
Exit 0 iff all hold; every failure is printed.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib

FAILURES = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        FAILURES.append(what)
    return ok


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


class Notify:
    """The service manager's end of $NOTIFY_SOCKET."""

    def __init__(self, path):
        if os.path.exists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.path = path

    def wait(self, key, timeout=60.0):
        """Messages until one has KEY=...; returns that one's fields and all seen."""
        seen = []
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            self.sock.settimeout(max(0.01, until - time.monotonic()))
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                break
            fields = dict(l.split("=", 1) for l in data.split("\n") if "=" in l)
            seen.append(fields)
            if key in fields:
                return fields, seen
        return None, seen


def section_of(line):
    m = re.match(r"^\s*\[\[?([A-Za-z0-9_.]+)\]?\]\s*(#.*)?$", line)
    return m.group(1) if m else None


def build_config(example, testbed_toml, dir, ipv6):
    """The example's daemon sections, paths into DIR/ROOT, the testbed's resolver."""
    tomllib.loads(open(example).read())  # the example must be valid TOML
    host = "[::1]" if ipv6 else "127.0.0.1"
    overrides = {
        ("server", "listen"): '"%s:0"' % host,
        ("server", "threads"): "2",
        ("admin", "listen"): '"%s:0"' % host,
        ("tls", "certificate"): '"%s/pki/server.crt"' % dir,
        ("tls", "private_key"): '"%s/pki/server.key"' % dir,
        ("tls", "client_ca"): '"%s/pki/ca.crt"' % dir,
        ("tls", "crls"): '["%s/pki/crl.pem"]' % dir,
        ("store", "uri"): '"sqlite:%s/store.db"' % dir,
        ("store", "refresh_interval_ms"): "200",
        ("log", "file"): '"%s/speerd.log"' % dir,
        ("log", "level"): '"debug"',
    }
    resolver = {"dns", "dns.stub", "enum", "enum.tree", "lookup", "cache"}
    out, section, done = [], None, set()

    def finish(sec):  # keys of SEC the example leaves at their default
        for (s2, key), value in overrides.items():
            if s2 == sec and (s2, key) not in done:
                out.append("%s = %s" % (key, value))
                done.add((s2, key))

    for line in open(example).read().splitlines():
        s = section_of(line)
        if s is not None:
            finish(section)
            section = s
        if section in resolver:
            continue  # the testbed's come instead
        m = re.match(r"^(\s*)([A-Za-z0-9_]+)(\s*=\s*)", line)
        if s is None and m and (section, m.group(2)) in overrides:
            line = m.group(1) + m.group(2) + m.group(3) + overrides[(section, m.group(2))]
            done.add((section, m.group(2)))
        out.append(line)
    finish(section)
    for sec in sorted({k[0] for k in overrides} - {k[0] for k in done}):
        out.append("[%s]" % sec)
        finish(sec)
    tb = open(testbed_toml).read()
    if ipv6:
        tb = tb.replace("127.0.0.1@", "::1@")
    text = "\n".join(out) + "\n\n# --- the testbed's resolver sections\n" + tb
    tomllib.loads(text)
    return text


def curl(args_pki, url):
    r = run(["curl", "-sS", "--max-time", "20", "--cacert", args_pki + "/ca.crt",
             "--cert", args_pki + "/client-a.crt", "--key", args_pki + "/client-a.key",
             "-w", "\n%{http_code}", url])
    body, _, code = r.stdout.rpartition("\n")
    return (int(code) if code.isdigit() else 0), body, r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--speerd", required=True)
    ap.add_argument("--speerctl", required=True)
    ap.add_argument("--example", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--pki-tool", default=os.path.join(os.path.dirname(__file__), "../../tools/pki/mkpki"))
    ap.add_argument("--ipv6", action="store_true")
    a = ap.parse_args()
    testbed = os.environ.get("SPEERD_TESTBED")
    if not testbed or not os.path.exists(testbed + "/speerd.toml"):
        print("run_speerd: $SPEERD_TESTBED/speerd.toml missing (ctest fixture testbed)")
        return 2
    d = os.path.abspath(a.dir)
    subprocess.run(["rm", "-rf", d], check=True)
    os.makedirs(d)
    pki = d + "/pki"
    subprocess.run([a.pki_tool, pki], check=True, stdout=subprocess.DEVNULL)
    store = "sqlite:%s/store.db" % d
    for cmd in (["store", "init"],
                ["client", "add", "sbc-a", "--cert-name", "sbc-a.example", "--tree", "e164.example",
                 "--rate", "100000", "--burst", "100000", "--actor", "tests"]):
        r = run([a.speerctl] + cmd + ["--store", store])
        if not check(r.returncode == 0, "speerctl " + " ".join(cmd) + " " + r.stderr.strip()):
            return 1
    config = d + "/speerd.toml"
    open(config, "w").write(build_config(a.example, testbed + "/speerd.toml", d, a.ipv6))
    r = run([a.speerd, "--check-config", config])
    check(r.returncode == 0, "speerd --check-config: " + (r.stdout + r.stderr).strip())

    notify = Notify(d + "/notify.sock")
    env = dict(os.environ, NOTIFY_SOCKET=notify.path)
    stderr = open(d + "/stderr.log", "w")
    p = subprocess.Popen([a.speerd, "--config", config], env=env, stderr=stderr)
    try:
        ready, seen = notify.wait("READY", 90)
        if not check(ready is not None and ready.get("READY") == "1",
                     "READY=1 (messages: %s, exit %s)" % (seen, p.poll())):
            print(open(d + "/stderr.log").read()[-2000:])
            return 1
        check(ready.get("MAINPID") == str(p.pid), "MAINPID=%s is the process" % ready.get("MAINPID"))
        m = re.search(r"API port (\d+), admin port (\d+)", ready.get("STATUS", ""))
        if not check(m is not None, "STATUS names the ports: %r" % ready.get("STATUS")):
            return 1
        api, admin = int(m.group(1)), int(m.group(2))
        host = "[::1]" if a.ipv6 else "localhost"
        base = "https://%s:%d" % (host, api)
        # Ready means ready: the first request after READY=1 is answered.
        code, body, err = curl(pki, base + "/v1/lookup?number=+12155551234")
        ok = code == 200
        j = json.loads(body) if ok else {}
        check(ok and j.get("verdict") == "route" and j.get("outcome", {}).get("state") == "secure",
              "lookup right after READY=1 routes, secure (%d %s %s)" % (code, body[:300], err))
        code, body, _ = curl(pki, base + "/v1/lookup?number=+12155551299")
        check(code == 200 and json.loads(body).get("code") == "dnssec-bogus",
              "a bogus answer is rejected (%d %s)" % (code, body[:200]))
        adm = "http://%s:%d" % ("[::1]" if a.ipv6 else "127.0.0.1", admin)
        r = run(["curl", "-sS", "--max-time", "5", adm + "/healthz"])
        check(r.returncode == 0, "/healthz answers " + r.stderr)
        readyz = 0
        for _ in range(100):
            r = run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", adm + "/readyz"])
            readyz = int(r.stdout or 0)
            if readyz == 200:
                break
            time.sleep(0.1)
        check(readyz == 200, "/readyz becomes 200 (upstream stubs answer%s)" %
              (" over ::1" if a.ipv6 else ""))

        p.send_signal(signal.SIGHUP)
        reloading, seen = notify.wait("RELOADING", 30)
        check(reloading is not None, "SIGHUP: RELOADING=1 (%s)" % seen)
        again, seen = notify.wait("READY", 30)
        check(again is not None and again.get("STATUS") == "reloaded",
              "after the reload: READY=1, STATUS=reloaded (%s)" % seen)

        good = open(config).read()
        open(config, "w").write(good + "\n[limitz]\nmax_connections = 5\n")
        p.send_signal(signal.SIGHUP)
        notify.wait("RELOADING", 30)
        refused, seen = notify.wait("READY", 30)
        check(refused is not None and "reload refused" in refused.get("STATUS", "")
              and "[limitz]: unknown section" in refused.get("STATUS", ""),
              "a broken file: READY=1 with STATUS naming the section (%s)" % seen)
        code, body, _ = curl(pki, base + "/v1/lookup?number=+12155551234")
        check(code == 200 and json.loads(body).get("verdict") == "route",
              "the old configuration keeps serving (%d)" % code)
        open(config, "w").write(good)

        p.send_signal(signal.SIGTERM)
        stopping, seen = notify.wait("STOPPING", 30)
        check(stopping is not None, "SIGTERM: STOPPING=1 (%s)" % seen)
        try:
            rc = p.wait(30)
        except subprocess.TimeoutExpired:
            rc = None
        check(rc == 0, "exit status 0 after SIGTERM (%s)" % rc)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    if FAILURES:
        print("run_speerd: %d check(s) failed; logs in %s" % (len(FAILURES), d))
        return 1
    print("run_speerd: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
