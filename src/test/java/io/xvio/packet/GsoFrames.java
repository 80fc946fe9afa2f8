package io.xvio.packet;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Test frames for {@link Segmentation}: GSO frames as a Linux sender hands them over (checksum field holding the
 * pseudo-header sum), and an independent check of the segments (byte arrays, RFC 1071 written out here).
 */
public final class GsoFrames {
    public static final int FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20, ECE = 0x40, CWR = 0x80;

    /** A GSO frame: bytes, where its L3 and L4 headers start and its payload. */
    public record Frame(byte[] bytes, boolean v6, boolean udp, int l3, int l4, int hdr, byte[] payload, int gsoType) {
        public int csumStart() { return l4; }
        public int csumOffset() { return udp ? 6 : 16; }
    }

    private GsoFrames() {}

    /**
     * A frame of payload random bytes: Ethernet, inBandTags VLAN tags, IPv4 (id, DF) or IPv6, then TCP (seq, flags,
     * optionWords 32-bit words of options) or UDP.
     */
    public static Frame build(Random rnd, boolean v6, boolean udp, int inBandTags, int payload, long seq, int id, int flags, int optionWords) {
        byte[] data = new byte[payload];
        rnd.nextBytes(data);
        int l4len = udp ? 8 : 20 + 4 * optionWords;
        ByteBuffer f = ByteBuffer.allocate(14 + 4 * inBandTags + (v6 ? 40 : 20) + l4len + payload);
        f.put(new byte[] {0x02, 0, 0, 0, 0, 0x0a, 0x02, 0, 0, 0, 0, 0x0b});
        for (int t = 0; t < inBandTags; t++) f.putShort((short) (t == 0 && inBandTags == 2 ? 0x88a8 : 0x8100)).putShort((short) (100 + t));
        f.putShort((short) (v6 ? 0x86dd : 0x0800));
        int l3 = f.position();
        byte[] src = new byte[v6 ? 16 : 4], dst = new byte[v6 ? 16 : 4];
        rnd.nextBytes(src);
        rnd.nextBytes(dst);
        int proto = udp ? 17 : 6;
        if (v6) {
            f.putInt(0x60012345).putShort((short) (l4len + payload)).put((byte) proto).put((byte) 64).put(src).put(dst);
        } else {
            f.put((byte) 0x45).put((byte) 0x10).putShort((short) (20 + l4len + payload)).putShort((short) id).putShort((short) 0x4000)
                    .put((byte) 64).put((byte) proto).putShort((short) 0).put(src).put(dst);
            int c = ~ones(Arrays.copyOfRange(f.array(), l3, l3 + 20)) & 0xffff;
            f.putShort(l3 + 10, (short) c);
        }
        int l4 = f.position();
        if (udp) {
            f.putShort((short) 40000).putShort((short) 4789).putShort((short) (8 + payload)).putShort((short) 0);
        } else {
            f.putShort((short) 40000).putShort((short) 5001).putInt((int) seq).putInt(0x12345678)
                    .put((byte) ((5 + optionWords) << 4)).put((byte) flags).putShort((short) 502).putShort((short) 0).putShort((short) 0);
            for (int w = 0; w < optionWords; w++) f.putInt(w == 0 ? 0x0101080a : rnd.nextInt());
        }
        int hdr = f.position();
        f.put(data);
        // as Linux leaves it: the checksum field holds the pseudo-header sum over the whole L4 length
        int partial = ones(pseudo(src, dst, proto, l4len + payload));
        f.putShort(l4 + (udp ? 6 : 16), (short) partial);
        int type = udp ? Segmentation.GSO_UDP_L4 : v6 ? Segmentation.GSO_TCPV6 : Segmentation.GSO_TCPV4;
        return new Frame(f.array(), v6, udp, l3, l4, hdr, data, type);
    }

    public static byte[] pseudo(byte[] src, byte[] dst, int proto, int l4len) {
        ByteBuffer p = ByteBuffer.allocate(src.length * 2 + (src.length == 16 ? 8 : 4));
        p.put(src).put(dst);
        if (src.length == 16) p.putInt(l4len).put(new byte[3]).put((byte) proto);
        else p.put((byte) 0).put((byte) proto).putShort((short) l4len);
        return p.array();
    }

    /** RFC 1071: the folded ones'-complement sum of the 16-bit words of the parts (each padded to even length). */
    public static int ones(byte[]... parts) {
        long sum = 0;
        for (byte[] p : parts)
            for (int i = 0; i < p.length; i += 2) sum += ((p[i] & 0xff) << 8) | (i + 1 < p.length ? p[i + 1] & 0xff : 0);
        while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) sum;
    }

    /** frame's bytes in a fresh segment at offset at (some headroom, like a ring slot). */
    static MemorySegment place(Frame f, long at) {
        MemorySegment s = Arena.ofAuto().allocate(at + f.bytes().length + 64);
        MemorySegment.copy(f.bytes(), 0, s, JAVA_BYTE, at, f.bytes().length);
        return s;
    }

    /** Starts seg on frame f placed at offset at, with its true virtio-net header values. */
    static int start(Segmentation seg, MemorySegment s, long at, Frame f, int tag, int gsoSize) {
        return seg.start(s, at, f.bytes().length, tag, Segmentation.F_NEEDS_CSUM, f.gsoType(), gsoSize, f.hdr(),
                f.csumStart(), f.csumOffset(), PacketBatch.MAX_FRAME);
    }

    /**
     * Runs seg to the end into batches, at most perCall segments per emit call (calls cycle through the given
     * sizes), starting each call at a slot that varies; returns the segments' bytes.
     */
    static List<byte[]> drain(Segmentation seg, PacketBatch b, int... perCall) {
        List<byte[]> out = new ArrayList<>();
        int call = 0;
        while (seg.active()) {
            b.reset();
            int want = Math.max(1, Math.min(PacketBatch.BURST, perCall[call % perCall.length]));
            int first = (call * 7) % (PacketBatch.BURST - want + 1);
            int n = seg.emit(b.data, b.off, b.len, first, want);
            assertTrue(n >= 1 && n <= want, "emitted " + n + " of " + want);
            for (int i = first; i < first + n; i++) {
                assertTrue(b.len[i] <= PacketBatch.MAX_FRAME);
                out.add(b.data.asSlice(b.off[i], b.len[i]).toArray(JAVA_BYTE));
            }
            assertTrue(++call < 1_000_000, "no end");
        }
        assertEquals(0, seg.emit(b.data, b.off, b.len, 0, PacketBatch.BURST), "nothing after the end");
        return out;
    }

    /**
     * Checks segments of f cut at gsoSize, with tag (0: none) inserted: headers equal the frame's but for the
     * fields segmentation changes, which are checked; every checksum verified by recomputation; the payloads
     * concatenated are f's payload.
     */
    public static void verify(Frame f, int tag, int gsoSize, List<byte[]> segs) {
        int shift = tag != 0 ? 4 : 0;
        int payload = f.payload().length;
        assertEquals((payload + gsoSize - 1) / gsoSize, segs.size(), "segment count");
        byte[] orig = f.bytes();
        ByteBuffer o = ByteBuffer.wrap(orig);
        int flags0 = f.udp() ? 0 : orig[f.l4() + 13] & 0xff;
        long seq0 = f.udp() ? 0 : o.getInt(f.l4() + 4) & 0xffffffffL;
        int id0 = f.v6() ? 0 : o.getShort(f.l3() + 4) & 0xffff;
        int done = 0;
        for (int k = 0; k < segs.size(); k++) {
            byte[] s = segs.get(k);
            String what = "segment " + k + " of " + segs.size();
            int c = s.length - shift - f.hdr();
            assertTrue(c > 0 && c <= gsoSize, what + ": payload " + c);
            if (k < segs.size() - 1) assertEquals(gsoSize, c, what + ": full");
            assertArrayEquals(Arrays.copyOfRange(f.payload(), done, done + c), Arrays.copyOfRange(s, shift + f.hdr(), s.length), what + ": payload bytes");
            ByteBuffer b = ByteBuffer.wrap(s);
            assertArrayEquals(Arrays.copyOfRange(orig, 0, 12), Arrays.copyOfRange(s, 0, 12), what + ": MACs");
            if (shift != 0) assertEquals(tag, b.getInt(12), what + ": tag");
            int l3 = f.l3() + shift, l4 = f.l4() + shift;
            // everything in the headers not checked below is the frame's
            byte[] expect = Arrays.copyOfRange(orig, 12, f.hdr());
            byte[] got = Arrays.copyOfRange(s, 12 + shift, shift + f.hdr());
            int[] changed = f.v6() ? new int[] {f.l3() + 4, f.l3() + 5} : new int[] {f.l3() + 2, f.l3() + 3, f.l3() + 4, f.l3() + 5, f.l3() + 10, f.l3() + 11};
            int[] changed4 = f.udp() ? new int[] {4, 5, 6, 7} : new int[] {4, 5, 6, 7, 13, 16, 17};
            for (int i : changed) { expect[i - 12] = 0; got[i - 12] = 0; }
            for (int i : changed4) { expect[f.l4() + i - 12] = 0; got[f.l4() + i - 12] = 0; }
            assertArrayEquals(expect, got, what + ": unchanged header bytes");
            int l4len = s.length - l4;
            byte[] src, dst;
            if (f.v6()) {
                assertEquals(l4len, b.getShort(l3 + 4) & 0xffff, what + ": IPv6 payload length");
                src = Arrays.copyOfRange(s, l3 + 8, l3 + 24);
                dst = Arrays.copyOfRange(s, l3 + 24, l3 + 40);
            } else {
                assertEquals(s.length - l3, b.getShort(l3 + 2) & 0xffff, what + ": IPv4 total length");
                assertEquals((id0 + k) & 0xffff, b.getShort(l3 + 4) & 0xffff, what + ": IPv4 id");
                assertEquals(0xffff, ones(Arrays.copyOfRange(s, l3, l4)), what + ": IPv4 header checksum");
                src = Arrays.copyOfRange(s, l3 + 12, l3 + 16);
                dst = Arrays.copyOfRange(s, l3 + 16, l3 + 20);
            }
            byte[] l4bytes = Arrays.copyOfRange(s, l4, s.length);
            assertEquals(0xffff, ones(pseudo(src, dst, f.udp() ? 17 : 6, l4len), l4bytes), what + ": L4 checksum");
            if (f.udp()) {
                assertEquals(l4len, b.getShort(l4 + 4) & 0xffff, what + ": UDP length");
                assertNotEquals(0, b.getShort(l4 + 6), what + ": UDP checksum present");
            } else {
                assertEquals((seq0 + done) & 0xffffffffL, b.getInt(l4 + 4) & 0xffffffffL, what + ": seq");
                boolean first = k == 0, last = k == segs.size() - 1;
                int want = flags0;
                if (!last) want &= ~(FIN | PSH);
                if (!first) want &= ~CWR;
                assertEquals(want, s[l4 + 13] & 0xff, what + ": flags");
            }
            done += c;
        }
        assertEquals(payload, done);
    }
}
