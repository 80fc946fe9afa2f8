package io.xvio.datapath.conntrack;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.*;

/**
 * TCP state and sequence-window tracking with the semantics of OVS's userspace conntrack (lib/conntrack-tcp.c,
 * itself pf's algorithm after Guido van Rooij's "Real Stateful TCP Packet Filtering"): each peer has a state
 * (CLOSED .. TIME_WAIT, OVS's CT_DPIF_TCPS_* numbering), the lowest sequence number it may send next (seqlo),
 * the highest the other side allows (seqhi), its largest window and its window scale. A segment outside the
 * window, acking too far off, or with a reset not at the expected sequence number is invalid. Works on a
 * connection's fields in {@link ConnPool} under the connection's lock; allocates nothing.
 */
final class TcpTracker {
    static final int CLOSED = 0, LISTEN = 1, SYN_SENT = 2, SYN_RECV = 3, ESTABLISHED = 4, CLOSE_WAIT = 5,
            FIN_WAIT_1 = 6, CLOSING = 7, LAST_ACK = 8, FIN_WAIT_2 = 9, TIME_WAIT = 10;
    static final String[] NAMES = {"CLOSED", "LISTEN", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "CLOSE_WAIT",
            "FIN_WAIT_1", "CLOSING", "LAST_ACK", "FIN_WAIT_2", "TIME_WAIT"};
    /** Results of an update, as OVS's ct_update_res. */
    static final int VALID = 0, INVALID = 1, NEW = 2, VALID_NEW = 3;
    static final int FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16, URG = 32;
    private static final int WSCALE_FLAG = 0x40, WSCALE_UNKNOWN = 0x80, WSCALE_MASK = 0xf, MAX_WSCALE = 14;
    private static final int MAXACKWINDOW = 0xffff + 1500;
    private static final OfShort BE16 = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final OfInt BE32 = JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private TcpTracker() {}

    static boolean invalidFlags(int f) {
        if ((f & SYN) != 0) {
            if ((f & (RST | FIN)) != 0) return true;
        } else if ((f & (ACK | RST)) == 0) {
            return true;
        }
        return (f & ACK) == 0 && (f & (FIN | PSH | URG)) != 0;
    }

    /** Whether this segment may open a connection: valid flags and not a SYN+ACK (OVS's tcp_valid_new). */
    static boolean validNew(int flags) {
        return !invalidFlags(flags) && (flags & (SYN | ACK)) != (SYN | ACK);
    }

    /** Window scale option of the segment at l4 (frame-absolute), WSCALE_FLAG set when present. */
    private static int wscale(MemorySegment s, long l4) {
        int len = ((s.get(JAVA_BYTE, l4 + 12) & 0xff) >>> 4) * 4 - 20;
        long opt = l4 + 20;
        int ws = 0;
        while (len >= 3) {
            int kind = s.get(JAVA_BYTE, opt) & 0xff;
            if (kind == 0) return ws;
            if (kind == 1) { opt++; len--; continue; }
            if (kind == 3) ws = Math.min(s.get(JAVA_BYTE, opt + 2) & 0xff, MAX_WSCALE) | WSCALE_FLAG;
            int olen = Math.max(2, s.get(JAVA_BYTE, opt + 1) & 0xff);
            len -= olen;
            opt += olen;
        }
        return ws;
    }

    private static boolean seqGeq(int a, int b) { return a - b >= 0; }
    private static boolean seqGt(int a, int b) { return a - b > 0; }
    private static int umax1(int v) { return v == 0 ? 1 : v; }

    /** Initialises connection c's peers from its first segment (OVS's tcp_new_conn); returns the timeout kind. */
    static int newConn(ConnPool p, int c, MemorySegment s, long l4, int payload, int flags) {
        int src = c * 2, dst = src + 1;
        p.seqlo[src] = s.get(BE32, l4 + 4);
        p.seqhi[src] = p.seqlo[src] + payload + 1;
        if ((flags & SYN) != 0) {
            p.seqhi[src]++;
            p.wscale[src] = (byte) wscale(s, l4);
            p.wscale[dst] = 0;
        } else {
            p.wscale[src] = p.wscale[dst] = (byte) WSCALE_UNKNOWN;
        }
        int win = umax1(s.get(BE16, l4 + 14) & 0xffff);
        int sws = p.wscale[src] & WSCALE_MASK;
        if (sws != 0) win = (win + (1 << sws) - 1) >>> sws;
        p.maxWin[src] = win;
        if ((flags & FIN) != 0) p.seqhi[src]++;
        p.seqhi[dst] = 1;
        p.seqlo[dst] = 0;
        p.maxWin[dst] = 1;
        p.pstate[src] = SYN_SENT;
        p.pstate[dst] = CLOSED;
        return Timeouts.TCP_FIRST_PACKET;
    }

    /**
     * Updates connection c with a segment sent by the original (reply=false) or reply side. Returns VALID,
     * INVALID, NEW (a SYN on a closed connection: the caller replaces it) or VALID_NEW, and stores the timeout
     * kind to apply in tm[0] (-1: keep the expiry).
     */
    static int update(ConnPool p, int c, boolean reply, MemorySegment s, long l4, int payload, int flags, int[] tm) {
        int src = c * 2 + (reply ? 1 : 0), dst = c * 2 + (reply ? 0 : 1);
        tm[0] = -1;
        if (invalidFlags(flags)) return INVALID;
        byte[] st = p.pstate;
        if ((flags & (SYN | ACK)) == SYN) {
            if (st[dst] >= FIN_WAIT_2 && st[src] >= FIN_WAIT_2) {
                st[src] = st[dst] = CLOSED;
                return NEW;
            } else if (st[src] <= SYN_SENT) {
                st[src] = SYN_SENT;
                tm[0] = Timeouts.TCP_FIRST_PACKET;
                return VALID_NEW;
            }
        }
        int sws = 0, dws = 0;
        int ws = p.wscale[src] & 0xff, wd = p.wscale[dst] & 0xff;
        if ((ws & WSCALE_FLAG) != 0 && (wd & WSCALE_FLAG) != 0 && (flags & SYN) == 0) {
            sws = ws & WSCALE_MASK;
            dws = wd & WSCALE_MASK;
        } else if ((ws & WSCALE_UNKNOWN) != 0 && (wd & WSCALE_UNKNOWN) != 0 && (flags & SYN) == 0) {
            sws = dws = MAX_WSCALE;
        }
        int win = s.get(BE16, l4 + 14) & 0xffff;
        int seq = s.get(BE32, l4 + 4), origSeq = seq;
        int ack = s.get(BE32, l4 + 8);
        int end = seq + payload;
        if ((flags & SYN) != 0) end++;
        if ((flags & FIN) != 0) end++;
        boolean checkAckskew = true;
        if (st[src] < SYN_SENT) {
            // first segment from this end
            if ((flags & SYN) != 0 && (wd & WSCALE_FLAG) != 0) {
                int w = wscale(s, l4);
                p.wscale[src] = (byte) w;
                if ((w & WSCALE_FLAG) != 0) {
                    sws = w & WSCALE_MASK;
                    win = (win + (1 << sws) - 1) >>> sws;
                    dws = wd & WSCALE_MASK;
                } else {
                    p.maxWin[dst] <<= wd & WSCALE_MASK;
                    p.wscale[dst] = 0;
                }
            }
            p.seqlo[src] = seq;
            st[src] = SYN_SENT;
            int reach = end + umax1(p.maxWin[dst] << dws);
            if (p.seqhi[src] == 1 || seqGeq(reach, p.seqhi[src])) {
                p.seqhi[src] = reach;
                checkAckskew = false;
            }
            if (Integer.compareUnsigned(win, p.maxWin[src]) > 0) p.maxWin[src] = win;
        }
        if ((flags & ACK) == 0 || (ack == 0 && (flags & (ACK | RST)) == (ACK | RST))) ack = p.seqlo[dst];
        if (seq == end) {
            seq = p.seqlo[src];
            end = seq;
        }
        int ackskew = checkAckskew ? p.seqlo[dst] - ack : 0;
        if (seqGeq(p.seqhi[src], end)
                && seqGeq(seq, p.seqlo[src] - (p.maxWin[dst] << dws))
                && ackskew >= -MAXACKWINDOW
                && ackskew <= (MAXACKWINDOW << sws)
                && ((flags & RST) == 0 || origSeq == p.seqlo[src] || origSeq == p.seqlo[src] + 1
                    || origSeq + 1 == p.seqlo[src])) {
            slide(p, src, dst, win, end, ack, sws);
            if ((flags & SYN) != 0 && st[src] < SYN_SENT) st[src] = SYN_SENT;
            if ((flags & FIN) != 0 && st[src] < CLOSING) st[src] = CLOSING;
            if ((flags & ACK) != 0) {
                if (st[dst] == SYN_SENT) st[dst] = ESTABLISHED;
                else if (st[dst] == CLOSING) st[dst] = FIN_WAIT_2;
            }
            if ((flags & RST) != 0) st[src] = st[dst] = TIME_WAIT;
            if (st[src] >= FIN_WAIT_2 && st[dst] >= FIN_WAIT_2) tm[0] = Timeouts.TCP_CLOSED;
            else if (st[src] >= CLOSING && st[dst] >= CLOSING) tm[0] = Timeouts.TCP_FIN_WAIT;
            else if (st[src] < ESTABLISHED || st[dst] < ESTABLISHED) tm[0] = Timeouts.TCP_OPENING;
            else if (st[src] >= CLOSING || st[dst] >= CLOSING) tm[0] = Timeouts.TCP_CLOSING;
            else tm[0] = Timeouts.TCP_ESTABLISHED;
            return VALID;
        }
        if ((st[dst] < SYN_SENT || st[dst] >= FIN_WAIT_2 || st[src] >= FIN_WAIT_2)
                && seqGeq(p.seqhi[src] + MAXACKWINDOW, end)
                && seqGeq(seq, p.seqlo[src] - MAXACKWINDOW)) {
            // shotgunned SYNs, a connection picked up mid-stream, stray segments after close: accepted without
            // refreshing the expiry, so a flood cannot keep the entry alive
            slide(p, src, dst, win, end, ack, sws);
            if ((flags & FIN) != 0 && st[src] < CLOSING) st[src] = CLOSING;
            if ((flags & RST) != 0) st[src] = st[dst] = TIME_WAIT;
            return VALID;
        }
        return INVALID;
    }

    private static void slide(ConnPool p, int src, int dst, int win, int end, int ack, int sws) {
        if (Integer.compareUnsigned(p.maxWin[src], win) < 0) p.maxWin[src] = win;
        if (seqGt(end, p.seqlo[src])) p.seqlo[src] = end;
        if (seqGeq(ack + (win << sws), p.seqhi[dst])) p.seqhi[dst] = ack + umax1(win << sws);
    }

    /** The state dpctl/dump-conntrack prints: the larger of the two, FIN_WAIT_2 as TIME_WAIT (OVS's coalescing). */
    static String displayState(ConnPool p, int c) {
        int st = Math.max(p.pstate[c * 2], p.pstate[c * 2 + 1]);
        if (st == FIN_WAIT_2) st = TIME_WAIT;
        else if (st == SYN_RECV) st = ESTABLISHED;
        return NAMES[st];
    }
}
