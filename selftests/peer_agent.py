#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The host side of the guest's tests: run commands in the test namespace.

The guest's tests drive both ends of each scenario.  For the host end they
call `peer 'command'` (selftests/tools/peerctl.c), which connects here;
the agent runs the command with bash in its working directory, inside the
network namespace the runner made, and answers with the command's output
and a last line "__EXIT__ <status>".

A command that starts a background job must redirect that job's output
(`cmd >out 2>&1 &`): the answer ends when the command's output closes.
"""
import argparse
import os
import socketserver
import subprocess


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline().decode(errors="replace").strip()
        if not line:
            return
        try:
            res = subprocess.run(["bash", "-c", line], cwd=self.server.workdir,
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT,
                                 timeout=self.server.timeout,
                                 env=self.server.env)
            out, status = res.stdout, res.returncode
        except subprocess.TimeoutExpired as e:
            out, status = (e.stdout or b"") + b"peer: timed out\n", 124
        if status < 0:
            status = 128 - status
        if out and not out.endswith(b"\n"):
            out += b"\n"
        self.wfile.write(out + b"__EXIT__ %d\n" % status)
        with open(os.path.join(self.server.workdir, "peer.log"), "ab") as log:
            log.write(b"$ %s\n%s[exit %d]\n" % (line.encode(), out, status))


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", required=True, help="ADDR:PORT")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--path", default="", help="prepended to PATH")
    ap.add_argument("--timeout", type=int, default=900)
    args = ap.parse_args()
    addr, port = args.listen.rsplit(":", 1)
    srv = Server((addr, int(port)), Handler)
    srv.workdir = args.workdir
    srv.timeout = args.timeout
    srv.env = dict(os.environ)
    if args.path:
        srv.env["PATH"] = args.path + ":" + srv.env.get("PATH", "")
    srv.serve_forever()


if __name__ == "__main__":
    main()
