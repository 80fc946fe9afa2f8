#!/usr/bin/env python3
"""A minimal OpenFlow 1.3 controller for bench/packetin: listens on 127.0.0.1:PORT, takes one switch connection and
  fast: answers every OFPT_PACKET_IN with an OFPT_PACKET_OUT of the same frame (actions=output:OUT_PORT) and every
        echo request with a reply; reads and writes in batches (one send per read), as a controller that keeps up;
  slow: reads at most 16 KB every 100 ms through a 16 KB receive buffer (the switch's side backs up within the
        warm-up), answers echo requests, counts packet-ins and sends no packet-out. A controller that read nothing
        at all would be disconnected by the switch's inactivity probe (xvio and OVS: after 5 + 5 s) and the window
        would measure no controller.
Every 100 ms it writes "packet_ins packet_outs connected" to STATUS (replaced atomically), so the rig can sample the
counts at the start and the end of its window. Ends on SIGTERM.
usage: pinctl.py PORT fast|slow STATUS [OUT_PORT]
"""
import os
import signal
import socket
import struct
import sys
import time

OFP13 = 4
HELLO, ECHO_REQUEST, ECHO_REPLY, FEATURES_REQUEST, SET_CONFIG, PACKET_IN, PACKET_OUT = 0, 2, 3, 5, 9, 10, 13
NO_BUFFER, OFPP_CONTROLLER = 0xffffffff, 0xfffffffd


def msg(t, xid, body=b""):
    return struct.pack("!BBHI", OFP13, t, 8 + len(body), xid) + body


def packet_out(frame, in_port, out_port, xid):
    action = struct.pack("!HHIH6x", 0, 16, out_port, 0)               # OFPAT_OUTPUT
    body = struct.pack("!IIH6x", NO_BUFFER, in_port, len(action)) + action + frame
    return msg(PACKET_OUT, xid, body)


def in_port_of(match):
    """in_port from an OXM match (OFPXMC_OPENFLOW_BASIC field 0), else CONTROLLER."""
    off = 4
    while off + 4 <= len(match):
        cls, field, length = struct.unpack_from("!HBB", match, off)
        if cls == 0x8000 and field >> 1 == 0 and length == 4:
            return struct.unpack_from("!I", match, off + 4)[0]
        off += 4 + length
    return OFPP_CONTROLLER


def main():
    port, mode, status = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    out_port = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    counts = {"pin": 0, "pout": 0, "conn": 0}
    running = [True]
    signal.signal(signal.SIGTERM, lambda *a: running.__setitem__(0, False))

    def write_status():
        tmp = status + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d %d %d\n" % (counts["pin"], counts["pout"], counts["conn"]))
        os.replace(tmp, status)

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if mode == "slow":   # a small receive buffer (the accepted socket inherits it): the switch's side fills in a second
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    srv.bind(("127.0.0.1", port))
    srv.listen(1)
    srv.settimeout(0.1)
    write_status()
    conn = None
    while running[0] and conn is None:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
    if conn is None:
        return
    counts["conn"] = 1
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # set_config: no flags, miss_send_len 0xffff (whole frames)
    conn.sendall(msg(HELLO, 1) + msg(FEATURES_REQUEST, 2) + msg(SET_CONFIG, 3, struct.pack("!HH", 0, 0xffff)))
    last = 0.0
    conn.settimeout(0.1)
    buf = b""
    xid = 100
    while running[0]:
        now = time.monotonic()
        if now - last >= 0.1:
            write_status()
            last = now
        if mode == "slow":
            time.sleep(0.1)
        try:
            data = conn.recv(16384 if mode == "slow" else 1 << 20)
        except socket.timeout:
            continue
        if not data:
            break
        buf += data
        out = []
        off = 0
        while len(buf) - off >= 8:
            _, t, length, mxid = struct.unpack_from("!BBHI", buf, off)
            if length < 8:
                sys.exit("bad OpenFlow length %d" % length)
            if len(buf) - off < length:
                break
            m = buf[off:off + length]
            off += length
            if t == ECHO_REQUEST:
                out.append(msg(ECHO_REPLY, mxid, m[8:]))
            elif t == PACKET_IN:
                counts["pin"] += 1
                if mode == "slow":
                    continue
                # buffer_id u32, total_len u16, reason u8, table u8, cookie u64, then the match (padded to 8), 2 pad
                mlen = struct.unpack_from("!H", m, 26)[0]
                match = m[24:24 + mlen]
                data_at = 24 + (mlen + 7) // 8 * 8 + 2
                xid += 1
                out.append(packet_out(m[data_at:], in_port_of(match), out_port, xid))
                counts["pout"] += 1
        buf = buf[off:]
        if out:
            # blocking: the 0.1 s timeout is for recv (to write the status), a send that waits for the switch to
            # read its packet-outs must not fail with it (it did: TimeoutError, the controller gone, 0 packet-ins)
            conn.settimeout(None)
            conn.sendall(b"".join(out))
            conn.settimeout(0.1)
    write_status()


if __name__ == "__main__":
    main()
