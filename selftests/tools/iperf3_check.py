#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""iperf3_check - judge one iperf3 --json report (the peer's side).

  iperf3_check FILE [--streams N] [--server]

Prints what each direction moved and exits 1 if iperf3 reported an error,
if a direction moved no byte, if a receiver counted more than its sender
sent, or if the test did not run N streams each way (default 1).  A
client's report with --get-server-output has the server's report inside:
its error is checked too.  A server's own report (--server) counts only
its own side of each direction: that one must have moved bytes.
"""
import argparse
import json
import sys

# The end summaries: each direction has a sender's and a receiver's count.
DIRS = [("sum_sent", "sum_received"),
        ("sum_sent_bidir_reverse", "sum_received_bidir_reverse")]


def check(rep, streams, label, server):
    bad = []
    if rep.get("error"):
        bad.append("%s: iperf3 error: %s" % (label, rep["error"]))
    end = rep.get("end", {})
    moved = 0
    for snd, rcv in DIRS:
        if snd not in end:
            continue
        s, r = end[snd]["bytes"], end.get(rcv, {}).get("bytes", 0)
        print("%s: %s %d bytes, %s %d bytes" % (label, snd, s, rcv, r))
        moved += 1
        if server:
            if s == 0 and r == 0:
                bad.append("%s: %s/%s moved no byte" % (label, snd, rcv))
            continue
        if s == 0 or r == 0:
            bad.append("%s: %s/%s moved no byte" % (label, snd, rcv))
        if r > s:
            bad.append("%s: received %d > sent %d" % (label, r, s))
    if not moved:
        bad.append("%s: no end summary" % label)
    ns = rep.get("start", {}).get("test_start", {}).get("num_streams")
    if ns is not None and ns != streams:
        bad.append("%s: %s streams, expected %d" % (label, ns, streams))
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--streams", type=int, default=1)
    ap.add_argument("--server", action="store_true",
                    help="the report is the server's own")
    a = ap.parse_args()
    try:
        with open(a.file) as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        print("iperf3_check: %s: %s" % (a.file, e))
        return 1
    bad = check(rep, a.streams, "report", a.server)
    srv = rep.get("server_output_json")
    if srv is not None and srv.get("error"):
        bad.append("server: iperf3 error: %s" % srv["error"])
    for b in bad:
        print("FAIL", b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
