package io.xvio.packet;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/** Completing CHECKSUM_PARTIAL frames gives the checksum a full software computation gives. */
class ChecksumTest {
    private static final long AT = 128;   // frames start after some headroom, like in a PacketBatch
    private final Random rnd = new Random(7);

    /** Reference: RFC 1071 over 16-bit words of a byte array. */
    private static int rfc1071(byte[]... parts) {
        long sum = 0;
        for (byte[] p : parts) {
            for (int i = 0; i < p.length; i += 2) {
                int hi = p[i] & 0xff, lo = i + 1 < p.length ? p[i + 1] & 0xff : 0;
                sum += (hi << 8) | lo;
            }
        }
        while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) (~sum & 0xffff);
    }

    private static int fold(long sum) {
        while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) sum;
    }

    /** An Ethernet/IP/L4 frame whose checksum field holds the folded pseudo-header sum, as Linux leaves it. */
    private record Frame(byte[] bytes, int start, int offset, int end, int expected) {
        int field() { return start + offset; }
    }

    private Frame build(boolean v6, int proto, int payload, boolean vlan) {
        int l4hdr = proto == Checksum.PROTO_TCP ? 20 : 8;
        byte[] l4 = new byte[l4hdr + payload];
        rnd.nextBytes(l4);
        int csumAt = proto == Checksum.PROTO_TCP ? 16 : 6;
        l4[csumAt] = 0;
        l4[csumAt + 1] = 0;
        if (proto == Checksum.PROTO_UDP) { l4[4] = (byte) (l4.length >> 8); l4[5] = (byte) l4.length; }
        if (proto == Checksum.PROTO_TCP) l4[12] = 0x50;
        byte[] src = new byte[v6 ? 16 : 4], dst = new byte[v6 ? 16 : 4];
        rnd.nextBytes(src);
        rnd.nextBytes(dst);
        ByteBuffer pseudo = ByteBuffer.allocate(v6 ? 40 : 12);
        pseudo.put(src).put(dst);
        if (v6) pseudo.putInt(l4.length).put(new byte[3]).put((byte) proto);
        else pseudo.put((byte) 0).put((byte) proto).putShort((short) l4.length);
        int expected = rfc1071(pseudo.array(), l4);
        if (expected == 0) expected = 0xffff;     // Linux writes 0 as 0xffff (the same for TCP, not "none" for UDP)
        // what the sender leaves in the field: the folded (uncomplemented) pseudo-header sum
        int partial = 0xffff & ~rfc1071(pseudo.array());
        l4[csumAt] = (byte) (partial >> 8);
        l4[csumAt + 1] = (byte) partial;
        ByteBuffer f = ByteBuffer.allocate(14 + (vlan ? 4 : 0) + (v6 ? 40 : 20) + l4.length + 6);  // + Ethernet padding
        f.put(new byte[12]);
        if (vlan) f.putShort((short) 0x8100).putShort((short) 42);
        f.putShort((short) (v6 ? 0x86dd : 0x0800));
        int l3 = f.position();
        if (v6) {
            f.putInt(0x60000000).putShort((short) l4.length).put((byte) proto).put((byte) 64).put(src).put(dst);
        } else {
            f.put((byte) 0x45).put((byte) 0).putShort((short) (20 + l4.length)).putInt(0).put((byte) 64).put((byte) proto)
                    .putShort((short) 0).put(src).put(dst);
        }
        int l4at = f.position();
        f.put(l4);
        assertTrue(l3 > 0);
        return new Frame(f.array(), l4at, csumAt, f.position(), expected);
    }

    private int complete(Frame fr) {
        MemorySegment s = Arena.ofAuto().allocate(AT + fr.bytes().length + 64);
        MemorySegment.copy(fr.bytes(), 0, s, JAVA_BYTE, AT, fr.bytes().length);
        assertTrue(Checksum.completePartial(s, AT, fr.end(), fr.start(), fr.offset()));
        return ((s.get(JAVA_BYTE, AT + fr.field()) & 0xff) << 8) | (s.get(JAVA_BYTE, AT + fr.field() + 1) & 0xff);
    }

    @Test
    void tcpAndUdpOverIpv4AndIpv6WithAndWithoutVlanGetTheFullChecksum() {
        for (boolean v6 : new boolean[] {false, true})
            for (int proto : new int[] {Checksum.PROTO_TCP, Checksum.PROTO_UDP})
                for (boolean vlan : new boolean[] {false, true})
                    for (int payload : new int[] {0, 1, 2, 3, 5, 64, 1399, 1400, 1460}) {
                        Frame f = build(v6, proto, payload, vlan);
                        assertEquals(f.expected(), complete(f), (v6 ? "v6 " : "v4 ") + proto + " vlan=" + vlan + " payload=" + payload);
                    }
    }

    @Test
    void aFieldOutsideTheFrameIsLeftAlone() {
        Frame tcp = build(false, Checksum.PROTO_TCP, 100, false);
        MemorySegment u = Arena.ofAuto().allocate(tcp.bytes().length);
        MemorySegment.copy(tcp.bytes(), 0, u, JAVA_BYTE, 0, tcp.bytes().length);
        byte[] before = u.toArray(JAVA_BYTE);
        assertFalse(Checksum.completePartial(u, 0, 60, 58, 1));          // field would end at 61
        assertFalse(Checksum.completePartial(u, 0, tcp.end(), tcp.end(), 0));
        assertFalse(Checksum.completePartial(u, 0, tcp.end(), -2, 16));
        assertFalse(Checksum.completePartial(u, 0, tcp.end(), 34, -1));
        assertFalse(Checksum.completePartial(u, 0, tcp.end(), 0xffff, 0xffff));
        assertArrayEquals(before, u.toArray(JAVA_BYTE));
    }

    @Test
    void anOddStartSumsWordsFromTheStart() {
        // the checksum is over 16-bit words counted from start, whatever start's parity
        MemorySegment s = Arena.ofAuto().allocate(16);
        byte[] b = {1, 2, 3, 4, 5, 6, 7, 0, 0};
        MemorySegment.copy(b, 0, s, JAVA_BYTE, 1, b.length);
        assertTrue(Checksum.completePartial(s, 0, 1 + b.length, 1, 7));
        int want = rfc1071(new byte[] {1, 2, 3, 4, 5, 6, 7, 0, 0});
        assertEquals(want, ((s.get(JAVA_BYTE, 8) & 0xff) << 8) | (s.get(JAVA_BYTE, 9) & 0xff));
    }

    @Test
    void sumOfAnyLengthAndAlignmentFoldsToTheSixteenBitWordSum() {
        MemorySegment s = Arena.ofAuto().allocate(300);
        for (int n = 0; n <= 200; n++)
            for (int at = 0; at < 9; at++) {
                byte[] b = new byte[n];
                rnd.nextBytes(b);
                if (n > 0 && rnd.nextBoolean()) java.util.Arrays.fill(b, (byte) 0xff);
                MemorySegment.copy(b, 0, s, JAVA_BYTE, at, n);
                // both sums are 0 only for all-zero bytes, else congruent modulo 0xffff in 1..0xffff: equal
                assertEquals(0xffff & ~rfc1071(b), Checksum.fold(Checksum.sum(s, at, n)), "n=" + n + " at=" + at);
            }
    }

    @Test
    void sumFoldsOddLengths() {
        MemorySegment s = Arena.ofAuto().allocate(8);
        for (int i = 0; i < 5; i++) s.set(JAVA_BYTE, i, (byte) (0xf0 + i));
        assertEquals(fold(0xf0f1L + 0xf2f3L + 0xf400L), Checksum.fold(Checksum.sum(s, 0, 5)));
    }
}
