package io.xvio.packet;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;

import static io.xvio.packet.GsoFrames.*;
import static io.xvio.packet.Segmentation.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/** Cutting GSO frames into segments, checked field by field and by recomputed checksums (see {@link GsoFrames#verify}). */
class SegmentationTest {
    private static final long AT = 92;        // where a frame sits in a TPACKET_V3 ring slot, roughly
    private final Random rnd = new Random(11);
    private final Segmentation seg = new Segmentation();
    private final PacketBatch batch = new PacketBatch();

    private List<byte[]> cut(Frame f, int tag, int gsoSize, int... perCall) {
        MemorySegment s = place(f, AT);
        assertEquals(OK, start(seg, s, AT, f, tag, gsoSize));
        assertTrue(seg.active());
        List<byte[]> out = drain(seg, batch, perCall.length == 0 ? new int[] {PacketBatch.BURST} : perCall);
        assertFalse(seg.active());
        verify(f, tag, gsoSize, out);
        return out;
    }

    @Test
    void tcpOverIpv4IsCutIntoMssSegmentsWithIdsSeqsFlagsAndChecksums() {
        Frame f = build(rnd, false, false, 0, 5000, 1_000_000, 0x1234, ACK | PSH | FIN | CWR | ECE, 0);
        List<byte[]> s = cut(f, 0, 1448);
        assertEquals(4, s.size());
        assertEquals(14 + 20 + 20 + 1448, s.get(0).length);
        assertEquals(14 + 20 + 20 + 5000 - 3 * 1448, s.get(3).length);
        assertEquals(ACK | CWR | ECE, s.get(0)[14 + 20 + 13] & 0xff);
        assertEquals(ACK | ECE, s.get(1)[14 + 20 + 13] & 0xff);
        assertEquals(ACK | PSH | FIN | ECE, s.get(3)[14 + 20 + 13] & 0xff);
        ByteBuffer last = ByteBuffer.wrap(s.get(3));
        assertEquals(0x1237, last.getShort(14 + 4) & 0xffff);
        assertEquals(1_000_000 + 3 * 1448, last.getInt(14 + 20 + 4));
        assertEquals(0x4000, last.getShort(14 + 6) & 0xffff, "DF kept");
    }

    @Test
    void tcpOverIpv6WithVlanTagsAndTimestampOptions() {
        for (int tags = 0; tags <= 2; tags++) {
            Frame f = build(rnd, true, false, tags, 60_000, 77, 0, ACK | PSH, 3);
            List<byte[]> s = cut(f, 0, 1428);
            assertEquals(43, s.size());
            assertEquals(0x86dd, ByteBuffer.wrap(s.get(0)).getShort(12 + 4 * tags) & 0xffff);
        }
    }

    @Test
    void aTagTheKernelTookOutIsPutBackIntoEverySegment() {
        for (boolean v6 : new boolean[] {false, true}) {
            Frame f = build(rnd, v6, false, 0, 9000, 5, 9, ACK, 0);
            int tag = 0x8100_2064;
            List<byte[]> s = cut(f, tag, 1448, 2);             // csum_start is relative to the frame without the tag
            assertEquals(7, s.size());
            for (byte[] b : s) assertEquals(tag, ByteBuffer.wrap(b).getInt(12));
            assertEquals(18 + (v6 ? 40 : 20) + 20 + 1448, s.get(0).length);
        }
    }

    @Test
    void udpSegmentationOffloadGivesOneDatagramPerSegment() {
        for (boolean v6 : new boolean[] {false, true}) {
            Frame f = build(rnd, v6, true, 1, 4000, 0, 0xfffe, 0, 0);
            List<byte[]> s = cut(f, 0, 1400);
            assertEquals(3, s.size());
            assertEquals(8 + 1200, ByteBuffer.wrap(s.get(2)).getShort(18 + (v6 ? 40 : 20) + 4) & 0xffff);
            if (!v6) assertEquals(0, ByteBuffer.wrap(s.get(2)).getShort(18 + 4), "ids wrap: 0xfffe, 0xffff, 0");
        }
    }

    @Test
    void sequenceNumbersWrapAndOneSegmentKeepsEveryFlag() {
        Frame f = build(rnd, false, false, 0, 3000, 0xffff_fc00L, 1, ACK | PSH, 0);
        List<byte[]> s = cut(f, 0, 1448);
        assertEquals(0xffff_fc00L + 2 * 1448 - (1L << 32), ByteBuffer.wrap(s.get(2)).getInt(34 + 4) & 0xffffffffL);
        Frame small = build(rnd, false, false, 0, 100, 9, 1, ACK | PSH | FIN | CWR, 0);
        List<byte[]> one = cut(small, 0, 1448);
        assertEquals(1, one.size());
        assertEquals(ACK | PSH | FIN | CWR, one.get(0)[34 + 13] & 0xff);
    }

    @Test
    void resumingAcrossCallsGivesTheSameSegmentsAsOneCall() {
        Frame f = build(rnd, false, false, 0, 65_000, 42, 7, ACK | PSH, 3);
        List<byte[]> whole = cut(f, 0, 1448, 32);
        assertEquals(45, whole.size());
        for (int[] calls : new int[][] {{1}, {5, 32, 3}, {31}, {32, 1}}) {
            List<byte[]> parts = cut(f, 0, 1448, calls);
            assertEquals(whole.size(), parts.size());
            for (int i = 0; i < whole.size(); i++) assertArrayEquals(whole.get(i), parts.get(i), "segment " + i + " with calls " + java.util.Arrays.toString(calls));
        }
        assertFalse(seg.active());
    }

    @Test
    void theEcnFlagOfTheGsoTypeIsAccepted() {
        Frame f = build(rnd, false, false, 0, 3000, 1, 1, ACK | CWR, 0);
        MemorySegment s = place(f, AT);
        assertEquals(OK, seg.start(s, AT, f.bytes().length, 0, F_NEEDS_CSUM, GSO_TCPV4 | GSO_ECN, 1448, f.hdr(), f.l4(), 16, PacketBatch.MAX_FRAME));
        verify(f, 0, 1448, drain(seg, batch, 32));
    }

    /** start on a copy of f's bytes (possibly changed) with the given header fields; nothing may be emitted after a drop. */
    private int tryStart(byte[] bytes, int len, int flags, int type, int gsoSize, int hdrLen, int csumStart, int csumOffset) {
        MemorySegment s = place(new Frame(bytes, false, false, 0, 0, 0, new byte[0], 0), AT);
        int r = seg.start(s, AT, len, 0, flags, type, gsoSize, hdrLen, csumStart, csumOffset, PacketBatch.MAX_FRAME);
        if (r != OK) {
            assertFalse(seg.active());
            assertEquals(0, seg.emit(batch.data, batch.off, batch.len, 0, PacketBatch.BURST));
        }
        return r;
    }

    @Test
    void hostileOrUnsupportedHeadersAreDroppedWithAReasonNeverAnException() {
        Frame f = build(rnd, false, false, 0, 3000, 1, 1, ACK, 0);
        byte[] b = f.bytes();
        int len = b.length;
        assertEquals(OK, tryStart(b, len, F_NEEDS_CSUM, GSO_TCPV4, 1448, 54, 34, 16));
        seg.abandon();
        assertEquals(DROP_SIZE, tryStart(b, len, F_NEEDS_CSUM, GSO_TCPV4, 0, 54, 34, 16), "gso_size 0");
        byte[] big = build(rnd, false, false, 0, 30_000, 1, 1, ACK, 0).bytes();
        assertEquals(OK, tryStart(big, big.length, F_NEEDS_CSUM, GSO_TCPV4, 16_000, 54, 34, 16));
        seg.abandon();
        MemorySegment bs = Arena.ofAuto().allocate(AT + big.length);
        MemorySegment.copy(big, 0, bs, JAVA_BYTE, AT, big.length);
        assertEquals(DROP_SIZE, seg.start(bs, AT, big.length, 0, F_NEEDS_CSUM, GSO_TCPV4, 20_000, 54, 34, 16, 16_384),
                "segment larger than the caller's slots");
        assertEquals(DROP_HEADERS, tryStart(b, len, F_NEEDS_CSUM, GSO_TCPV4, 1448, len + 1, 34, 16), "hdr_len beyond the frame");
        for (int type : new int[] {GSO_UDP, 2, 6, 0x7f, GSO_NONE, GSO_ECN})
            assertEquals(DROP_TYPE, tryStart(b, len, F_NEEDS_CSUM, type, 1448, 54, 34, 16), "gso_type " + type);
        assertEquals(DROP_HEADERS, tryStart(b, len, F_NEEDS_CSUM, GSO_TCPV6, 1448, 54, 34, 16), "TCPV6 on an IPv4 frame");
        assertEquals(DROP_HEADERS, tryStart(b, len, F_NEEDS_CSUM, GSO_UDP_L4, 1448, 54, 34, 6), "UDP_L4 on a TCP frame");
        assertEquals(DROP_HEADERS, tryStart(b, len, F_NEEDS_CSUM, GSO_TCPV4, 1448, 54, 30, 16), "csum_start elsewhere");
        assertEquals(DROP_HEADERS, tryStart(b, len, F_NEEDS_CSUM, GSO_TCPV4, 1448, 54, 34, 6), "csum_offset elsewhere");
        assertEquals(DROP_HEADERS, tryStart(b, 50, F_NEEDS_CSUM, GSO_TCPV4, 1448, 0, 34, 16), "frame shorter than its headers");
        assertEquals(DROP_HEADERS, tryStart(b, 54, F_NEEDS_CSUM, GSO_TCPV4, 1448, 54, 34, 16), "no payload");
        assertEquals(DROP_HEADERS, tryStart(b, 10, 0, GSO_TCPV4, 1448, 0, 0, 0), "runt");
        byte[] longer = b.clone();
        longer[16] = (byte) 0xff;                              // IPv4 total length beyond the frame
        assertEquals(DROP_HEADERS, tryStart(longer, len, F_NEEDS_CSUM, GSO_TCPV4, 1448, 54, 34, 16));
        byte[] fragment = b.clone();
        fragment[20] = 0x20;                                   // MF
        assertEquals(DROP_HEADERS, tryStart(fragment, len, F_NEEDS_CSUM, GSO_TCPV4, 1448, 54, 34, 16));
        byte[] shortTcp = b.clone();
        shortTcp[34 + 12] = 0x40;                              // data offset 16 bytes
        assertEquals(DROP_HEADERS, tryStart(shortTcp, len, 0, GSO_TCPV4, 1448, 54, 34, 16));
        byte[] arp = b.clone();
        arp[12] = 0x08; arp[13] = 0x06;
        assertEquals(DROP_HEADERS, tryStart(arp, len, 0, GSO_TCPV4, 1448, 54, 34, 16));
        Frame v6 = build(rnd, true, false, 0, 3000, 1, 1, ACK, 0);
        byte[] ext = v6.bytes().clone();
        ext[14 + 6] = 0;                                       // a hop-by-hop extension header first
        assertEquals(DROP_HEADERS, tryStart(ext, ext.length, 0, GSO_TCPV6, 1448, 74, 54, 16));
        byte[] jumbo = v6.bytes().clone();
        jumbo[18] = 0; jumbo[19] = 0;                          // payload length 0 (jumbogram)
        assertEquals(DROP_HEADERS, tryStart(jumbo, jumbo.length, 0, GSO_TCPV6, 1448, 74, 54, 16));
        for (int r = 0; r < REASONS; r++) assertTrue(reasonLabel(r).startsWith("rx_dropped(gso: "), reasonLabel(r));
    }

    @Test
    void randomBytesWithRandomHeadersNeverThrow() {
        Random r = new Random(3);
        Frame good = build(r, false, false, 0, 3000, 1, 1, ACK, 0);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = i % 2 == 0 ? good.bytes().clone() : new byte[r.nextInt(200)];
            if (i % 2 == 0) for (int k = 0; k < 3; k++) b[r.nextInt(80)] = (byte) r.nextInt();
            else r.nextBytes(b);
            int len = r.nextInt(b.length + 1);
            MemorySegment s = place(new Frame(b, false, false, 0, 0, 0, new byte[0], 0), AT);
            int type = r.nextBoolean() ? GSO_TCPV4 : r.nextInt(256);
            int res = seg.start(s, AT, len, r.nextBoolean() ? 0 : r.nextInt(), r.nextInt(4), type, r.nextInt(3000), r.nextInt(100),
                    r.nextInt(100), r.nextInt(20), PacketBatch.MAX_FRAME);
            assertTrue(res == OK || (res >= 0 && res < REASONS));
            if (res == OK) {
                List<byte[]> out = drain(seg, batch, 1 + r.nextInt(32));
                assertFalse(out.isEmpty());
                for (byte[] o : out) assertTrue(o.length <= PacketBatch.MAX_FRAME);
            }
        }
    }
}
