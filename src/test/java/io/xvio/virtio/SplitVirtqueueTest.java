package io.xvio.virtio;

import io.xvio.packet.PacketBatch;
import io.xvio.sys.EventFd;
import io.xvio.testing.TestFrontend;
import io.xvio.testing.TestFrontend.GuestRam;
import io.xvio.testing.TestFrontend.RxPacket;
import io.xvio.testing.TestFrontend.Vring;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static io.xvio.testing.TestFrontend.*;
import static io.xvio.virtio.VirtioFeatures.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.*;

/**
 * SplitVirtqueue, device side, against rings a driver laid out in memfd-backed guest memory (no sockets): what
 * it takes from transmit rings, what it writes into receive rings, when it interrupts, and that a driver
 * breaking the ring contract gets a named fault and a stopped queue, never an exception or a wrong used index.
 */
class SplitVirtqueueTest {
    private static final long BASE_FEATURES = bit(F_VERSION_1) | bit(RING_F_INDIRECT_DESC);
    private static final int RING = 8;
    private static final long RAM = 4L << 20;

    private GuestRam ram;
    private GuestMemory mem;
    private EventFd call;
    private final PacketBatch batch = new PacketBatch();
    private final int[] which = new int[PacketBatch.BURST];

    @BeforeEach
    void setUp() {
        ram = new GuestRam("svq-test", RAM);
        mem = ram.asGuestMemory();
        call = EventFd.create();
        for (int i = 0; i < which.length; i++) which[i] = i;
    }

    @AfterEach
    void tearDown() {
        call.close();
        ram.close();
    }

    private static long bit(int b) { return 1L << b; }

    /** A driver ring of RING entries with bufSize buffers, and the device queue started on it. */
    private record Q(Vring ring, SplitVirtqueue q) {}

    private Q queue(int index, long features, int bufSize, int base) {
        Vring r = Vring.allocate(ram, index, RING, bufSize);
        r.configure(features);
        r.reset(base);
        SplitVirtqueue q = new SplitVirtqueue(index, "port t queue " + index);
        q.setSize(RING);
        q.setAddresses(r.descUva(), r.availUva(), r.usedUva(), 0, false);
        q.setBase(base);
        q.setCall(call);
        q.start(mem, features);
        return new Q(r, q);
    }

    private Q tx(long features) { return queue(1, features, 2048, 0); }
    private Q rx(long features, int bufSize) { return queue(0, features, bufSize, 0); }

    private int pop(Q t) {
        batch.reset();
        return t.q().popTx(batch.data, batch.off, batch.len, PacketBatch.MAX_FRAME, PacketBatch.BURST);
    }

    private byte[] popped(int i) {
        byte[] b = new byte[batch.len[i]];
        MemorySegment.copy(batch.data, JAVA_BYTE, batch.off[i], b, 0, b.length);
        return b;
    }

    /** Puts frames into the batch (each after its headroom) and pushes them; returns how many were delivered. */
    private int push(Q r, byte[]... frames) {
        batch.reset();
        for (int i = 0; i < frames.length; i++) {
            MemorySegment.copy(frames[i], 0, batch.data, JAVA_BYTE, batch.off[i], frames[i].length);
            batch.len[i] = frames[i].length;
        }
        return r.q().pushRx(batch.data, batch.off, batch.len, which, frames.length);
    }

    static byte[] frame(int len, int seed) {
        byte[] f = new byte[len];
        for (int i = 0; i < len; i++) f[i] = (byte) (seed * 31 + i);
        f[0] = 0x02;   // a unicast, locally administered destination
        return f;
    }

    /** The invariant a driver relies on: every chain the device took is completed exactly once in the used ring. */
    private static void assertTakenEqualsCompleted(Q x, int base) {
        int taken = (x.q().lastAvailIndex() - base) & 0xffff;
        int completed = (x.ring().usedIdx() - base) & 0xffff;
        assertEquals(taken, completed, "used entries published must equal the chains taken from the available ring");
    }

    // ------------------------------------------------------------------------------------------ transmit

    @Test
    void popTxTakesASingleDescriptorFrameAndCompletesIt() {
        Q t = tx(BASE_FEATURES);
        byte[] f = frame(60, 1);
        assertTrue(t.ring().send(withHeader(f)));
        assertEquals(1, pop(t));
        assertArrayEquals(f, popped(0), "the frame without its virtio-net header");
        assertEquals(1, t.ring().usedIdx());
        assertEquals(t.ring().availEntry(0), t.ring().usedId(0), "used entry names the head it completes");
        assertEquals(0, t.ring().usedLen(0), "nothing written into a transmit buffer");
        assertEquals(1, call.drain(), "the driver is interrupted (no NO_INTERRUPT flag)");
        assertEquals(0, pop(t), "nothing more available");
        assertEquals(1, t.ring().reclaim());
        assertNull(t.q().fault());
        assertTrue(t.q().ready());
    }

    @Test
    void popTxFollowsChainsEvenWhenTheHeaderIsSplitAcrossDescriptors() {
        Q t = tx(BASE_FEATURES);
        byte[] f = frame(300, 2);
        byte[] s = withHeader(f);
        // 5 + 7 bytes of header, then the frame in three pieces
        assertTrue(t.ring().sendChained(Arrays.copyOfRange(s, 0, 5), Arrays.copyOfRange(s, 5, 12),
                Arrays.copyOfRange(s, 12, 100), Arrays.copyOfRange(s, 100, 101), Arrays.copyOfRange(s, 101, s.length)));
        assertEquals(1, pop(t));
        assertArrayEquals(f, popped(0));
        assertEquals(1, t.ring().usedIdx());
        assertEquals(5, t.ring().reclaim() * 5, "one used entry frees the whole chain");
        assertEquals(RING, t.ring().freeCount());
    }

    @Test
    void popTxReadsIndirectTables() {
        Q t = tx(BASE_FEATURES);
        byte[] f = frame(1000, 3);
        byte[] s = withHeader(f);
        assertTrue(t.ring().sendIndirect(Arrays.copyOfRange(s, 0, 12), Arrays.copyOfRange(s, 12, 512), Arrays.copyOfRange(s, 512, s.length)));
        assertTrue(t.ring().sendChained(withHeader(frame(64, 4))));
        assertEquals(2, pop(t));
        assertArrayEquals(f, popped(0));
        assertArrayEquals(frame(64, 4), popped(1));
        assertTakenEqualsCompleted(t, 0);
    }

    @Test
    void popTxTakesAtMostMaxAndResumesWhereItStopped() {
        Q t = tx(BASE_FEATURES);
        for (int i = 0; i < 5; i++) assertTrue(t.ring().send(withHeader(frame(60 + i, i))));
        batch.reset();
        assertEquals(3, t.q().popTx(batch.data, batch.off, batch.len, PacketBatch.MAX_FRAME, 3));
        assertEquals(3, t.ring().usedIdx());
        assertEquals(3, t.q().lastAvailIndex());
        assertEquals(2, pop(t));
        assertArrayEquals(frame(63, 3), popped(0), "in order");
        assertArrayEquals(frame(64, 4), popped(1));
        assertTakenEqualsCompleted(t, 0);
    }

    @Test
    void indicesWrapAt65536() {
        Q t = queue(1, BASE_FEATURES, 2048, 0xfffe);
        for (int i = 0; i < 4; i++) assertTrue(t.ring().send(withHeader(frame(60, i))));
        assertEquals(2, t.ring().availIdx(), "the driver's index wrapped");
        assertEquals(4, pop(t));
        for (int i = 0; i < 4; i++) assertArrayEquals(frame(60, i), popped(i));
        assertEquals(2, t.ring().usedIdx());
        assertEquals(2, t.q().lastAvailIndex());
        assertEquals(4, t.ring().reclaim());
    }

    @ParameterizedTest(name = "CSUM negotiated: {0}")
    @ValueSource(booleans = {false, true})
    void aTransmittedFramesHeaderIsReadOnlyWhenCsumGivesItMeaning(boolean csum) {
        Q t = tx(BASE_FEATURES | (csum ? 1L << NET_F_CSUM : 0));
        TxHeaderCheck.headerReadOnlyWithCsum(csum, batch, frame(64, 7), f -> assertTrue(t.ring().send(f)), () -> pop(t));
    }

    @Test
    void withACopyLimitALongerFrameIsTakenWithItsRealLengthAndOnlyItsFirstBytesCopied() {
        Q t = tx(BASE_FEATURES);
        t.ring().send(withHeader(frame(100, 1)));
        t.ring().send(withHeader(frame(300, 2)));           // over the copy limit, under cap: taken, cut short
        t.ring().send(withHeader(frame(500, 3)));           // over cap: dropped as oversized, as without a limit
        t.ring().send(withHeader(frame(120, 4)));
        batch.reset();
        for (int i = 0; i < 4; i++) batch.data.asSlice(batch.off[i], 400).fill((byte) 0x5a);
        assertEquals(3, t.q().popTx(batch.data, batch.off, batch.len, 400, 200, PacketBatch.BURST));
        assertArrayEquals(frame(100, 1), popped(0));
        assertEquals(300, batch.len[1], "the frame's real length, for the caller to drop it as too big");
        assertArrayEquals(java.util.Arrays.copyOf(frame(300, 2), 200), batch.data.asSlice(batch.off[1], 200).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        assertEquals((byte) 0x5a, batch.data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, batch.off[1] + 200), "nothing past the limit written");
        assertArrayEquals(frame(120, 4), popped(2));
        assertEquals(1, t.q().droppedOversize());
        assertEquals(4, t.ring().usedIdx(), "all four chains go back to the driver");
    }

    @Test
    void runtAndOversizedFramesAreCompletedAndCountedNotDelivered() {
        Q t = tx(BASE_FEATURES);
        assertTrue(t.ring().send(withHeader(new byte[13])));            // shorter than an Ethernet header
        assertTrue(t.ring().send(withHeader(frame(200, 5))));            // too big for cap below
        assertTrue(t.ring().send(withHeader(frame(100, 6))));
        batch.reset();
        assertEquals(1, t.q().popTx(batch.data, batch.off, batch.len, 150, PacketBatch.BURST));
        assertArrayEquals(frame(100, 6), popped(0), "the good frame lands in the first slot");
        assertEquals(1, t.q().droppedRunt());
        assertEquals(1, t.q().droppedOversize());
        assertEquals(3, t.ring().usedIdx(), "all three chains go back to the driver");
        assertNull(t.q().fault());
    }

    // ------------------------------------------------------------------------------------------ receive

    @Test
    void pushRxWithoutMergeableBuffersUsesOneBufferPerFrame() {
        Q r = rx(BASE_FEATURES, 2048);
        assertEquals(RING, r.ring().postRx(RING));
        assertEquals(2, push(r, frame(60, 1), frame(1514, 2)));
        assertEquals(2, r.ring().usedIdx());
        assertEquals(12 + 60, r.ring().usedLen(0), "used length counts the header");
        assertEquals(12 + 1514, r.ring().usedLen(1));
        List<RxPacket> got = r.ring().receive();
        assertEquals(2, got.size());
        assertArrayEquals(frame(60, 1), got.get(0).frame());
        assertArrayEquals(frame(1514, 2), got.get(1).frame());
        assertEquals(1, got.get(0).numBuffers(), "num_buffers is 1 with a 12-byte header");
        assertArrayEquals(new byte[10], Arrays.copyOf(got.get(0).header(), 10), "flags, gso and checksum fields are zero");
        assertTakenEqualsCompleted(r, 0);
    }

    @Test
    void pushRxWithoutMergeableBuffersDropsAFrameTooBigForTheBuffer() {
        Q r = rx(BASE_FEATURES, 100);
        r.ring().postRx(2);
        assertEquals(1, push(r, frame(200, 1), frame(80, 2)), "the big frame is dropped, the next one still fits");
        assertEquals(1, r.q().droppedRxTooSmall());
        assertEquals(1, r.ring().usedIdx());
        assertArrayEquals(frame(80, 2), r.ring().receive().getFirst().frame());
        assertTakenEqualsCompleted(r, 0);
        assertNull(r.q().fault(), "a small buffer is not a fault");
    }

    @Test
    void aPartialPushRxLeavesWhichAsItWasWithTheUntriedAfterTheDeliveredAndTheTooSmall() {
        Q r = rx(BASE_FEATURES, 100);
        r.ring().postRx(3);
        int[] before = which.clone();
        assertEquals(3, push(r, frame(80, 0), frame(200, 1), frame(80, 2), frame(81, 3), frame(80, 4), frame(80, 5)),
                "three buffers: frames 0, 2 and 3; frame 1 is too big for one");
        assertEquals(1, r.q().lastTooSmall());
        assertEquals(80 + 80 + 81, r.q().lastBytes(), "the delivered frames' bytes");
        assertArrayEquals(before, which, "which is only read: callers pass shared index arrays");
        List<RxPacket> got = r.ring().receive();
        assertArrayEquals(frame(81, 3), got.get(2).frame(), "frames 0, 2 and 3 delivered, in order");
        // so which[3 + 1..6), after delivered + too small, are the packets not tried: what a retry offers again
    }

    @Test
    void pushRxWithMergeableBuffersSpreadsAFrameAndSetsNumBuffers() {
        long f = BASE_FEATURES | bit(NET_F_MRG_RXBUF);
        Q r = rx(f, 256);
        r.ring().postRx(RING);
        byte[] big = frame(1000, 7);
        assertEquals(2, push(r, big, frame(60, 8)));
        // 12 + 1000 bytes over 256-byte buffers: 256, 256, 256, 244; then the small frame in a fifth buffer
        assertEquals(5, r.ring().usedIdx());
        assertEquals(List.of(256, 256, 256, 244, 72), List.of(r.ring().usedLen(0), r.ring().usedLen(1), r.ring().usedLen(2), r.ring().usedLen(3), r.ring().usedLen(4)));
        List<RxPacket> got = r.ring().receive();
        assertEquals(2, got.size());
        assertEquals(4, got.get(0).numBuffers());
        assertArrayEquals(big, got.get(0).frame());
        assertEquals(1, got.get(1).numBuffers());
        assertArrayEquals(frame(60, 8), got.get(1).frame());
        assertTakenEqualsCompleted(r, 0);
    }

    @Test
    void pushRxWithMergeableBuffersFindsNumBuffersInAChainedHeader() {
        long f = BASE_FEATURES | bit(NET_F_MRG_RXBUF);
        Q r = rx(f, 512);
        // the first buffer is a chain whose first descriptor holds only 8 header bytes
        int head = r.ring().postRxChain(8, 300);
        r.ring().postRx(1);
        byte[] fr = frame(500, 9);
        assertEquals(1, push(r, fr));
        assertEquals(2, r.ring().usedIdx());
        assertEquals(head, r.ring().usedId(0));
        assertEquals(308, r.ring().usedLen(0));
        List<RxPacket> got = r.ring().receive();
        assertEquals(2, got.getFirst().numBuffers(), "num_buffers patched in the second descriptor of the chain");
        assertArrayEquals(fr, got.getFirst().frame());
    }

    @Test
    void pushRxWithMergeableBuffersHandlesNumBuffersSplitAcrossDescriptors() {
        long f = BASE_FEATURES | bit(NET_F_MRG_RXBUF);
        Q r = rx(f, 512);
        r.ring().postRxChain(11, 300);
        r.ring().postRx(1);
        byte[] fr = frame(500, 10);
        assertEquals(1, push(r, fr));
        assertNull(r.q().fault());
        RxPacket p = r.ring().receive().getFirst();
        assertEquals(2, p.numBuffers());
        assertArrayEquals(fr, p.frame());
    }

    @Test
    void pushRxWithMergeableBuffersLeavesTheRingUntouchedWhenAFrameDoesNotFit() {
        long f = BASE_FEATURES | bit(NET_F_MRG_RXBUF);
        Q r = rx(f, 256);
        r.ring().postRx(2);
        assertEquals(0, push(r, frame(1000, 1)), "512 bytes of buffers cannot take 1012");
        assertEquals(0, r.ring().usedIdx(), "nothing published");
        assertEquals(0, r.q().lastAvailIndex(), "no buffer consumed");
        assertEquals(0, call.drain(), "no interrupt for nothing");
        assertEquals(1, push(r, frame(100, 2)));
        assertEquals(1, r.ring().usedIdx());
        assertArrayEquals(frame(100, 2), r.ring().receive().getFirst().frame());
        assertTakenEqualsCompleted(r, 0);
    }

    @Test
    void pushRxWithNoBuffersDeliversNothing() {
        Q r = rx(BASE_FEATURES | bit(NET_F_MRG_RXBUF), 2048);
        assertEquals(0, push(r, frame(60, 1)));
        assertEquals(0, r.ring().usedIdx());
        assertNull(r.q().fault());
    }

    @Test
    void everyPageTheDeviceWritesIsMarkedInTheDirtyLog() {
        long f = BASE_FEATURES | bit(NET_F_MRG_RXBUF);
        Q r = rx(f, 2048);
        r.ring().postRx(1);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment bitmap = a.allocate(RAM >>> 12 >>> 3, 8);
            mem.setLog(new DirtyLog(bitmap));
            assertEquals(1, push(r, frame(100, 1)));
            long bufPage = r.ring().bufGpa(0) >>> 12, usedPage = r.ring().usedGpa() >>> 12, descPage = r.ring().descGpa() >>> 12;
            assertTrue(dirty(bitmap, bufPage), "the receive buffer's page");
            assertTrue(dirty(bitmap, usedPage), "the used ring's page");
            assertFalse(dirty(bitmap, descPage), "the descriptor table is only read");
            mem.setLog(null);
        }
    }

    private static boolean dirty(MemorySegment bitmap, long page) {
        return (bitmap.get(JAVA_LONG, (page >>> 6) << 3) & (1L << (page & 63))) != 0;
    }

    // ------------------------------------------------------------------------------------------ notifications

    @Test
    void withoutEventIdxTheDeviceAsksForNoKicksAndHonoursNoInterrupt() {
        Q t = tx(BASE_FEATURES);
        assertEquals(USED_F_NO_NOTIFY, t.ring().usedFlags() & USED_F_NO_NOTIFY, "a polling device asks the driver not to kick");
        t.ring().setAvailFlags(AVAIL_F_NO_INTERRUPT);
        t.ring().send(withHeader(frame(60, 1)));
        assertEquals(1, pop(t));
        assertEquals(0, call.drain(), "NO_INTERRUPT: completed silently");
        t.ring().setAvailFlags(0);
        t.ring().send(withHeader(frame(60, 2)));
        assertEquals(1, pop(t));
        assertEquals(1, call.drain(), "interrupt once the driver wants them again");
        assertEquals(0, t.ring().kicks(), "the driver saw NO_NOTIFY and never kicked");
    }

    @Test
    void withEventIdxTheDeviceInterruptsOnlyWhenUsedIdxPassesUsedEvent() {
        long f = BASE_FEATURES | bit(RING_F_EVENT_IDX);
        Q t = tx(f);
        assertEquals(0, t.ring().usedFlags(), "with EVENT_IDX the flags are not used");
        t.ring().setAvailFlags(AVAIL_F_NO_INTERRUPT);   // must be ignored with EVENT_IDX
        t.ring().setUsedEvent(2);                       // interrupt me when entry 2 is used (used idx 2 -> 3)
        t.ring().send(withHeader(frame(60, 1)));
        assertEquals(1, pop(t));
        assertEquals(0, call.drain(), "used idx 1 has not passed used_event 2");
        t.ring().send(withHeader(frame(60, 2)));
        assertEquals(1, pop(t));
        assertEquals(0, call.drain(), "used idx 2 has not passed used_event 2");
        t.ring().send(withHeader(frame(60, 3)));
        t.ring().send(withHeader(frame(60, 4)));
        assertEquals(2, pop(t));
        assertEquals(1, call.drain(), "0..1 -> 4 crossed used_event 2: one interrupt");
        t.ring().send(withHeader(frame(60, 5)));
        assertEquals(1, pop(t));
        assertEquals(0, call.drain(), "used_event is behind: no more interrupts");
    }

    @Test
    void pushRxInterruptsTheDriverUnlessSuppressed() {
        Q r = rx(BASE_FEATURES, 2048);
        r.ring().postRx(4);
        r.ring().setAvailFlags(AVAIL_F_NO_INTERRUPT);
        assertEquals(1, push(r, frame(60, 1)));
        assertEquals(0, call.drain());
        r.ring().setAvailFlags(0);
        assertEquals(2, push(r, frame(60, 2), frame(60, 3)));
        assertEquals(1, call.drain(), "one interrupt per burst");
    }

    // ------------------------------------------------------------------------------------------ faults

    /** A way to break a transmit ring after one good frame was made available, and the fault text expected. */
    record Breakage(String name, Consumer<Vring> breakIt, String expect, boolean afterGood) {
        @Override public String toString() { return name; }
    }

    /** Makes head d available (after filling its descriptor with the given fields). */
    private static void offerRaw(Vring r, int d, long addr, int len, int flags, int next) {
        r.setDesc(d, addr, len, flags, next);
        r.setAvailEntry(r.availIdx(), d);
        r.setAvailIdx(r.availIdx() + 1);
    }

    static Stream<Arguments> txBreakages() {
        int bad = 5;   // descriptor the corrupt chain starts at (the good frame uses 0)
        return Stream.of(
                new Breakage("descriptor chain that loops on itself", r -> offerRaw(r, bad, r.bufGpa(bad), 64, DESC_F_NEXT, bad),
                        "descriptor chain from head 5 loops or is longer than its table (8)", true),
                new Breakage("chain longer than the ring", r -> {
                    for (int i = 1; i < RING; i++) r.setDesc(i, r.bufGpa(i), 64, DESC_F_NEXT, i == RING - 1 ? 1 : i + 1);
                    offerRaw(r, 1, r.bufGpa(1), 64, DESC_F_NEXT, 2);
                }, "descriptor chain from head 1 loops or is longer than its table (8)", true),
                new Breakage("descriptor address outside guest memory", r -> offerRaw(r, bad, 64L << 20, 64, 0, 0),
                        "buffer at guest address 0x4000000 is outside guest memory", true),
                new Breakage("descriptor running off the end of guest memory", r -> offerRaw(r, bad, RAM - 16, 64, 0, 0),
                        "buffer at guest address 0x400000 is outside guest memory", true),
                new Breakage("descriptor address near 2^64", r -> offerRaw(r, bad, -8L, 64, 0, 0),
                        "buffer at guest address 0xfffffffffffffff8 is outside guest memory", true),
                new Breakage("avail index jumping by more than the ring size", r -> r.setAvailIdx(r.availIdx() + RING + 1),
                        "available index jumped from 0 to 10 (ring size 8)", true),
                new Breakage("head index >= ring size", r -> { r.setAvailEntry(r.availIdx(), RING); r.setAvailIdx(r.availIdx() + 1); },
                        "descriptor head 8 out of ring size 8", true),
                new Breakage("next index >= ring size", r -> offerRaw(r, bad, r.bufGpa(bad), 64, DESC_F_NEXT, 40),
                        "descriptor next index 40 out of table size 8", true),
                new Breakage("device-writable descriptor in a transmit chain", r -> offerRaw(r, bad, r.bufGpa(bad), 64, DESC_F_WRITE, 0),
                        "device-writable descriptor in a transmit chain", true),
                new Breakage("indirect descriptor with a length not a multiple of 16", r -> offerRaw(r, bad, r.indirectGpa(bad), 24, DESC_F_INDIRECT, 0),
                        "indirect table length 24 is not a multiple of 16", true),
                new Breakage("indirect descriptor of length 0", r -> offerRaw(r, bad, r.indirectGpa(bad), 0, DESC_F_INDIRECT, 0),
                        "indirect table length 0", true),
                new Breakage("indirect table outside guest memory", r -> offerRaw(r, bad, RAM - 16, 32, DESC_F_INDIRECT, 0),
                        "indirect table at 0x3ffff0 is outside guest memory", true),
                new Breakage("nested indirect descriptor", r -> {
                    r.setTableDesc(r.indirectGpa(bad), 0, r.indirectGpa(bad + 1), 16, DESC_F_INDIRECT, 0);
                    offerRaw(r, bad, r.indirectGpa(bad), 16, DESC_F_INDIRECT, 0);
                }, "nested indirect descriptor", true),
                new Breakage("indirect table whose chain loops", r -> {
                    r.setTableDesc(r.indirectGpa(bad), 0, r.bufGpa(bad), 12, DESC_F_NEXT, 1);
                    r.setTableDesc(r.indirectGpa(bad), 1, r.bufGpa(bad), 64, DESC_F_NEXT, 0);
                    offerRaw(r, bad, r.indirectGpa(bad), 32, DESC_F_INDIRECT, 0);
                }, "loops or is longer than its table (2)", true),
                new Breakage("indirect next index past its table", r -> {
                    r.setTableDesc(r.indirectGpa(bad), 0, r.bufGpa(bad), 64, DESC_F_NEXT, 3);
                    offerRaw(r, bad, r.indirectGpa(bad), 32, DESC_F_INDIRECT, 0);
                }, "descriptor next index 3 out of table size 2", true)
        ).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("txBreakages")
    void aBrokenTransmitRingFaultsAndStopsTheQueueWithoutThrowing(Breakage b) {
        Q t = tx(BASE_FEATURES);
        byte[] good = frame(60, 1);
        assertTrue(t.ring().send(withHeader(good)));
        b.breakIt().accept(t.ring());
        int n = assertDoesNotThrow(() -> pop(t));
        String fault = t.q().fault();
        assertNotNull(fault, "a fault is recorded");
        assertTrue(fault.startsWith("port t queue 1: "), "the fault names the port and queue: " + fault);
        assertTrue(fault.contains(b.expect()), "expected \"" + b.expect() + "\" in: " + fault);
        assertFalse(t.q().ready(), "the queue stops");
        if (b.expect().startsWith("available index jumped")) {
            assertEquals(0, n, "an impossible index is refused before anything is taken");
            assertEquals(0, t.ring().usedIdx());
        } else {
            assertEquals(1, n, "the good frame before the broken chain is delivered");
            assertArrayEquals(good, popped(0));
            assertEquals(1, t.ring().usedIdx(), "it alone is completed: the broken chain is not");
        }
        assertTakenEqualsCompleted(t, 0);
    }

    @Test
    void indirectDescriptorsWithoutTheFeatureAreAFault() {
        Q t = tx(bit(F_VERSION_1));
        assertTrue(t.ring().sendIndirect(withHeader(frame(60, 1))));
        assertEquals(0, pop(t));
        assertTrue(t.q().fault().contains("indirect descriptor without INDIRECT_DESC"), t.q().fault());
        assertTakenEqualsCompleted(t, 0);
    }

    static Stream<Arguments> rxBreakages() {
        int bad = 5;
        return Stream.of(
                new Breakage("receive buffer outside guest memory", r -> offerRaw(r, bad, 1L << 40, 2048, DESC_F_WRITE, 0),
                        "buffer at guest address 0x10000000000 is outside guest memory", true),
                new Breakage("device-readable descriptor in a receive chain", r -> offerRaw(r, bad, r.bufGpa(bad), 2048, 0, 0),
                        "device-readable descriptor in a receive chain", true),
                new Breakage("receive chain that loops", r -> offerRaw(r, bad, r.bufGpa(bad), 4, DESC_F_WRITE | DESC_F_NEXT, bad),
                        "descriptor chain from head 5 loops or is longer than its table (8)", true),
                new Breakage("receive head >= ring size", r -> { r.setAvailEntry(r.availIdx(), 300); r.setAvailIdx(r.availIdx() + 1); },
                        "descriptor head 300 out of ring size 8", true),
                new Breakage("avail index jumping by more than the ring size", r -> r.setAvailIdx(r.availIdx() + 100),
                        "available index jumped from 0 to 101 (ring size 8)", true),
                new Breakage("indirect receive table with a bad length", r -> offerRaw(r, bad, r.indirectGpa(bad), 17, DESC_F_INDIRECT, 0),
                        "indirect table length 17 is not a multiple of 16", true)
        ).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0} (mergeable={1})")
    @MethodSource("rxCases")
    void aBrokenReceiveRingFaultsAndStopsTheQueueWithoutThrowing(Breakage b, boolean mergeable) {
        Q r = rx(BASE_FEATURES | (mergeable ? bit(NET_F_MRG_RXBUF) : 0), 2048);
        r.ring().postRx(1);                      // descriptor 0: a good buffer for the first frame
        b.breakIt().accept(r.ring());
        byte[] first = frame(100, 1);
        int n = assertDoesNotThrow(() -> push(r, first, frame(100, 2)));
        String fault = r.q().fault();
        assertNotNull(fault);
        assertTrue(fault.startsWith("port t queue 0: ") && fault.contains(b.expect()), "expected \"" + b.expect() + "\" in: " + fault);
        assertFalse(r.q().ready());
        if (b.expect().startsWith("available index jumped")) {
            assertEquals(0, n);
            assertEquals(0, r.ring().usedIdx());
        } else {
            assertEquals(1, n, "the frame that had a good buffer is delivered");
            assertEquals(1, r.ring().usedIdx(), "and only its buffer is used");
            assertArrayEquals(first, r.ring().receive(false).getFirst().frame());
        }
        assertTakenEqualsCompleted(r, 0);
    }

    static Stream<Arguments> rxCases() {
        return rxBreakages().flatMap(a -> Stream.of(Arguments.of(a.get()[0], false), Arguments.of(a.get()[0], true)));
    }

    /**
     * DPDK's virtio-user in server mode after its back-end restarted: it keeps its ring and gives base 0 (no
     * GET_VRING_BASE reached the dead back-end). The new device resumes at the used ring's index, as DPDK's vhost
     * library does, instead of seeing the available index jump; the frame queued meanwhile is sent.
     */
    @Test
    void aFrontEndReconnectingWithBaseZeroResumesAtTheUsedIndex() {
        Q t = tx(BASE_FEATURES);
        assertNull(t.q().resumedNote(), "a fresh ring: base and used index agree");
        for (int i = 0; i < 3; i++) assertTrue(t.ring().send(withHeader(frame(60, i))));
        assertEquals(3, pop(t));
        assertEquals(3, t.ring().reclaim());
        t.q().stop();                                   // the old device is gone
        t.q().release();
        assertTrue(t.ring().send(withHeader(frame(60, 9))));
        SplitVirtqueue q = new SplitVirtqueue(1, "port t queue 1");
        q.setSize(RING);
        q.setAddresses(t.ring().descUva(), t.ring().availUva(), t.ring().usedUva(), 0, false);
        q.setBase(0);
        q.setCall(call);
        q.start(mem, BASE_FEATURES);
        assertEquals("base 0 differs from the used ring's index 3 (a front-end reconnecting without its ring state): resumed at 3", q.resumedNote());
        Q again = new Q(t.ring(), q);
        assertEquals(1, pop(again));
        assertArrayEquals(frame(60, 9), popped(0));
        assertNull(q.fault());
        assertEquals(4, t.ring().usedIdx());
        // a base other than 0 is the front-end's own record, taken as it is
        q.stop();
        q.release();
        q.setBase(2);
        q.start(mem, BASE_FEATURES);
        assertNull(q.resumedNote());
        assertEquals(2, q.lastAvailIndex());
    }

    @Test
    void aFaultedQueueRunsAgainOnceTheDriverResetsIt() {
        Q t = tx(BASE_FEATURES);
        offerRaw(t.ring(), 0, 1L << 40, 64, 0, 0);
        assertEquals(0, pop(t));
        assertNotNull(t.q().fault());
        // what the control path does on GET_VRING_BASE / SET_VRING_BASE / ... / enable
        t.q().stop();
        t.q().release();
        int base = t.q().lastAvailIndex();
        assertEquals(0, base, "the broken chain was not consumed");
        t.ring().reset(base);
        t.q().setBase(base);
        t.q().start(mem, BASE_FEATURES);
        assertNull(t.q().fault(), "a restart clears the fault");
        assertTrue(t.q().ready());
        assertTrue(t.ring().send(withHeader(frame(60, 3))));
        assertEquals(1, pop(t));
        assertArrayEquals(frame(60, 3), popped(0));
        assertTakenEqualsCompleted(t, 0);
    }

    @Test
    void ringsOutsideGuestMemoryOrMisalignedAreRefusedAtStart() {
        SplitVirtqueue q = new SplitVirtqueue(2, "port t queue 2");
        q.setSize(RING);
        long base = ram.base();
        q.setAddresses(base + RAM, base, base + 4096, 0, false);
        VirtqueueFault f = assertThrows(VirtqueueFault.class, () -> q.start(mem, BASE_FEATURES));
        assertTrue(f.getMessage().contains("port t queue 2: descriptor table at 0x" + Long.toHexString(base + RAM) + " (128 bytes) is outside guest memory"), f.getMessage());
        q.setAddresses(base, base + RAM - 8, base + 4096, 0, false);
        f = assertThrows(VirtqueueFault.class, () -> q.start(mem, BASE_FEATURES));
        assertTrue(f.getMessage().contains("available ring at"), f.getMessage());
        q.setAddresses(base + 8, base + 4096, base + 8192, 0, false);
        f = assertThrows(VirtqueueFault.class, () -> q.start(mem, BASE_FEATURES));
        assertTrue(f.getMessage().contains("is not 16-byte aligned"), f.getMessage());
        assertFalse(q.ready());
        assertThrows(VirtqueueFault.class, () -> new SplitVirtqueue(0, "x").start(mem, 0), "no size set");
    }

    @Test
    void queueSizesMustBePowersOfTwoUpTo32768() {
        SplitVirtqueue q = new SplitVirtqueue(0, "port t queue 0");
        for (int bad : new int[] {0, -1, 3, 100, 65536}) {
            VirtqueueFault f = assertThrows(VirtqueueFault.class, () -> q.setSize(bad));
            assertTrue(f.getMessage().contains("queue size " + bad + " is not a power of two"), f.getMessage());
        }
        q.setSize(32768);
        assertEquals(32768, q.size());
    }

    @Test
    void aLongMixOfBurstsKeepsTakenAndCompletedInStep() {
        // both directions over many wraps of a small ring, with bursts of every size
        Q t = tx(BASE_FEATURES);
        Q r = queue(0, BASE_FEATURES | bit(NET_F_MRG_RXBUF), 512, 0);
        r.ring().postRx(RING);
        java.util.Random rnd = new java.util.Random(42);
        int sent = 0, got = 0, delivered = 0;
        for (int round = 0; round < 2000; round++) {
            int k = rnd.nextInt(RING + 1);
            for (int i = 0; i < k; i++) {
                if (t.ring().send(withHeader(frame(14 + rnd.nextInt(1500), sent)))) sent++;
            }
            batch.reset();
            int n = t.q().popTx(batch.data, batch.off, batch.len, PacketBatch.MAX_FRAME, 1 + rnd.nextInt(PacketBatch.BURST));
            got += n;
            for (int i = 0; i < n; i++) which[i] = i;
            delivered += r.q().pushRx(batch.data, batch.off, batch.len, which, n);
            for (RxPacket p : r.ring().receive()) assertTrue(p.frame().length >= 14);
            assertNull(t.q().fault());
            assertNull(r.q().fault());
            assertEquals(t.q().lastAvailIndex(), t.ring().usedIdx());
            assertEquals(r.q().lastAvailIndex(), r.ring().usedIdx());
        }
        for (int i = 0; i < which.length; i++) which[i] = i;
        assertTrue(got > 1000 && delivered > 500, "traffic flowed: " + got + " taken, " + delivered + " delivered");
    }
}
