#!/usr/bin/env python3
"""Small helpers for tools/testbed/testbed (stdlib only).

Subcommands:
  freeports N                 print N distinct ports free for UDP and TCP on 127.0.0.1 and ::1
  tamper FILE OWNER TYPE OLD NEW
                              in a signed zone file, replace OLD by NEW in the rdata
                              of every OWNER/TYPE record (RRSIGs untouched); fails if
                              nothing was replaced
  strip FILE TYPE...          delete the RRSIGs covering TYPE...; fails if none found
  toml TEMPLATE OUT DIR PORT PORT2 ZONE...
                              render speerd.toml from its template
  delv-anchors DSFILE OUT     turn DS records into a delv/BIND trust-anchors file
"""

import socket
import sys


def die(msg):
    sys.stderr.write("tbtool: %s\n" % msg)
    sys.exit(1)


def freeports(count):
    held = []
    ports = []
    try:
        for _ in range(200):
            if len(ports) == count:
                break
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            # NSD listens on ::1 too: the port must be free there as well.
            others = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM),
                      socket.socket(socket.AF_INET6, socket.SOCK_STREAM),
                      socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)]
            try:
                others[0].bind(("127.0.0.1", port))
                others[1].bind(("::1", port))
                others[2].bind(("::1", port))
            except OSError:
                tcp.close()
                for o in others:
                    o.close()
                continue
            # Keep the sockets open until every port is chosen, so that the
            # same port is not handed out twice.
            held += [tcp] + others
            ports.append(port)
    finally:
        for s in held:
            s.close()
    if len(ports) != count:
        die("could not find %d free ports" % count)
    print(" ".join(str(p) for p in ports))


def parse_rr(line):
    """Split a one-RR-per-line record as printed by ldns-signzone:
    owner TTL class type rdata. Returns None for comments/blank lines."""
    stripped = line.strip()
    if not stripped or stripped.startswith(";") or stripped.startswith("$"):
        return None
    parts = stripped.split(None, 4)
    if len(parts) < 5:
        return None
    owner, ttl, klass, rtype, rdata = parts
    return owner.lower(), ttl, klass, rtype.upper(), rdata


def fqdn(name):
    name = name.lower()
    return name if name.endswith(".") else name + "."


def tamper(path, owner, rtype, old, new):
    owner = fqdn(owner)
    rtype = rtype.upper()
    with open(path) as f:
        lines = f.readlines()
    changed = 0
    for i, line in enumerate(lines):
        rr = parse_rr(line)
        if rr is None or rr[0] != owner or rr[3] != rtype:
            continue
        if old in rr[4]:
            lines[i] = "\t".join([rr[0], rr[1], rr[2], rr[3], rr[4].replace(old, new)]) + "\n"
            changed += 1
    if changed == 0:
        die("tamper: no %s %s record containing %r in %s" % (owner, rtype, old, path))
    with open(path, "w") as f:
        f.writelines(lines)


def strip(path, types):
    types = {t.upper() for t in types}
    with open(path) as f:
        lines = f.readlines()
    kept = []
    removed = 0
    for line in lines:
        rr = parse_rr(line)
        if rr is not None and rr[3] == "RRSIG" and rr[4].split()[0].upper() in types:
            removed += 1
            continue
        kept.append(line)
    if removed == 0:
        die("strip: no RRSIG covering %s in %s" % (" ".join(sorted(types)), path))
    with open(path, "w") as f:
        f.writelines(kept)


STUB_BEGIN = "#@BEGIN_STUB@"
STUB_END = "#@END_STUB@"


def toml(template, out, tbdir, port, port2, zones):
    with open(template) as f:
        text = f.read()
    lines = text.splitlines(keepends=True)
    try:
        b = next(i for i, l in enumerate(lines) if l.strip() == STUB_BEGIN)
        e = next(i for i, l in enumerate(lines) if l.strip() == STUB_END)
    except StopIteration:
        die("toml: template lacks %s/%s markers" % (STUB_BEGIN, STUB_END))
    block = "".join(lines[b + 1:e])
    stubs = "\n".join(block.replace("@ZONE@", z) for z in zones)
    result = "".join(lines[:b]) + stubs + "".join(lines[e + 1:])
    result = result.replace("@DIR@", tbdir).replace("@PORT2@", port2).replace("@PORT@", port)
    if "@" in result.replace("127.0.0.1@", ""):
        die("toml: unreplaced placeholder in %s" % template)
    with open(out, "w") as f:
        f.write(result)


def delv_anchors(dsfile, out):
    entries = []
    with open(dsfile) as f:
        for line in f:
            parts = line.split()
            if not parts or parts[0].startswith(";"):
                continue
            # owner [ttl] [class] DS keytag alg digesttype digest...
            i = parts.index("DS") if "DS" in parts else -1
            if i < 0 or len(parts) < i + 5:
                die("delv-anchors: not a DS record: %r" % line)
            keytag, alg, dtype = parts[i + 1:i + 4]
            digest = "".join(parts[i + 4:])
            entries.append('  %s initial-ds %s %s %s "%s";\n' % (fqdn(parts[0]), keytag, alg, dtype, digest))
    if not entries:
        die("delv-anchors: no DS records in %s" % dsfile)
    with open(out, "w") as f:
        f.write("trust-anchors {\n" + "".join(entries) + "};\n")


def main(argv):
    if len(argv) < 2:
        die("usage: see the module docstring")
    cmd, args = argv[1], argv[2:]
    if cmd == "freeports" and len(args) == 1:
        freeports(int(args[0]))
    elif cmd == "tamper" and len(args) == 5:
        tamper(*args)
    elif cmd == "strip" and len(args) >= 2:
        strip(args[0], args[1:])
    elif cmd == "toml" and len(args) >= 6:
        toml(args[0], args[1], args[2], args[3], args[4], args[5:])
    elif cmd == "delv-anchors" and len(args) == 2:
        delv_anchors(args[0], args[1])
    else:
        die("bad usage: %s" % " ".join(argv[1:]))


if __name__ == "__main__":
    main(sys.argv)
