package io.xvio.datapath;

import io.xvio.packet.FlowKey;
import net.jqwik.api.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link SelectHash#frameDpHash}, the dp_hash a select burst takes straight from the frame, is the hash of the
 * extracted key ({@link SelectHash#dpHash}) whenever it gives one, for frames of every shape: IPv4 with TCP, UDP,
 * SCTP, ICMP or other protocols, options, fragments, bad lengths and offsets, VLAN tags, IPv6, truncated frames,
 * random bytes. Plain IPv4 TCP and UDP frames (what the bench sends) always take the frame hash.
 */
class SelectHashProperties {
    static final MemorySegment BUF = Arena.ofAuto().allocate(2048);

    record Frame(byte[] bytes, boolean plain) {
        @Override public String toString() { return (plain ? "plain " : "") + java.util.HexFormat.of().formatHex(bytes); }
    }

    @Provide
    Arbitrary<Frame> frames() {
        return Arbitraries.longs().map(seed -> {
            Random r = new Random(seed);
            int shape = r.nextInt(6);
            byte[] f = new byte[14 + 20 + 40 + r.nextInt(64)];
            r.nextBytes(f);
            if (shape == 5) return new Frame(java.util.Arrays.copyOf(f, r.nextInt(f.length)), false);   // noise
            boolean plain = shape <= 2;
            int proto = switch (shape) {
                case 0 -> 6;
                case 1 -> 17;
                case 2 -> r.nextBoolean() ? 6 : 17;
                default -> new int[] {1, 6, 17, 132, 47, 58}[r.nextInt(6)];
            };
            f[12] = 0x08;
            f[13] = 0;
            f[14] = (byte) (plain ? 0x45 : 0x40 | r.nextInt(16));
            int total = plain ? f.length - 14 - r.nextInt(8) : r.nextInt(f.length);
            f[16] = (byte) (total >>> 8);
            f[17] = (byte) total;
            if (plain) { f[20] = (byte) (f[20] & 0x40); f[21] = 0; }   // DF maybe, no fragment
            else if (r.nextBoolean()) { f[20] = (byte) (r.nextInt(4) << 5); f[21] = (byte) r.nextInt(2); }
            f[23] = (byte) proto;
            if (proto == 6 && (plain || r.nextBoolean())) f[46] = (byte) ((5 + (plain ? 0 : r.nextInt(11))) << 4);
            if (shape == 4 && r.nextBoolean()) { f[12] = (byte) 0x81; f[13] = 0; }                          // a VLAN tag
            if (shape == 4 && r.nextInt(4) == 0) { f[12] = (byte) 0x86; f[13] = (byte) 0xdd; }              // IPv6
            return new Frame(f, plain);
        });
    }

    /**
     * The hash spreads connections evenly over dp_hash's 64 slots (the buckets' shares), for random 5-tuples and
     * for the sequential source ports and addresses a traffic generator sends, and is the same both ways.
     */
    @Example
    void connectionsSpreadEvenlyOverTheSlots() {
        Random r = new Random(7);
        for (int pattern = 0; pattern < 3; pattern++) {
            int[] per = new int[Group.DP_HASH_SLOTS];
            for (int c = 0; c < 64 * 200; c++) {
                long src = switch (pattern) { case 0 -> r.nextInt() & 0xffffffffL; case 1 -> 0x0a000001L; default -> 0x0a000000L + c; };
                long dst = pattern == 0 ? r.nextInt() & 0xffffffffL : 0x0a000002L;
                int sp = pattern == 1 ? 1024 + c : pattern == 0 ? r.nextInt(65536) : 5000, dp = pattern == 0 ? r.nextInt(65536) : 80;
                FlowKey k = key(src, dst, 6, sp, dp), back = key(dst, src, 6, dp, sp);
                long h = SelectHash.dpHash(k);
                assertEquals(h, SelectHash.dpHash(back), "both directions");
                per[(int) h & (Group.DP_HASH_SLOTS - 1)]++;
            }
            for (int n : per) assertTrue(n > 120 && n < 280, "pattern " + pattern + ": " + java.util.Arrays.toString(per));
        }
    }

    private static FlowKey key(long src, long dst, int proto, int sp, int dp) {
        FlowKey k = new FlowKey();
        k.w[FlowKey.DL_TYPE] = 0x0800;
        k.w[FlowKey.NW_SRC] = src;
        k.w[FlowKey.NW_DST] = dst;
        k.w[FlowKey.NW_PROTO] = proto;
        k.w[FlowKey.TP_SRC] = sp;
        k.w[FlowKey.TP_DST] = dp;
        return k;
    }

    @Property(tries = 3000)
    void theFrameHashIsTheKeyHash(@ForAll("frames") Frame f) {
        MemorySegment.copy(f.bytes(), 0, BUF, JAVA_BYTE, 0, f.bytes().length);
        long fast = SelectHash.frameDpHash(BUF, 0, f.bytes().length);
        FlowKey k = new FlowKey();
        k.extract(BUF, 0, f.bytes().length, 1);
        if (f.plain()) assertNotEquals(-1, fast, "a plain IPv4 frame is hashed from its bytes");
        if (fast != -1) assertEquals(SelectHash.dpHash(k), fast);
    }
}
