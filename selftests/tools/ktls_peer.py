#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ktls_peer: the peer of sockcheck's kTLS scenarios (sc_ktls.c).

    ktls_peer --connect HOST:PORT --ctl-listen CPORT

The host's TCP end of the data connection, without a kernel tls module:
TLS records are built and parsed here, AES-128-GCM by python3-cryptography,
with the fixed keys of sc_ktls.c.  Like `sockcheck peer`, it connects to
the guest, accepts the guest's control connection and answers one line per
command:

  tls 12|13     the TLS version of the records      -> "tls 1.2"/"tls 1.3"
  send N        N plain stream bytes                -> "sent N"
  drain N       read N plain bytes, check each      -> "drained N ok"
  tlssend N     N stream bytes in records of varied
                sizes                               -> "tlssent N wire W
                                                        sha256 HEX"
  tlsdrain N    read records until N plaintext bytes: every tag and
                byte checked                        -> "tlsdrained N ok
                                                        sha256 HEX"
  tlsreadeof    a close_notify alert, then EOF      -> "close_notify then eof"
  tlsclose      send close_notify, shutdown(SHUT_WR) -> "closed notify"
  bye           exit                                -> "bye"

The stream is sockcheck's pattern (a byte is a function of its offset),
each way; TLS plaintext continues the offsets of the plain bytes before.
Nonces: salt || explicit IV (TLS 1.2, the explicit IV carried in the
record), or IV XOR sequence number (TLS 1.3); additional data as RFC 5246
6.2.3.3 and RFC 8446 5.2.  A wrong tag, type, length or byte is answered
with what and where, and the guest's check fails.
"""
import argparse
import hashlib
import socket
import struct
import sys
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TLS12, TLS13 = 0x0303, 0x0304
APP_DATA, ALERT = 23, 21
MAX_PLAIN = 16384
# the peer's record sizes, in turn: full, tiny, odd
SIZES = (16384, 1, 1000, 7777, 16384, 333, 16384, 4096)


def keys(tx):
    """sc_ktls.c's kt_crypto_info(): key, salt, iv; tx is the guest's."""
    key = bytes((0x10 if tx else 0x20) + i for i in range(16))
    salt = bytes((0xa0 if tx else 0xb0) + i for i in range(4))
    iv = bytes((0xc0 if tx else 0xd0) + i for i in range(8))
    return key, salt, iv


_BLOCK0 = bytes(((o * 7) + ((o >> 8) * 13) + 1) & 0xff for o in range(65536))
_ADD = [bytes((i + k) & 0xff for i in range(256)) for k in range(256)]


def pattern(off, n):
    """sockcheck's pat(): (off * 7 + (off >> 8) * 13 + (off >> 16) + 1)."""
    out = bytearray()
    while n:
        base = off & ~0xffff
        lo = off - base
        k = min(n, 65536 - lo)
        out += _BLOCK0[lo:lo + k].translate(_ADD[(off >> 16) & 0xff])
        off += k
        n -= k
    return bytes(out)


class Bad(Exception):
    pass


class Tls:
    """One direction's record state."""

    def __init__(self, version, tx):
        self.version = version
        key, self.salt, self.iv = keys(tx)
        self.aead = AESGCM(key)
        self.seq = 1 if version == TLS12 else 0

    def nonce(self, explicit=None):
        if self.version == TLS12:
            return self.salt + explicit
        iv = self.salt + self.iv
        seq = b"\0" * 4 + struct.pack(">Q", self.seq)
        return bytes(a ^ b for a, b in zip(iv, seq))

    def seal(self, ctype, plain):
        if self.version == TLS12:
            explicit = struct.pack(">Q", self.seq)
            aad = struct.pack(">QBHH", self.seq, ctype, TLS12, len(plain))
            body = explicit + self.aead.encrypt(self.nonce(explicit), plain,
                                                aad)
            hdr = struct.pack(">BHH", ctype, TLS12, len(body))
        else:
            inner = plain + bytes((ctype,))
            hdr = struct.pack(">BHH", APP_DATA, TLS12, len(inner) + 16)
            body = self.aead.encrypt(self.nonce(), inner, hdr)
        self.seq += 1
        return hdr + body

    def open(self, hdr, body):
        """(type, plaintext) of one record; Bad if it is not right."""
        ctype, ver, length = struct.unpack(">BHH", hdr)
        if ver != TLS12:
            raise Bad("record %d: version %#x" % (self.seq, ver))
        try:
            if self.version == TLS12:
                if length < 8 + 16:
                    raise Bad("record %d: length %d" % (self.seq, length))
                explicit, ct = body[:8], body[8:]
                aad = struct.pack(">QBHH", self.seq, ctype, TLS12,
                                  len(ct) - 16)
                plain = self.aead.decrypt(self.nonce(explicit), ct, aad)
            else:
                if ctype != APP_DATA:
                    raise Bad("record %d: outer type %d" % (self.seq, ctype))
                inner = self.aead.decrypt(self.nonce(), body, hdr)
                inner = inner.rstrip(b"\0")
                if not inner:
                    raise Bad("record %d: no inner type" % self.seq)
                ctype, plain = inner[-1], inner[:-1]
        except InvalidTag:
            raise Bad("record %d: bad tag" % self.seq)
        if len(plain) > MAX_PLAIN:
            raise Bad("record %d: %d bytes" % (self.seq, len(plain)))
        self.seq += 1
        return ctype, plain


class Peer:
    def __init__(self, data):
        self.d = data
        self.tx_off = 0		# plaintext stream offsets, each way
        self.rx_off = 0
        self.tx = self.rx = None

    def recv_exact(self, n):
        out = bytearray()
        while len(out) < n:
            b = self.d.recv(n - len(out))
            if not b:
                return bytes(out)
            out += b
        return bytes(out)

    def send(self, n):
        self.d.sendall(pattern(self.tx_off, n))
        self.tx_off += n
        return "sent %d" % n

    def drain(self, n):
        got = self.recv_exact(n)
        want = pattern(self.rx_off, len(got))
        if got != want:
            at = next(i for i in range(len(got)) if got[i] != want[i])
            return "bad byte at %d" % (self.rx_off + at)
        self.rx_off += len(got)
        if len(got) < n:
            return "eof after %d" % self.rx_off
        return "drained %d ok" % n

    def record(self):
        """The next record, or None at EOF before one."""
        hdr = self.recv_exact(5)
        if not hdr:
            return None
        if len(hdr) < 5:
            raise Bad("EOF inside a record header")
        length = struct.unpack(">H", hdr[3:])[0]
        if length > MAX_PLAIN + 256 + 8:
            raise Bad("record %d: length %d" % (self.rx.seq, length))
        body = self.recv_exact(length)
        if len(body) < length:
            raise Bad("EOF inside record %d" % self.rx.seq)
        return self.rx.open(hdr, body)

    def tlssend(self, n):
        h = hashlib.sha256()
        total, wire, i = n, 0, 0
        while n:
            k = min(n, SIZES[i % len(SIZES)])
            plain = pattern(self.tx_off, k)
            h.update(plain)
            rec = self.tx.seal(APP_DATA, plain)
            self.d.sendall(rec)
            wire += len(rec)
            self.tx_off += k
            n -= k
            i += 1
        return "tlssent %d wire %d sha256 %s" % (total, wire, h.hexdigest())

    def tlsdrain(self, n):
        h = hashlib.sha256()
        left = n
        while left > 0:
            rec = self.record()
            if rec is None:
                raise Bad("EOF after %d of %d bytes" % (n - left, n))
            ctype, plain = rec
            if ctype != APP_DATA:
                raise Bad("record %d: type %d" % (self.rx.seq - 1, ctype))
            if len(plain) > left:
                raise Bad("record %d: %d bytes, %d wanted" %
                          (self.rx.seq - 1, len(plain), left))
            if plain != pattern(self.rx_off, len(plain)):
                want = pattern(self.rx_off, len(plain))
                at = next(i for i in range(len(plain)) if plain[i] != want[i])
                raise Bad("bad byte at %d" % (self.rx_off + at))
            h.update(plain)
            self.rx_off += len(plain)
            left -= len(plain)
        return "tlsdrained %d ok sha256 %s" % (n, h.hexdigest())

    def tlsreadeof(self):
        rec = self.record()
        if rec is None:
            raise Bad("EOF without close_notify")
        ctype, plain = rec
        if ctype != ALERT or plain != b"\x01\x00":
            raise Bad("record %d: type %d, %r, not close_notify" %
                      (self.rx.seq - 1, ctype, plain[:8]))
        if self.d.recv(1):
            raise Bad("data after close_notify")
        return "close_notify then eof"

    def tlsclose(self):
        self.d.sendall(self.tx.seal(ALERT, b"\x01\x00"))
        self.d.shutdown(socket.SHUT_WR)
        return "closed notify"

    def do(self, line):
        parts = line.split()
        cmd, arg = parts[0] if parts else "", parts[1] if len(parts) > 1 else ""
        try:
            if cmd == "tls" and arg in ("12", "13"):
                v = TLS12 if arg == "12" else TLS13
                self.tx, self.rx = Tls(v, False), Tls(v, True)
                return "tls 1.%s" % arg[1]
            if cmd == "send":
                return self.send(int(arg))
            if cmd == "drain":
                return self.drain(int(arg))
            if cmd == "tlssend":
                return self.tlssend(int(arg))
            if cmd == "tlsdrain":
                return self.tlsdrain(int(arg))
            if cmd == "tlsreadeof":
                return self.tlsreadeof()
            if cmd == "tlsclose":
                return self.tlsclose()
        except Bad as e:
            return "bad: %s" % e
        except OSError as e:
            return "err %s" % e.strerror
        return "unknown command '%s'" % cmd


def connect(host, port):
    end = time.monotonic() + 20
    while True:
        try:
            return socket.create_connection((host, port))
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--connect", required=True)
    ap.add_argument("--ctl-listen", required=True, type=int)
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()
    host, port = args.connect.rsplit(":", 1)
    lsn = socket.socket()
    lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsn.bind(("", args.ctl_listen))
    lsn.listen(1)
    d = connect(host, int(port))
    d.settimeout(60)
    lsn.settimeout(30)
    c, _ = lsn.accept()
    lsn.close()
    c.settimeout(args.timeout)
    print("connected", flush=True)
    peer = Peer(d)
    f = c.makefile("rb")
    for raw in f:
        line = raw.decode(errors="replace").strip()
        if line == "bye":
            c.sendall(b"bye\n")
            break
        ans = peer.do(line)
        print("%s -> %s" % (line, ans), flush=True)
        c.sendall(ans.encode() + b"\n")
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
