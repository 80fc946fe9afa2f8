package io.xvio.datapath;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * One poll-mode thread's exact-match cache (OVS's EMC) for one bridge, in front of the megaflow cache: it maps
 * the raw header bytes of a plain IPv4 frame (no VLAN tag, no IP options, at least 54 bytes, so a TCP header
 * is whole) and its input port to the megaflow entry that frame hit, when that entry's translation needs no
 * header ({@link MegaflowCache.Entry#headerFree}; other entries too, then the key is extracted for their replay). Such a frame's flow key is a function of exactly the bytes
 * compared here (see {@link #KEY_BYTES}) and its input port, so a hit skips key extraction and the megaflow
 * probes: a handful of loads, one hash and one compare.
 *
 * <p>Direct-mapped: a slot holds the last frame shape that hashed to it. A slot is trusted only while the megaflow
 * cache's {@link MegaflowCache#epoch} is the one it was filled in: whatever evicts megaflow entries (a table
 * change, a flush, a shape forgotten when full) retires everything here at once. Allocates nothing.
 */
final class ExactMatchCache {
    static final int SLOTS = 8192;
    /** Shortest frame cached: Ethernet (14) + IPv4 without options (20) + a whole TCP header (20). */
    static final int MIN_LEN = 54;
    private static final int STRIDE = 8;       // per slot: 6 header words, input port | epoch << 32, the hash

    /**
     * Which bytes of the first 48 of a plain IPv4 frame the flow key reads, per little-endian 8-byte word
     * (Ethernet 0-13, IPv4 14-33, L4 from 34): not total length, id (16-19), checksum (24-25), UDP length or TCP
     * sequence numbers (38-45); word 5 (40-47) holds the TCP flags (46-47), compared for TCP only.
     */
    static final long[] KEY_BYTES = {-1L, -1L, 0xFFFFFFFF00000000L, 0xFFFFFFFFFFFF0000L, 0x0000FFFFFFFFFFFFL};
    static final long TCP_FLAGS_BYTES = 0xFFFF000000000000L;

    private final long[] slots = new long[SLOTS * STRIDE];
    private final MegaflowCache.Entry[] entries = new MegaflowCache.Entry[SLOTS];
    // the frame last loaded by load()
    private long w0, w1, w2, w3, w4, w5, hash;
    private int minTotal;
    private int slot;
    long hits;

    /**
     * Whether frame [o, o + len) of d is one this cache can hold (plain IPv4, at least {@link #MIN_LEN} bytes);
     * if so, remembers its key bytes and input port for the {@link #find} or {@link #insert} that follows.
     */
    boolean load(MemorySegment d, long o, int len, int inPort) {
        if (len < MIN_LEN) return false;
        long b1 = d.get(JAVA_LONG_UNALIGNED, o + 8);
        if (((b1 >>> 32) & 0xFFFFFF) != 0x450008) return false;    // bytes 12-14: 08 00 45
        long b0 = d.get(JAVA_LONG_UNALIGNED, o);
        long raw2 = d.get(JAVA_LONG_UNALIGNED, o + 16);
        long b2 = raw2 & KEY_BYTES[2];
        long b3 = d.get(JAVA_LONG_UNALIGNED, o + 24) & KEY_BYTES[3];
        long b4 = d.get(JAVA_LONG_UNALIGNED, o + 32) & KEY_BYTES[4];
        boolean tcp = (b2 >>> 56) == 6;                                  // byte 23: protocol
        long b5 = tcp ? d.get(JAVA_LONG_UNALIGNED, o + 40) & TCP_FLAGS_BYTES : 0;
        // the key also depends on the IPv4 total length, which is not compared: take only frames whose total length
        // fits the frame and holds the whole L4 header, so every frame with these key bytes has the same key
        int min = tcp ? 20 + Math.max(20, ((int) (b5 >>> 52) & 0xf) * 4) : 40;   // byte 46's high nibble: TCP data offset
        if (!lengthFits(raw2, len, min)) return false;
        long h = b0 * 0x9E3779B97F4A7C15L + b1 * 0xC2B2AE3D27D4EB4FL + b2 * 0x165667B19E3779F9L
                + b3 * 0xD6E8FEB86659FD93L + b4 * 0xFF51AFD7ED558CCDL + b5 * 0xC4CEB9FE1A85EC53L + inPort;
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 29;
        w0 = b0; w1 = b1; w2 = b2; w3 = b3; w4 = b4; w5 = b5;
        minTotal = min;
        hash = h | 1;                                               // 0 marks an empty slot
        slot = (int) (h >>> 40) & (SLOTS - 1);
        return true;
    }

    /**
     * Whether the IPv4 total length (bytes 16-17 of the frame: the low two bytes of raw2, a little-endian load)
     * is at least min and fits the frame of len bytes: then flow extraction reads the frame's headers whole.
     */
    private static boolean lengthFits(long raw2, int len, int min) {
        int total = (int) ((raw2 & 0xff) << 8 | (raw2 >>> 8) & 0xff);
        return total >= min && total <= len - 14;
    }

    /** Whether the frame last {@linkplain #load loaded} is TCP (its flags are part of the key). */
    boolean tcp() { return (w2 >>> 56) == 6; }

    /**
     * Whether frame [o, o + len) of d has exactly the key bytes of the frame last {@linkplain #load loaded} (on
     * the same input port): then it has the same flow key, and the loaded state stays valid for it.
     */
    boolean sameAsLoaded(MemorySegment d, long o, int len) {
        if (len < MIN_LEN) return false;
        long raw2 = d.get(JAVA_LONG_UNALIGNED, o + 16);
        if (!lengthFits(raw2, len, minTotal)) return false;
        long diff = (d.get(JAVA_LONG_UNALIGNED, o) ^ w0) | (d.get(JAVA_LONG_UNALIGNED, o + 8) ^ w1)
                | ((raw2 & KEY_BYTES[2]) ^ w2)
                | ((d.get(JAVA_LONG_UNALIGNED, o + 24) & KEY_BYTES[3]) ^ w3)
                | ((d.get(JAVA_LONG_UNALIGNED, o + 32) & KEY_BYTES[4]) ^ w4);
        if (tcp()) diff |= (d.get(JAVA_LONG_UNALIGNED, o + 40) & TCP_FLAGS_BYTES) ^ w5;
        return diff == 0;
    }

    /**
     * The megaflow entry cached for the frame last {@linkplain #load loaded} on inPort, if it was cached in the
     * megaflow cache's current epoch; else null.
     */
    MegaflowCache.Entry find(int inPort, int epoch) {
        long[] s = slots;
        int b = slot * STRIDE;
        if (s[b + 7] != hash || s[b] != w0 || s[b + 1] != w1 || s[b + 2] != w2 || s[b + 3] != w3 || s[b + 4] != w4
                || s[b + 5] != w5 || s[b + 6] != tag(inPort, epoch)) return null;
        return entries[slot];
    }

    /** Caches e (a header-free entry of the current epoch) for the frame last {@linkplain #load loaded} on inPort. */
    void insert(int inPort, int epoch, MegaflowCache.Entry e) {
        long[] s = slots;
        int b = slot * STRIDE;
        s[b] = w0; s[b + 1] = w1; s[b + 2] = w2; s[b + 3] = w3; s[b + 4] = w4; s[b + 5] = w5;
        s[b + 6] = tag(inPort, epoch);
        s[b + 7] = hash;
        entries[slot] = e;
    }

    private static long tag(int inPort, int epoch) { return (inPort & 0xffffffffL) | (long) epoch << 32; }
}
