package io.xvio.datapath.tunnel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.*;

/** Big-endian (network order) reads and writes at any alignment. */
public final class Be {
    static final ValueLayout.OfShort SHORT = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt INT = JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfLong LONG = JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private Be() {}

    static int u8(MemorySegment s, long off) { return s.get(JAVA_BYTE, off) & 0xff; }
    /** The unsigned 16-bit value at off. */
    public static int u16(MemorySegment s, long off) { return s.get(SHORT, off) & 0xffff; }
    /** The unsigned 32-bit value at off. */
    public static long u32(MemorySegment s, long off) { return s.get(INT, off) & 0xffffffffL; }
    static long u64(MemorySegment s, long off) { return s.get(LONG, off); }
    static void put8(MemorySegment s, long off, int v) { s.set(JAVA_BYTE, off, (byte) v); }
    /** Writes v's low 16 bits at off. */
    public static void put16(MemorySegment s, long off, int v) { s.set(SHORT, off, (short) v); }
    /** Writes v's low 32 bits at off. */
    public static void put32(MemorySegment s, long off, long v) { s.set(INT, off, (int) v); }
    static void put64(MemorySegment s, long off, long v) { s.set(LONG, off, v); }
    /** Writes mac's low 48 bits (a MAC address) at off. */
    public static void putMac(MemorySegment s, long off, long mac) {
        put16(s, off, (int) (mac >>> 32));
        put32(s, off + 2, mac);
    }
    static long mac(MemorySegment s, long off) { return ((long) u16(s, off) << 32) | u32(s, off + 2); }
}
