#!/usr/bin/env python3
"""Drives `ebapctl` (the console) in a pseudo-terminal for bench/console.sh and prints one
JSON document. The console's output is read as it arrives; a frame has "arrived" when the
raw byte stream (escape sequences and all) contains a text drawn in one attribute run.

  console_pty.py start  --runs N      CMD...  fork to the first frame (key line text), then q
  console_pty.py keys   --rounds N    CMD...  key 2 -> services view shown, key 1 -> overview
                                              (after --ready TEXT appeared)
  console_pty.py hold   --seconds S   CMD...  CPU (utime+stime) over S s after a warm-up, VmHWM
                                              (--perf FILE: perf record that window)
Common: --size COLSxROWS (200x60), --first TEXT (the first frame's marker), --timeout S.
"""
import argparse
import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time

HZ = os.sysconf("SC_CLK_TCK")


class Console:
    def __init__(self, cmd, cols, rows, err_path):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
        self.err = open(err_path, "ab")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=self.err,
                                     start_new_session=True, env=env, close_fds=True)
        os.close(slave)
        self.fd = master
        self.out = bytearray()
        self.eof = False

    def pump(self, timeout):
        """Reads what is there within `timeout` seconds; returns False at EOF."""
        if self.eof:
            return False
        r, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if r:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # EIO: the console closed the terminal
                chunk = b""
            if not chunk:
                self.eof = True
                return False
            self.out += chunk
            if len(self.out) > (8 << 20):  # keep the tail only (hold runs for minutes)
                del self.out[: len(self.out) - (1 << 20)]
        return True

    def wait_for(self, text, since, timeout):
        """Seconds (monotonic) when `text` appeared in the output after offset `since`."""
        needle = text.encode()
        deadline = time.monotonic() + timeout
        start = max(0, since - len(needle))
        while True:
            # offsets shift when the buffer is trimmed; searching the whole tail is enough
            if self.out.find(needle, min(start, len(self.out))) >= 0:
                return time.monotonic()
            if time.monotonic() > deadline or not self.pump(deadline - time.monotonic()):
                if self.out.find(needle, min(start, len(self.out))) >= 0:
                    return time.monotonic()
                tail = self.out[-600:].decode("utf-8", "replace")
                raise SystemExit(f"console_pty: '{text}' not shown within {timeout} s "
                                 f"(exit {self.proc.poll()}); output ends: {tail!r}")

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end and self.pump(end - time.monotonic()):
            pass

    def send(self, data):
        os.write(self.fd, data.encode())

    def quit(self, timeout=30):
        """q, then the time until the process exits (SIGKILL after `timeout`)."""
        t = time.monotonic()
        try:
            self.send("q")
        except OSError:
            pass
        while self.proc.poll() is None and time.monotonic() - t < timeout:
            self.pump(0.02)
        took = time.monotonic() - t
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            took = None
        os.close(self.fd)
        self.err.close()
        return took, self.proc.returncode

    def cpu(self):
        """utime+stime of the whole process (s), and per thread by name and tid."""
        total = proc_cpu(f"/proc/{self.proc.pid}/stat")
        threads = {}
        for tid in os.listdir(f"/proc/{self.proc.pid}/task"):
            try:
                with open(f"/proc/{self.proc.pid}/task/{tid}/comm") as f:
                    name = f.read().strip()
                threads[f"{name}/{tid}"] = proc_cpu(f"/proc/{self.proc.pid}/task/{tid}/stat")
            except OSError:
                pass
        return total, threads

    def status(self, field):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])  # kB
        return None


def proc_cpu(path):
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ  # utime, stime (fields 14, 15)


def median(v):
    s = sorted(v)
    n = len(s)
    return (s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2) if n else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["start", "keys", "hold"])
    ap.add_argument("--size", default="200x60")
    ap.add_argument("--first", default="q quit", help="text of the first frame (the key line)")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--view2", default="Service ", help="text only the services view shows")
    ap.add_argument("--view1", default="Topics and lag", help="text only the overview shows")
    ap.add_argument("--ready", default="", help="keys: text to wait for before the first key")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--stderr", default="/dev/null")
    ap.add_argument("--perf", default="", help="hold: perf record the window into this file")
    ap.add_argument("cmd", nargs="+")
    a = ap.parse_args()
    cols, rows = (int(x) for x in a.size.split("x"))
    res = {"mode": a.mode, "size": a.size}

    if a.mode == "start":
        first, quits = [], []
        for _ in range(a.runs):
            c = Console(a.cmd, cols, rows, a.stderr)
            first.append((c.wait_for(a.first, 0, a.timeout) - c.t0) * 1000)
            c.drain(0.3)  # the collectors' first rounds, as an operator would wait
            took, rc = c.quit()
            quits.append(None if took is None else took * 1000)
            if rc != 0:
                raise SystemExit(f"console_pty: the console exited {rc}")
        res.update(first_ms=first, median_ms=median(first), quit_ms=quits)

    elif a.mode == "keys":
        c = Console(a.cmd, cols, rows, a.stderr)
        c.wait_for(a.first, 0, a.timeout)
        # The services view shows a service's detail once a probe round has ended; with
        # hanging probes the next round hangs right after it.
        ready = (c.wait_for(a.ready, 0, 60) - c.t0) * 1000 if a.ready else None
        c.drain(0.5)
        to2, to1 = [], []
        for _ in range(a.rounds):
            for key, text, acc in (("2", a.view2, to2), ("1", a.view1, to1)):
                since = len(c.out)
                t = time.monotonic()
                c.send(key)
                acc.append((c.wait_for(text, since, a.timeout) - t) * 1000)
                c.drain(0.05)  # the rest of the frame
        both = to2 + to1
        took, rc = c.quit()
        res.update(key2_ms=to2, key1_ms=to1, median_ms=median(both), max_ms=max(both), ready_ms=ready,
                   quit_ms=None if took is None else took * 1000, exit=rc)

    else:  # hold
        c = Console(a.cmd, cols, rows, a.stderr)
        c.wait_for(a.first, 0, a.timeout)
        c.drain(a.warmup)
        perf = None
        if a.perf:  # sampled with call graphs; threads started later are followed too
            perf = subprocess.Popen(["perf", "record", "-q", "-F", "999", "-g", "-p", str(c.proc.pid),
                                     "-o", a.perf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cpu0, th0 = c.cpu()
        w0 = time.monotonic()
        c.drain(a.seconds)
        cpu1, th1 = c.cpu()
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        wall = time.monotonic() - w0
        hwm, rss = c.status("VmHWM"), c.status("VmRSS")
        threads = {k: round(th1[k] - th0.get(k, 0), 3) for k in th1 if th1[k] - th0.get(k, 0) > 0}
        took, rc = c.quit(timeout=60)
        res.update(cpu_s=round(cpu1 - cpu0, 3), wall_s=round(wall, 3),
                   cpu_pct=round(100 * (cpu1 - cpu0) / wall, 3), threads=threads,
                   vmhwm_kb=hwm, vmrss_kb=rss, pid=c.proc.pid,
                   quit_ms=None if took is None else took * 1000, exit=rc)
    json.dump(res, sys.stdout)
    print()


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    main()
