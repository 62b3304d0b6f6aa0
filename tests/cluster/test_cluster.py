#!/usr/bin/python3
"""The replicated cluster, end to end (issue 13, ctest label `cluster`).

    test_cluster.py LAB BUILD start     fixture: tools/cluster up LAB (etcd, three
                                         Patroni members, two speerd nodes)
    test_cluster.py LAB BUILD stop      fixture cleanup: tools/cluster down LAB
    test_cluster.py LAB BUILD CASE      one case (see CASES); exit 0 iff it passes
    test_cluster.py --list              the cases

Real etcd, Patroni, PostgreSQL 15, speerd and speerctl processes; lookups over
mTLS with the test PKI. The cases kill cluster members, so ctest runs them one
at a time, in this order (RESOURCE_LOCK). Each case writes what it saw to
LAB/report-CASE.json.
"""

import http.client
import importlib.machinery
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
cluster = importlib.machinery.SourceFileLoader(
    "cluster", os.path.join(SOURCE, "tools/cluster")).load_module()

STREAM_ROWS = 10000


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


class Looker:
    """An mTLS client on one node: a kept-alive connection, reopened after an
    error. Records every answer: right route, wrong route, or failure (how)."""

    def __init__(self, c, node):
        self.c, self.node = c, node
        ctx = ssl.create_default_context(cafile=c.path("pki/ca.crt"))
        ctx.load_cert_chain(c.path("pki/client-a.crt"), c.path("pki/client-a.key"))
        self.ctx = ctx
        self.port = c.state["nodes"][node]["api_port"]
        self.conn = None
        self.results = []   # (time, number, kind, detail)

    def lookup(self, number):
        t = time.monotonic()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(cluster.ADDR, self.port, timeout=5,
                                                        context=self.ctx)
            self.conn.request("GET", "/v1/lookup?number=%%2B%s&view=compact" % number)
            r = self.conn.getresponse()
            body = r.read().decode(errors="replace")
            status = r.status
        except (OSError, http.client.HTTPException) as e:
            self.conn = None
            self.results.append((t, number, "failed", "connection: %s" % type(e).__name__))
            return "failed"
        try:
            j = json.loads(body)
        except ValueError:
            j = {}
        if status == 200 and j.get("verdict") == "route":
            hosts = [x.get("host") for x in j.get("targets", [])]
            if hosts and all(h == cluster.expected_host(number) for h in hosts):
                kind, detail = "ok", ""
            else:
                kind, detail = "wrong-route", "%s -> %s" % (number, hosts)
        else:
            kind = "failed"
            err = j.get("error")
            code = j.get("code") or (err.get("code") if isinstance(err, dict) else err) or ""
            detail = "HTTP %d %s" % (status, code)
        self.results.append((t, number, kind, detail))
        return kind


def summary(results, since=None, until=None):
    out = {}
    for t, _, kind, detail in results:
        if since is not None and t < since:
            continue
        if until is not None and t > until:
            continue
        key = kind if kind != "failed" else "failed: " + detail
        out[key] = out.get(key, 0) + 1
    return out


def provisioned_numbers():
    return [cluster.number_of(k, i) for k in range(cluster.NUMBER_GROUPS)
            for i in range(cluster.NUMBERS_PER_GROUP)]


class LookupLoad:
    """One thread per node looking up numbers until stopped: `cached` ones
    (looked up before the load starts) and each other number once."""

    def __init__(self, c, cached, fresh):
        self.lookers = [Looker(c, n) for n in sorted(c.state["nodes"])]
        self.cached, self.fresh = cached, fresh
        self.stop_flag = threading.Event()
        self.threads = []
        for lk in self.lookers:
            for n in cached:   # warm each node's cache
                lk.lookup(n)
            lk.results.clear()

    def run(self, lk, fresh):
        i = 0
        while not self.stop_flag.is_set():
            lk.lookup(self.cached[i % len(self.cached)])
            if fresh:
                lk.lookup(fresh.pop())
            i += 1
            time.sleep(0.005)

    def start(self):
        for k, lk in enumerate(self.lookers):
            fresh = [n for j, n in enumerate(self.fresh) if j % len(self.lookers) == k]
            t = threading.Thread(target=self.run, args=(lk, fresh), daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(10)

    def all_results(self):
        return [r for lk in self.lookers for r in lk.results]

    def cached_results(self):
        return [r for r in self.all_results() if r[1] in set(self.cached)]


def next_run(c):
    try:
        with open(c.path("runs")) as f:
            run = int(f.read()) + 1
    except (OSError, ValueError):
        run = 0
    with open(c.path("runs"), "w") as f:
        f.write(str(run % 100))
    return run % 100


def write_report(c, name, report):
    with open(c.path("report-%s.json" % name), "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report, indent=1))


def running_members(c):
    view = c.cluster_view() or {}
    return {x["name"]: x for x in view.get("members", []) if x.get("state") in ("running",
                                                                                  "streaming")}


def heal(c):
    """Restart members a previous case killed; wait until the cluster is whole."""
    for m in cluster.MEMBERS:
        if not c.patroni_alive(m):
            c.start_member(m)
    cluster.wait_for("three members, a sync standby", c.healthy, 180, 0.5)


# --- cases ------------------------------------------------------------------

def case_status(c, build):
    """tools/cluster status: members with roles and timeline, both nodes ready."""
    p = subprocess.run([os.path.join(SOURCE, "tools/cluster"), "status", c.dir, "--json"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    check(p.returncode == 0, "status exit %d: %s" % (p.returncode, p.stdout))
    st = json.loads(p.stdout)
    roles = sorted(m["role"] for m in st["members"])
    check(roles.count("leader") == 1, "not one leader: %s" % roles)
    check("sync_standby" in roles, "no sync standby in synchronous mode: %s" % roles)
    check(all(m["timeline"] for m in st["members"]), "a member without a timeline: %s" % st)
    check(len(st["nodes"]) >= 2 and all(n["ready"] for n in st["nodes"]), "nodes: %s" % st)
    # Each node reads from a standby (prefer-standby) while replicas are up.
    leader = [m["name"] for m in st["members"] if m["role"] == "leader"][0]
    for n in st["nodes"]:
        check(n["store_members"], "%s has no store session" % n["name"])
        check(not any(s.startswith(leader + "(") for s in n["store_members"]),
              "%s reads from the leader although replicas are up: %s" % (
                  n["name"], n["store_members"]))
    code, body = c.rest(leader, "/config")
    check(code == 200 and json.loads(body).get("synchronous_mode") is True,
          "Patroni's configuration lacks synchronous_mode: %s" % body)


def case_failover_writes(c, build):
    """kill -9 the primary (Patroni and postmaster) while speerctl streams
    10,000 writes and mTLS clients look up numbers on both nodes."""
    if len(running_members(c)) < 3 or not c.healthy():
        heal(c)
    old_leader = c.leader()
    old_tl = running_members(c)[old_leader]["timeline"]
    # Numbers of their own for each run of the case (13 digits: 19 RR 5557 NNNNN).
    run = next_run(c)
    actor = "stream-%02d" % run
    rows = ["number,dg-stream,%s" % ("19%02d5557%05d" % (run, i)) for i in range(STREAM_ROWS)]
    with open(c.path("stream.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    numbers = provisioned_numbers()
    load = LookupLoad(c, cached=numbers[:20], fresh=numbers[20:])
    load.start()
    out = open(c.path("stream.out"), "w")
    err = open(c.path("stream.err"), "w")
    p = subprocess.Popen([c.state["speerctl"], "import", c.path("stream.csv"), "--each-row",
                          "--store", c.state["write_uri"], "--actor", actor,
                          "--retry-for", "60"], stdout=out, stderr=err)
    # Kill the primary once a fifth of the rows are done.

    def progressed():
        check(p.poll() is None, "speerctl ended before the kill: %s" % c.tail("stream.err"))
        return c.tail("stream.out", 100000).count(": done") >= STREAM_ROWS // 5
    cluster.wait_for("speerctl to write %d rows" % (STREAM_ROWS // 5), progressed, 120, 0.1)
    t_kill = time.monotonic()
    c.kill_member(old_leader)
    try:
        rc = p.wait(240)
    except subprocess.TimeoutExpired:
        p.kill()
        raise Failed("speerctl did not finish within 240 s: " + c.tail("stream.err"))
    t_done = time.monotonic()
    cluster.wait_for("a new leader", lambda: c.leader() not in (None, old_leader), 60, 0.2)
    new_leader = c.leader()
    # Every node answers again (the nodes find the new roles without a restart).
    # (Probes on connections of their own: the load's threads own theirs.)
    probes = [Looker(c, n) for n in sorted(c.state["nodes"])]
    for lk in probes:
        cluster.wait_for("%s to answer after the failover" % lk.node,
                         lambda lk=lk: lk.lookup(numbers[0]) == "ok", 60, 0.2)
    t_after = time.monotonic()
    time.sleep(1)   # the load keeps going: these lookups count as "after"
    load.stop()
    for lk in probes:   # a round of fresh lookups after the failover: all answered
        lk.results.clear()
        for n in numbers[-50:]:
            lk.lookup(n)

    # What speerctl said, row by row.
    done, failed, unknown, lines = set(), set(), set(), c.tail("stream.out", 10 ** 8).splitlines()
    retried = 0
    for line in lines:
        if not line.startswith("line "):
            continue
        where, _, what = line.partition(": ")
        number = rows[int(where[5:]) - 1].split(",")[2]
        if what.startswith("done"):
            done.add(number)
            retried += "retried" in what
        elif what.startswith("unknown"):
            unknown.add(number)
        else:
            failed.add(number)
    check(len(done) + len(failed) + len(unknown) == STREAM_ROWS,
          "speerctl reported %d of %d rows" % (len(done) + len(failed) + len(unknown),
                                               STREAM_ROWS))
    check(rc == (0 if not failed and not unknown else rc), "exit code")
    # What the store holds, read on the new primary.
    r = c.psql(new_leader, "SELECT p.value FROM public_identifier p JOIN destination_group d "
                           "ON d.id = p.destination_group_id WHERE d.name = 'dg-stream' "
                           "AND p.value LIKE '19%02d5557%%'" % run)
    check(r.returncode == 0, "psql: " + r.stdout)
    stored = set(r.stdout.split())
    a = c.psql(new_leader, "SELECT object_key, count(*) FROM audit WHERE actor = '%s' "
                           "GROUP BY object_key HAVING count(*) <> 1" % actor)
    check(a.returncode == 0 and a.stdout.strip() == "",
          "audit rows not exactly one per write: %s" % a.stdout[:500])
    n_audit = c.psql(new_leader, "SELECT count(*) FROM audit WHERE actor = '%s'" %
                     actor).stdout.strip()
    lookups = load.all_results() + [r for lk in probes for r in lk.results]
    report = {
        "old_leader": old_leader, "new_leader": new_leader, "rows": STREAM_ROWS,
        "done": len(done), "retried": retried, "failed": len(failed), "unknown": len(unknown),
        "speerctl_exit": rc, "stored": len(stored), "audit_rows": int(n_audit or 0),
        "kill_to_speerctl_done_s": round(t_done - t_kill, 1),
        "lookups_before_kill": summary(lookups, until=t_kill),
        "lookups_kill_to_all_answering": summary(lookups, since=t_kill, until=t_after),
        "lookups_after": summary(lookups, since=t_after),
        "cached_numbers": summary(load.cached_results()),
        "speerctl_retry_messages": c.tail("stream.err", 1500).splitlines()[-4:],
    }
    write_report(c, "failover_writes", report)
    check(done <= stored, "%d rows reported done are missing, e.g. %s" % (
        len(done - stored), sorted(done - stored)[:5]))
    check(not (failed & stored), "%d rows reported failed are in the store, e.g. %s" % (
        len(failed & stored), sorted(failed & stored)[:5]))
    check(stored <= done | unknown, "%d stored rows speerctl never reported, e.g. %s" % (
        len(stored - done - unknown), sorted(stored - done - unknown)[:5]))
    check(int(n_audit) == len(stored), "audit %s rows for %d stored" % (n_audit, len(stored)))
    check(retried >= 1, "no row was retried: the kill did not meet the stream")
    check(not unknown and not failed, "rows failed or unknown with a 60 s retry budget: "
          "%d failed, %d unknown" % (len(failed), len(unknown)))
    tl = running_members(c).get(new_leader, {}).get("timeline")
    check(tl and tl > old_tl, "the timeline did not move on: %s -> %s" % (old_tl, tl))
    wrong = [r for r in lookups if r[2] == "wrong-route"]
    check(not wrong, "wrong routes: %s" % wrong[:5])
    after = summary(lookups, since=t_after)
    check(set(after) == {"ok"}, "lookups failed after the failover: %s" % after)


def case_replica_killed(c, build):
    """kill -9 the replica the nodes read from: they move to another member
    and keep answering, every lookup with the right route."""
    live = running_members(c)
    st = c.status()
    used = set()
    for n in st["nodes"]:
        for s in n["store_members"]:
            used.add(s.split("(")[0])
    replicas = [m for m in used if live.get(m, {}).get("role") in ("replica", "sync_standby")]
    if not replicas:
        heal(c)
        st = c.status()
        used = {s.split("(")[0] for n in st["nodes"] for s in n["store_members"]}
        live = running_members(c)
        replicas = [m for m in used if live.get(m, {}).get("role") in ("replica", "sync_standby")]
    check(replicas, "no node reads from a replica: %s" % st)
    victim = sorted(replicas)[0]
    numbers = provisioned_numbers()
    lookers = [Looker(c, n) for n in sorted(c.state["nodes"])]
    for lk in lookers:
        for n in numbers[:5]:
            check(lk.lookup(n) == "ok", "%s before the kill: %s" % (lk.node, lk.results[-1]))
        lk.results.clear()
    c.kill_member(victim)
    # Uncached numbers need the store: each node's next store call finds its
    # connection dead, replaces it on another member and answers.
    for lk in lookers:
        for n in numbers[100:160]:
            lk.lookup(n)
    results = [r for lk in lookers for r in lk.results]
    st2 = c.status()
    report = {"victim": victim, "lookups": summary(results),
              "store_members_after": {n["name"]: n["store_members"] for n in st2["nodes"]},
              "ready_after": {n["name"]: n["ready"] for n in st2["nodes"]}}
    write_report(c, "replica_killed", report)
    check(not [r for r in results if r[2] == "wrong-route"], "wrong route")
    check(summary(results) == {"ok": len(results)}, "lookups failed after the replica was "
          "killed: %s" % summary(results))
    for n in st2["nodes"]:
        check(n["ready"], "%s not ready after the replica was killed: %s" % (n["name"], n))
        check(not any(s.startswith(victim + "(") for s in n["store_members"]),
              "%s still on the killed member" % n["name"])


def case_operation_id_rerun(c, build):
    """A write rerun with the operation id speerctl used is reported done and
    applied once; the same id for another write is refused."""
    op = "cluster-test-%d-%d" % (os.getpid(), int(time.time()))
    actor = "rerun-%d" % os.getpid()
    first_number = "1998%07d" % (os.getpid() % 10 ** 7)
    other_number = "1997%07d" % (os.getpid() % 10 ** 7)
    args = ["number", "add", "dg-stream", first_number, "--actor", actor, "--operation-id", op]
    first = c.speerctl(args, check=False)
    check(first.returncode == 0, "first write: %s" % first.stdout)
    again = c.speerctl(args, check=False)
    check(again.returncode == 0 and "already applied" in again.stdout,
          "rerun: %d %s" % (again.returncode, again.stdout))
    other = c.speerctl(["number", "add", "dg-stream", other_number, "--actor", actor,
                        "--operation-id", op], check=False)
    check(other.returncode == 5 and "different write" in other.stdout,
          "reused id: %d %s" % (other.returncode, other.stdout))
    leader = c.leader()
    n = c.psql(leader, "SELECT count(*) FROM audit WHERE actor = '%s'" % actor).stdout.strip()
    check(n == "1", "audit rows for the rerun write: %s" % n)


def case_commit_in_doubt(c, build):
    """A COMMIT cut off after it committed on the primary (the session
    terminated while the commit waits for the synchronous standby, as a
    failover would cut it): speerctl retries with its operation id, finds
    the write applied and says so; the write is there once."""
    if not c.healthy():
        heal(c)
    leader = c.leader()
    live = running_members(c)
    sync = [m for m, x in live.items() if x.get("role") == "sync_standby"]
    check(sync, "no sync standby: %s" % live)
    r = c.psql(sync[0], "SELECT pid FROM pg_stat_wal_receiver", db="postgres")
    check(r.returncode == 0 and r.stdout.strip().isdigit(), "walreceiver of %s: %s" % (
        sync[0], r.stdout))
    walreceiver = int(r.stdout.strip())
    check(cluster.pid_names(walreceiver, "walreceiver"), "pid %d is not a walreceiver" % walreceiver)
    number = "1995%07d" % (os.getpid() % 10 ** 7)
    actor = "doubt-%d" % os.getpid()
    op = "cluster-doubt-%d-%d" % (os.getpid(), int(time.time()))
    os.kill(walreceiver, signal.SIGSTOP)   # the standby stops acknowledging
    try:
        p = subprocess.Popen([c.state["speerctl"], "number", "add", "dg-stream", number,
                              "--store", c.state["write_uri"], "--actor", actor,
                              "--operation-id", op, "--retry-for", "60"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=dict(os.environ, PGAPPNAME=actor))

        # speerctl's own session (libpq takes application_name from
        # PGAPPNAME): another session waiting for the standby is not cut off.
        def waiting():
            q = c.psql(leader, "SELECT pid FROM pg_stat_activity WHERE wait_event = 'SyncRep' "
                       "AND application_name = '%s'" % actor)
            return q.stdout.split()
        cluster.wait_for("the COMMIT to wait for the synchronous standby", waiting, 30, 0.1)
        backends = waiting()
        t = c.psql(leader, "SELECT pg_terminate_backend(%d)" % int(backends[0]))
        check(t.returncode == 0, "pg_terminate_backend: " + t.stdout)
    finally:
        os.kill(walreceiver, signal.SIGCONT)
    out, err = p.communicate(timeout=90)
    report = {"exit": p.returncode, "stdout": out.strip(), "stderr": err.strip()[-1500:]}
    write_report(c, "commit_in_doubt", report)
    check(p.returncode == 0, "speerctl exit %d: %s" % (p.returncode, err))
    check("COMMIT was cut off" in err, "speerctl did not say the COMMIT was cut off: " + err)
    check("had applied it" in err, "speerctl did not say the write had been applied: " + err)
    n = c.psql(c.leader(), "SELECT count(*) FROM audit WHERE actor = '%s'" % actor).stdout.strip()
    check(n == "1", "audit rows for the write: %s (want exactly 1)" % n)
    v = c.psql(c.leader(), "SELECT count(*) FROM public_identifier WHERE value = '%s'" % number)
    check(v.stdout.strip() == "1", "the number is stored %s times" % v.stdout.strip())


PROPAGATION_BOUND_S = 1.0   # issue 13: in effect on every node within 1 s


def api_status(c, node):
    """HTTP status of one lookup by client-a on a new connection to `node`
    (a disabled client is refused when its connection is accepted), or None."""
    ctx = ssl.create_default_context(cafile=c.path("pki/ca.crt"))
    ctx.load_cert_chain(c.path("pki/client-a.crt"), c.path("pki/client-a.key"))
    conn = http.client.HTTPSConnection(cluster.ADDR, c.state["nodes"][node]["api_port"],
                                       timeout=5, context=ctx)
    try:
        conn.request("GET", "/v1/lookup?number=%%2B%s&view=compact" % provisioned_numbers()[0])
        r = conn.getresponse()
        r.read()
        return r.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def until_each_node(c, what, reached, t0, timeout=10.0, step=0.01):
    """Polls every node (a thread each) until reached(node); returns
    {node: ms from t0 until it was seen, or None if not within timeout}."""
    seen = {}

    def watch(node):
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            if reached(node):
                seen[node] = round((time.monotonic() - t0) * 1000)
                return
            time.sleep(step)
        seen[node] = None
    threads = [threading.Thread(target=watch, args=(n,), daemon=True)
               for n in sorted(c.state["nodes"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 5)
    check(all(seen.get(n) is not None for n in c.state["nodes"]),
          "%s: not on every node within %.0f s: %s" % (what, timeout, seen))
    return seen


def case_anchors_clients(c, build):
    """A DS trust anchor added with speerctl (on the primary) is applied on
    both nodes, and a client disabled with speerctl is refused by both, each
    within 1 s of speerctl's acknowledged write (the lab polls the store
    every refresh_ms = 200 ms). Then both are undone, and seen undone."""
    nodes = sorted(c.state["nodes"])
    metrics = {n: c.node_metrics(n) for n in nodes}
    for n in nodes:
        check(metrics[n].get("speerd_trust_anchors_pending") == 0,
              "%s: anchors pending before the case: %s" % (n, metrics[n]))
        check(api_status(c, n) == 200, "%s does not answer client-a before the case" % n)
    base = {n: int(metrics[n]["speerd_trust_anchors_store"]) for n in nodes}
    failed_before = {n: metrics[n].get(
        'speerd_trust_anchor_reloads_total{result="failed"}', 0) for n in nodes}
    with open(c.path("testbed/anchors/e164.example.ds")) as f:
        ds = f.read().strip()   # the zone's key: a second anchor for it, validation unchanged
    report = {"bound_ms": PROPAGATION_BOUND_S * 1000, "refresh_ms": c.state["refresh_ms"]}
    anchor_id, disabled = None, False
    try:
        t_start = time.monotonic()
        p = c.speerctl(["trust-anchor", "add", "e164.example.", ds, "--actor", "cluster-anchors"])
        t_ack = time.monotonic()
        anchor_id = p.stdout.split("trust anchor ")[1].split()[0]

        def applied(n):
            m = c.node_metrics(n)
            return (m.get("speerd_trust_anchors_store") == base[n] + 1
                    and m.get("speerd_trust_anchors_pending") == 0)
        seen = until_each_node(c, "the added anchor", applied, t_ack)
        report["anchor_add_ms"] = seen
        report["anchor_add_speerctl_ms"] = round((t_ack - t_start) * 1000)
        st = c.status()
        report["status_nodes"] = [{k: x[k] for k in ("name", "snapshot_age_ms",
                                                     "store_change_counter", "store_anchors",
                                                     "anchors_pending")} for x in st["nodes"]]
        for x in st["nodes"]:
            check(x["store_anchors"] == base[x["name"]] + 1 and not x["anchors_pending"],
                  "tools/cluster status: %s" % x)
            check(x["snapshot_age_ms"] is not None and x["snapshot_age_ms"] >= 0,
                  "tools/cluster status: no snapshot age: %s" % x)
        counters = {x["store_change_counter"] for x in st["nodes"]}
        check(len(counters) == 1 and None not in counters,
              "the nodes saw different change counters: %s" % st["nodes"])
        for n in nodes:   # validation unchanged: the lookup still routes
            check(api_status(c, n) == 200, "%s does not route after the anchor" % n)

        t_start = time.monotonic()
        c.speerctl(["client", "update", "sbc-a", "--disable", "--actor", "cluster-anchors"])
        disabled = True
        t_ack = time.monotonic()
        seen = until_each_node(c, "client sbc-a refused", lambda n: api_status(c, n) == 403,
                               t_ack)
        report["client_disable_ms"] = seen
        report["client_disable_speerctl_ms"] = round((t_ack - t_start) * 1000)
    finally:
        # Undone, so the later cases find the lab as it was.
        if disabled:
            c.speerctl(["client", "update", "sbc-a", "--enable", "--actor", "cluster-anchors"])
            t = time.monotonic()
            report["client_enable_ms"] = until_each_node(
                c, "client sbc-a served again", lambda n: api_status(c, n) == 200, t)
        if anchor_id:
            c.speerctl(["trust-anchor", "remove", anchor_id, "--actor", "cluster-anchors"])
            t = time.monotonic()
            report["anchor_remove_ms"] = until_each_node(
                c, "the anchor removed", lambda n: c.node_metrics(n).get(
                    "speerd_trust_anchors_store") == base[n], t)
        write_report(c, "anchors_clients", report)
    for n in nodes:
        m = c.node_metrics(n)
        check(m.get('speerd_trust_anchor_reloads_total{result="failed"}', 0) == failed_before[n],
              "%s: an anchor apply failed: %s" % (n, m))
    # The 1 s bound is the figure, measured (this report, and
    # tools/bench/cluster over 100 changes), not asserted: the test suite
    # holds no timing assertions (DEVELOPERS.md). What is asserted: every
    # change reached every node (until_each_node, 10 s), none failed.
    for what in ("anchor_add_ms", "client_disable_ms", "anchor_remove_ms", "client_enable_ms"):
        print("%s (bound %d ms, measured): %s" % (what, PROPAGATION_BOUND_S * 1000, report[what]))


# anchors_clients before the cases that kill members (it wants both nodes up).
CASES = ["status", "anchors_clients", "replica_killed", "failover_writes", "commit_in_doubt",
         "operation_id_rerun"]


def main():
    if sys.argv[1:] == ["--list"]:
        print(" ".join(CASES))
        return 0
    lab, build, what = sys.argv[1], sys.argv[2], sys.argv[3]
    os.environ.setdefault("CLUSTER_QUIET", "1")
    c = cluster.Cluster(lab)
    try:
        if what == "start":
            try:
                c.up(nodes=2, build=build)
            except BaseException:
                c.down()
                raise
            return 0
        if what == "stop":
            c.down()
            return 0
        if what not in CASES:
            print("unknown case " + what, file=sys.stderr)
            return 2
        check(c.state, "no cluster in %s (the start fixture failed?)" % lab)
        globals()["case_" + what](c, build)
        print("PASS " + what)
        return 0
    except (Failed, cluster.ClusterError) as e:
        print("FAIL %s: %s" % (what, e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
