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

    /**
     * Whether mac is one of the destinations a bridge must not forward (OVS's eth_addr_is_reserved): IEEE 802.1's
     * 01:80:c2:00:00:00-0f (STP, pause, LACP, 802.1X, LLDP, ...), Extreme's EDP/EAPS (00:e0:2b:00:00:00, 04, 06)
     * and Cisco's ISL, CDP/VTP/DTP/PAgP/UDLD, PVST+, UplinkFast and CFM addresses (01:00:0c:...).
     */
    public static boolean isReserved(long mac) {
        if ((mac & ~0xfL) == 0x0180c2000000L) return true;
        if (mac == 0x00e02b000000L || mac == 0x00e02b000004L || mac == 0x00e02b000006L) return true;
        if ((mac >>> 24) != 0x01000cL) return false;
        return mac == 0x01000c000000L || mac == 0x01000cccccccL || mac == 0x01000ccccccdL || mac == 0x01000ccdcdcdL
                || (mac & ~7L) == 0x01000cccccc0L;
    }

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
