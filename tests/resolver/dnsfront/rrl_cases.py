"""UDP response-rate limiting end to end (issue 14 item 5), a case of
test_dns_frontend.py's lab, whose speerd runs with rrl_responses_per_second =
100 and rrl_slip = 2 (DnsLab.write_speerd_config). A burst from 127.0.1.1
(another /24 than the lab's clients at 127.0.0.1, and no client's source: its
answers are REFUSED, which count like any answer) gets about one second's
worth of answers, then every second answer over the rate as an empty TC=1
answer and the rest none; the lab's client keeps its own budget.
"""

import socket
import struct
import subprocess
import time

import sbelab

RATE = 100
BURST = 400


Failed = sbelab.Failed
check = sbelab.check


def query(qid, name):
    """A NAPTR query, RD set, no EDNS (the answers stay small)."""
    wire = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        wire += bytes([len(label)]) + label.encode()
    return wire + b"\x00" + struct.pack("!HH", 35, 1)


def rrl_sample(lab, action):
    status, text = lab.admin("/metrics")
    check(status == 200, "/metrics: %s" % status)
    series = 'speerd_dns_rrl_total{action="%s"} ' % action
    for line in text.splitlines():
        if line.startswith(series):
            return float(line.rsplit(" ", 1)[1])
    raise Failed("no series %s in /metrics" % series.strip())


def case_rrl_slip(c):
    lab = c.lab
    port = lab.state["dns_port"]
    name = "4.3.2.1.5.5.5.5.1.2.1.e164.example."
    before = {a: rrl_sample(lab, a) for a in ("send", "slip", "drop")}
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind(("127.0.1.1", 0))
    t0 = time.monotonic()
    for i in range(BURST):
        s.sendto(query(i, name), ("127.0.0.1", port))
    full = truncated = 0
    last = t0
    s.settimeout(1.0)
    try:
        while True:
            data = s.recv(65535)
            last = time.monotonic()
            flags, ancount = struct.unpack("!H", data[2:4])[0], struct.unpack("!H", data[6:8])[0]
            if flags & 0x0200:
                check(ancount == 0, "a TC=1 answer with %d answer records" % ancount)
                truncated += 1
            else:
                full += 1
    except socket.timeout:
        pass
    s.close()
    after = {a: rrl_sample(lab, a) for a in ("send", "slip", "drop")}
    # Every answer sent was decided between the first send and the last
    # answer: one second's bucket, plus what refilled meanwhile.
    window = last - t0
    budget = RATE + RATE * window + 2
    check(full <= budget, "%d answers to one prefix in %.3f s (rate %d/s)" % (full, window, RATE))
    check(full >= RATE * 0.9, "only %d answers: the bucket should allow %d" % (full, RATE))
    # slip 2: every second answer over the rate is truncated, the others
    # dropped (speerd's counters; a loopback datagram can still be lost, so
    # the truncated answers seen are at most the slipped ones).
    slipped = after["slip"] - before["slip"]
    dropped = after["drop"] - before["drop"]
    over = slipped + dropped
    # (Queries the kernel dropped before speerd read them get no decision.)
    check(over >= BURST / 4, "%d over the rate counted, %d queries sent" % (over, BURST))
    check(abs(slipped - dropped) <= 2, "slip 2: %d slipped, %d dropped" % (slipped, dropped))
    check(1 <= truncated <= slipped, "%d truncated answers seen, %d slipped" % (truncated, slipped))
    # Another prefix (the lab's client) has its own budget: answered in full.
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "-b", "127.0.0.1", name, "NAPTR",
                          "+tries=1", "+time=10", "+nocookie"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=60).stdout
    check("status: NOERROR" in out and " tc" not in out.split("flags:")[1].split(";")[0],
          "the lab's client was limited with another prefix:\n%s" % out)


CASES = {"rrl_slip": case_rrl_slip}
