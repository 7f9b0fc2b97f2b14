#!/usr/bin/env python3
"""Derives the known-answer vectors of tests/rfc8945_tsig.rs.

Independent of the Rust code: the messages and the MAC input are laid out
here by hand from RFC 8945 §4.3 (request, response) and §5.3.1 (later
messages of a stream, unsigned messages in between) and the MACs computed
with Python's hmac/hashlib. Run it and compare with the constants in the
test file:

    python3 libs/dns/tsig/tests/kat/derive.py
"""
import hashlib
import hmac
import struct

SECRET = bytes(range(32))
KEY = b"\x03kat\x07example\x00"  # kat.example.
ALGS = {
    "sha1": (b"\x09hmac-sha1\x00", hashlib.sha1),
    "sha256": (b"\x0bhmac-sha256\x00", hashlib.sha256),
    "sha512": (b"\x0bhmac-sha512\x00", hashlib.sha512),
}
T0 = 1700000000
FUDGE = 300
QUESTION = b"\x07example\x03com\x00\x00\x06\x00\x01"


def header(id_, flags, qd, an, ns, ar):
    return struct.pack(">HHHHHH", id_, flags, qd, an, ns, ar)


def time48(t):
    return struct.pack(">Q", t)[2:]


def variables(alg, t, error=0, other=b""):
    return (KEY + struct.pack(">HI", 255, 0) + alg + time48(t) + struct.pack(">H", FUDGE)
            + struct.pack(">HH", error, len(other)) + other)


def tsig_rr(alg, t, mac, orig_id, error=0, other=b""):
    rdata = (alg + time48(t) + struct.pack(">HH", FUDGE, len(mac)) + mac
             + struct.pack(">HHH", orig_id, error, len(other)) + other)
    return KEY + struct.pack(">HHIH", 250, 255, 0, len(rdata)) + rdata


def with_tsig(msg, rr):
    ar = struct.unpack(">H", msg[10:12])[0] + 1
    return msg[:10] + struct.pack(">H", ar) + msg[12:] + rr


def prior(mac):
    return struct.pack(">H", len(mac)) + mac


def show(name, data):
    print(f"{name} = {data.hex()}")


# 1. A signed NOTIFY request (ID 0x1234, opcode 4, AA) for each algorithm.
request = header(0x1234, 0x2400, 1, 0, 0, 0) + QUESTION
for name, (alg, h) in ALGS.items():
    mac = hmac.new(SECRET, request + variables(alg, T0), h).digest()
    show(f"request_{name}", with_tsig(request, tsig_rr(alg, T0, mac, 0x1234)))

# 2. The signed response to the sha256 request, one second later.
alg, h = ALGS["sha256"]
req_mac = hmac.new(SECRET, request + variables(alg, T0), h).digest()
response = header(0x1234, 0xA400, 1, 0, 0, 0) + QUESTION
mac = hmac.new(SECRET, prior(req_mac) + response + variables(alg, T0 + 1), h).digest()
show("response_sha256", with_tsig(response, tsig_rr(alg, T0 + 1, mac, 0x1234)))

# 3. A three-message stream answering the sha256 request: the first signed
#    with all variables, the second unsigned, the third signed with the
#    timers only, its MAC covering the prior MAC, the unsigned message and
#    itself (RFC 8945 §5.3.1).
m1 = header(0x1234, 0x8400, 1, 1, 0, 0) + QUESTION + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\xc0\x00\x02\x01"
m2 = header(0x1234, 0x8400, 0, 1, 0, 0) + b"\x07example\x03com\x00\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\xc0\x00\x02\x02"
m3 = header(0x1234, 0x8400, 0, 1, 0, 0) + b"\x07example\x03com\x00\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\xc0\x00\x02\x03"
mac1 = hmac.new(SECRET, prior(req_mac) + m1 + variables(alg, T0 + 2), h).digest()
s1 = with_tsig(m1, tsig_rr(alg, T0 + 2, mac1, 0x1234))
mac3 = hmac.new(SECRET, prior(mac1) + m2 + m3 + time48(T0 + 3) + struct.pack(">H", FUDGE), h).digest()
s3 = with_tsig(m3, tsig_rr(alg, T0 + 3, mac3, 0x1234))
show("stream_1", s1)
show("stream_2", m2)
show("stream_3", s3)

# 4. The sha256 request with its MAC truncated to 16 octets (the shortest
#    RFC 8945 §5.2.2.1 allows for SHA-256).
mac = hmac.new(SECRET, request + variables(alg, T0), h).digest()[:16]
show("request_sha256_trunc16", with_tsig(request, tsig_rr(alg, T0, mac, 0x1234)))
