#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write the seed corpora of tests/fuzz/ (committed; re-run after changing
what the targets expect):  python3 tests/fuzz/make_seeds.py

packet/ and xdp/: Ethernet frames for the destinations fuzz_xdp.c configures
(VIPs 192.0.2.10:8420, 198.51.100.1:40000-50000, [2001:db8::10]:8420; NAT
10.0.0.2 / fd00::2 ports 20000-29999), valid and damaged.
engine/: operation programs for fuzz_engine.c.  config/: configuration
files.  ctl/: control requests, status lines and documents."""
import hashlib
import ipaddress
import os
import struct

TOP = os.path.dirname(os.path.abspath(__file__))
SEEDS = os.path.join(TOP, "seeds")


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(src, dst, sport, dport, payload, vlan=None, ip_opts=b"", frag=0,
          proto=17, ext=False):
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01"
    if vlan:
        eth += struct.pack("!HH", vlan, 100)
    udp_len = 8 + len(payload)
    if s.version == 4:
        pseudo = s.packed + d.packed + struct.pack("!BBH", 0, 17, udp_len)
    else:
        pseudo = s.packed + d.packed + struct.pack("!IxxxB", udp_len, 17)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    c = csum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    l4 = udp if proto == 17 else b"\x45" * 20
    if s.version == 4:
        hl = 20 + len(ip_opts)
        ip = struct.pack("!BBHHHBBH4s4s", 0x40 | hl // 4, 0, hl + len(l4), 0,
                         frag, 64, proto, 0, s.packed, d.packed) + ip_opts
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        return eth + b"\x08\x00" + ip + l4
    nh = 60 if ext else proto
    body = (bytes([proto, 0, 0, 0, 0, 0, 0, 0]) if ext else b"") + l4
    ip = struct.pack("!IHBB16s16s", 6 << 28, len(body), nh, 64, s.packed, d.packed)
    return eth + b"\x86\xdd" + ip + body


def wraith(cid, n=40):
    return struct.pack("!Q", cid) + bytes((i * 7) & 0xFF for i in range(max(n - 8, 0)))


def write(kind, blobs):
    d = os.path.join(SEEDS, kind)
    os.makedirs(d, exist_ok=True)
    for b in blobs:
        name = hashlib.sha1(b).hexdigest()
        with open(os.path.join(d, name), "wb") as f:
            f.write(b)


HS = 0xFFFFFFFFFFFFFFFF
CID = 0x0123456789ABCDEF
frames = []
for src, vip, nat in (("192.0.2.99", "192.0.2.10", "10.0.0.2"),
                      ("2001:db8::99", "2001:db8::10", "fd00::2")):
    frames += [
        frame(src, vip, 51000, 8420, wraith(CID)),
        frame(src, vip, 51000, 8420, wraith(HS, 120)),
        frame(src, vip, 51000, 8420, os.urandom(0) + bytes(range(32))),  # bare Noise msg1
        frame(src, vip, 51000, 8420, bytes(range(64))),
        frame(src, vip, 51000, 8420, wraith(0)),
        frame(src, vip, 51000, 8420, wraith(CID, 23)),
        frame(src, vip, 51000, 8420, wraith(CID), vlan=0x8100),
        frame(src, vip, 51000, 8420, wraith(CID), vlan=0x88A8),
        frame(src, nat, 8420, 20000, wraith(CID)),
        frame(src, nat, 8420, 29999, wraith(HS, 96)),
        frame(src, vip, 51000, 8421, wraith(CID)),
        frame(src, vip, 51000, 8420, wraith(CID), proto=6),
    ]
frames += [
    frame("192.0.2.99", "198.51.100.1", 51000, 40000, wraith(CID)),
    frame("192.0.2.99", "198.51.100.1", 51000, 50000, wraith(CID, 1400)),
    frame("192.0.2.99", "192.0.2.10", 51000, 8420, wraith(CID), ip_opts=b"\x01" * 8),
    frame("192.0.2.99", "192.0.2.10", 51000, 8420, wraith(CID), frag=0x2000),
    frame("2001:db8::99", "2001:db8::10", 51000, 8420, wraith(CID), ext=True),
    b"\xff" * 6 + b"\x02\0\0\0\0\x01" + b"\x08\x06" + bytes(28),  # ARP
]
frames.append(frames[0] + bytes(18))   # Ethernet padding
write("packet", frames)
write("xdp", frames)

# fuzz_engine: byte 0 = family (bit 0) and backends; then ops.
# op % 10: 0-3 client(who, where, cid, plen), 4-5 lan(who, where, cid, plen),
# 6 client mutated, 7 lan mutated, 8 admin, 9 time.
progs = []
for fam in (0, 1):
    hdr = bytes([fam | (3 << 1)])
    # clients 0..3 to VIP 0 with CIDs 1..3, backends reply to recent NAT ports
    p = hdr
    for who in range(4):
        p += bytes([0, who, 0, who + 1, 5])
    for where in range(4):
        p += bytes([4, where, where, 1, 5])
    p += bytes([9, 40, 255])              # time passes, expiry
    p += bytes([4, 0, 0, 1, 5])
    p += bytes([8, 0x00, 0, 0, 1, 1, 5])  # drain backend 0, client again
    p += bytes([8, 0x0A])                 # remove backend 1
    p += bytes([4, 1, 0, 1, 5])
    p += bytes([0, 0x10, 1, 0, 4])        # handshake CID, bare Noise length
    p += bytes([6, 2, 0, 2, 5, 2, 0, 20, 0x55, 1, 4])
    p += bytes([7, 0xc5, 0, 3, 5, 0, 30, 0x80])
    progs.append(p)
write("engine", progs)

with open(os.path.join(TOP, "..", "..", "gateway", "wraith-gateway.conf.sample"), "rb") as f:
    sample = f.read()
configs = [
    sample,
    b"[gateway]\nwan = wan0\nlan = lan0\nvip = 203.0.113.10:8420\n"
    b"vip = 203.0.113.10:40000-50000\nbackend = 10.0.0.11:8420\n"
    b"backend = 10.0.0.12:8420@200\nnat = 10.0.0.100\nnat-ports = 20000-29999\n",
    b"wan = eth0\nvip = [2001:db8:f::10]:8420\nbackend = [2001:db8:b::11]:8420@7\n"
    b"nat = 2001:db8:b::100\nmode = xdp-copy ; comment\ncpus = 0-1,3\nqueues = all\n",
    b"wan=eth0\nmax-sessions = 1048576\nframe-size = 4096\nwait = busy-poll\n"
    b"handshake-rate = 100\nhandshake-burst = 20\ncontrol-mode = 0660\n",
]
write("config", configs)

write("ctl", [
    b"\x00ping\n", b"\x00status format=json\n", b"\x00stats format=prometheus\r\n",
    b"\x00sessions cid 0x0123456789abcdef\n", b"\x00sessions client 198.51.100.2:5000\n",
    b"\x00backends weight 10.0.0.11:8420 200\n", b"\x00backends add [2001:db8::1]:8420@5",
    b"\x01OK 1234", b"\x01ERR EINVAL bad request", b"\x01ERR ENOSYS",
    b"\x02\x00\x13\x05abcde\x04" + bytes(8) + b"\x01\x07\x02\x02",
    b"\x03\x10\x13\x03a\"\\\x06" + struct.pack("!d", 1.5) + b"\x02",
])
