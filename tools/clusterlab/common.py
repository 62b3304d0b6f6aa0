"""What the cluster lab (tools/cluster) is made of below the Cluster class: the
loopback layout's constants, process and port helpers, and the store content
every cluster starts with (numbers whose route shows which group answered)."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PGBIN = "/usr/lib/postgresql/15/bin"
MARKER = ".speerd-cluster"
MEMBERS = ("m1", "m2", "m3")
ADDR = "127.0.0.1"
CLIENT_CERT_NAME = "urn:speerd:client:sbc-a"   # tools/pki client-a
DB = "speerd"


class ClusterError(Exception):
    pass


def log(msg):
    if not os.environ.get("CLUSTER_QUIET"):
        print("cluster: " + msg, file=sys.stderr, flush=True)


def sh(args, env=None, check=True, timeout=120):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       env=env, timeout=timeout)
    if check and p.returncode != 0:
        raise ClusterError("%s failed (%d): %s" % (" ".join(args), p.returncode, p.stdout[-3000:]))
    return p


def free_ports(n):
    held, ports = [], []
    try:
        while len(ports) < n:
            s = socket.socket()
            s.bind((ADDR, 0))
            held.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in held:
            s.close()
    return ports


def wait_for(what, check, timeout=90.0, step=0.2):
    until = time.monotonic() + timeout
    while True:
        if check():
            return
        if time.monotonic() > until:
            raise ClusterError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(step)


def http_get(url, timeout=2.0):
    """(status, body) or (None, error text)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except (OSError, ValueError) as e:
        return None, str(e)


def pid_names(pid, needle):
    """Is `pid` alive and does its command line (or data folder) name `needle`?"""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        with open("/proc/%d/stat" % pid) as f:
            if f.read().split(")")[-1].split()[0] == "Z":
                return False
    except (OSError, ValueError):
        return False
    return needle in cmd


def stop_pid(pid, needle, timeout=20.0, sig=signal.SIGTERM):
    if not pid or not pid_names(pid, needle):
        return
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    until = time.monotonic() + timeout
    while pid_names(pid, needle) and time.monotonic() < until:
        time.sleep(0.1)
    if pid_names(pid, needle):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def make_reachable(path, user):
    """Every folder above `path` searchable for `user` (PostgreSQL's data and
    sockets live below DIR)."""
    d = os.path.abspath(path)
    while d != "/":
        st = os.stat(d)
        if not st.st_mode & 0o001:
            os.chmod(d, st.st_mode | 0o001)
        d = os.path.dirname(d)


def find_build(build):
    for b in ([build] if build else []) + [os.path.join(SOURCE, "build/release"),
                                           os.path.join(SOURCE, "build")]:
        speerd = None
        for rel in ("resolver/daemon/speerd", "resolver/service/speerd", "speerd"):
            if os.access(os.path.join(b, rel), os.X_OK):
                speerd = os.path.join(b, rel)
                break
        speerctl = os.path.join(b, "tools/speerctl/speerctl")
        if speerd and os.access(speerctl, os.X_OK):
            return os.path.abspath(speerd), os.path.abspath(speerctl)
    raise ClusterError("no speerd and speerctl under %s (build them first, or give --build)" %
                       (build or "build/release"))



def parse_metrics(text):
    """Prometheus text: {"name{labels}": float} (comments skipped)."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        try:
            out[key] = float(value)
        except ValueError:
            continue
    return out


def port_open(port):
    try:
        socket.create_connection((ADDR, port), 0.3).close()
        return True
    except OSError:
        return False


# Ten destination groups, each routed to its own next hop 192.0.2.(k+1):5060:
# a number 1215556kNNN must route to 192.0.2.(k+1), so a wrong route shows.
NUMBER_GROUPS = 10
NUMBERS_PER_GROUP = 100


def number_of(k, i):
    return "1215556%d%03d" % (k, i)


def expected_host(number):
    return "192.0.2.%d" % (int(number[7]) + 1)


def base_csv():
    rows = ["client,sbc-a,%s,,1000000,1000000,true,e164.example e164.tree-b.example,cluster" %
            CLIENT_CERT_NAME]
    for k in range(NUMBER_GROUPS):
        rows += ["dest-group,dg-%d,cluster group %d" % (k, k),
                 "route-group,rg-%d,10,true,dg-%d,to 192.0.2.%d" % (k, k, k + 1),
                 "sed,rg-%d,10,,192.0.2.%d,5060,udp" % (k, k + 1),
                 "offer,rg-%d,sbc-a" % k]
        rows += ["number,dg-%d,%s" % (k, number_of(k, i)) for i in range(NUMBERS_PER_GROUP)]
    rows += ["dest-group,dg-stream,rows streamed by the cluster tests"]
    return "\n".join(rows) + "\n"

