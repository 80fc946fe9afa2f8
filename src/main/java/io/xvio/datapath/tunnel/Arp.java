package io.xvio.datapath.tunnel;

import java.lang.foreign.MemorySegment;

/**
 * ARP for IPv4 over Ethernet (RFC 826): requests and replies written into a frame, and a strict parser. Frames are
 * padded to the 60-byte Ethernet minimum. No allocation.
 */
public final class Arp {
    public static final int REQUEST = 1, REPLY = 2, FRAME = 60;
    public static final long BROADCAST = 0xffff_ffff_ffffL;

    /** What {@link #parse} read: operation, sender and target hardware and protocol addresses. */
    public static final class Packet {
        public int op;
        public long sha, tha;
        public int spa, tpa;
    }

    private Arp() {}

    /** Writes a broadcast request "who has target? tell src" at off; returns the frame length (60). */
    public static int request(MemorySegment s, long off, long srcMac, int srcIp, int target) {
        return write(s, off, BROADCAST, REQUEST, srcMac, srcIp, 0, target);
    }

    /** Writes the reply "ip is at mac" to a requester; returns the frame length (60). */
    public static int reply(MemorySegment s, long off, long mac, int ip, long toMac, int toIp) {
        return write(s, off, toMac, REPLY, mac, ip, toMac, toIp);
    }

    private static int write(MemorySegment s, long off, long dstMac, int op, long sha, int spa, long tha, int tpa) {
        for (int i = 0; i < FRAME; i++) s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, off + i, (byte) 0);
        Be.putMac(s, off, dstMac);
        Be.putMac(s, off + 6, sha);
        Be.put16(s, off + 12, 0x0806);
        Be.put16(s, off + 14, 1);          // Ethernet
        Be.put16(s, off + 16, 0x0800);     // IPv4
        Be.put8(s, off + 18, 6);
        Be.put8(s, off + 19, 4);
        Be.put16(s, off + 20, op);
        Be.putMac(s, off + 22, sha);
        Be.put32(s, off + 28, spa);
        Be.putMac(s, off + 32, tha);
        Be.put32(s, off + 38, tpa);
        return FRAME;
    }

    /** Reads an untagged Ethernet ARP request or reply for IPv4 into out; false (out undefined) for anything else. */
    public static boolean parse(MemorySegment s, long off, int len, Packet out) {
        if (len < 42 || Be.u16(s, off + 12) != 0x0806) return false;
        if (Be.u16(s, off + 14) != 1 || Be.u16(s, off + 16) != 0x0800 || Be.u8(s, off + 18) != 6 || Be.u8(s, off + 19) != 4) return false;
        int op = Be.u16(s, off + 20);
        if (op != REQUEST && op != REPLY) return false;
        out.op = op;
        out.sha = Be.mac(s, off + 22);
        out.spa = (int) Be.u32(s, off + 28);
        out.tha = Be.mac(s, off + 32);
        out.tpa = (int) Be.u32(s, off + 38);
        // a multicast or zero sender MAC is never learnt from
        return (out.sha >>> 40 & 1) == 0 && out.sha != 0;
    }
}
