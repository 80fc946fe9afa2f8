#!/usr/bin/env python3
"""Traffic for bench/flowmod: while a switch takes a flow table update, every millisecond it sends

  - one background frame (IPv4/UDP to BG_IP, a flow installed before the update) and
  - one probe frame (IPv4/UDP to PROBE_IP, the last flow of the update), until the first probe comes out

into IN_IF (in network namespace IN_NS), and counts what comes out of OUT_IF (in OUT_NS): the background frames per
100 ms bucket and the time the first probe arrived.

usage: flowprobe.py IN_NS IN_IF OUT_NS OUT_IF PROBE_IP BG_IP CONTROL_FILE TIMEOUT_S

Prints "ready" once 20 background frames came through (stdout, flushed). Then waits for CONTROL_FILE to hold
"T0 T1" (the update's start and end, epoch seconds) and, once it does and the probe came through (or 60 s after T1;
or no file TIMEOUT_S after start), prints one line:

  probe_s=P window_s=W slices=N min_slice=M stopped_slices=Z bg_sent=S bg_received=R

P: seconds from T0 to the first probe's arrival ("-" if none); the window runs from T0 to max(T1, probe's arrival),
cut in N whole 100 ms slices; M: the fewest background frames a slice received; Z: slices that received none though
frames went in during them and the slice before (forwarding by the background flow stopped); S/R: background frames
sent/received in the window (this script sends fewer than one per millisecond when it gets too little CPU).
"""
import ctypes
import os
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
ETH_P_IP = 0x0800
libc = ctypes.CDLL(None, use_errno=True)


def socket_in(ns, ifname):
    """A raw packet socket on ifname in network namespace ns (the thread enters it and comes back)."""
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/var/run/netns/" + ns, os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + ns)
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
        s.bind((ifname, ETH_P_IP))
    finally:
        libc.setns(own, CLONE_NEWNET)
        os.close(target)
        os.close(own)
    return s


def checksum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def frame(dst_ip, sport):
    payload = bytes(18)
    udp = struct.pack("!HHHH", sport, 9, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                     socket.inet_aton("192.168.250.1"), socket.inet_aton(dst_ip))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000002" "020000000001") + struct.pack("!H", ETH_P_IP)
    return eth + ip + udp


def main():
    in_ns, in_if, out_ns, out_if, probe_ip, bg_ip, control, timeout = sys.argv[1:9]
    timeout = float(timeout)
    tx = socket_in(in_ns, in_if)
    rx = socket_in(out_ns, out_if)
    rx.setblocking(False)
    probe, bg = frame(probe_ip, 7), frame(bg_ip, 8)
    want_probe, want_bg = socket.inet_aton(probe_ip), socket.inet_aton(bg_ip)
    start = time.time()
    sent = []          # send times of background frames
    got = []           # arrival times of background frames
    probe_at = None
    ready = False
    window = None      # (t0, t1) once the control file says
    tick = time.monotonic()
    while True:
        now = time.time()
        tx.send(bg)
        sent.append(now)
        if probe_at is None:
            tx.send(probe)
        while True:
            try:
                f = rx.recv(2048)
            except BlockingIOError:
                break
            if len(f) < 34 or f[12:14] != b"\x08\x00":
                continue
            t = time.time()
            if f[30:34] == want_bg:
                got.append(t)
            elif f[30:34] == want_probe and probe_at is None:
                probe_at = t
        if not ready and len(got) >= 20:
            ready = True
            print("ready", flush=True)
        if window is None:
            try:
                with open(control) as c:
                    parts = c.read().split()
                if len(parts) == 2:
                    window = (float(parts[0]), float(parts[1]))
            except FileNotFoundError:
                pass
        if window is not None and (probe_at is not None or now - window[1] > 60):
            break
        if window is None and now - start > timeout:
            break
        tick += 0.001
        d = tick - time.monotonic()
        if d > 0:
            time.sleep(d)
        else:
            tick = time.monotonic()
    if window is None:
        print("probe_s=- window_s=- slices=0 min_slice=- stopped_slices=- bg_sent=0 bg_received=0", flush=True)
        return
    t0, t1 = window
    end = max(t1, probe_at or t1)
    n = max(1, int((end - t0) / 0.1))
    counts, sends = [0] * n, [0] * n
    for t in got:
        i = int((t - t0) / 0.1)
        if 0 <= i < n:
            counts[i] += 1
    for t in sent:
        i = int((t - t0) / 0.1)
        if 0 <= i < n:
            sends[i] += 1
    # stopped: a slice that received nothing though frames went in during it and the one before (none were late)
    stopped = sum(1 for i in range(1, n) if counts[i] == 0 and sends[i] > 0 and sends[i - 1] > 0)
    p = "-" if probe_at is None else "%.4f" % (probe_at - t0)
    print("probe_s=%s window_s=%.3f slices=%d min_slice=%d stopped_slices=%d bg_sent=%d bg_received=%d"
          % (p, end - t0, n, min(counts), stopped, sum(sends), sum(counts)), flush=True)


if __name__ == "__main__":
    main()
