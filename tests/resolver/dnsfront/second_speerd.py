"""A second speerd beside test_dns_frontend.py's lab, for the cases that
change what a running speerd sees (a row of [dns_front], its CRL, its store):
the lab's config with its own ports, log and whatever `edit` changes, on the
lab's testbed. The lab's speerd and the other cases are not disturbed.
"""

import subprocess
import urllib.error
import urllib.request

import sbelab


Failed = sbelab.Failed
check = sbelab.check


class Second:
    """A running second speerd: `p` (its process), `port` (DNS, UDP and TCP
    on 127.0.0.1), `dot_port`, `admin_port`, `name` (its files' infix)."""

    def __init__(self, lab, name, p, ports):
        self.lab, self.name, self.p = lab, name, p
        self.api_port, self.admin_port, self.port, self.port6, self.dot_port = ports

    def path(self, what):
        return self.lab.path("speerd-%s.%s" % (self.name, what))

    def metric(self, series):
        """The value of one sample line of /metrics (0 when absent)."""
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.admin_port,
                                    timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(series + " "):
                    return float(line.rsplit(" ", 1)[1])
        return 0.0

    def stop(self):
        sbelab.stop_pid(self.p.pid)
        err = self.lab.tail(self.path("stderr"), 10 ** 6)
        check("Sanitizer" not in err and "runtime error:" not in err, "sanitizer report:\n" + err)


def start(lab, name, edit=lambda toml: toml):
    """Starts the second speerd `name` with `edit(toml)` of the lab's config
    (ports and log already its own) and waits for /readyz; returns a Second."""
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
    second = Second(lab, name, None, ports)
    toml = toml.replace(lab.path("speerd.log"), second.path("log"))
    check(toml.rstrip().rsplit("\n[", 1)[-1].startswith("dns_front]"), "[dns_front] is not last")
    with open(second.path("toml"), "w") as f:
        f.write(edit(toml))
    err = open(second.path("stderr"), "w")
    p = subprocess.Popen([lab.speerd, "--config", second.path("toml")],
                         stdin=subprocess.DEVNULL, stdout=err, stderr=err, start_new_session=True)
    second.p = p

    def ready():
        if p.poll() is not None:
            raise Failed("the second speerd %s exited (%d): %s" % (
                name, p.returncode, lab.tail(second.path("stderr"))))
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/readyz" % ports[1], timeout=2) as r:
                return lab.is_ready(r.status, r.read().decode())
        except urllib.error.HTTPError as e:
            return lab.is_ready(e.code, e.read().decode())
        except OSError:
            return False

    try:
        sbelab.wait_for("the second speerd %s /readyz" % name, ready)
    except BaseException:
        sbelab.stop_pid(p.pid)
        raise
    return second
