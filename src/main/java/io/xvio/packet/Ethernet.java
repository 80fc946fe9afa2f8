package io.xvio.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static java.lang.foreign.ValueLayout.*;

/** Ethernet header fields read in place (network byte order). */
public final class Ethernet {
    public static final int HEADER = 14;
    public static final int TYPE_VLAN = 0x8100, TYPE_QINQ = 0x88a8, TYPE_IPV4 = 0x0800, TYPE_ARP = 0x0806, TYPE_IPV6 = 0x86dd;
    private static final ValueLayout.OfShort BE_SHORT = JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE_INT = JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    private Ethernet() {}

    /** The 48-bit MAC at off as a long (first byte most significant). */
    public static long mac(MemorySegment s, long off) {
        return ((long) (s.get(BE_SHORT, off) & 0xffff) << 32) | (s.get(BE_INT, off + 2) & 0xffffffffL);
    }

    public static long dst(MemorySegment s, long frame) { return mac(s, frame); }

    public static long src(MemorySegment s, long frame) { return mac(s, frame + 6); }

    public static int type(MemorySegment s, long frame) { return s.get(BE_SHORT, frame + 12) & 0xffff; }

    /** The 12-bit VLAN id of an 802.1Q-tagged frame, or 0 if it is untagged. */
    public static int vlan(MemorySegment s, long frame, int len) {
        if (len >= 18 && type(s, frame) == TYPE_VLAN) return s.get(BE_SHORT, frame + 14) & 0xfff;
        return 0;
    }

    public static boolean isMulticast(long mac) { return (mac & (1L << 40)) != 0; }

    public static String format(long mac) {
        StringBuilder sb = new StringBuilder(17);
        for (int i = 5; i >= 0; i--) {
            int b = (int) (mac >>> (8 * i)) & 0xff;
            sb.append(Character.forDigit(b >> 4, 16)).append(Character.forDigit(b & 15, 16));
            if (i > 0) sb.append(':');
        }
        return sb.toString();
    }

    public static long parse(String text) {
        String[] parts = text.split(":");
        if (parts.length != 6) throw new IllegalArgumentException("not a MAC address: " + text);
        long v = 0;
        for (String p : parts) {
            if (p.length() != 2) throw new IllegalArgumentException("not a MAC address: " + text);
            v = (v << 8) | Integer.parseInt(p, 16);
        }
        return v;
    }
}
