#!/usr/bin/env python3
"""Writes the seed inputs of fuzz_naptr (tests/fuzz/fuzz_naptr.in/) from NAPTR records in
zone-file presentation form, in the input layout fuzz_naptr.cpp documents:

    byte 0: control (bits 0-2 requested service, bit 3 all_orders)
    byte 1: AUS length, then the AUS
    then records: 2-byte big-endian length + RDATA

Run from anywhere; it rewrites the generated seeds (crashers found by the fuzzer are
kept as separate files named crash-* / regress-* and are not touched):

    python3 tests/fuzz/make_naptr_seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fuzz_naptr.in")

# Service index as in fuzz_naptr.cpp kServices.
SIP, SIPS, VOICE_SIP, VOICE, MULTI, EMAIL, PRES, H323 = range(8)
ALL_ORDERS = 8


def tokens(text):
    """Splits presentation text; quoted strings keep spaces; \\X and \\DDD escapes."""
    out, i = [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        quoted = text[i] == '"'
        if quoted:
            i += 1
        buf = bytearray()
        while i < len(text):
            c = text[i]
            if quoted and c == '"':
                i += 1
                break
            if not quoted and c.isspace():
                break
            if c == "\\":
                nxt = text[i + 1:i + 4]
                if len(nxt) == 3 and nxt.isdigit():
                    buf.append(int(nxt))
                    i += 4
                    continue
                buf += text[i + 1].encode()
                i += 2
                continue
            buf += c.encode()
            i += 1
        out.append(bytes(buf))
    return out


def charstr(b):
    assert len(b) < 256
    return bytes([len(b)]) + b


def dname(name):
    if name in (b".", b""):
        return b"\0"
    out = b""
    for label in name.rstrip(b".").split(b"."):
        out += charstr(label)
    return out + b"\0"


def rdata(text):
    order, pref, flags, services, regexp, replacement = tokens(text)
    return (struct.pack(">HH", int(order), int(pref)) + charstr(flags) + charstr(services) +
            charstr(regexp) + dname(replacement))


SEEDS = {
    "01-rfc3761-example": (SIP, "+441632960083", [
        r'10 100 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .',
        r'10 101 "u" "E2U+h323" "!^.*$!h323:info@example.com!" .',
        r'10 102 "u" "E2U+msg" "!^.*$!mailto:info@example.com!" .',
    ]),
    "02-backref-carrier": (SIP, "+12155551234", [
        r'100 10 "u" "E2U+sip" "!^\\+1(.*)$!sip:\\1@gw1.example.com!" .',
        r'100 20 "u" "E2U+sip" "!^\\+(.*)$!sips:+\\1@gw2.example.com;user=phone!" .',
    ]),
    "03-nonterminal": (SIP, "+12155551234", [
        r'10 10 "" "E2U+sip" "" next.example.org.',
        r'10 20 "" "" "" any.example.org.',
    ]),
    "04-orders": (SIP, "+12155551234", [
        r'300 10 "u" "E2U+sip" "!^.*$!sip:c@x!" .',
        r'100 20 "u" "E2U+sip" "!^.*$!sip:b@x!" .',
        r'100 10 "u" "E2U+sip" "!^.*$!sip:a@x!" .',
        r'200 10 "u" "E2U+sip" "!^.*$!sip:later@x!" .',
    ]),
    "05-orders-all": (SIP | ALL_ORDERS, "+12155551234", [
        r'300 10 "u" "E2U+sip" "!^.*$!sip:c@x!" .',
        r'100 10 "u" "E2U+sip" "!^.*$!sip:a@x!" .',
    ]),
    "06-voice-subtype": (VOICE, "+4930123456", [
        r'10 10 "u" "E2U+voice:sip" "!^.*$!sip:v@example.de!" .',
        r'10 20 "u" "E2U+voice:tel" "!^.*$!tel:+4930123456!" .',
    ]),
    "07-multi-service": (MULTI, "+33123456789", [
        r'10 10 "u" "E2U+sip+pres" "!^.*$!sip:a@example.fr!" .',
        r'10 20 "u" "E2U+pstn:sip" "!^(.*)$!sip:\\1@pstn.example.fr!" .',
    ]),
    "08-case-flag": (SIP, "+12155551234", [
        r'10 10 "U" "e2u+SIP" "!^\\+1215(.*)$!sip:\\1@Example.COM!i" .',
    ]),
    "09-delimiters": (SIP, "+12155551234", [
        r'10 10 "u" "E2U+sip" "#^\\+1(.*)$#sip:\\1@hash.example#" .',
        r'10 20 "u" "E2U+sip" "|^a\\|b$|sip:bar@x|" .',
        r'10 30 "u" "E2U+sip" "/^(.*)$/sip:\\1\\/x@y/" .',
    ]),
    "10-bad-backrefs": (SIP, "+12155551234", [
        r'10 10 "u" "E2U+sip" "!^(.*)$!sip:\\7@x!" .',
        r'10 20 "u" "E2U+sip" "!^.*$!sip:\\0@x!" .',
    ]),
    "11-injection": (SIP, "+12155551234", [
        r'10 10 "u" "E2U+sip" "!^.*$!sip:a@b\013\010Via: evil!" .',
        r'10 20 "u" "E2U+sip" "!^.*$!sip:a b@c!" .',
        r'10 30 "u" "E2U+sip" "!^.*$!sip:a@b>;x!" .',
    ]),
    "12-both-and-neither": (SIP, "+12155551234", [
        r'10 10 "u" "E2U+sip" "!^.*$!sip:a@b!" x.example.',
        r'10 20 "u" "E2U+sip" "" .',
        r'10 30 "s" "E2U+sip" "" srv.example.',
    ]),
    "13-legacy-service": (SIP, "+17705551212", [
        r'100 10 "u" "sip+E2U" "!^.*$!sip:information@foo.se!i" .',
    ]),
    "14-backtracking": (SIP, "+" + "1" * 15, [
        r'10 10 "u" "E2U+sip" "!^(1+)+$!sip:a@b!" .',
        r'10 20 "u" "E2U+sip" "!^(1|11)*2$!sip:a@b!" .',
        r'10 30 "u" "E2U+sip" "!(a{1000}){1000}!x!" .',
    ]),
    "15-long-output": (SIP, "+12155551234", [
        r'10 10 "u" "E2U+sip" "!^(.*)$!sip:\\1\\1\\1\\1\\1\\1\\1\\1\\1@' + "x" * 200 + r'!" .',
    ]),
    "16-posix-classes": (SIP, "+12155551234", [
        r'10 10 "u" "E2U+sip" "!^\\+1([[:digit:]]{3})([0-9]+)$!sip:\\2@\\1.example!" .',
        r'10 20 "u" "E2U+sip" "!^\\d+$!x!" .',
    ]),
    # Hostile RDATA, byte for byte.
    "17-truncated": (SIP, "+12155551234", [
        b"\x00\x0a", b"\x00\x0a\x00\x0a\x05u", b"\x00\x0a\x00\x0a\x01u\x07E2U+sip\xc8!x",
    ]),
    "18-compression": (SIP, "+12155551234", [
        b"\x00\x01\x00\x01\x00\x00\x00\xc0\x00",
        b"\x00\x01\x00\x01\x00\x00\x00\x03www\xc0\x0b",
        b"\x00\x01\x00\x01\x00\x00\x00\x41\x00",
    ]),
    "19-huge-name": (SIP, "+12155551234", [
        b"\x00\x01\x00\x01\x00\x00\x00" + (b"\x3f" + b"a" * 63) * 5 + b"\x00",
        b"\x00\x01\x00\x01\x00\x00\x00" + b"\x01x" * 128 + b"\x00",
    ]),
    "20-zero-and-trailing": (SIP, "+12155551234", [
        b"", b"\x00\x00\x00\x00\x00\x00\x00\x00",
        rdata(r'10 10 "u" "E2U+sip" "!^.*$!sip:a@b!" .') + b"TRAILING",
    ]),
    "21-bad-aus": (SIP, "+1\n215\xc2", [
        r'10 10 "u" "E2U+sip" "!^(.*)$!sip:\\1@x!" .',
    ]),
    "22-escaped-labels": (SIP, "+12155551234", [
        b"\x00\x0a\x00\x0a\x00\x07E2U+sip\x00\x03a.b\x03c d\x01\x01\x00",
    ]),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, (control, aus, records) in SEEDS.items():
        if isinstance(aus, str):
            aus = aus.encode("latin-1")
        data = bytes([control, len(aus)]) + aus
        for r in records:
            raw = r if isinstance(r, bytes) else rdata(r)
            data += struct.pack(">H", len(raw)) + raw
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(SEEDS)} seeds to {OUT}")


if __name__ == "__main__":
    main()
