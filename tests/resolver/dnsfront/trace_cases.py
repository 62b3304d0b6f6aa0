"""`speerctl trace --dns` cases of test_dns_frontend.py (its fixture, its lab):
speerctl runs the front end's handler on the lab's speerd.toml and store,
resolving against the same signed-zone testbed, and says what speerd answers
a given SBC. Each case checks the printed rcode and EDE, and that the real
front end (dig against the lab's speerd) answers the same.

Clients (test_dns_frontend.py, tsig_cases.py): 127.0.0.1 sbe, 127.0.0.3
narrow (tree e164.tree-b.example only), 127.0.0.2 no client, 127.0.0.4
strict (TSIG required, key strict.tsig).
"""

import json
import shlex
import subprocess

import tsig_cases


def trace(c, *args, text=False):
    """speerctl trace --dns ARGS on the lab: (exit code, JSON or text)."""
    cmd = [c.lab.speerctl, "trace", "--dns", "-c", c.lab.path("speerd.toml"),
           "--store", c.lab.state["store"]] + list(args) + ([] if text else ["--json"])
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    if text:
        return p.returncode, p.stdout + p.stderr
    try:
        return p.returncode, json.loads(p.stdout)
    except ValueError:
        raise AssertionError("speerctl trace --dns %s: exit %d, no JSON\n%s%s" % (
            " ".join(args), p.returncode, p.stdout, p.stderr))


def ede_codes(j):
    return [e["code"] for e in j["answer"]["ede"]]


def same_as_front_end(h, j, a):
    """The trace's answer is the one the running front end gave dig."""
    h.check(j["answer"]["rcode"] == a.status, "trace says %s, speerd answered %s\n%s" % (
        j["answer"]["rcode"], a.status, a))
    h.check(ede_codes(j) == [e for e, _ in a.ede], "trace EDE %s, speerd's %s\n%s" % (
        ede_codes(j), a.ede, a))
    regexps = sorted(r[8] for r in h.naptrs(a))
    traced = sorted(r.split()[-2] for r in j["answer"]["answer"] if " NAPTR " in r)
    h.check(traced == regexps, "trace NAPTRs %s, speerd's %s" % (traced, regexps))


def case_trace_dns_routed(c, h):
    code, j = trace(c, "--source", "127.0.0.1", "--dnssec", "+12155551234")
    h.check(code == 0, "a routed number exits 0, got %d" % code)
    ans = j["answer"]
    h.check(ans["rcode"] == "NOERROR" and ans["naptrs"] == 2, "answer %s" % ans)
    h.check(any('"!^.*$!sip:alice@good.peers.example!"' in r for r in ans["answer"]),
            "the validated URI's rule: %s" % ans["answer"])
    h.check(ans["ad"], "every step secure and DO set: AD expected: %s" % ans)
    h.check(ede_codes(j) == [], "no EDE for a fresh routed answer: %s" % ans["ede"])
    h.check("client sbe" in j["access"]["identity"] and j["access"]["in_scope"] is True,
            "access %s" % j["access"])
    h.check(j["access"]["refused"] is None, "not refused: %s" % j["access"])
    # The lookup ran for the query's tree only (its name in the lab's config).
    tree = j["lookup_request"]["tree"]
    h.check(j["lookup"]["verdict"] == "route" and tree and
            j["access"]["tree"] == "%s (e164.example.)" % tree,
            "the lookup behind it: %s, access %s" % (j.get("lookup_request"), j["access"]))
    h.check(all(int(r.split()[1]) <= 300 for r in ans["answer"]), "TTL above 300: %s" % ans)
    same_as_front_end(h, j, c.dig(h.enum_name("+12155551234"), extra=["+dnssec"]))
    # The text form: the lookup's steps beside the answer, and a dig
    # command that reproduces it against the running speerd.
    code, out = trace(c, "--source", "127.0.0.1", "--dnssec", "+12155551234", text=True)
    h.check(code == 0 and "rcode:       NOERROR" in out and "steps:" in out, out)
    dig = [l for l in out.splitlines() if l.startswith("reproduce:")]
    h.check(len(dig) == 1, "one dig line expected\n%s" % out)
    args = shlex.split(dig[0].split(":", 1)[1])
    h.check(args[0] == "dig" and "127.0.0.1" in args and
            str(c.lab.state["dns_port"]) in args, "dig line %s" % args)
    p = subprocess.run(args + ["+tries=1", "+time=10"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    h.check("status: NOERROR" in p.stdout and p.stdout.count("NAPTR") >= 3,
            "the printed dig command\n%s" % p.stdout)


def case_trace_dns_out_of_scope(c, h):
    code, j = trace(c, "--source", "127.0.0.3", "+12155551234")
    h.check(code == 1, "a refusal exits 1, got %d" % code)
    h.check(j["answer"]["rcode"] == "REFUSED" and ede_codes(j) == [18], "answer %s" % j["answer"])
    h.check(j["access"]["refused"] == "out_of_scope" and j["access"]["in_scope"] is False,
            "access %s" % j["access"])
    h.check("narrow" in j["access"]["why"], "the why names the client: %s" % j["access"])
    h.check(j["lookup"] is None, "no lookup for a refused query")
    same_as_front_end(h, j, c.dig(h.enum_name("+12155551234"), source="127.0.0.3"))
    # The same client by its certificate (as over DoT).
    code, j = trace(c, "--client", "narrow", "+12155551234")
    h.check(j["answer"]["rcode"] == "REFUSED" and ede_codes(j) == [18] and
            j["query"]["transport"] == "tls", "DoT as narrow: %s" % j["answer"])
    # narrow's own tree is served.
    code, j = trace(c, "--source", "127.0.0.3", "--tree", "e164.tree-b.example", "+12155559999")
    h.check(code == 0 and j["answer"]["naptrs"] == 1, "narrow's own tree: %s" % j["answer"])


def case_trace_dns_unknown_source(c, h):
    code, j = trace(c, "--source", "127.0.0.2", "+12155551234")
    h.check(code == 1, "exit %d" % code)
    h.check(j["answer"]["rcode"] == "REFUSED" and ede_codes(j) == [], "answer %s" % j["answer"])
    h.check(j["answer"]["answer"] == [] and j["answer"]["authority"] == [],
            "no data for an unknown source: %s" % j["answer"])
    h.check(j["access"]["refused"] == "unknown_source", "access %s" % j["access"])
    h.check("no client" in j["access"]["identity"], "access %s" % j["access"])
    same_as_front_end(h, j, c.dig(h.enum_name("+12155551234"), source="127.0.0.2"))


def case_trace_dns_bogus(c, h):
    code, j = trace(c, "--source", "127.0.0.1", "--dnssec", "+12155551299")
    h.check(code == 1, "exit %d" % code)
    h.check(j["answer"]["rcode"] == "SERVFAIL" and ede_codes(j) == [6], "answer %s" % j["answer"])
    h.check("dnssec-bogus" in j["answer"]["ede"][0]["text"], "EXTRA-TEXT %s" % j["answer"]["ede"])
    h.check(j["answer"]["answer"] == [], "no data for a bogus name")
    h.check(j["lookup"]["verdict"] != "route" and j["access"]["refused"] is None,
            "the lookup ran and did not route: %s" % j["lookup"]["verdict"])
    same_as_front_end(h, j, c.dig(h.enum_name("+12155551299"), extra=["+dnssec"]))


def case_trace_dns_tsig(c, h):
    src = tsig_cases.STRICT_SOURCE
    code, j = trace(c, "--source", src, "+12155551234")
    h.check(j["answer"]["rcode"] == "REFUSED" and ede_codes(j) == [18] and
            j["access"]["refused"] == "tsig_required" and j["access"]["tsig"] == "missing",
            "unsigned from strict: %s %s" % (j["answer"], j["access"]))
    code, j = trace(c, "--source", src, "--tsig-key", tsig_cases.STRICT_KEY, "+12155551234")
    h.check(code == 0 and j["answer"]["rcode"] == "NOERROR" and j["answer"]["naptrs"] == 2 and
            j["answer"]["signed"] and j["access"]["tsig"] == "ok",
            "signed with strict's key: %s %s" % (j["answer"], j["access"]))


def cases(helpers):
    """The cases by name, each called with the case and `helpers` (check,
    enum_name, naptrs of test_dns_frontend.py)."""
    return {name[5:]: (lambda fn: lambda c: fn(c, helpers))(fn)
            for name, fn in globals().items() if name.startswith("case_")}
