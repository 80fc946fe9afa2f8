package io.xvio.port;

import io.xvio.packet.GsoFrames;
import io.xvio.packet.GsoFrames.Frame;
import io.xvio.packet.PacketBatch;
import io.xvio.packet.Segmentation;
import io.xvio.packet.VnetHeader;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * What each receiver gets from {@link SoftwareOffload}: a port that takes TSO gets the GSO frame whole, one that
 * does not gets MTU-sized segments whose payloads concatenate to the frame's and whose every checksum verifies
 * (jqwik), partial checksums are completed for ports without checksum offload, and frames keep their order.
 */
class SoftwareOffloadTest {
    /** A port that records the frames (and whether they still had offload state) handed to transmit. */
    static class Capture extends io.xvio.testing.InertPort {
        final int caps;
        final List<byte[]> frames = new ArrayList<>();
        final List<Boolean> offloaded = new ArrayList<>();

        Capture(int caps) {
            super("cap");
            this.caps = caps;
        }

        @Override public int txOffloads() { return caps; }
        @Override public void transmit(int thread, PacketBatch b, int[] which, int n) {
            for (int k = 0; k < n; k++) {
                int i = which[k];
                frames.add(b.data.asSlice(b.off[i], b.len[i]).toArray(JAVA_BYTE));
                offloaded.add(b.hasOffload(i));
            }
        }
        @Override public int rxQueues() { return 0; }
    }

    private final PacketBatch b = new PacketBatch();
    private final SoftwareOffload offload = new SoftwareOffload();

    /** Puts f into slot i as a guest sent it: NEEDS_CSUM, and GSO with gsoSize if gsoSize > 0. */
    private void put(int i, Frame f, int gsoSize) {
        MemorySegmentCopy.copy(f.bytes(), b, i);
        b.len[i] = f.bytes().length;
        b.vflags[i] = VnetHeader.F_NEEDS_CSUM;
        b.gsoType[i] = gsoSize > 0 ? f.gsoType() : 0;
        b.gsoSize[i] = gsoSize;
        b.csumAt[i] = b.off[i] + f.csumStart();
        b.csumOffset[i] = f.csumOffset();
        b.offloads = true;
    }

    /** Copies bytes to a slot's frame start. */
    private static final class MemorySegmentCopy {
        static void copy(byte[] bytes, PacketBatch b, int i) {
            java.lang.foreign.MemorySegment.copy(bytes, 0, b.data, JAVA_BYTE, b.off[i], bytes.length);
        }
    }

    private static Frame plain(Random rnd, int payload) {
        return GsoFrames.build(rnd, false, false, 0, payload, 5, 6, GsoFrames.ACK, 0);
    }

    @Property(tries = 200)
    void aPortWithoutTsoGetsSegmentsThatCarryThePayloadWithValidChecksums(
            @ForAll boolean v6, @ForAll @IntRange(max = 2) int tags, @ForAll @IntRange(min = 2, max = 64000) int payload,
            @ForAll @IntRange(min = 500, max = 9000) int gsoSize, @ForAll @IntRange(max = 10) int optionWords,
            @ForAll boolean csumCapable, @ForAll long seed) {
        Random rnd = new Random(seed);
        Frame f = GsoFrames.build(rnd, v6, false, tags, payload, rnd.nextInt() & 0xffffffffL, rnd.nextInt(0x10000),
                rnd.nextInt(256), optionWords);
        b.reset();
        put(0, f, gsoSize);
        b.count = 1;
        Capture port = new Capture(csumCapable ? Port.TX_CSUM : 0);       // checksums, but no TSO: still cut
        offload.transmit(port, 0, b, new int[] {0}, 1);
        if (payload <= gsoSize) {
            // one segment: Segmentation still makes it a full-checksum frame
            assertEquals(1, port.frames.size());
        }
        GsoFrames.verify(f, 0, gsoSize, port.frames);
        assertFalse(port.offloaded.contains(true), "segments carry no offload state");
        assertEquals(1, port.counters().get(PortCounters.Counter.TX_GSO_SEGMENTED));
        assertEquals(port.frames.size(), port.counters().get(PortCounters.Counter.TX_GSO_SEGMENTS));
    }

    @Test
    void aPortWithTsoGetsTheFrameWholeWithItsPseudoHeaderSum() {
        Random rnd = new Random(1);
        Frame f = GsoFrames.build(rnd, false, false, 1, 30000, 1, 2, GsoFrames.ACK, 3);
        b.reset();
        put(0, f, 1448);
        b.data.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, b.csumAt[0] + 16, (short) 0x1234);  // a stale field
        Capture port = new Capture(Port.TX_CSUM | Port.TX_TSO4 | Port.TX_TSO6);
        offload.transmit(port, 0, b, new int[] {0}, 1);
        assertEquals(1, port.frames.size());
        assertTrue(port.offloaded.get(0));
        assertArrayEquals(f.bytes(), port.frames.get(0), "whole, and the checksum field is the pseudo-header sum again");
        assertEquals(1, port.counters().get(PortCounters.Counter.TX_GSO_WHOLE));

        // ECN-marked GSO to a port without ECN: cut
        b.gsoType[0] |= Segmentation.GSO_ECN;
        Capture noEcn = new Capture(Port.TX_CSUM | Port.TX_TSO4);
        offload.transmit(noEcn, 0, b, new int[] {0}, 1);
        assertEquals((30000 + 1447) / 1448, noEcn.frames.size());
        // IPv6 GSO to a port with TSO4 only: cut
        Frame f6 = GsoFrames.build(rnd, true, false, 0, 5000, 1, 2, GsoFrames.ACK, 0);
        b.reset();
        put(0, f6, 1000);
        Capture v4only = new Capture(Port.TX_CSUM | Port.TX_TSO4);
        offload.transmit(v4only, 0, b, new int[] {0}, 1);
        GsoFrames.verify(f6, 0, 1000, v4only.frames);
    }

    @Test
    void partialChecksumsAreCompletedForPortsWithoutChecksumOffloadAndOrderIsKept() {
        Random rnd = new Random(2);
        Frame a = plain(rnd, 100), big = GsoFrames.build(rnd, false, false, 0, 4000, 9, 9, GsoFrames.ACK, 0), c = plain(rnd, 300);
        b.reset();
        put(0, a, 0);
        put(1, big, 1000);
        put(2, c, 0);
        b.vflags[3] = 0;
        byte[] untouched = plain(rnd, 50).bytes();
        MemorySegmentCopy.copy(untouched, b, 3);
        b.len[3] = untouched.length;
        b.count = 4;
        Capture port = new Capture(0);
        offload.transmit(port, 0, b, new int[] {3, 0, 1, 2}, 4);
        assertEquals(1 + 1 + 4 + 1, port.frames.size());
        assertArrayEquals(untouched, port.frames.get(0), "a frame without offload state is sent as it is");
        assertEquals(a.bytes().length, port.frames.get(1).length);
        assertEquals(c.bytes().length, port.frames.get(6).length, "the frame after the GSO frame comes after its segments");
        for (int k : new int[] {1, 6}) {
            byte[] s = port.frames.get(k);
            Frame f = k == 1 ? a : c;
            byte[] src = Arrays.copyOfRange(s, f.l3() + 12, f.l3() + 16), dst = Arrays.copyOfRange(s, f.l3() + 16, f.l3() + 20);
            assertEquals(0xffff, GsoFrames.ones(GsoFrames.pseudo(src, dst, 6, s.length - f.l4()), Arrays.copyOfRange(s, f.l4(), s.length)),
                    "frame " + k + ": completed checksum verifies");
        }
        GsoFrames.verify(big, 0, 1000, port.frames.subList(2, 6));
        assertEquals(2, port.counters().get(PortCounters.Counter.TX_CSUM_COMPLETED));
        // completed, the frames carry no partial checksum any more: a tunnel port hands these very slots, encapsulated,
        // to an uplink that takes offloads, which must not ask the kernel to complete them again
        assertFalse(b.hasOffload(0) || b.hasOffload(2), "completed checksums are no longer partial");
        assertTrue(b.hasOffload(1), "the GSO frame keeps its state for a port that takes it whole");
    }

    @Test
    void aBurstWithoutOffloadStateGoesStraightThrough() {
        b.reset();
        byte[] x = plain(new Random(4), 10).bytes();
        MemorySegmentCopy.copy(x, b, 0);
        b.len[0] = x.length;
        int[] which = {0};
        Port[] seen = new Port[1];
        Capture port = new Capture(0) {
            @Override public void transmit(int thread, PacketBatch bb, int[] w, int n) {
                assertSame(which, w, "the datapath's own list, untouched");
                seen[0] = this;
            }
        };
        offload.transmit(port, 0, b, which, 1);
        assertNotNull(seen[0]);
    }

    @Test
    void aGsoFrameThatCannotBeCutIsDroppedAndCounted() {
        Random rnd = new Random(5);
        Frame f = GsoFrames.build(rnd, false, true, 0, 3000, 0, 0, 0, 0);    // UDP payload under a TCPV4 type
        b.reset();
        put(0, f, 1000);
        b.gsoType[0] = Segmentation.GSO_TCPV4;
        Capture port = new Capture(0);
        offload.transmit(port, 0, b, new int[] {0}, 1);
        assertTrue(port.frames.isEmpty());
        assertEquals(1, port.counters().get(PortCounters.Counter.TX_DROP_GSO));
    }
}
