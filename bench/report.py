#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench's table: offload and the host stack side by side.

Joins what the guest reported (build/results/bench.raw: BENCH-* lines from
selftests/bench/guest.sh) with the plugin's instruction counts
(build/results/insn_marks.txt: insn_mark lines from bench/insn_count.c)
and prints, for each workload, each figure for offload, for the host
stack, and their ratio (medians over the rounds), then the rounds one by
one.  Exits 1 if the run does not hold what it should (a phase or a
marker missing, a connection offloaded when it should not have been or
the reverse).
"""
import argparse
import statistics
import sys

KB = 1024
MODES = ("offload", "host")


def die(msg):
    print(f"bench report: {msg}", file=sys.stderr)
    sys.exit(1)


def read_marks(path):
    marks = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if w and w[0] == "insn_mark":
                marks[int(w[1])] = dict(zip(w[2::2], map(int, w[3::2])))
    return marks


def read_guest(path):
    config, phases, counters = {}, {}, {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "BENCH-CONFIG":
                config = dict(zip(w[1::2], w[2::2]))
            elif w[0] == "BENCH-PHASE":
                phases[w[1]] = dict(zip(w[2::2], w[3::2]))
            elif w[0] == "BENCH-COUNTERS":
                counters[(w[1], w[2])] = dict(zip(w[3::2], map(int, w[4::2])))
            elif w[0] == "BENCH-DONE":
                config["marks"] = w[2]
    return config, phases, counters


def figures(name, p, counters, marks):
    """Everything the tables show for one phase."""
    b, e = int(p["begin"]), int(p["end"])
    if b not in marks or e not in marks:
        die(f"{name}: instruction marks {b}/{e} missing")
    before = counters.get((name, "before")) or die(f"{name}: no counters")
    after = counters.get((name, "after")) or die(f"{name}: no counters")
    d = {k: after[k] - before[k] for k in after if k in before}
    conns = int(p["conns"])
    want = conns if p["mode"] == "offload" else 0
    if int(p["handoffs"]) != want:
        die(f"{name}: {p['handoffs']} connections handed off, expected {want}")
    insns = {k: marks[e][k] - marks[b][k] for k in ("total", "kernel", "user")}
    nbytes = int(p["bytes"])
    secs = float(p["secs"])
    pkts = d["dev_tx_frames"] + d["dev_rx_frames"]
    # A ring message is an entry one side writes for the other.  The
    # offload path: a command (driver) or an event (device).  The host
    # path: a TX descriptor per fragment and an RX buffer posted (driver),
    # the status written back per TX frame and per RX frame (device); one
    # buffer is reposted per frame received.
    cmd_ev = d["dev_cmds"] + d["dev_events"]
    descs = d["tx_descs"] + d["tx_packets"] + 2 * d["rx_packets"]
    f = {
        "mbps": nbytes / secs / 1e6,
        "reqps": conns / secs,
        "msgs": (cmd_ev + descs) / pkts,
        "cmd_ev": cmd_ev / pkts,
        "descs": descs / pkts,
        "irqs": d["dev_irqs"] / pkts,
        "pkts": pkts,
        "pkts_conn": pkts / conns,
    }
    for k, v in insns.items():
        f[f"kb_{k}"] = v / (nbytes / KB)
        f[f"conn_{k}"] = v / conns
    return f


BULK_ROWS = [
    ("kb_total", "guest instructions / KB", "{:.0f}"),
    ("kb_kernel", "  in the kernel", "{:.0f}"),
    ("kb_user", "  in user space (hnd_xfer)", "{:.0f}"),
    ("mbps", "throughput, MB/s (TCG)", "{:.1f}"),
    ("msgs", "ring messages / packet", "{:.3f}"),
    ("cmd_ev", "  commands + events", "{:.3f}"),
    ("descs", "  descriptors, write-backs", "{:.3f}"),
    ("irqs", "interrupts / packet", "{:.3f}"),
    ("pkts", "wire packets", "{:.0f}"),
]

REQ_ROWS = [
    ("conn_total", "guest instructions / request", "{:.0f}"),
    ("conn_kernel", "  in the kernel", "{:.0f}"),
    ("conn_user", "  in user space (httpd)", "{:.0f}"),
    ("kb_total", "guest instructions / KB", "{:.0f}"),
    ("reqps", "requests / s (TCG)", "{:.1f}"),
    ("msgs", "ring messages / packet", "{:.3f}"),
    ("cmd_ev", "  commands + events", "{:.3f}"),
    ("descs", "  descriptors, write-backs", "{:.3f}"),
    ("irqs", "interrupts / packet", "{:.3f}"),
    ("pkts_conn", "wire packets / request", "{:.1f}"),
]

# The breakdown of ring messages: one side is (nearly) zero, a ratio
# would say nothing.
NO_RATIO = {"cmd_ev", "descs"}

LABEL_W = 30


def ratio(a, b):
    return f"{a / b:.2f}" if b else "-"


def table(groups, rows, fig):
    """groups: [(key, title)]; fig[(mode, key)]: the medians."""
    print(f"{'':{LABEL_W}}" + "".join(f"{t:^30}" for _, t in groups).rstrip())
    print(f"{'':{LABEL_W}}" +
          (f"{'offload':>10}{'host':>10}{'ratio':>8}  " * len(groups)).rstrip())
    for key, label, fmt in rows:
        line = f"{label:{LABEL_W}}"
        for g, _ in groups:
            o, h = fig[("offload", g)][key], fig[("host", g)][key]
            r = ratio(o, h) if key not in NO_RATIO else ""
            line += f"{fmt.format(o):>10}{fmt.format(h):>10}{r:>8}  "
        print(line.rstrip())


def rounds_table(groups, runs, insn_key, rate_key, what):
    print(f"each round: kernel {what}, {'MB/s' if rate_key == 'mbps' else 'requests/s'}")
    cols = [(m, g) for g, _ in groups for m in MODES]
    print(f"{'round':8}" + "".join(f"{m + ' ' + g:>20}" for m, g in cols))
    for i in range(min(len(runs[c]) for c in cols)):
        print(f"{i + 1:<8}" + "".join(
            f"{runs[c][i][insn_key]:>12.0f}{runs[c][i][rate_key]:>8.1f}"
            for c in cols))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("raw", help="build/results/bench.raw")
    ap.add_argument("marks", help="build/results/insn_marks.txt")
    args = ap.parse_args()
    config, phases, counters = read_guest(args.raw)
    marks = read_marks(args.marks)
    # a marker from elsewhere would shift every phase's pairing
    if "marks" not in config:
        die("the guest did not finish")
    if sorted(marks) != list(range(1, int(config["marks"]) + 1)):
        die(f"the guest executed {config['marks']} markers, "
            f"the plugin saw {len(marks)}")

    # runs[(mode, group)]: the figures of each measured round, in order
    runs = {}
    for name, p in sorted(phases.items(), key=lambda kv: int(kv[1]["round"])):
        if int(p["round"]) < 1:
            continue	# warm-up
        group = p["dir"] if p["work"] == "bulk" else "requests"
        runs.setdefault((p["mode"], group), []).append(
            figures(name, p, counters, marks))
    bulk = [("send", "guest sends"), ("recv", "guest receives")]
    req = [("requests", "short connections")]
    for m in MODES:
        for g, _ in bulk + req:
            if (m, g) not in runs:
                die(f"no {m} {g} phase")
    fig = {k: {f: statistics.median(r[f] for r in v) for f in v[0]}
           for k, v in runs.items()}
    nrounds = min(len(v) for v in runs.values())

    print("make bench: offload on, then off, same NIC, same boot; "
          f"median of {nrounds} round(s)")
    print("ratio = offload / host stack; KB = 1024 bytes; -smp 1 TCG")
    print()
    print(f"bulk: {config.get('mb', '?')} MB each way over one TCP connection "
          "the guest accepted (hnd_xfer)")
    table(bulk, BULK_ROWS, fig)
    print()
    print(f"requests: busybox httpd serves {config.get('reqs', '?')} requests "
          f"for a {config.get('req_kb', '?')} KB file, one connection each, "
          "to curl")
    table(req, REQ_ROWS, fig)
    print()
    rounds_table(bulk, runs, "kb_kernel", "mbps", "instructions / KB")
    rounds_table(req, runs, "conn_kernel", "reqps", "instructions / request")


if __name__ == "__main__":
    main()
