package io.xvio.datapath.conntrack;

import java.nio.ByteBuffer;

/** Builds Ethernet frames with correct IPv4 header and L4 checksums for the conntrack tests. */
public final class Frames {
    public static final int FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16;

    private Frames() {}

    public static long ip(String dotted) {
        String[] p = dotted.split("\\.");
        long a = 0;
        for (String x : p) a = a << 8 | Integer.parseInt(x);
        return a;
    }

    /** A TCP segment's L4 bytes (header, options, payload of n zero bytes). */
    public static byte[] tcp(int sport, int dport, int flags, int seq, int ack, int win, int payload, byte[] opts) {
        int hl = 20 + opts.length;
        ByteBuffer b = ByteBuffer.allocate(hl + payload);
        b.putShort((short) sport).putShort((short) dport).putInt(seq).putInt(ack)
                .putShort((short) ((hl / 4) << 12 | flags)).putShort((short) win).putShort((short) 0).putShort((short) 0);
        b.put(opts);
        return b.array();
    }

    public static byte[] udp(int sport, int dport, int payload) {
        ByteBuffer b = ByteBuffer.allocate(8 + payload);
        b.putShort((short) sport).putShort((short) dport).putShort((short) (8 + payload)).putShort((short) 0);
        return b.array();
    }

    public static byte[] icmp(int type, int code, int id, int seq) {
        ByteBuffer b = ByteBuffer.allocate(8);
        b.put((byte) type).put((byte) code).putShort((short) 0).putShort((short) id).putShort((short) seq);
        return b.array();
    }

    /** An ICMP error quoting the IP packet of frame (its IP header and first 8 L4 bytes). */
    public static byte[] icmpError(int type, int code, byte[] quotedFrame) {
        int ihl = (quotedFrame[14] & 15) * 4;
        int n = Math.min(quotedFrame.length - 14, ihl + 8);
        ByteBuffer b = ByteBuffer.allocate(8 + n);
        b.put((byte) type).put((byte) code).putShort((short) 0).putInt(0).put(quotedFrame, 14, n);
        return b.array();
    }

    /** An ICMPv6 error quoting the whole packet of frame (as much as fits, RFC 4443). */
    public static byte[] icmp6Error(int type, int code, byte[] quotedFrame) { return icmp6Error(type, code, quotedFrame, 1232); }

    public static byte[] icmp6Error(int type, int code, byte[] quotedFrame, int max) {
        int n = Math.min(quotedFrame.length - 14, max);
        ByteBuffer b = ByteBuffer.allocate(8 + n);
        b.put((byte) type).put((byte) code).putShort((short) 0).putInt(0).put(quotedFrame, 14, n);
        return b.array();
    }

    public static byte[] v4(long src, long dst, int proto, byte[] l4) {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + l4.length);
        b.putShort((short) 0x0200).putInt(2).putShort((short) 0x0200).putInt(1).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + l4.length)).putInt(0).put((byte) 64).put((byte) proto)
                .putShort((short) 0).putInt((int) src).putInt((int) dst);
        b.put(l4);
        byte[] f = b.array();
        put16(f, 24, ~fold(sum(f, 14, 20)));
        fixL4(f, 14, 34, proto, false);
        return f;
    }

    public static byte[] v6(long srcHi, long srcLo, long dstHi, long dstLo, int proto, byte[] l4) {
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + l4.length);
        b.putShort((short) 0x0200).putInt(2).putShort((short) 0x0200).putInt(1).putShort((short) 0x86dd);
        b.putInt(0x60000000).putShort((short) l4.length).put((byte) proto).put((byte) 64)
                .putLong(srcHi).putLong(srcLo).putLong(dstHi).putLong(dstLo);
        b.put(l4);
        byte[] f = b.array();
        fixL4(f, 14, 54, proto, true);
        return f;
    }

    private static int l4CsumAt(int proto) { return proto == 6 ? 16 : proto == 17 ? 6 : 2; }

    public static void fixL4(byte[] f, int l3, int l4, int proto, boolean v6) {
        if (proto != 6 && proto != 17 && proto != 1 && proto != 58) return;
        int at = l4 + l4CsumAt(proto);
        if (at + 2 > f.length) return;                          // truncated on purpose
        put16(f, at, 0);
        int c = ~fold(l4Sum(f, l3, l4, proto, v6)) & 0xffff;
        if (proto == 17 && c == 0) c = 0xffff;
        put16(f, at, c);
    }

    public static long l4Sum(byte[] f, int l3, int l4, int proto, boolean v6) {
        int n = f.length - l4;
        long s = sum(f, l4, n);
        if (proto != 1) s += (v6 ? sum(f, l3 + 8, 32) : sum(f, l3 + 12, 8)) + proto + n;
        return s;
    }

    /** True when the frame's IPv4 header (if any) and L4 checksums are right, recomputed from scratch. */
    public static boolean checksumsOk(byte[] f) {
        boolean v6 = (f[12] & 0xff) == 0x86 && (f[13] & 0xff) == 0xdd;
        int proto = f[v6 ? 20 : 23] & 0xff;
        int l4 = v6 ? 54 : 14 + (f[14] & 15) * 4;
        if (!v6 && fold(sum(f, 14, l4 - 14)) != 0xffff) return false;
        if (proto == 17 && !v6 && get16(f, l4 + 6) == 0) return true;
        return fold(l4Sum(f, 14, l4, proto, v6)) == 0xffff;
    }

    public static long sum(byte[] f, int off, int n) {
        long s = 0;
        for (int i = 0; i + 1 < n; i += 2) s += get16(f, off + i);
        if ((n & 1) != 0) s += (f[off + n - 1] & 0xff) << 8;
        return s;
    }

    public static int fold(long s) {
        while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
        return (int) s;
    }

    public static int get16(byte[] f, int at) { return (f[at] & 0xff) << 8 | (f[at + 1] & 0xff); }

    public static long get32(byte[] f, int at) { return ((long) get16(f, at) << 16) | get16(f, at + 2); }

    public static void put16(byte[] f, int at, int v) {
        f[at] = (byte) (v >>> 8);
        f[at + 1] = (byte) v;
    }
}
