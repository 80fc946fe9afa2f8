package io.xvio.virtio;

import io.xvio.packet.PacketBatch;
import io.xvio.sys.EventFd;
import io.xvio.testing.TestFrontend.GuestRam;
import io.xvio.testing.TestFrontend.Vring;
import io.xvio.virtio.PackedVirtqueueTest.PRing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Set;
import java.util.TreeSet;

import static io.xvio.testing.TestFrontend.withHeader;
import static io.xvio.virtio.VirtioFeatures.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The live-migration dirty log as the rings use it: {@link DirtyLog#mark} sets exactly the bits of the pages a
 * range touches, and a queue writing into guest memory marks every page it wrote — receive buffers (with
 * num_buffers patched in), used ring entries and index (split) or used descriptors (packed) — and nothing else.
 * With VHOST_VRING_F_LOG the split used ring is logged at log_guest_addr, not where it lies.
 */
class DirtyLogRingsTest {
    private static final long RAM = 4L << 20;
    private static final int RING = 8;
    private static final long SPLIT = bit(F_VERSION_1) | bit(RING_F_INDIRECT_DESC);
    private static final long PACKED = SPLIT | bit(F_RING_PACKED);

    private GuestRam ram;
    private GuestMemory mem;
    private MemorySegment bitmap;
    private EventFd call;
    private final PacketBatch batch = new PacketBatch();
    private final int[] which = new int[PacketBatch.BURST];

    @BeforeEach
    void setUp() {
        ram = new GuestRam("dirtylog-test", RAM);
        mem = ram.asGuestMemory();
        bitmap = Arena.ofAuto().allocate(RAM >>> DirtyLog.PAGE_SHIFT >>> 3, 8);   // one bit per page of RAM
        mem.setLog(new DirtyLog(bitmap));
        call = EventFd.create();
        for (int i = 0; i < which.length; i++) which[i] = i;
    }

    @AfterEach
    void tearDown() {
        call.close();
        ram.close();
    }

    private static long bit(int b) { return 1L << b; }

    /** The pages whose bits are set. */
    private Set<Long> marked() {
        Set<Long> out = new TreeSet<>();
        for (long w = 0; w < bitmap.byteSize() / 8; w++) {
            long v = bitmap.get(JAVA_LONG, 8 * w);
            for (int b = 0; b < 64; b++) if ((v & 1L << b) != 0) out.add(64 * w + b);
        }
        return out;
    }

    private void clear() { bitmap.fill((byte) 0); }

    private static Set<Long> pages(long gpa, long len) {
        Set<Long> out = new TreeSet<>();
        for (long p = gpa >>> 12; p <= (gpa + len - 1) >>> 12; p++) out.add(p);
        return out;
    }

    private int push(Virtqueue q, byte[]... frames) {
        batch.reset();
        for (int i = 0; i < frames.length; i++) {
            MemorySegment.copy(frames[i], 0, batch.data, JAVA_BYTE, batch.off[i], frames[i].length);
            batch.len[i] = frames[i].length;
        }
        return q.pushRx(batch.data, batch.off, batch.len, which, frames.length);
    }

    static byte[] frame(int len, int seed) {
        byte[] f = new byte[len];
        for (int i = 0; i < len; i++) f[i] = (byte) (seed * 31 + i);
        f[0] = 0x02;
        return f;
    }

    // ------------------------------------------------------------------------------------------ DirtyLog

    @Test
    void markSetsTheBitOfEveryPageARangeTouchesAndNoOther() {
        DirtyLog log = mem.log();
        log.mark(0x5000, 1);                            // page 5
        log.mark(0x6fff, 2);                            // pages 6 and 7 (straddles)
        log.mark(63L << 12, 4096 * 2);                  // pages 63, 64: across a 64-bit word
        log.mark(0x9000, 0);                            // nothing
        assertEquals(Set.of(5L, 6L, 7L, 63L, 64L), marked());
        // bits are little-endian within the bitmap: page n is byte n/8, bit n%8 (vhost-user.rst)
        assertEquals(1 << 5 | 1 << 6 | 1 << 7, bitmap.get(JAVA_BYTE, 0) & 0xff);
        assertEquals(1, bitmap.get(JAVA_BYTE, 8) & 0xff, "page 64 is bit 0 of byte 8");
        log.mark(0x5000, 4096);
        assertEquals(5, marked().size(), "marking again keeps the others");
        log.mark(RAM + 0x10000, 4096);                  // beyond the bitmap: ignored, never an exception
        assertEquals(5, marked().size());
        assertEquals(RAM, log.coveredBytes());
    }

    @Test
    void withoutALogNothingIsMarked() {
        mem.setLog(null);
        Vring r = Vring.allocate(ram, 0, RING, 2048);
        r.configure(SPLIT);
        SplitVirtqueue q = split(r, 0, false);
        r.postRx(RING);
        assertEquals(2, push(q, frame(100, 1), frame(200, 2)));
        assertEquals(Set.of(), marked());
    }

    // ------------------------------------------------------------------------------------------ split

    private SplitVirtqueue split(Vring r, long logAddr, boolean logAtGuestAddr) {
        SplitVirtqueue q = new SplitVirtqueue(r.index(), "port t queue " + r.index());
        q.setSize(RING);
        q.setAddresses(r.descUva(), r.availUva(), r.usedUva(), logAddr, logAtGuestAddr);
        q.setBase(0);
        q.setCall(call);
        q.start(mem, r.index() == 0 ? SPLIT | (mergeable ? bit(NET_F_MRG_RXBUF) : 0) : SPLIT);
        return q;
    }

    private boolean mergeable;

    @ParameterizedTest(name = "mergeable={0}")
    @ValueSource(booleans = {true, false})
    void splitReceiveMarksTheBuffersItWroteAndTheUsedRing(boolean mrg) {
        mergeable = mrg;
        Vring r = Vring.allocate(ram, 0, RING, 2048);
        r.configure(SPLIT | (mrg ? bit(NET_F_MRG_RXBUF) : 0));
        SplitVirtqueue q = split(r, 0, false);
        assertEquals(pages(r.usedGpa(), 2), marked(), "start() wrote the used ring's flags (no kicks, we poll) and marked it");
        r.postRx(RING);
        clear();
        byte[] a = frame(1000, 1), b = frame(1500, 2);
        assertEquals(2, push(q, a, b));
        int hdr = mrg ? 12 : 10;
        Set<Long> want = new TreeSet<>();
        want.addAll(pages(r.bufGpa(r.usedId(0)), hdr + a.length));
        want.addAll(pages(r.bufGpa(r.usedId(1)), hdr + b.length));
        want.addAll(pages(r.usedGpa(), 4 + 8 * 2));
        assertEquals(want, marked(), "exactly the buffers' pages and the used ring's page");
        assertEquals(2, r.receive().size());
    }

    @Test
    void aFrameSpreadOverMergeableBuffersMarksEachOfThemAndNumBuffers() {
        mergeable = true;
        Vring r = Vring.allocate(ram, 0, RING, 2048);
        r.configure(SPLIT | bit(NET_F_MRG_RXBUF));
        SplitVirtqueue q = split(r, 0, false);
        // three buffers of 1100 bytes: a 3000-byte frame needs all of them
        for (int i = 0; i < 3; i++) r.postRxChain(1100);
        clear();
        assertEquals(1, push(q, frame(3000, 3)));
        Set<Long> want = new TreeSet<>(pages(r.usedGpa(), 4 + 8 * 3));
        for (int slot = 0; slot < 3; slot++) want.addAll(pages(r.bufGpa(r.usedId(slot)), r.usedLen(slot)));
        assertEquals(want, marked());
        assertEquals(3, r.receive().getFirst().buffers());
    }

    @Test
    void withVringFLogTheUsedRingIsLoggedAtLogGuestAddr() {
        mergeable = true;
        Vring r = Vring.allocate(ram, 0, RING, 2048);
        r.configure(SPLIT | bit(NET_F_MRG_RXBUF));
        long elsewhere = 3L << 20;                      // a page of its own, far from the ring
        SplitVirtqueue q = split(r, elsewhere, true);
        r.postRx(RING);
        clear();
        byte[] f = frame(700, 4);
        assertEquals(1, push(q, f));
        Set<Long> want = new TreeSet<>(pages(r.bufGpa(r.usedId(0)), 12 + f.length));
        want.addAll(pages(elsewhere, 4 + 8));
        assertEquals(want, marked(), "the used ring's writes are logged at log_guest_addr (" + Long.toHexString(elsewhere)
                + "), not at its own page " + Long.toHexString(r.usedGpa()));
    }

    /**
     * A frame that runs out of mergeable buffers is not delivered and nothing is published, but the used entries it
     * wrote are in guest memory: they are logged too, or a migration leaves the destination's ring different from
     * the source's (MigrationIT saw exactly such used-ring len bytes differ).
     */
    @Test
    void aFrameThatRunsOutOfMergeableBuffersLogsTheUsedEntriesItWrote() {
        mergeable = true;
        Vring r = Vring.allocate(ram, 0, RING, 2048);
        r.configure(SPLIT | bit(NET_F_MRG_RXBUF));
        long elsewhere = 3L << 20;                      // the used ring's log address: a page of its own
        SplitVirtqueue q = split(r, elsewhere, true);
        for (int i = 0; i < 2; i++) r.postRxChain(1100);  // a 3000-byte frame needs three
        clear();
        assertEquals(0, push(q, frame(3000, 5)));
        assertTrue(marked().containsAll(pages(elsewhere + 4, 8 * 2)), "the two used entries written are logged: " + marked());
        assertEquals(0, r.receive().size(), "and not published");
    }

    @Test
    void splitTransmitMarksOnlyTheUsedRing() {
        Vring t = Vring.allocate(ram, 1, RING, 2048);
        t.configure(SPLIT);
        SplitVirtqueue q = split(t, 0, false);
        clear();
        assertTrue(t.send(withHeader(frame(600, 5))));
        assertTrue(t.send(withHeader(frame(60, 6))));
        batch.reset();
        assertEquals(2, q.popTx(batch.data, batch.off, batch.len, PacketBatch.MAX_FRAME, PacketBatch.BURST));
        assertEquals(pages(t.usedGpa(), 4 + 8 * 2), marked(), "a transmit buffer is read, never written");
    }

    // ------------------------------------------------------------------------------------------ packed

    private PackedVirtqueue packed(PRing r, int index, long features) {
        PackedVirtqueue q = new PackedVirtqueue(index, "port t queue " + index);
        q.setSize(RING);
        q.setAddresses(r.descUva(), r.driverEventUva(), r.deviceEventUva(), 0, false);
        q.setBase(0x8000);
        q.setCall(call);
        q.start(mem, features);
        return q;
    }

    @ParameterizedTest(name = "mergeable={0}")
    @ValueSource(booleans = {true, false})
    void packedReceiveMarksTheBuffersAndTheUsedDescriptors(boolean mrg) {
        long features = PACKED | (mrg ? bit(NET_F_MRG_RXBUF) : 0);
        PRing r = PRing.allocate(ram, RING, 2048);
        r.configure(features);
        r.reset(0x8000);
        PackedVirtqueue q = packed(r, 0, features);
        r.postRx(RING);
        clear();
        byte[] a = frame(1200, 7), b = frame(90, 8);
        assertEquals(2, push(q, a, b));
        int hdr = mrg ? 12 : 10;
        Set<Long> want = new TreeSet<>();
        want.addAll(pages(r.bufGpa(r.descId(0)), hdr + a.length));
        want.addAll(pages(r.bufGpa(r.descId(1)), hdr + b.length));
        want.addAll(pages(r.descGpa(), 16 * 2));        // the used descriptors overwrite the ring's first two
        assertEquals(want, marked());
        assertEquals(2, r.receive().size());
    }

    @Test
    void packedTransmitMarksOnlyTheUsedDescriptors() {
        PRing t = PRing.allocate(ram, RING, 2048);
        t.configure(PACKED);
        t.reset(0x8000);
        PackedVirtqueue q = packed(t, 1, PACKED);
        clear();
        t.send(withHeader(frame(300, 9)));
        batch.reset();
        assertEquals(1, q.popTx(batch.data, batch.off, batch.len, PacketBatch.MAX_FRAME, PacketBatch.BURST));
        assertEquals(pages(t.descGpa(), 16), marked());
    }
}
