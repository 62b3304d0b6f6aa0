"""A running SBE lab: the signed-zone testbed, speerd, Kamailio with the
shipped conf/kamailio-speerd.cfg, and sipp user agents, all on 127.0.0.1 with
free ports. Used by the sbe tests (tests/sbe) and the Kamailio benchmark
(tools/bench/kamailio-calls). Standard library only.

Layout of the lab folder (made fresh by Lab.create):
  testbed/      tools/testbed (its own: tests stop its NSD instances)
  pki/          tools/pki/mkpki, plus kamailio.crt/.key (the SBE's client
                certificate), crl-kamailio.pem (a CRL that also revokes it) and
                server-otherca.crt/.key (speerd's certificate from another CA)
  store.db      the SED store; speerd.toml; speerd.log; kamailio.log
  state.json    pids and ports, so that later processes can use the lab
"""

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
MARKER = ".speerd-sbe-lab"
# The Kamailio configuration every lab runs: the shipped file, as it is.
CONFIG = os.path.join(SOURCE, "conf/kamailio-speerd.cfg")

# The Kamailio client: its certificate's SAN, its store record.
KAMAILIO_NAME = "sbe-kamailio.example"


class LabError(Exception):
    pass


class Failed(Exception):
    """A case's check failed (the case modules share it, and fixture_main
    reports it as the case's failure)."""


def check(cond, what):
    if not cond:
        raise Failed(what)


def sh(args, **kw):
    """Runs a command; raises LabError with its output when it fails."""
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if p.returncode != 0:
        raise LabError("%s failed (%d): %s" % (" ".join(args), p.returncode, p.stdout[-2000:]))
    return p.stdout


def free_ports(n):
    """n distinct ports free for both UDP and TCP on 127.0.0.1 (as
    tools/testbed/tbtool.py freeports: sockets held until all are chosen)."""
    held, ports = [], []
    try:
        for _ in range(200):
            if len(ports) == n:
                break
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            held += [tcp, udp]
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            ports.append(port)
    finally:
        for s in held:
            s.close()
    if len(ports) != n:
        raise LabError("could not find %d free ports" % n)
    return ports


def wait_for(what, check, timeout=20.0, step=0.05):
    until = time.monotonic() + timeout
    while True:
        if check():
            return
        if time.monotonic() > until:
            raise LabError("timed out waiting for " + what)
        time.sleep(step)


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # A zombie child counts as gone.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def stop_pid(pid, timeout=15.0):
    """SIGTERM, then SIGKILL; only the given pid (a process the lab started)."""
    if not pid or not alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    try:
        wait_for("pid %d to exit" % pid, lambda: not alive(pid), timeout)
    except LabError:
        os.kill(pid, signal.SIGKILL)
        wait_for("pid %d to die" % pid, lambda: not alive(pid), 5)
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def sip_options(port, timeout=1.0):
    """Sends one OPTIONS to Kamailio over UDP; returns the status code or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(timeout)
    lport = s.getsockname()[1]
    tag = "%x" % (time.monotonic_ns() & 0xFFFFFFFF)
    msg = (
        "OPTIONS sip:127.0.0.1:%d SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=%s\r\n"
        "To: <sip:127.0.0.1:%d>\r\nCall-ID: probe-%s@127.0.0.1\r\n"
        "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n" % (port, lport, tag, tag, port, tag)
    )
    try:
        s.sendto(msg.encode(), ("127.0.0.1", port))
        data = s.recv(65535).decode(errors="replace")
        return int(data.split(" ", 2)[1])
    except (OSError, ValueError, IndexError):
        return None
    finally:
        s.close()


class Lab:
    def __init__(self, folder, build):
        self.dir = os.path.abspath(folder)
        self.build = os.path.abspath(build)
        self.state = {}
        p = os.path.join(self.dir, "state.json")
        if os.path.exists(p):
            with open(p) as f:
                self.state = json.load(f)

    # --- paths and state ---------------------------------------------------
    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def pki(self, name):
        return self.path("pki", name)

    def save(self):
        with open(self.path("state.json.new"), "w") as f:
            json.dump(self.state, f, indent=1)
        os.rename(self.path("state.json.new"), self.path("state.json"))

    @property
    def speerctl(self):
        return os.path.join(self.build, "tools/speerctl/speerctl")

    @property
    def speerd(self):
        return os.path.join(self.build, "resolver/daemon/speerd")

    # --- creation ----------------------------------------------------------
    def create(self, store_csv, policy="store-authoritative", idle_timeout_ms=60000,
               speerd_threads=1, kamailio_children=2, speerd_workers=2, shm_mb=64,
               extra_records="", kamailio_defines=(), kamailio_options=()):
        """Fresh lab folder, testbed, PKI, store. `store_csv` is speerctl
        import CSV without the client row (offers name the client 'sbe').
        `extra_records`: lines "ZONE RR" signed into the testbed's zones
        (TESTBED_EXTRA_RECORDS). `kamailio_defines`: more -A NAME=VALUE;
        `kamailio_options`: more command-line options (e.g. -x tlsf)."""
        if os.path.exists(self.dir):
            if not os.path.exists(os.path.join(self.dir, MARKER)) and os.listdir(self.dir):
                raise LabError(self.dir + " exists and is not an SBE lab")
            Lab(self.dir, self.build).destroy()
            shutil.rmtree(self.dir)
        os.makedirs(self.dir)
        open(os.path.join(self.dir, MARKER), "w").close()
        self.state = {}
        env = dict(os.environ, TESTBED_QUIET="1")
        if extra_records:
            with open(self.path("extra-records.txt"), "w") as f:
                f.write(extra_records)
            env["TESTBED_EXTRA_RECORDS"] = self.path("extra-records.txt")
        sh([os.path.join(SOURCE, "tools/testbed/testbed"), "start", self.path("testbed")], env=env)
        self.state["testbed"] = self.path("testbed")
        self.save()
        sh([os.path.join(SOURCE, "tools/pki/mkpki"), self.path("pki")])
        self._extra_pki()
        store = "sqlite:" + self.path("store.db")
        self.state["store"] = store
        sh([self.speerctl, "store", "init", "--store", store])
        csv = "client,sbe,%s,,1000000,1000000,true,e164.example e164.tree-b.example,Kamailio\n" % (
            KAMAILIO_NAME)
        with open(self.path("store.csv"), "w") as f:
            f.write(csv + store_csv)
        sh([self.speerctl, "import", self.path("store.csv"), "--store", store, "--actor", "sbelab"])
        api, admin, sip = free_ports(3)
        self.state.update(api_port=api, admin_port=admin, sip_port=sip, policy=policy,
                          idle_timeout_ms=idle_timeout_ms, speerd_threads=speerd_threads,
                          kamailio_children=kamailio_children, speerd_workers=speerd_workers,
                          shm_mb=shm_mb, kamailio_defines=list(kamailio_defines),
                          kamailio_options=list(kamailio_options),
                          server_cert="server", uas={})
        shutil.copy(self.pki("crl.pem"), self.pki("crl-active.pem"))
        self.save()

    def _extra_pki(self):
        d = self.path("pki")
        ext = os.path.join(d, "x.ext")

        def issue(ca, name, cn, extensions):
            sh(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-out", os.path.join(d, name + ".key")])
            sh(["openssl", "req", "-new", "-key", os.path.join(d, name + ".key"), "-subj",
                "/CN=" + cn, "-out", os.path.join(d, name + ".csr")])
            with open(ext, "w") as f:
                f.write("[x]\nbasicConstraints = critical, CA:FALSE\n"
                        "keyUsage = critical, digitalSignature\n" + extensions + "\n")
            sh(["openssl", "ca", "-batch", "-notext", "-config", os.path.join(d, ca + ".d/ca.cnf"),
                "-extfile", ext, "-extensions", "x", "-in", os.path.join(d, name + ".csr"),
                "-out", os.path.join(d, name + ".crt")])
            os.chmod(os.path.join(d, name + ".key"), 0o644)

        issue("ca", "kamailio", "sbe-kamailio",
              "extendedKeyUsage = clientAuth\nsubjectAltName = DNS:" + KAMAILIO_NAME)
        issue("other-ca", "server-otherca", "speerd from another CA",
              "extendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost, IP:127.0.0.1")
        # A CRL that also lists Kamailio's certificate (crl.pem stays as it was).
        cnf = os.path.join(d, "ca.d/ca.cnf")
        sh(["openssl", "ca", "-batch", "-config", cnf, "-revoke", os.path.join(d, "kamailio.crt")])
        sh(["openssl", "ca", "-batch", "-config", cnf, "-gencrl", "-out",
            os.path.join(d, "crl-kamailio.pem")])

    # --- speerd ------------------------------------------------------------
    def write_speerd_config(self):
        s = self.state
        with open(os.path.join(s["testbed"], "speerd.toml")) as f:
            resolver = f.read()
        resolver = resolver.replace("[dns]\n", "[dns]\nquery_timeout_ms = 800\n", 1)
        resolver = resolver.replace(
            "[lookup]\n", '[lookup]\nstore_policy = "%s"\n' % s["policy"], 1)
        cert = s["server_cert"]
        toml = resolver + (
            '\n[server]\nlisten = "127.0.0.1:%d"\nthreads = %d\ndrain_timeout_ms = 3000\n\n'
            '[tls]\ncertificate = "%s"\nprivate_key = "%s"\nclient_ca = "%s"\ncrls = ["%s"]\n\n'
            '[limits]\nidle_timeout_ms = %d\n\n'
            '[admin]\nlisten = "127.0.0.1:%d"\n\n[store]\nuri = "%s"\nrefresh_interval_ms = 200\n\n'
            '[log]\nlevel = "info"\nfile = "%s"\n' % (
                s["api_port"], s["speerd_threads"], self.pki(cert + ".crt"),
                self.pki(cert + ".key"), self.pki("ca.crt"), self.pki("crl-active.pem"),
                s["idle_timeout_ms"], s["admin_port"], s["store"], self.path("speerd.log")))
        if s.get("dns_front"):  # tests/sbe/enum_cases.py: the enum module's name server
            toml += '\n[dns_front]\nenabled = true\nlisten = ["%s"]\n' % s["dns_front"]
        with open(self.path("speerd.toml.new"), "w") as f:
            f.write(toml)
        os.rename(self.path("speerd.toml.new"), self.path("speerd.toml"))

    def start_speerd(self):
        self.write_speerd_config()
        err = open(self.path("speerd.stderr"), "a")
        p = subprocess.Popen([self.speerd, "--config", self.path("speerd.toml")],
                             stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                             start_new_session=True)
        self.state["speerd_pid"] = p.pid
        self.save()

        def ready():
            if p.poll() is not None:
                raise LabError("speerd exited (%d): %s" % (p.returncode, self.tail("speerd.stderr")))
            return self.is_ready(*self.admin("/readyz"))

        wait_for("speerd /readyz", ready)

    def is_ready(self, status, body):
        """What start_speerd waits for: /readyz answers 200."""
        return status == 200

    def stop_speerd(self):
        stop_pid(self.state.get("speerd_pid"))
        self.state["speerd_pid"] = None
        self.save()
        self.check_sanitizers()

    def check_sanitizers(self):
        """A sanitizer report from speerd (ASan builds) fails the lab."""
        err = self.tail("speerd.stderr", 10 ** 7)
        if "Sanitizer" in err or "runtime error:" in err:
            raise LabError("speerd sanitizer report:\n" + err[-4000:])

    def restart_speerd(self, **changes):
        self.stop_speerd()
        self.state.update(changes)
        self.save()
        self.start_speerd()

    def reload_speerd(self):
        os.kill(self.state["speerd_pid"], signal.SIGHUP)

    def admin(self, path):
        try:
            with urllib.request.urlopen(
                    "http://127.0.0.1:%d%s" % (self.state["admin_port"], path), timeout=2) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError:
            return None, ""

    def metric(self, name, label=None):
        """Sum of every sample of metric `name` (all label sets, or those
        whose labels contain `label`, e.g. 'code="bad-number"')."""
        status, text = self.admin("/metrics")
        if status != 200:
            raise LabError("speerd /metrics: %s" % status)
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                if label and label not in line.split("}", 1)[0]:
                    continue
                total += float(line.rsplit(" ", 1)[1])
        return total

    def api(self, path_query, timeout=5):
        """One request to speerd's API as Kamailio's client (its certificate):
        (HTTP status, parsed JSON body or None). A new connection each time."""
        ctx = ssl.create_default_context(cafile=self.pki("ca.crt"))
        ctx.load_cert_chain(self.pki("kamailio.crt"), self.pki("kamailio.key"))
        url = "https://127.0.0.1:%d/v1%s" % (self.state["api_port"], path_query)
        try:
            with urllib.request.urlopen(url, timeout=timeout, context=ctx) as r:
                status, body = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        try:
            return status, json.loads(body)
        except ValueError:
            return status, None

    # --- sipp UAS ----------------------------------------------------------
    def start_uas(self, name, scenario, extra=(), trace=True, port=None):
        """A sipp UAS (on `port`, or a free one); with `trace`, its message
        log counts the INVITEs."""
        port = port or free_ports(1)[0]
        log = self.path("uas-%s.msg" % name)
        out = open(self.path("uas-%s.out" % name), "w")
        tr = ["-trace_msg", "-message_file", log, "-message_overwrite", "false"] if trace else []
        p = subprocess.Popen(
            ["sipp", "-sf", scenario, "-i", "127.0.0.1", "-p", str(port), "-nostdin"] + tr +
            list(extra),
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.state["uas"][name] = {"pid": p.pid, "port": port, "log": log}
        self.save()
        wait_for("sipp UAS %s" % name, lambda: self._udp_bound(port))
        return port

    @staticmethod
    def _udp_bound(port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", port))
            return False
        except OSError:
            return True
        finally:
            s.close()

    def invites_at(self, name):
        """INVITEs the named UAS has received so far (from its message log)."""
        try:
            with open(self.state["uas"][name]["log"], errors="replace") as f:
                return sum(1 for line in f if line.startswith("INVITE sip:"))
        except FileNotFoundError:
            return 0

    # --- Kamailio ----------------------------------------------------------
    def kamailio_args(self):
        s = self.state
        return [
            "kamailio", "-f", CONFIG, "-DD", "-E",
            "-m", str(s.get("shm_mb", 64)), "-M", "8", "-Y", self.path("kamailio-run"),
            "-A", "SBE_LISTEN=udp:127.0.0.1:%d" % s["sip_port"],
            "-A", "SBE_LISTEN_TCP=tcp:127.0.0.1:%d" % s["sip_port"],
            "-A", "SBE_CHILDREN=%d" % s["kamailio_children"],
            "-A", "SPEERD_WORKERS=%d" % s["speerd_workers"],
            "-A", 'SBE_CTL="unix:%s"' % self.path("kamailio-run/kamailio_ctl"),
            "-A", 'SPEERD_HTTPCON="speerd=>https://127.0.0.1:%d/v1"' % s["api_port"],
            "-A", 'SPEERD_CLIENT_CERT="%s"' % self.pki("kamailio.crt"),
            "-A", 'SPEERD_CLIENT_KEY="%s"' % self.pki("kamailio.key"),
            "-A", 'SPEERD_CA="%s"' % self.pki("ca.crt"),
        ] + [a for d in s.get("kamailio_defines", []) for a in ("-A", d)] + list(
            s.get("kamailio_options", []))

    def start_kamailio(self):
        os.makedirs(self.path("kamailio-run"), exist_ok=True)
        log = open(self.path("kamailio.log"), "a")
        p = subprocess.Popen(self.kamailio_args(), stdin=subprocess.DEVNULL, stdout=log,
                             stderr=log, start_new_session=True)
        self.state["kamailio_pid"] = p.pid
        self.save()

        def ready():
            if p.poll() is not None:
                raise LabError("kamailio exited (%d): %s" % (p.returncode, self.tail("kamailio.log")))
            return sip_options(self.state["sip_port"], 0.2) == 200

        wait_for("Kamailio to answer OPTIONS", ready)

    # --- calls -------------------------------------------------------------
    def call(self, number, expect, calls=1, rate=10, limit=None, timeout=20, extra=(),
             trace=True, sip_port=None):
        """Runs a sipp UAC: `calls` INVITEs to `number` (a '%d' in it is
        replaced by the call number), each expected to get final answer
        `expect` (200: the call is set up, ACKed and ended with BYE).
        `sip_port`: another Kamailio than the lab's first.
        Returns (exit status, sipp's output, path of its message log)."""
        scen = self.path("uac-%d.xml" % expect)
        if not os.path.exists(scen):
            with open(scen, "w") as f:
                f.write(uac_scenario(expect))
        if number is None:  # the number from -inf's first field ([field0])
            scen = self.path("uac-%d-inf.xml" % expect)
            with open(scen, "w") as f:
                f.write(uac_scenario(expect).replace("[service]", "[field0]"))
            number = "-"
        n = self.state.get("uac_runs", 0) + 1
        self.state["uac_runs"] = n
        self.save()
        log = self.path("uac-%d.msg" % n)
        port = free_ports(1)[0]
        args = ["sipp", "127.0.0.1:%d" % (sip_port or self.state["sip_port"]), "-sf", scen, "-s", number,
                "-i", "127.0.0.1", "-p", str(port), "-m", str(calls), "-r", str(rate),
                "-nostdin", "-timeout", "%ds" % timeout, "-timeout_error", "-trace_err",
                "-error_file", log + ".err"] + (["-l", str(limit)] if limit else []) + list(extra)
        if trace:
            args += ["-trace_msg", "-message_file", log]
        p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=timeout + 30)
        return p.returncode, p.stdout, log

    def tail(self, name, n=3000):
        try:
            with open(self.path(name), errors="replace") as f:
                return f.read()[-n:]
        except FileNotFoundError:
            return ""

    # --- teardown ----------------------------------------------------------
    def destroy(self):
        s = self.state
        stop_pid(s.get("kamailio_pid"))
        stop_pid(s.get("kamailio_enum_pid"))
        for u in s.get("uas", {}).values():
            stop_pid(u.get("pid"))
        pid = s.get("speerd_pid")
        if pid and alive(pid):
            os.kill(pid, signal.SIGCONT)  # a test may have left it stopped
        stop_pid(pid)
        if s.get("testbed"):
            subprocess.run([os.path.join(SOURCE, "tools/testbed/testbed"), "stop", s["testbed"]],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.check_sanitizers()


def uac_scenario(expect):
    """A sipp UAC scenario whose call succeeds only on final answer `expect`."""
    invite = """<send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
"""
    if expect == 200:
        rest = """<recv response="200" rtd="true" rrs="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      [routes]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      [routes]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" crlf="true"/>
"""
    else:
        # tm sends the ACK of a non-2xx final answer hop by hop; sipp's ACK
        # goes to Kamailio, which absorbs it.
        rest = """<recv response="%d" rtd="true"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
""" % expect
    return ('<?xml version="1.0" encoding="ISO-8859-1" ?>\n'
            '<scenario name="speerd UAC expecting %d">\n  %s  %s</scenario>\n' % (expect, invite, rest))


def fixture_main(argv, doc, make_lab, start, cases, make_case, pids, errors):
    """The command line of a test driver built on a lab, as ctest runs it:
    `--list` (the cases), or `LAB BUILD start|stop|CASE`. `make_lab(folder,
    build)` makes the lab, `start(lab)` is the fixture, `cases` maps a name
    to a function of `make_case(lab)`, run only while every process named in
    `pids` (keys of the lab's state) is alive. Exceptions of the types in
    `errors` (and LabError) fail the case with their message. Returns the
    exit status."""
    if argv[1:] == ["--list"]:
        print(" ".join(cases))
        return 0
    if len(argv) != 4:
        sys.stderr.write(doc)
        return 2
    lab = make_lab(argv[1], argv[2])
    what = argv[3]
    try:
        if what == "start":
            start(lab)
        elif what == "stop":
            lab.destroy()
        elif what in cases:
            for p in pids:
                if not (lab.state.get(p) and alive(lab.state[p])):
                    raise LabError("the fixture is not running (%s)" % p)
            cases[what](make_case(lab))
        else:
            sys.stderr.write("unknown case %s (known: %s)\n" % (what, " ".join(sorted(cases))))
            return 2
    except (LabError,) + tuple(errors) as e:
        print("FAILED: %s" % e)
        return 1
    print("passed: " + what)
    return 0
