package io.xvio.virtio;

import io.xvio.packet.PacketBatch;
import io.xvio.sys.EventFd;
import io.xvio.testing.TestFrontend.GuestRam;
import io.xvio.testing.TestFrontend.RxPacket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static io.xvio.testing.TestFrontend.withHeader;
import static io.xvio.virtio.VirtioFeatures.*;
import static java.lang.foreign.ValueLayout.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * PackedVirtqueue, device side, against packed rings a driver (the {@link PRing} below) laid out in memfd-backed
 * guest memory: what it takes from transmit rings, what it writes into receive rings, how it follows the wrap
 * counters round and round the ring, when it interrupts, and that a driver breaking the ring contract gets a
 * named fault and a stopped queue, never an exception, a half-published burst or a wrong position.
 */
class PackedVirtqueueTest {
    private static final long BASE_FEATURES = bit(F_VERSION_1) | bit(RING_F_INDIRECT_DESC) | bit(F_RING_PACKED);
    private static final long MRG = bit(NET_F_MRG_RXBUF), IN_ORDER = bit(F_IN_ORDER);
    private static final int RING = 8;
    private static final long RAM = 4L << 20;
    static final int NEXT = 1, WRITE = 2, INDIRECT = 4, AVAIL = 1 << 7, USED = 1 << 15;
    static final int EV_ENABLE = 0, EV_DISABLE = 1, EV_DESC = 2;

    private GuestRam ram;
    private GuestMemory mem;
    private EventFd call;
    private final PacketBatch batch = new PacketBatch();
    private final int[] which = new int[PacketBatch.BURST];

    @BeforeEach
    void setUp() {
        ram = new GuestRam("pvq-test", RAM);
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

    /** A driver ring and the device queue started on it. */
    private record Q(PRing ring, PackedVirtqueue q) {}

    private Q queue(int index, int size, long features, int bufSize, int base) {
        PRing r = PRing.allocate(ram, size, bufSize);
        r.configure(features);
        r.reset(base);
        PackedVirtqueue q = new PackedVirtqueue(index, "port t queue " + index);
        q.setSize(size);
        q.setAddresses(r.descUva(), r.driverEventUva(), r.deviceEventUva(), 0, false);
        q.setBase(base);
        q.setCall(call);
        q.start(mem, features);
        return new Q(r, q);
    }

    private Q tx(long features) { return queue(1, RING, features, 2048, 0x8000); }
    private Q rx(long features, int bufSize) { return queue(0, RING, features, bufSize, 0x8000); }

    private int pop(Q t) {
        batch.reset();
        return t.q().popTx(batch.data, batch.off, batch.len, PacketBatch.MAX_FRAME, PacketBatch.BURST);
    }

    private byte[] popped(int i) {
        byte[] b = new byte[batch.len[i]];
        MemorySegment.copy(batch.data, JAVA_BYTE, batch.off[i], b, 0, b.length);
        return b;
    }

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
        f[0] = 0x02;
        return f;
    }

    /** The invariant a driver relies on: the device stands exactly where the driver's used cursor will stand. */
    private static void assertPositionsAgree(Q x) {
        x.ring().reapAllUsed();
        assertEquals(x.ring().usedCursor(), x.q().lastAvailIndex(),
                "device position|wrap must equal the driver's next-used position|wrap once everything is reaped");
    }

    // ------------------------------------------------------------------------------------------ transmit

    @Test
    void popTxTakesASingleDescriptorFrameAndCompletesIt() {
        Q t = tx(BASE_FEATURES);
        byte[] f = frame(60, 1);
        int id = t.ring().send(withHeader(f));
        assertEquals(1, pop(t));
        assertArrayEquals(f, popped(0), "the frame without its virtio-net header");
        assertTrue(t.ring().isUsed(0), "descriptor 0 now carries AVAIL = USED = the device wrap counter (1)");
        assertEquals(AVAIL | USED, t.ring().descFlags(0) & (AVAIL | USED));
        assertEquals(id, t.ring().descId(0), "the used descriptor names the buffer id");
        assertEquals(0, t.ring().descLen(0), "nothing written into a transmit buffer");
        assertEquals(1, call.drain(), "the driver is interrupted (driver event flags ENABLE)");
        assertEquals(0, pop(t), "nothing more available");
        assertEquals(1, t.ring().reclaim());
        assertEquals(1 | 1 << 15, t.q().lastAvailIndex());
        assertNull(t.q().fault());
        assertTrue(t.q().ready());
    }

    @Test
    void theDeviceAsksTheDriverNotToNotifyIt() {
        Q t = tx(BASE_FEATURES);
        assertEquals(EV_DISABLE, t.ring().deviceEventFlags(), "a polling device disables available-buffer notifications");
    }

    @Test
    void popTxFollowsChainsEvenWhenTheHeaderIsSplitAcrossDescriptors() {
        Q t = tx(BASE_FEATURES);
        byte[] f = frame(300, 2);
        byte[] s = withHeader(f);
        int id = t.ring().send(Arrays.copyOfRange(s, 0, 5), Arrays.copyOfRange(s, 5, 12),
                Arrays.copyOfRange(s, 12, 100), Arrays.copyOfRange(s, 100, 101), Arrays.copyOfRange(s, 101, s.length));
        assertTrue(t.ring().send(withHeader(frame(70, 3))) >= 0);
        assertEquals(2, pop(t));
        assertArrayEquals(f, popped(0));
        assertArrayEquals(frame(70, 3), popped(1));
        assertEquals(id, t.ring().descId(0), "one used descriptor, at the chain's first position, with the id of its last one");
        assertTrue(t.ring().isUsed(5), "the next buffer's used descriptor follows the 5-descriptor chain");
        assertFalse(t.ring().isUsed(1), "positions inside a chain are skipped, not written");
        assertEquals(2, t.ring().reclaim());
        assertEquals(RING, t.ring().freeDescs());
        assertPositionsAgree(t);
    }

    @Test
    void popTxReadsIndirectTables() {
        Q t = tx(BASE_FEATURES);
        byte[] f = frame(1000, 3);
        byte[] s = withHeader(f);
        t.ring().sendIndirect(Arrays.copyOfRange(s, 0, 12), Arrays.copyOfRange(s, 12, 512), Arrays.copyOfRange(s, 512, s.length));
        t.ring().send(withHeader(frame(64, 4)));
        assertEquals(2, pop(t));
        assertArrayEquals(f, popped(0));
        assertArrayEquals(frame(64, 4), popped(1));
        assertTrue(t.ring().isUsed(1), "an indirect buffer takes one ring descriptor");
        assertPositionsAgree(t);
    }

    @Test
    void withInOrderATransmitBurstIsCompletedByOneUsedDescriptorNamingItsLastBuffer() {
        Q t = tx(BASE_FEATURES | IN_ORDER);
        t.ring().send(withHeader(frame(60, 1)));
        byte[] s = withHeader(frame(200, 2));
        t.ring().send(Arrays.copyOfRange(s, 0, 12), Arrays.copyOfRange(s, 12, s.length));   // a chain of two
        int last = t.ring().send(withHeader(frame(70, 3)));
        assertEquals(3, pop(t));
        assertArrayEquals(frame(200, 2), popped(1));
        assertTrue(t.ring().isUsed(0), "the batch's used descriptor sits at its first position");
        assertEquals(last, t.ring().descId(0), "and names the last buffer of the batch");
        assertFalse(t.ring().isUsed(1) || t.ring().isUsed(3), "the other buffers' positions are not written");
        assertEquals(1, call.drain(), "one interrupt for the batch");
        assertEquals(4 | 1 << 15, t.q().lastAvailIndex(), "the device skipped the four descriptors");
        t.ring().send(withHeader(frame(80, 4)));
        assertEquals(1, pop(t));
        assertTrue(t.ring().isUsed(4), "the next batch starts where the last one ended");
    }

    @Test
    void withInOrderReceiveBuffersAreStillCompletedOneByOneWithTheirLengths() {
        Q r = rx(BASE_FEATURES | IN_ORDER, 2048);
        r.ring().postRx(4);
        assertEquals(2, push(r, frame(60, 1), frame(100, 2)));
        assertEquals(12 + 60, r.ring().descLen(0));
        assertEquals(12 + 100, r.ring().descLen(1), "each buffer's used length, which the driver needs");
        assertTrue(r.ring().isUsed(1));
    }

    @Test
    void popTxTakesAtMostMaxAndResumesWhereItStopped() {
        Q t = tx(BASE_FEATURES);
        for (int i = 0; i < 5; i++) t.ring().send(withHeader(frame(60 + i, i)));
        batch.reset();
        assertEquals(3, t.q().popTx(batch.data, batch.off, batch.len, PacketBatch.MAX_FRAME, 3));
        assertEquals(3 | 1 << 15, t.q().lastAvailIndex());
        assertEquals(3, t.ring().reclaim());
        assertEquals(2, pop(t));
        assertArrayEquals(frame(63, 3), popped(0), "in order");
        assertArrayEquals(frame(64, 4), popped(1));
        assertPositionsAgree(t);
    }

    @ParameterizedTest(name = "ring of {0}")
    @ValueSource(ints = {8, 7, 5, 1})
    void chainsWrapAroundTheRingManyTimes(int size) {
        Q t = queue(1, size, BASE_FEATURES, 2048, 0x8000);
        Random rnd = new Random(size);
        int sent = 0, got = 0, wraps = 0, lastWrap = 1;
        List<byte[]> expected = new ArrayList<>();
        for (int round = 0; round < 400; round++) {
            // a few buffers of 1..3 descriptors (or indirect), as many as fit
            for (int k = rnd.nextInt(4); k > 0; k--) {
                byte[] s = withHeader(frame(14 + rnd.nextInt(300), sent));
                int pieces = Math.min(1 + rnd.nextInt(3), size);
                if (t.ring().freeDescs() < pieces || t.ring().freeIds() == 0) break;
                if (rnd.nextInt(4) == 0 && size > 1) t.ring().sendIndirect(split(s, 1 + rnd.nextInt(4)));
                else t.ring().send(split(s, pieces));
                expected.add(Arrays.copyOfRange(s, 12, s.length));
                sent++;
            }
            int n = pop(t);
            for (int i = 0; i < n; i++) assertArrayEquals(expected.get(got + i), popped(i), "frame " + (got + i));
            got += n;
            t.ring().reclaim();
            assertNull(t.q().fault());
            int w = t.q().lastAvailIndex() >>> 15;
            if (w != lastWrap) { wraps++; lastWrap = w; }
            assertEquals(t.ring().usedCursor(), t.q().lastAvailIndex());
        }
        assertEquals(sent, got, "every frame taken");
        assertTrue(wraps >= 6, "went round the ring several times: " + wraps + " wrap-counter flips");
    }

    private static byte[][] split(byte[] s, int pieces) {
        byte[][] out = new byte[pieces][];
        int at = 0;
        for (int i = 0; i < pieces; i++) {
            int end = i == pieces - 1 ? s.length : Math.min(s.length, at + s.length / pieces);
            out[i] = Arrays.copyOfRange(s, at, end);
            at = end;
        }
        return out;
    }

    @ParameterizedTest(name = "CSUM negotiated: {0}")
    @ValueSource(booleans = {false, true})
    void aTransmittedFramesHeaderIsReadOnlyWhenCsumGivesItMeaning(boolean csum) {
        Q t = tx(BASE_FEATURES | (csum ? 1L << NET_F_CSUM : 0));
        TxHeaderCheck.headerReadOnlyWithCsum(csum, batch, frame(64, 7), f -> t.ring().send(f), () -> pop(t));
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
        assertEquals(4, t.ring().reclaim(), "all four buffers go back to the driver");
    }

    @Test
    void runtAndOversizedFramesAreCompletedAndCountedNotDelivered() {
        Q t = tx(BASE_FEATURES);
        t.ring().send(withHeader(new byte[13]));
        t.ring().send(withHeader(frame(200, 5)));
        t.ring().send(withHeader(frame(100, 6)));
        batch.reset();
        assertEquals(1, t.q().popTx(batch.data, batch.off, batch.len, 150, PacketBatch.BURST));
        assertArrayEquals(frame(100, 6), popped(0), "the good frame lands in the first slot");
        assertEquals(1, t.q().droppedRunt());
        assertEquals(1, t.q().droppedOversize());
        assertEquals(3, t.ring().reclaim(), "all three buffers go back to the driver");
        assertNull(t.q().fault());
    }

    @Test
    void aDescriptorWhoseAvailAndUsedBitsAgreeIsNotTaken() {
        Q t = tx(BASE_FEATURES);
        // AVAIL = USED = 1: a used descriptor of this lap, not an available one
        t.ring().rawDesc(0, t.ring().bufGpa(0), 64, 0, AVAIL | USED);
        assertEquals(0, pop(t));
        t.ring().rawDesc(0, t.ring().bufGpa(0), 64, 0, 0);   // AVAIL = USED = 0: the zeroed ring
        assertEquals(0, pop(t));
        t.ring().rawDesc(0, t.ring().bufGpa(0), 64, 0, USED);   // AVAIL 0, USED 1: available on the next lap only
        assertEquals(0, pop(t));
        assertNull(t.q().fault(), "not available is not a fault");
        assertEquals(1 << 15, t.q().lastAvailIndex());
    }

    // ------------------------------------------------------------------------------------------ receive

    @Test
    void pushRxWithoutMergeableBuffersUsesOneBufferPerFrame() {
        Q r = rx(BASE_FEATURES, 2048);
        assertEquals(RING, r.ring().postRx(RING));
        assertEquals(2, push(r, frame(60, 1), frame(1514, 2)));
        assertEquals(12 + 60, r.ring().descLen(0), "used length counts the header");
        assertEquals(12 + 1514, r.ring().descLen(1));
        assertEquals(WRITE, r.ring().descFlags(0) & WRITE, "a used descriptor the device wrote into says so");
        List<RxPacket> got = r.ring().receive();
        assertEquals(2, got.size());
        assertArrayEquals(frame(60, 1), got.get(0).frame());
        assertArrayEquals(frame(1514, 2), got.get(1).frame());
        assertEquals(1, got.get(0).numBuffers());
        assertArrayEquals(new byte[10], Arrays.copyOf(got.get(0).header(), 10));
        assertEquals(1, call.drain());
        assertPositionsAgree(r);
    }

    @Test
    void pushRxWithoutMergeableBuffersDropsAFrameTooBigForTheBuffer() {
        Q r = rx(BASE_FEATURES, 100);
        r.ring().postRx(2);
        assertEquals(1, push(r, frame(200, 1), frame(80, 2)), "the big frame is dropped, the next one still fits");
        assertEquals(0, which[0], "which is only read (callers pass shared index arrays)");
        assertEquals(80, r.q().lastBytes(), "the delivered frame's bytes");
        assertEquals(1, r.q().lastTooSmall(), "the caller learns the drop is counted by the queue");
        assertEquals(1, r.q().droppedRxTooSmall());
        assertArrayEquals(frame(80, 2), r.ring().receive(false).getFirst().frame());
        assertEquals(1 | 1 << 15, r.q().lastAvailIndex());
        assertNull(r.q().fault(), "a small buffer is not a fault");
    }

    @Test
    void pushRxFillsChainedAndIndirectReceiveBuffers() {
        Q r = rx(BASE_FEATURES, 2048);
        r.ring().postRxChain(12, 100, 1000);
        r.ring().postRxIndirect(50, 1900);
        r.ring().postRx(1);
        assertEquals(3, push(r, frame(1000, 1), frame(1500, 2), frame(64, 3)));
        assertTrue(r.ring().isUsed(0) && r.ring().isUsed(3) && r.ring().isUsed(4), "3-descriptor chain at 0, indirect at 3, single at 4");
        List<RxPacket> got = r.ring().receive(false);
        assertEquals(3, got.size());
        assertArrayEquals(frame(1000, 1), got.get(0).frame());
        assertArrayEquals(frame(1500, 2), got.get(1).frame());
        assertArrayEquals(frame(64, 3), got.get(2).frame());
        assertPositionsAgree(r);
    }

    @Test
    void pushRxWithMergeableBuffersSpreadsAFrameAndSetsNumBuffers() {
        Q r = rx(BASE_FEATURES | MRG, 256);
        r.ring().postRx(RING);
        byte[] big = frame(1000, 7);
        assertEquals(2, push(r, big, frame(60, 8)));
        assertEquals(List.of(256, 256, 256, 244, 72), List.of(r.ring().descLen(0), r.ring().descLen(1), r.ring().descLen(2),
                r.ring().descLen(3), r.ring().descLen(4)));
        List<RxPacket> got = r.ring().receive();
        assertEquals(2, got.size());
        assertEquals(4, got.get(0).numBuffers());
        assertArrayEquals(big, got.get(0).frame());
        assertEquals(1, got.get(1).numBuffers());
        assertArrayEquals(frame(60, 8), got.get(1).frame());
        assertPositionsAgree(r);
    }

    @ParameterizedTest(name = "first descriptor of {0} bytes")
    @ValueSource(ints = {8, 10, 11, 12})
    void pushRxWithMergeableBuffersFindsNumBuffersWhereverTheHeaderLies(int firstLen) {
        Q r = rx(BASE_FEATURES | MRG, 512);
        r.ring().postRxChain(firstLen, 300);
        r.ring().postRx(1);
        byte[] fr = frame(500, 9);
        assertEquals(1, push(r, fr));
        assertNull(r.q().fault(), "num_buffers straddling two descriptors is legal");
        RxPacket p = r.ring().receive().getFirst();
        assertEquals(2, p.numBuffers());
        assertArrayEquals(fr, p.frame());
    }

    @Test
    void pushRxWithMergeableBuffersLeavesTheRingUntouchedWhenAFrameDoesNotFit() {
        Q r = rx(BASE_FEATURES | MRG, 256);
        r.ring().postRx(2);
        int f0 = r.ring().descFlags(0), f1 = r.ring().descFlags(1);
        int l0 = r.ring().descLen(0);
        assertEquals(0, push(r, frame(1000, 1)), "512 bytes of buffers cannot take 1012");
        assertEquals(f0, r.ring().descFlags(0), "nothing published");
        assertEquals(f1, r.ring().descFlags(1));
        assertEquals(l0, r.ring().descLen(0), "not even a length: the descriptor is still the driver's");
        assertEquals(1 << 15, r.q().lastAvailIndex(), "no buffer consumed");
        assertEquals(0, call.drain(), "no interrupt for nothing");
        assertEquals(1, push(r, frame(100, 2)));
        assertArrayEquals(frame(100, 2), r.ring().receive().getFirst().frame());
        assertPositionsAgree(r);
    }

    @Test
    void aBurstThatRunsOutOfBuffersPublishesTheFramesThatFitted() {
        Q r = rx(BASE_FEATURES | MRG, 256);
        r.ring().postRx(3);
        assertEquals(1, push(r, frame(400, 1), frame(400, 2)), "two buffers for the first, one left: not enough");
        List<RxPacket> got = r.ring().receive(false);
        assertEquals(1, got.size());
        assertArrayEquals(frame(400, 1), got.getFirst().frame());
        assertEquals(2 | 1 << 15, r.q().lastAvailIndex());
        assertFalse(r.ring().isUsed(2));
    }

    @Test
    void pushRxWithNoBuffersDeliversNothing() {
        Q r = rx(BASE_FEATURES | MRG, 2048);
        assertEquals(0, push(r, frame(60, 1)));
        assertNull(r.q().fault());
        assertEquals(0, call.drain());
    }

    @Test
    void everyPageTheDeviceWritesIsMarkedInTheDirtyLog() {
        Q r = rx(BASE_FEATURES | MRG, 2048);
        r.ring().postRx(1);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment bitmap = a.allocate(RAM >>> 12 >>> 3, 8);
            mem.setLog(new DirtyLog(bitmap));
            assertEquals(1, push(r, frame(100, 1)));
            assertTrue(dirty(bitmap, r.ring().bufGpa(0) >>> 12), "the receive buffer's page");
            assertTrue(dirty(bitmap, r.ring().descGpa() >>> 12), "the descriptor ring's page (the used descriptor)");
            assertFalse(dirty(bitmap, r.ring().driverEventGpa() >>> 12), "the driver event area is only read");
            mem.setLog(null);
        }
    }

    @Test
    void startMarksTheDeviceEventAreaDirtyAtItsLogAddress() {
        PRing r = PRing.allocate(ram, RING, 256);
        r.reset(0x8000);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment bitmap = a.allocate(RAM >>> 12 >>> 3, 8);
            mem.setLog(new DirtyLog(bitmap));
            PackedVirtqueue q = new PackedVirtqueue(0, "port t queue 0");
            q.setSize(RING);
            long logAt = 3L << 20;
            q.setAddresses(r.descUva(), r.driverEventUva(), r.deviceEventUva(), logAt, true);
            q.setBase(0x8000);
            q.start(mem, BASE_FEATURES);
            assertTrue(dirty(bitmap, logAt >>> 12), "with VHOST_VRING_F_LOG the device area is logged at log_guest_addr");
            mem.setLog(null);
        }
    }

    private static boolean dirty(MemorySegment bitmap, long page) {
        return (bitmap.get(JAVA_LONG, (page >>> 6) << 3) & (1L << (page & 63))) != 0;
    }

    // ------------------------------------------------------------------------------------------ notifications

    @Test
    void withoutEventIdxTheDriverEventFlagsDecide() {
        Q t = tx(BASE_FEATURES);
        t.ring().setDriverEvent(0, EV_DISABLE);
        t.ring().send(withHeader(frame(60, 1)));
        assertEquals(1, pop(t));
        assertEquals(0, call.drain(), "DISABLE: completed silently");
        t.ring().setDriverEvent(0, EV_ENABLE);
        t.ring().send(withHeader(frame(60, 2)));
        t.ring().send(withHeader(frame(60, 3)));
        assertEquals(2, pop(t));
        assertEquals(1, call.drain(), "ENABLE: one interrupt per burst");
        t.ring().setDriverEvent(5, EV_DESC);
        t.ring().send(withHeader(frame(60, 4)));
        assertEquals(1, pop(t));
        assertEquals(1, call.drain(), "DESC is only meaningful with EVENT_IDX: treated as enabled");
    }

    @Test
    void withEventIdxTheDeviceInterruptsWhenItWritesTheDescriptorTheDriverNamed() {
        Q t = tx(BASE_FEATURES | bit(RING_F_EVENT_IDX));
        t.ring().setDriverEvent(2 | 1 << 15, EV_DESC);   // interrupt me when position 2 of lap 1 is used
        t.ring().send(withHeader(frame(60, 1)));
        assertEquals(1, pop(t));
        assertEquals(0, call.drain(), "position 0 used: not yet");
        t.ring().send(withHeader(frame(60, 2)));
        assertEquals(1, pop(t));
        assertEquals(0, call.drain(), "position 1 used: not yet");
        t.ring().send(withHeader(frame(60, 3)));
        t.ring().send(withHeader(frame(60, 4)));
        assertEquals(2, pop(t));
        assertEquals(1, call.drain(), "positions 2 and 3 used: crossed the event once");
        t.ring().send(withHeader(frame(60, 5)));
        assertEquals(1, pop(t));
        assertEquals(0, call.drain(), "the event is behind");
        t.ring().setDriverEvent(0, EV_DISABLE);
        t.ring().send(withHeader(frame(60, 6)));
        assertEquals(1, pop(t));
        assertEquals(0, call.drain(), "DISABLE holds with EVENT_IDX too");
    }

    @Test
    void eventIdxFollowsTheWrapCounterAcrossTheEndOfTheRing() {
        Q t = queue(1, RING, BASE_FEATURES | bit(RING_F_EVENT_IDX), 2048, 6 | 1 << 15);
        t.ring().setDriverEvent(1, EV_DESC);             // position 1 of the lap with wrap counter 0
        t.ring().send(withHeader(frame(60, 1)));
        t.ring().send(withHeader(frame(60, 2)));
        assertEquals(2, pop(t));                         // positions 6, 7: the device wraps to 0 / counter 0
        assertEquals(0, t.q().lastAvailIndex());
        assertEquals(0, call.drain(), "position 1 of the next lap is not written yet");
        t.ring().reclaim();
        t.ring().send(withHeader(frame(60, 3)));
        t.ring().send(withHeader(frame(60, 4)));
        assertEquals(2, pop(t));                         // positions 0, 1 of lap 0
        assertEquals(1, call.drain());
        t.ring().setDriverEvent(7 | 1 << 15, EV_DESC);   // an event on the previous lap is long passed
        t.ring().send(withHeader(frame(60, 5)));
        assertEquals(1, pop(t));
        assertEquals(0, call.drain());
        assertPositionsAgree(t);
    }

    @Test
    void aBurstThatWritesTheWholeRingStillInterruptsOnce() {
        Q t = tx(BASE_FEATURES | bit(RING_F_EVENT_IDX));
        t.ring().setDriverEvent(3 | 1 << 15, EV_DESC);
        for (int i = 0; i < RING; i++) t.ring().send(withHeader(frame(60, i)));
        assertEquals(RING, pop(t));
        assertEquals(0, t.q().lastAvailIndex(), "went once round: position 0, wrap counter 0");
        assertEquals(1, call.drain());
    }

    // ------------------------------------------------------------------------------------------ base and size

    @Test
    void theBaseCarriesThePositionAndTheWrapCounter() {
        Q t = queue(1, 6, BASE_FEATURES, 2048, 4);     // position 4, wrap counter 0
        for (int i = 0; i < 4; i++) t.ring().send(withHeader(frame(60, i)));
        assertEquals(4, pop(t));
        for (int i = 0; i < 4; i++) assertArrayEquals(frame(60, i), popped(i));
        assertEquals(2 | 1 << 15, t.q().lastAvailIndex(), "4, 5 then 0, 1 on the next lap (counter 1)");
        assertEquals(0x80028002, t.q().vringBase(), "GET_VRING_BASE: used half equal to the available half");
        assertPositionsAgree(t);
    }

    @Test
    void aBaseWithTheUsedHalfSetIsReadForItsAvailableHalf() {
        PackedVirtqueue q = new PackedVirtqueue(0, "port t queue 0");
        q.setBase(0x80058005);      // what QEMU sends: avail | used << 16
        assertEquals(0x8005, q.lastAvailIndex());
        q.setBase(0x3);
        assertEquals(3, q.lastAvailIndex());
    }

    @Test
    void aBaseOutsideTheRingIsRefusedAtStart() {
        PRing r = PRing.allocate(ram, RING, 256);
        PackedVirtqueue q = new PackedVirtqueue(0, "port t queue 0");
        q.setSize(RING);
        q.setAddresses(r.descUva(), r.driverEventUva(), r.deviceEventUva(), 0, false);
        q.setBase(RING | 1 << 15);
        VirtqueueFault f = assertThrows(VirtqueueFault.class, () -> q.start(mem, BASE_FEATURES));
        assertTrue(f.getMessage().contains("ring base position 8 is outside the ring of 8 descriptors"), f.getMessage());
        assertFalse(q.ready());
    }

    @Test
    void queueSizesNeedNotBePowersOfTwoButAtMost32768() {
        PackedVirtqueue q = new PackedVirtqueue(0, "port t queue 0");
        for (int bad : new int[] {0, -1, 32769, 65536}) {
            VirtqueueFault f = assertThrows(VirtqueueFault.class, () -> q.setSize(bad));
            assertTrue(f.getMessage().contains("queue size " + bad + " is not between 1 and 32768"), f.getMessage());
        }
        q.setSize(100);
        assertEquals(100, q.size());
        q.setSize(32768);
        assertEquals(32768, q.size());
    }

    @Test
    void ringsOutsideGuestMemoryOrMisalignedAreRefusedAtStart() {
        PackedVirtqueue q = new PackedVirtqueue(2, "port t queue 2");
        q.setSize(RING);
        q.setBase(1 << 15);
        long base = ram.base();
        q.setAddresses(base + RAM - 64, base, base + 4096, 0, false);
        VirtqueueFault f = assertThrows(VirtqueueFault.class, () -> q.start(mem, BASE_FEATURES));
        assertTrue(f.getMessage().contains("port t queue 2: descriptor ring at 0x" + Long.toHexString(base + RAM - 64) + " (128 bytes) is outside guest memory"), f.getMessage());
        q.setAddresses(base, base + RAM, base + 4096, 0, false);
        f = assertThrows(VirtqueueFault.class, () -> q.start(mem, BASE_FEATURES));
        assertTrue(f.getMessage().contains("driver event suppression area at"), f.getMessage());
        q.setAddresses(base, base + 8, base + RAM, 0, false);
        f = assertThrows(VirtqueueFault.class, () -> q.start(mem, BASE_FEATURES));
        assertTrue(f.getMessage().contains("device event suppression area at"), f.getMessage());
        q.setAddresses(base + 8, base + 4096, base + 8192, 0, false);
        f = assertThrows(VirtqueueFault.class, () -> q.start(mem, BASE_FEATURES));
        assertTrue(f.getMessage().contains("is not 16-byte aligned"), f.getMessage());
        q.setAddresses(base, base + 4098, base + 8192, 0, false);
        f = assertThrows(VirtqueueFault.class, () -> q.start(mem, BASE_FEATURES));
        assertTrue(f.getMessage().contains("is not 4-byte aligned"), f.getMessage());
        assertFalse(q.ready());
        assertThrows(VirtqueueFault.class, () -> new PackedVirtqueue(0, "x").start(mem, 0), "no size set");
        assertThrows(VirtqueueFault.class, () -> q.start(null, 0), "no memory table");
    }

    @Test
    void theFactoryPicksTheLayoutTheFeaturesAskFor() {
        assertInstanceOf(PackedVirtqueue.class, Virtqueue.create(bit(F_RING_PACKED) | bit(F_VERSION_1), 0, "x"));
        assertInstanceOf(SplitVirtqueue.class, Virtqueue.create(bit(F_VERSION_1), 0, "x"));
    }

    // ------------------------------------------------------------------------------------------ faults

    /** A way to break a ring after one good buffer was made available, and the fault text expected. */
    record Breakage(String name, Consumer<PRing> breakIt, String expect) {
        @Override public String toString() { return name; }
    }

    static Stream<Arguments> txBreakages() {
        return Stream.of(
                new Breakage("chain longer than what is left of the ring", r -> {
                    for (int k = r.size() - 2; k >= 0; k--) r.put(k, r.bufGpa(1), 64, 1, NEXT);
                }, "descriptor chain at 1 is longer than the 7 descriptor(s) the ring has left (size 8)"),
                new Breakage("chain continuing into a descriptor that is not available", r -> {
                    r.rawAt(1, r.bufGpa(2), 64, 2, AVAIL | USED);  // AVAIL = USED: not available
                    r.put(0, r.bufGpa(1), 64, 1, NEXT);
                }, "descriptor 2 continuing the chain at 1 is not available (flags 0x8080, wrap counter 1)"),
                new Breakage("chain continuing into a descriptor of the wrong lap", r -> {
                    r.rawAt(1, r.bufGpa(2), 64, 2, USED);          // available only with wrap counter 0
                    r.put(0, r.bufGpa(1), 64, 1, NEXT);
                }, "descriptor 2 continuing the chain at 1 is not available (flags 0x8000, wrap counter 1)"),
                new Breakage("descriptor address outside guest memory", r -> r.put(0, 64L << 20, 64, 1, 0),
                        "buffer at guest address 0x4000000 is outside guest memory"),
                new Breakage("descriptor running off the end of guest memory", r -> r.put(0, RAM - 16, 64, 1, 0),
                        "buffer at guest address 0x400000 is outside guest memory"),
                new Breakage("descriptor address near 2^64", r -> r.put(0, -8L, 64, 1, 0),
                        "buffer at guest address 0xfffffffffffffff8 is outside guest memory"),
                new Breakage("buffer id >= ring size", r -> r.put(0, r.bufGpa(1), 64, RING, 0),
                        "buffer id 8 of the chain at 1 is out of ring size 8"),
                new Breakage("buffer id 0xffff in the last descriptor of a chain", r -> {
                    r.put(1, r.bufGpa(2), 64, 0xffff, 0);
                    r.put(0, r.bufGpa(1), 64, 1, NEXT);
                }, "buffer id 65535 of the chain at 1 is out of ring size 8"),
                new Breakage("device-writable descriptor in a transmit chain", r -> r.put(0, r.bufGpa(1), 64, 1, WRITE),
                        "device-writable descriptor in a transmit chain"),
                new Breakage("indirect table length not a multiple of 16", r -> r.put(0, r.indirectGpa(1), 24, 1, INDIRECT),
                        "indirect table length 24 is not a multiple of 16"),
                new Breakage("indirect table of length 0", r -> r.put(0, r.indirectGpa(1), 0, 1, INDIRECT),
                        "indirect table length 0"),
                new Breakage("indirect table outside guest memory", r -> r.put(0, RAM - 16, 32, 1, INDIRECT),
                        "indirect table at 0x3ffff0 is outside guest memory"),
                new Breakage("nested indirect descriptor", r -> {
                    r.setTableDesc(r.indirectGpa(1), 0, r.indirectGpa(2), 16, INDIRECT);
                    r.put(0, r.indirectGpa(1), 16, 1, INDIRECT);
                }, "nested indirect descriptor"),
                new Breakage("indirect descriptor with NEXT", r -> {
                    r.put(1, r.bufGpa(2), 64, 1, 0);
                    r.put(0, r.indirectGpa(1), 16, 1, INDIRECT | NEXT);
                }, "indirect descriptor chained with NEXT"),
                new Breakage("indirect descriptor inside a chain", r -> {
                    r.setTableDesc(r.indirectGpa(2), 0, r.bufGpa(2), 64, 0);
                    r.put(1, r.indirectGpa(2), 16, 1, INDIRECT);
                    r.put(0, r.bufGpa(1), 12, 1, NEXT);
                }, "indirect descriptor chained with NEXT"),
                new Breakage("device-writable entry in an indirect transmit table", r -> {
                    r.setTableDesc(r.indirectGpa(1), 0, r.bufGpa(1), 64, WRITE);
                    r.put(0, r.indirectGpa(1), 16, 1, INDIRECT);
                }, "device-writable descriptor in a transmit chain"),
                new Breakage("indirect entry outside guest memory", r -> {
                    r.setTableDesc(r.indirectGpa(1), 0, r.bufGpa(1), 12, 0);
                    r.setTableDesc(r.indirectGpa(1), 1, 1L << 40, 64, 0);
                    r.put(0, r.indirectGpa(1), 32, 1, INDIRECT);
                }, "buffer at guest address 0x10000000000 is outside guest memory")
        ).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("txBreakages")
    void aBrokenTransmitRingFaultsAndStopsTheQueueWithoutThrowing(Breakage b) {
        Q t = tx(BASE_FEATURES);
        byte[] good = frame(60, 1);
        t.ring().send(withHeader(good));       // position 0, id 0
        b.breakIt().accept(t.ring());          // from position 1 on
        int n = assertDoesNotThrow(() -> pop(t));
        String fault = t.q().fault();
        assertNotNull(fault, "a fault is recorded");
        assertTrue(fault.startsWith("port t queue 1: "), "the fault names the port and queue: " + fault);
        assertTrue(fault.contains(b.expect()), "expected \"" + b.expect() + "\" in: " + fault);
        assertFalse(t.q().ready(), "the queue stops");
        assertEquals(1, n, "the good frame before the broken chain is delivered");
        assertArrayEquals(good, popped(0));
        assertTrue(t.ring().isUsed(0), "it is completed");
        assertFalse(t.ring().isUsed(1), "the broken chain is not");
        assertEquals(1 | 1 << 15, t.q().lastAvailIndex(), "the device stays on the broken chain");
        assertEquals(1, call.drain(), "the driver hears of the good frame");
    }

    @Test
    void indirectDescriptorsWithoutTheFeatureAreAFault() {
        Q t = tx(bit(F_VERSION_1) | bit(F_RING_PACKED));
        t.ring().sendIndirect(withHeader(frame(60, 1)));
        assertEquals(0, pop(t));
        assertTrue(t.q().fault().contains("indirect descriptor without INDIRECT_DESC"), t.q().fault());
        assertFalse(t.ring().isUsed(0));
        assertEquals(1 << 15, t.q().lastAvailIndex());
        assertEquals(0, call.drain(), "nothing completed, no interrupt");
    }

    static Stream<Arguments> rxBreakages() {
        return Stream.of(
                new Breakage("receive buffer outside guest memory", r -> r.put(0, 1L << 40, 2048, 1, WRITE),
                        "buffer at guest address 0x10000000000 is outside guest memory"),
                new Breakage("device-readable descriptor in a receive chain", r -> r.put(0, r.bufGpa(1), 2048, 1, 0),
                        "device-readable descriptor in a receive chain"),
                new Breakage("receive chain longer than the ring", r -> {
                    for (int k = r.size() - 2; k >= 0; k--) r.put(k, r.bufGpa(1), 4, 1, WRITE | NEXT);
                }, "descriptor chain at 1 is longer than the 7 descriptor(s) the ring has left (size 8)"),
                new Breakage("receive chain continuing into a descriptor that is not available", r -> {
                    r.rawAt(1, r.bufGpa(2), 2048, 2, WRITE | AVAIL | USED);
                    r.put(0, r.bufGpa(1), 4, 1, WRITE | NEXT);
                }, "descriptor 2 continuing the chain at 1 is not available"),
                new Breakage("receive buffer id >= ring size", r -> r.put(0, r.bufGpa(1), 2048, 300, WRITE),
                        "buffer id 300 of the chain at 1 is out of ring size 8"),
                new Breakage("indirect receive table with a bad length", r -> r.put(0, r.indirectGpa(1), 17, 1, INDIRECT),
                        "indirect table length 17 is not a multiple of 16"),
                new Breakage("device-readable entry in an indirect receive table", r -> {
                    r.setTableDesc(r.indirectGpa(1), 0, r.bufGpa(1), 2048, 0);
                    r.put(0, r.indirectGpa(1), 16, 1, INDIRECT);
                }, "device-readable descriptor in a receive chain")
        ).map(Arguments::of);
    }

    static Stream<Arguments> rxCases() {
        return rxBreakages().flatMap(a -> Stream.of(Arguments.of(a.get()[0], false), Arguments.of(a.get()[0], true)));
    }

    @ParameterizedTest(name = "{0} (mergeable={1})")
    @MethodSource("rxCases")
    void aBrokenReceiveRingFaultsAndStopsTheQueueWithoutThrowing(Breakage b, boolean mergeable) {
        Q r = rx(BASE_FEATURES | (mergeable ? MRG : 0), 2048);
        r.ring().postRx(1);                      // position 0: a good buffer for the first frame
        b.breakIt().accept(r.ring());
        byte[] first = frame(100, 1);
        int n = assertDoesNotThrow(() -> push(r, first, frame(100, 2)));
        String fault = r.q().fault();
        assertNotNull(fault);
        assertTrue(fault.startsWith("port t queue 0: ") && fault.contains(b.expect()), "expected \"" + b.expect() + "\" in: " + fault);
        assertFalse(r.q().ready());
        assertEquals(1, n, "the frame that had a good buffer is delivered");
        assertTrue(r.ring().isUsed(0));
        assertFalse(r.ring().isUsed(1), "and only its buffer is used");
        assertArrayEquals(first, r.ring().receive(false).getFirst().frame());
        assertEquals(1 | 1 << 15, r.q().lastAvailIndex());
    }

    @Test
    void aMergeableFrameHalfWrittenWhenTheFaultHitsIsNotPublished() {
        Q r = rx(BASE_FEATURES | MRG, 256);
        r.ring().postRx(2);                      // positions 0, 1: good
        r.ring().put(0, 1L << 40, 256, 5, WRITE); // position 2: bad
        // 600 bytes need three buffers: two good ones are filled, the third faults
        assertEquals(0, assertDoesNotThrow(() -> push(r, frame(588, 1))));
        assertNotNull(r.q().fault());
        assertFalse(r.ring().isUsed(0), "no part of the frame is published");
        assertFalse(r.ring().isUsed(1));
        assertEquals(1 << 15, r.q().lastAvailIndex());
        assertEquals(0, call.drain());
    }

    @Test
    void aMergeableHeaderLargerThanTheFirstBufferIsAFault() {
        Q r = rx(BASE_FEATURES | MRG, 256);
        r.ring().postRxChain(8);                 // one buffer of 8 bytes: the 12-byte header does not fit
        r.ring().postRx(1);
        assertEquals(0, assertDoesNotThrow(() -> push(r, frame(100, 1))));
        assertTrue(r.q().fault().contains("receive buffer too small for the virtio-net header"), r.q().fault());
        assertFalse(r.ring().isUsed(0));
    }

    @Test
    void guestMemoryTruncatedUnderTheQueueFaultsItInsteadOfKillingTheThread() {
        // rings in pages 0-2, buffer of id 0 and 1 in page 2, id 2 in page 3: cut the memfd after page 2
        Q t = tx(BASE_FEATURES);
        for (int i = 0; i < 3; i++) t.ring().send(withHeader(frame(60, i)));
        assertTrue(t.ring().bufGpa(1) + 100 < 12288 && t.ring().bufGpa(2) >= 12288, "layout as this test expects");
        ram.truncate(12288);
        int n = assertDoesNotThrow(() -> pop(t), "SIGBUS surfaces as a fault, not as an InternalError in the PMD thread");
        // the JVM raises SIGBUS at a later safepoint, so the burst it hit cannot be split into good and bad
        // frames: none of it may be forwarded (a half-copied frame would carry stale bytes)
        assertEquals(0, n, "no frame of the burst memory vanished under is forwarded");
        assertTrue(t.q().fault().contains("guest memory under the queue is gone"), t.q().fault());
        assertFalse(t.q().ready());
        assertEquals(0, pop(t), "a faulted queue takes nothing more");
    }

    @Test
    void receiveBuffersInTruncatedGuestMemoryFaultTheQueue() {
        Q r = rx(BASE_FEATURES, 2048);
        r.ring().postRx(3);
        ram.truncate(12288);
        int n = assertDoesNotThrow(() -> push(r, frame(60, 1), frame(60, 2), frame(60, 3)));
        assertEquals(0, n, "the burst memory vanished under counts as dropped");
        assertTrue(r.q().fault().contains("guest memory under the queue is gone"), r.q().fault());
        assertFalse(r.q().ready());
    }

    @Test
    void aFaultedQueueRunsAgainOnceTheDriverResetsIt() {
        Q t = tx(BASE_FEATURES);
        t.ring().send(withHeader(frame(60, 1)));
        t.ring().put(0, 1L << 40, 64, 1, 0);
        assertEquals(1, pop(t));
        assertNotNull(t.q().fault());
        // what the control path does on GET_VRING_BASE / SET_VRING_BASE / ... / enable
        t.q().stop();
        t.q().release();
        int base = t.q().lastAvailIndex();
        assertEquals(1 | 1 << 15, base, "the broken chain was not consumed");
        t.ring().reset(base);
        t.q().setBase(base);
        t.q().start(mem, BASE_FEATURES);
        assertNull(t.q().fault(), "a restart clears the fault");
        assertTrue(t.q().ready());
        t.ring().send(withHeader(frame(60, 3)));
        assertEquals(1, pop(t));
        assertArrayEquals(frame(60, 3), popped(0));
        assertPositionsAgree(t);
    }

    @Test
    void aStoppedAndReleasedQueueTakesAndDeliversNothing() {
        Q t = tx(BASE_FEATURES);
        Q r = rx(BASE_FEATURES, 2048);
        t.ring().send(withHeader(frame(60, 1)));
        r.ring().postRx(1);
        t.q().stop();
        r.q().stop();
        assertFalse(t.q().ready());
        t.q().release();
        r.q().release();
        assertEquals(0, assertDoesNotThrow(() -> pop(t)));
        assertEquals(0, assertDoesNotThrow(() -> push(r, frame(60, 1))));
        assertFalse(t.ring().isUsed(0));
        assertFalse(r.ring().isUsed(0));
    }

    @Test
    void randomGarbageInTheRingNeverThrowsAndNeverLeavesTheRing() {
        // a hostile driver writing arbitrary descriptors, flags and indirect tables; the device either takes what
        // is well formed or faults, and then is reset like a driver would
        Random rnd = new Random(7);
        int faults = 0;
        for (boolean mergeable : new boolean[] {false, true}) {
            long f = BASE_FEATURES | bit(RING_F_EVENT_IDX) | (mergeable ? MRG : 0);
            Q t = queue(1, 6, f, 512, 0x8000);
            Q r = queue(0, 6, f, 512, 0x8000);
            for (int round = 0; round < 3000; round++) {
                for (Q x : List.of(t, r)) {
                    PRing ring = x.ring();
                    for (int k = rnd.nextInt(4); k > 0; k--) {
                        int pos = rnd.nextInt(ring.size());
                        long addr = switch (rnd.nextInt(4)) {
                            case 0 -> rnd.nextLong();
                            case 1 -> RAM - rnd.nextInt(64);
                            default -> ring.bufGpa(rnd.nextInt(ring.size()));
                        };
                        int flags = rnd.nextInt(8) | (rnd.nextBoolean() ? AVAIL : 0) | (rnd.nextBoolean() ? USED : 0);
                        if ((flags & INDIRECT) != 0 && rnd.nextBoolean()) {
                            addr = ring.indirectGpa(rnd.nextInt(ring.size()));
                            for (int e = 0; e < 4; e++) ring.setTableDesc(addr, e, ring.bufGpa(rnd.nextInt(ring.size())) , rnd.nextInt(600), rnd.nextInt(8));
                        }
                        ring.rawDesc(pos, addr, rnd.nextInt(1 << rnd.nextInt(17)), rnd.nextInt(10), flags);
                    }
                    ring.setDriverEvent(rnd.nextInt(1 << 16), rnd.nextInt(4));
                }
                assertDoesNotThrow(() -> pop(t));
                int n = 1 + rnd.nextInt(4);
                batch.reset();
                for (int i = 0; i < n; i++) batch.len[i] = 14 + rnd.nextInt(1500);
                assertDoesNotThrow(() -> r.q().pushRx(batch.data, batch.off, batch.len, which, n));
                for (Q x : List.of(t, r)) {
                    int pos = x.q().lastAvailIndex() & 0x7fff;
                    assertTrue(pos < x.ring().size(), "position " + pos + " stays inside the ring");
                    if (x.q().fault() != null) {
                        faults++;
                        x.q().stop();
                        x.q().release();
                        int base = x.q().lastAvailIndex();
                        x.ring().reset(base);
                        x.q().setBase(base);
                        x.q().start(mem, f);
                    }
                }
            }
        }
        assertTrue(faults > 100, "the garbage was noticed: " + faults + " faults");
    }

    @Test
    void aLongMixOfBurstsKeepsBothSidesInStep() {
        // both directions over many laps of a ring whose size is not a power of two, bursts of every size
        Q t = queue(1, 7, BASE_FEATURES, 2048, 0x8000);
        Q r = queue(0, 7, BASE_FEATURES | MRG, 512, 0x8000);
        r.ring().postRx(7);
        Random rnd = new Random(42);
        int sent = 0, got = 0, delivered = 0, received = 0;
        for (int round = 0; round < 2000; round++) {
            for (int k = rnd.nextInt(8); k > 0; k--) {
                if (t.ring().freeDescs() == 0 || t.ring().freeIds() == 0) break;
                t.ring().send(withHeader(frame(14 + rnd.nextInt(1500), sent)));
                sent++;
            }
            batch.reset();
            int n = t.q().popTx(batch.data, batch.off, batch.len, PacketBatch.MAX_FRAME, 1 + rnd.nextInt(PacketBatch.BURST));
            got += n;
            t.ring().reclaim();
            delivered += r.q().pushRx(batch.data, batch.off, batch.len, which, n);
            for (RxPacket p : r.ring().receive()) {
                assertTrue(p.frame().length >= 14);
                received++;
            }
            assertNull(t.q().fault());
            assertNull(r.q().fault());
            assertEquals(t.ring().usedCursor(), t.q().lastAvailIndex());
            assertEquals(r.ring().usedCursor(), r.q().lastAvailIndex());
        }
        assertEquals(delivered, received);
        assertTrue(got > 1000 && delivered > 500, "traffic flowed: " + got + " taken, " + delivered + " delivered");
    }

    // ------------------------------------------------------------------------------------------ DPDK's driver

    static Stream<Arguments> dpdkCases() {
        return Stream.of(
                // ring size, mergeable, mbuf size (data room = mbuf - 128 headroom), seed, IN_ORDER
                Arguments.of(256, true, 2176, 1, true),     // what testpmd's virtio-user port uses
                Arguments.of(256, true, 2176, 1, false),
                Arguments.of(256, false, 2176, 2, false),
                Arguments.of(8, true, 128 + 200, 3, false), // frames spanning up to 8 buffers, across the end of the ring
                Arguments.of(8, true, 128 + 200, 3, true),
                Arguments.of(16, true, 128 + 64, 4, false),
                Arguments.of(7, true, 128 + 300, 5, true),  // a ring size that is not a power of two
                Arguments.of(8, false, 128 + 700, 6, false),// receive buffers too small for some frames
                Arguments.of(32, true, 128 + 100, 7, true));
    }

    /**
     * testpmd's closed loop in miniature, without threads or timing: {@link Dpdk} (DPDK's virtio-net driver on
     * packed rings, step by step as drivers/net/virtio does it) transmits bursts on one queue and receives on
     * another, xvio's queues take, forward and deliver between them. The driver consumes partially (bursts cut to
     * cache lines, small nb_pkts, rounds where it does not poll or cannot refill), frames span several buffers
     * across the end of the ring, and bursts run out of buffers. Every frame must come out once, in order and
     * intact, the driver must never find a used descriptor it cannot account for, and whenever the driver has
     * reaped everything its position and wrap counter must equal the device's.
     */
    @ParameterizedTest(name = "ring {0}, mergeable {1}, mbuf {2}, in-order {4}")
    @MethodSource("dpdkCases")
    void aDpdkDriverAndTheDeviceStayInStepOverManyLaps(int size, boolean mrg, int mbuf, long seed, boolean inOrder) {
        long features = BASE_FEATURES | (mrg ? MRG : 0) | (inOrder ? IN_ORDER : 0);
        Random rnd = new Random(seed);
        Dpdk txd = Dpdk.allocate(ram, size, 2176, 2 * size + 64, mrg);
        Dpdk rxd = Dpdk.allocate(ram, size, mbuf, 2 * size + 64, mrg);
        txd.inOrder = rxd.inOrder = inOrder;
        PackedVirtqueue t = dpdkQueue(1, txd, features), r = dpdkQueue(0, rxd, features);
        rxd.setupRx();
        int room = mbuf - Dpdk.HEADROOM;
        ArrayDeque<byte[]> onTxRing = new ArrayDeque<>(), onRxRing = new ArrayDeque<>();
        long sent = 0, taken = 0, delivered = 0, received = 0, tooSmall = 0, noRoom = 0;
        for (int round = 0; round < 3000; round++) {
            // testpmd transmits a burst (its TX ring may be full of buffers it has not reclaimed yet)
            List<byte[]> burst = new ArrayList<>();
            for (int k = rnd.nextInt(Dpdk.BURST + 1); k > 0; k--) burst.add(frame(14 + rnd.nextInt(rnd.nextBoolean() ? 100 : 1501), (int) sent + burst.size()));
            int s = txd.xmit(burst, rnd);
            onTxRing.addAll(burst.subList(0, s));
            sent += s;
            // xvio: one poll of the TX queue, then the burst goes to the RX queue
            batch.reset();
            int n = t.popTx(batch.data, batch.off, batch.len, PacketBatch.MAX_FRAME, 1 + rnd.nextInt(PacketBatch.BURST));
            for (int i = 0; i < n; i++) assertArrayEquals(onTxRing.poll(), popped(i), "frame " + (taken + i) + " taken from the TX ring");
            taken += n;
            int d = r.pushRx(batch.data, batch.off, batch.len, which, n), tried = d + r.lastTooSmall(), fit = 0;
            for (int i = 0; i < tried; i++)                 // the tried are a prefix; a buffer holds header + room
                if (mrg || batch.len[i] <= room) { onRxRing.add(popped(i)); fit++; }
            assertEquals(d, fit, "delivered: the tried frames that fit a buffer");
            delivered += d;
            tooSmall += r.lastTooSmall();
            noRoom += n - tried;
            // testpmd polls its RX queue (or not, this round), sometimes with few mbufs to refill from
            for (int polls = rnd.nextInt(3); polls > 0; polls--) {
                for (byte[] f : rxd.recv(1 + rnd.nextInt(Dpdk.BURST), rnd.nextInt(4) == 0)) {
                    assertArrayEquals(onRxRing.poll(), f, "frame " + received + " received by the driver");
                    received++;
                }
            }
            assertNull(t.fault());
            assertNull(r.fault());
            if (rnd.nextInt(50) == 0) {
                // the driver reaps everything: now both sides must stand at the same place
                for (List<byte[]> got; !(got = rxd.recv(Dpdk.BURST, false)).isEmpty(); )
                    for (byte[] f : got) { assertArrayEquals(onRxRing.poll(), f, "frame " + received); received++; }
                assertTrue(onRxRing.isEmpty(), onRxRing.size() + " delivered frames the driver cannot see");
                assertEquals(rxd.usedCursor(), r.lastAvailIndex(), "RX ring: driver used position|wrap vs device");
                txd.cleanup(size);
                if (onTxRing.isEmpty()) assertEquals(txd.usedCursor(), t.lastAvailIndex(), "TX ring: driver used position|wrap vs device");
            }
        }
        assertEquals(sent, taken + onTxRing.size());
        assertEquals(delivered, received + onRxRing.size());
        if (!mrg) assertTrue(room >= 1514 || tooSmall > 0, "some frames did not fit a buffer");
        assertTrue(received > 10L * size, "went round the rings many times: " + received + " frames received");
        assertTrue(noRoom > 0, "bursts ran out of receive buffers");
        assertEquals(0, rxd.errors + txd.errors, "the driver saw nothing it had to drop");
    }

    /**
     * PackedRingIT's SIGSTOP in miniature: with the device held off the CPU, testpmd fills its transmit ring and
     * has its whole receive ring refilled; the device then takes the 256 frames in bursts while the driver does
     * not poll, so the receive ring comes back as a whole ring of used descriptors, across its end (the cycle
     * starts at a different position each time). The driver must see all of them and both sides stand together.
     */
    @ParameterizedTest(name = "mergeable {0}")
    @ValueSource(booleans = {true, false})
    void aWholeRingHandedBackAcrossTheEndAfterTheDeviceWasHeldOffIsAllSeen(boolean mrg) {
        long features = BASE_FEATURES | (mrg ? MRG : 0);
        int size = 256;
        Random rnd = new Random(11);
        Dpdk txd = Dpdk.allocate(ram, size, 2176, 2 * size + 64, mrg);
        Dpdk rxd = Dpdk.allocate(ram, size, 2176, 2 * size + 64, mrg);
        PackedVirtqueue t = dpdkQueue(1, txd, features), r = dpdkQueue(0, rxd, features);
        rxd.setupRx();
        ArrayDeque<byte[]> inFlight = new ArrayDeque<>();
        int seq = 0;
        for (int cycle = 0; cycle < 12; cycle++) {
            // the loop runs for a while (moves the starting position), then the device stops
            for (int k = 37 + rnd.nextInt(size); k > 0; ) {
                List<byte[]> burst = new ArrayList<>();
                for (int j = Math.min(k, Dpdk.BURST); j > 0; j--) burst.add(frame(60 + rnd.nextInt(1400), seq++));
                int s = txd.xmit(burst, rnd);
                inFlight.addAll(burst.subList(0, s));
                k -= s;
                forward(t, r, size);
                for (byte[] f : rxd.recv(Dpdk.BURST, false)) assertArrayEquals(inFlight.poll(), f);
            }
            for (List<byte[]> got; !(got = rxd.recv(Dpdk.BURST, false)).isEmpty(); )
                for (byte[] f : got) assertArrayEquals(inFlight.poll(), f);
            assertTrue(inFlight.isEmpty());
            // device held off: the transmit ring fills
            int queued = 0;
            while (true) {
                List<byte[]> burst = new ArrayList<>();
                for (int j = 0; j < Dpdk.BURST; j++) burst.add(frame(60 + rnd.nextInt(1400), seq++));
                int s = txd.xmit(burst, rnd);
                inFlight.addAll(burst.subList(0, s));
                queued += s;
                if (s < burst.size()) break;
            }
            // device back: everything goes to the receive ring while the driver does not poll
            int delivered = forward(t, r, size);
            assertNull(t.fault());
            assertNull(r.fault());
            assertEquals(Math.min(queued, size), delivered, "the device filled the receive ring");
            // the driver polls again: it must see every used descriptor
            int seen = 0;
            for (List<byte[]> got; !(got = rxd.recv(Dpdk.BURST, false)).isEmpty(); )
                for (byte[] f : got) { assertArrayEquals(inFlight.poll(), f); seen++; }
            assertEquals(delivered, seen, "used descriptors the driver did not see");
            assertEquals(rxd.usedCursor(), r.lastAvailIndex());
            // what did not fit is dropped by the device; forget it
            inFlight.clear();
            while (true) {
                batch.reset();
                if (t.popTx(batch.data, batch.off, batch.len, PacketBatch.MAX_FRAME, PacketBatch.BURST) == 0) break;
            }
            txd.cleanup(size);
            assertEquals(txd.usedCursor(), t.lastAvailIndex());
        }
    }

    /** Device rounds until the transmit ring is empty; returns frames delivered to the receive ring. */
    private int forward(PackedVirtqueue t, PackedVirtqueue r, int size) {
        int delivered = 0;
        while (true) {
            batch.reset();
            int n = t.popTx(batch.data, batch.off, batch.len, PacketBatch.MAX_FRAME, PacketBatch.BURST);
            if (n == 0) return delivered;
            for (int i = 0; i < which.length; i++) which[i] = i;
            int d = r.pushRx(batch.data, batch.off, batch.len, which, n);
            delivered += d;
            if (d < n) return delivered;
        }
    }

    /**
     * The same driver and the device on two threads at once, as testpmd and xvio's PMD thread run: no step
     * ordering, only the ring's own (acquire/release) hand-over. The driver checks that what it receives is, in
     * order, a subsequence of what it sent (the device drops only when the driver has no buffers) and that it
     * never meets a used descriptor it cannot account for; at the end both sides are drained and must agree.
     */
    @ParameterizedTest(name = "mergeable {0}, mbuf {1}")
    @MethodSource("concurrentCases")
    void aDpdkDriverOnAnotherThreadNeverSeesAHalfPublishedOrMisplacedUsedDescriptor(boolean mrg, int mbuf) throws Exception {
        long features = BASE_FEATURES | (mrg ? MRG : 0);
        int size = 64;
        Dpdk txd = Dpdk.allocate(ram, size, 2176, 2 * size + 64, mrg);
        Dpdk rxd = Dpdk.allocate(ram, size, mbuf, 2 * size + 64, mrg);
        PackedVirtqueue t = dpdkQueue(1, txd, features), r = dpdkQueue(0, rxd, features);
        rxd.setupRx();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong taken = new java.util.concurrent.atomic.AtomicLong(), pushed = new java.util.concurrent.atomic.AtomicLong();
        Throwable[] deviceError = new Throwable[1];
        Thread device = new Thread(() -> {
            PacketBatch b = new PacketBatch();
            int[] w = new int[PacketBatch.BURST];
            try {
                while (!stop.get()) {
                    b.reset();
                    int n = t.popTx(b.data, b.off, b.len, PacketBatch.MAX_FRAME, PacketBatch.BURST);
                    for (int i = 0; i < w.length; i++) w[i] = i;
                    int d = n == 0 ? 0 : r.pushRx(b.data, b.off, b.len, w, n);
                    taken.addAndGet(n);
                    pushed.addAndGet(d);
                }
            } catch (Throwable e) {
                deviceError[0] = e;
            }
        }, "device");
        device.start();
        Random rnd = new Random(11);
        long sent = 0, received = 0, nextExpected = 0;
        // at least 1.5 s, and until the ring has wrapped ten times (a loaded machine gets up to 30 s for that)
        long start = System.nanoTime(), minEnd = start + 1_500_000_000L, maxEnd = start + 30_000_000_000L;
        try {
            while (System.nanoTime() < minEnd || (received <= 10L * size && System.nanoTime() < maxEnd)) {
                List<byte[]> burst = new ArrayList<>();
                for (int k = rnd.nextInt(Dpdk.BURST + 1); k > 0; k--) burst.add(seqFrame(sent + burst.size(), 14 + rnd.nextInt(1501)));
                sent += txd.xmit(burst, rnd);
                for (byte[] f : rxd.recv(1 + rnd.nextInt(Dpdk.BURST), rnd.nextInt(8) == 0)) {
                    long seq = seqOf(f);
                    assertTrue(seq >= nextExpected && seq < sent, "frame " + seq + " after " + nextExpected + " (sent " + sent + ")");
                    assertArrayEquals(seqFrame(seq, f.length), f, "frame " + seq + " intact");
                    nextExpected = seq + 1;
                    received++;
                }
            }
            // drain: the device takes what is left, the driver reaps it
            long until = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < until && (taken.get() < sent || received < pushed.get())) {
                txd.cleanup(size);
                for (byte[] f : rxd.recv(Dpdk.BURST, false)) {
                    long seq = seqOf(f);
                    assertTrue(seq >= nextExpected && seq < sent);
                    nextExpected = seq + 1;
                    received++;
                }
            }
        } finally {
            stop.set(true);
            device.join();
        }
        assertNull(deviceError[0]);
        assertNull(t.fault());
        assertNull(r.fault());
        assertEquals(sent, taken.get(), "the device took every frame the driver sent");
        assertEquals(pushed.get(), received, "the driver saw every frame the device delivered");
        assertEquals(rxd.usedCursor(), r.lastAvailIndex());
        assertTrue(received > 10L * size, "traffic flowed: " + received);
        assertEquals(0, rxd.errors + txd.errors);
    }

    static Stream<Arguments> concurrentCases() {
        return Stream.of(Arguments.of(true, 2176), Arguments.of(true, 128 + 120), Arguments.of(false, 2176));
    }

    /** A frame of len bytes carrying its sequence number in bytes 6..13 (the source MAC and ethertype). */
    static byte[] seqFrame(long seq, int len) {
        byte[] f = frame(len, (int) seq);
        for (int i = 0; i < 8; i++) f[6 + i] = (byte) (seq >>> (8 * i));
        return f;
    }

    static long seqOf(byte[] f) {
        long s = 0;
        for (int i = 0; i < 8; i++) s |= (f[6 + i] & 0xffL) << (8 * i);
        return s;
    }

    private PackedVirtqueue dpdkQueue(int index, Dpdk d, long features) {
        PackedVirtqueue q = new PackedVirtqueue(index, "port t queue " + index);
        q.setSize(d.size);
        q.setAddresses(d.ram.uva(d.desc), d.ram.uva(d.drvEvent), d.ram.uva(d.devEvent), 0, false);
        q.setBase(1 << 15);                       // virtio-user's SET_VRING_BASE for packed rings
        q.setCall(call);
        q.start(mem, features);
        return q;
    }

    /**
     * DPDK 22.11's virtio-net driver on one packed virtqueue (drivers/net/virtio: virtqueue.h desc_is_used,
     * virtio_rxtx.c virtqueue_dequeue_burst_rx_packed, virtio_recv_pkts_packed, virtio_recv_mergeable_pkts_packed,
     * virtqueue_enqueue_recv_refill_packed, virtio_xmit_pkts_packed, virtqueue_enqueue_xmit_packed(_fast),
     * virtio_xmit_cleanup_normal_packed), with its struct virtqueue fields under their names. Stricter than DPDK
     * in one way: a used descriptor naming a buffer the driver does not have in flight fails the test instead of
     * stalling the queue ("vring descriptor with no mbuf cookie").
     */
    static final class Dpdk {
        static final int BURST = 32, DESC_PER_CACHELINE = 4, HEADROOM = 128, CHAIN_END = 0x8000;
        final GuestRam ram;
        final MemorySegment m;
        final int size, mbufLen, hdrSize = 12;
        final boolean mergeable;
        boolean inOrder;                        // VIRTIO_F_IN_ORDER negotiated (virtio-user's default)
        final long desc, drvEvent, devEvent, txHdr, pool;
        // struct virtqueue
        int usedConsIdx, availIdx, freeCnt, descHeadIdx, descTailIdx, cachedFlags;
        int usedWrapCounter;
        final int[] cookie, ndescs, next;       // vq_descx[]: cookie is an mbuf number, -1 for NULL
        final ArrayDeque<Integer> mempool = new ArrayDeque<>();
        long errors;

        private Dpdk(GuestRam ram, int size, int mbufLen, int mbufs, boolean mergeable) {
            this.ram = ram;
            this.m = ram.segment();
            this.size = size;
            this.mbufLen = mbufLen;
            this.mergeable = mergeable;
            this.desc = ram.alloc(16L * size, 4096);
            this.drvEvent = ram.alloc(4, 64);
            this.devEvent = ram.alloc(4, 64);
            this.txHdr = ram.alloc(32L * size, 64);
            this.pool = ram.alloc((long) mbufLen * mbufs, 64);
            for (int i = 0; i < mbufs; i++) mempool.add(i);
            cookie = new int[size];
            ndescs = new int[size];
            next = new int[size];
            // virtio_init_vring / vring_desc_init_packed
            m.asSlice(desc, 16L * size).fill((byte) 0);
            for (int i = 0; i < size; i++) {
                m.set(JAVA_SHORT, desc + 16L * i + 12, (short) i);
                next[i] = i + 1 < size ? i + 1 : CHAIN_END;
                cookie[i] = -1;
            }
            descHeadIdx = 0;
            descTailIdx = size - 1;
            freeCnt = size;
            usedWrapCounter = 1;
            cachedFlags = AVAIL;
        }

        static Dpdk allocate(GuestRam ram, int size, int mbufLen, int mbufs, boolean mergeable) {
            return new Dpdk(ram, size, mbufLen, mbufs, mergeable);
        }

        long mbufAddr(int mb) { return pool + (long) mb * mbufLen; }
        int usedCursor() { return usedConsIdx | usedWrapCounter << 15; }

        boolean descIsUsed(int idx) {
            int flags = m.get(JAVA_SHORT, desc + 16L * idx + 14) & 0xffff;   // virtqueue_fetch_flags_packed: load-acquire
            VarHandle.acquireFence();
            int used = (flags & USED) != 0 ? 1 : 0, avail = (flags & AVAIL) != 0 ? 1 : 0;
            return avail == used && used == usedWrapCounter;
        }

        private void storeFlags(int idx, int flags) {   // virtqueue_store_flags_packed: store-release
            VarHandle.releaseFence();
            m.set(JAVA_SHORT, desc + 16L * idx + 14, (short) flags);
        }

        private void availIdxInc() {
            if (++availIdx >= size) {
                availIdx -= size;
                cachedFlags ^= AVAIL | USED;
            }
        }

        // ------------------------------------------------------------------ receive

        /** virtio_dev_rx_queue_setup_finish: one mbuf at a time until the ring is full. */
        void setupRx() {
            while (freeCnt > 0) refill(new int[] {mempool.poll()});
        }

        /** virtqueue_enqueue_recv_refill_packed. */
        private void refill(int[] mbufs) {
            for (int mb : mbufs) {
                int idx = availIdx;
                int did = m.get(JAVA_SHORT, desc + 16L * idx + 12) & 0xffff;
                cookie[did] = mb;
                ndescs[did] = 1;
                m.set(JAVA_LONG, desc + 16L * idx, mbufAddr(mb) + HEADROOM - hdrSize);
                m.set(JAVA_INT, desc + 16L * idx + 8, mbufLen - HEADROOM + hdrSize);
                storeFlags(idx, cachedFlags | WRITE);
                availIdxInc();
            }
            freeCnt -= mbufs.length;
        }

        /** virtqueue_dequeue_burst_rx_packed: mbufs and used lengths, up to num. */
        private int dequeue(int[] mbufs, int[] len, int num) {
            int i;
            for (i = 0; i < num; i++) {
                int usedIdx = usedConsIdx;
                if (!descIsUsed(usedIdx)) return i;
                len[i] = m.get(JAVA_INT, desc + 16L * usedIdx + 8);
                int id = m.get(JAVA_SHORT, desc + 16L * usedIdx + 12) & 0xffff;
                if (id >= size || cookie[id] < 0)
                    throw new AssertionError("vring descriptor with no mbuf cookie at " + usedIdx + " (id " + id + ")");
                mbufs[i] = cookie[id];
                cookie[id] = -1;
                freeCnt++;
                if (++usedConsIdx >= size) {
                    usedConsIdx -= size;
                    usedWrapCounter ^= 1;
                }
            }
            return i;
        }

        /**
         * rte_eth_rx_burst(nbPkts): virtio_recv_mergeable_pkts_packed or virtio_recv_pkts_packed, then the
         * refill of every free descriptor (all or nothing: none if allocFails).
         */
        List<byte[]> recv(int nbPkts, boolean allocFails) {
            List<byte[]> out = new ArrayList<>();
            int num = Math.min(nbPkts, BURST);
            if (num > DESC_PER_CACHELINE) num = num - ((usedConsIdx + num) % DESC_PER_CACHELINE);
            int[] mb = new int[BURST], len = new int[BURST];
            num = dequeue(mb, len, num);
            for (int i = 0; i < num; i++) {
                if (len[i] < hdrSize + 14) {
                    errors++;
                    mempool.add(mb[i]);
                    continue;
                }
                long hdr = mbufAddr(mb[i]) + HEADROOM - hdrSize;
                int segNum = mergeable ? m.get(JAVA_SHORT_UNALIGNED, hdr + 10) & 0xffff : 1;
                if (segNum == 0) segNum = 1;
                ByteArrayOutputStream pkt = new ByteArrayOutputStream();
                pkt.writeBytes(ram.read(hdr + hdrSize, len[i] - hdrSize));
                mempool.add(mb[i]);
                int segRes = segNum - 1;
                while (segRes != 0 && i < num - 1) {              // the rest of the packet in this burst
                    i++;
                    pkt.writeBytes(ram.read(mbufAddr(mb[i]) + HEADROOM - hdrSize, len[i]));
                    mempool.add(mb[i]);
                    segRes--;
                }
                while (segRes != 0) {                             // "Last packet still need merge segments"
                    int[] mb2 = new int[BURST], len2 = new int[BURST];
                    int rcv = dequeue(mb2, len2, Math.min(segRes, BURST));
                    if (rcv == 0) throw new AssertionError("No enough segments for packet: " + segRes + " of " + segNum + " buffers not published with its first");
                    for (int k = 0; k < rcv; k++) {
                        pkt.writeBytes(ram.read(mbufAddr(mb2[k]) + HEADROOM - hdrSize, len2[k]));
                        mempool.add(mb2[k]);
                    }
                    segRes -= rcv;
                }
                out.add(pkt.toByteArray());
            }
            if (freeCnt > 0 && !allocFails && mempool.size() >= freeCnt) {
                int[] fresh = new int[freeCnt];
                for (int k = 0; k < fresh.length; k++) fresh[k] = mempool.poll();
                refill(fresh);
            }
            return out;
        }

        // ------------------------------------------------------------------ transmit

        /** virtio_xmit_cleanup_inorder_packed or virtio_xmit_cleanup_normal_packed. */
        void cleanup(int num) {
            if (inOrder) cleanupInOrder(num);
            else cleanupNormal(num);
        }

        /**
         * virtio_xmit_cleanup_inorder_packed: buffer ids are ring positions; one used descriptor frees every buffer
         * from the used position up to the one it names (the loop DPDK runs until it meets that id; here an id
         * that is not in flight fails instead of spinning).
         */
        private void cleanupInOrder(int num) {
            int usedIdx = usedConsIdx, free = 0;
            while (num > 0 && descIsUsed(usedIdx)) {
                int id = m.get(JAVA_SHORT, desc + 16L * usedIdx + 12) & 0xffff;
                if (id >= size || ndescs[id] == 0) throw new AssertionError("used TX descriptor at " + usedIdx + " names buffer " + id + " which is not in flight");
                int curr;
                do {
                    curr = usedIdx;
                    if (ndescs[curr] == 0) throw new AssertionError("in-order cleanup ran past the buffers in flight looking for id " + id);
                    usedIdx += ndescs[curr];
                    free += ndescs[curr];
                    num -= ndescs[curr];
                    if (usedIdx >= size) {
                        usedIdx -= size;
                        usedWrapCounter ^= 1;
                    }
                    ndescs[curr] = 0;
                    mempool.add(cookie[curr]);
                    cookie[curr] = -1;
                } while (curr != id);
            }
            usedConsIdx = usedIdx;
            freeCnt += free;
        }

        /** virtio_xmit_cleanup_normal_packed. */
        private void cleanupNormal(int num) {
            int usedIdx = usedConsIdx;
            while (num-- > 0 && descIsUsed(usedIdx)) {
                int id = m.get(JAVA_SHORT, desc + 16L * usedIdx + 12) & 0xffff;
                if (id >= size || ndescs[id] == 0) throw new AssertionError("used TX descriptor at " + usedIdx + " names buffer " + id + " which is not in flight");
                usedConsIdx += ndescs[id];
                if (usedConsIdx >= size) {
                    usedConsIdx -= size;
                    usedWrapCounter ^= 1;
                }
                // vq_ring_free_id_packed
                freeCnt += ndescs[id];
                ndescs[id] = 0;
                if (descTailIdx == CHAIN_END) descHeadIdx = id;
                else next[descTailIdx] = id;
                descTailIdx = id;
                next[id] = CHAIN_END;
                mempool.add(cookie[id]);
                cookie[id] = -1;
                usedIdx = usedConsIdx;
            }
        }

        /** virtio_xmit_pkts_packed: returns how many frames went on the ring; some take two descriptors (no can_push). */
        int xmit(List<byte[]> pkts, Random rnd) {
            if (pkts.size() > freeCnt) cleanup(pkts.size() - freeCnt);
            int nbTx;
            for (nbTx = 0; nbTx < pkts.size(); nbTx++) {
                byte[] f = pkts.get(nbTx);
                boolean canPush = rnd.nextInt(4) != 0;
                int slots = canPush ? 1 : 2;
                int need = slots - freeCnt;
                if (need > 0) {
                    cleanup(need);
                    need = slots - freeCnt;
                    if (need > 0) break;
                }
                int mb = mempool.poll();
                ram.write(mbufAddr(mb) + HEADROOM, f);
                int id = inOrder ? availIdx : descHeadIdx, headIdx = availIdx, idx = headIdx;
                cookie[id] = mb;
                ndescs[id] = slots;
                int headFlags = cachedFlags;
                if (canPush) {
                    m.asSlice(mbufAddr(mb) + HEADROOM - hdrSize, hdrSize).fill((byte) 0);
                    m.set(JAVA_LONG, desc + 16L * idx, mbufAddr(mb) + HEADROOM - hdrSize);
                    m.set(JAVA_INT, desc + 16L * idx + 8, hdrSize + f.length);
                    m.set(JAVA_SHORT, desc + 16L * idx + 12, (short) id);
                    availIdxInc();
                } else {
                    long h = txHdr + 32L * idx;
                    m.asSlice(h, hdrSize).fill((byte) 0);
                    m.set(JAVA_LONG, desc + 16L * idx, h);
                    m.set(JAVA_INT, desc + 16L * idx + 8, hdrSize);
                    headFlags |= NEXT;
                    availIdxInc();
                    idx = availIdx;
                    m.set(JAVA_LONG, desc + 16L * idx, mbufAddr(mb) + HEADROOM);
                    m.set(JAVA_INT, desc + 16L * idx + 8, f.length);
                    m.set(JAVA_SHORT, desc + 16L * idx + 14, (short) cachedFlags);
                    m.set(JAVA_SHORT, desc + 16L * idx + 12, (short) id);
                    availIdxInc();
                }
                freeCnt -= slots;
                if (!inOrder) {
                    descHeadIdx = next[id];
                    if (descHeadIdx == CHAIN_END) descTailIdx = CHAIN_END;
                }
                storeFlags(headIdx, headFlags);
            }
            return nbTx;
        }
    }

    // ================================================================================================ driver

    /**
     * The driver side of one packed virtqueue in guest memory: raw accessors for every field (to corrupt them),
     * plus a small virtio-net driver (buffer ids, wrap counters, posting receive buffers, transmitting, reaping
     * used descriptors). Buffer id i owns the data buffer at {@link #bufGpa}(i) and an indirect table at
     * {@link #indirectGpa}(i).
     */
    static final class PRing {
        static final int MAX_INDIRECT = 16;
        private final MemorySegment m;
        private final int size, bufSize;
        private final long desc, driverEvent, deviceEvent, bufs, indirects;
        private final GuestRam ram;
        private boolean mergeable;
        private int hdrLen = 12;
        // driver state
        private int nextAvail, availWrap, nextUsed, usedWrap, freeDescs;
        private final ArrayDeque<Integer> freeIds = new ArrayDeque<>();
        private final int[] chainLen;              // descriptors per buffer id in flight (0: not in flight)
        private final long[][] segAddr;            // the buffer's pieces, for reading what the device wrote
        private final int[][] segLen;

        private PRing(GuestRam ram, int size, int bufSize, long desc, long drv, long dev, long bufs, long ind) {
            this.ram = ram;
            this.m = ram.segment();
            this.size = size;
            this.bufSize = bufSize;
            this.desc = desc;
            this.driverEvent = drv;
            this.deviceEvent = dev;
            this.bufs = bufs;
            this.indirects = ind;
            this.chainLen = new int[size];
            this.segAddr = new long[size][];
            this.segLen = new int[size][];
            reset(1 << 15);
        }

        static PRing allocate(GuestRam ram, int size, int bufSize) {
            long d = ram.alloc(16L * size, 4096);
            long drv = ram.alloc(4, 4096);
            long dev = ram.alloc(4, 4096);
            long b = ram.alloc((long) bufSize * size, 64);
            long ind = ram.alloc(16L * MAX_INDIRECT * size, 16);
            return new PRing(ram, size, bufSize, d, drv, dev, b, ind);
        }

        void configure(long features) {
            mergeable = VirtioFeatures.has(features, VirtioFeatures.NET_F_MRG_RXBUF);
            hdrLen = VirtioFeatures.netHeaderLength(features);
        }

        /** Wipes the ring and restarts the driver at base (position | wrap << 15), as after GET_VRING_BASE. */
        void reset(int base) {
            m.asSlice(desc, 16L * size).fill((byte) 0);
            m.asSlice(driverEvent, 4).fill((byte) 0);
            nextAvail = nextUsed = base & 0x7fff;
            availWrap = usedWrap = (base >>> 15) & 1;
            // as a ring that got here would be: used in this lap before the base, in the previous lap from it on
            for (int p = 0; p < size; p++) {
                int w = p < nextAvail ? availWrap : availWrap ^ 1;
                m.set(JAVA_SHORT, desc + 16L * p + 14, (short) (w != 0 ? AVAIL | USED : 0));
            }
            freeDescs = size;
            freeIds.clear();
            for (int i = 0; i < size; i++) freeIds.add(i);
            Arrays.fill(chainLen, 0);
        }

        int size() { return size; }
        long descUva() { return ram.uva(desc); }
        long driverEventUva() { return ram.uva(driverEvent); }
        long deviceEventUva() { return ram.uva(deviceEvent); }
        long descGpa() { return desc; }
        long driverEventGpa() { return driverEvent; }
        long bufGpa(int id) { return bufs + (long) id * bufSize; }
        long indirectGpa(int id) { return indirects + 16L * MAX_INDIRECT * id; }
        int freeDescs() { return freeDescs; }
        int freeIds() { return freeIds.size(); }
        /** The driver's next used position | its used wrap counter << 15. */
        int usedCursor() { return nextUsed | usedWrap << 15; }

        // ---- raw fields
        int descFlags(int pos) { return m.get(JAVA_SHORT, desc + 16L * pos + 14) & 0xffff; }
        int descId(int pos) { return m.get(JAVA_SHORT, desc + 16L * pos + 12) & 0xffff; }
        int descLen(int pos) { return m.get(JAVA_INT, desc + 16L * pos + 8); }
        int deviceEventFlags() { return m.get(JAVA_SHORT, deviceEvent + 2) & 0xffff; }
        void setDriverEvent(int offWrap, int flags) {
            m.set(JAVA_SHORT, driverEvent, (short) offWrap);
            m.set(JAVA_SHORT, driverEvent + 2, (short) flags);
        }

        /** Whether the descriptor at pos is used in the driver's current used lap. */
        boolean isUsed(int pos) {
            int f = descFlags(pos);
            int w = pos >= nextUsed ? usedWrap : usedWrap ^ 1;
            return ((f >>> 7) & 1) == w && ((f >>> 15) & 1) == w;
        }

        /** Writes the whole descriptor at ring position pos, flags exactly as given. */
        void rawDesc(int pos, long addr, int len, int id, int flags) {
            long at = desc + 16L * pos;
            m.set(JAVA_LONG, at, addr);
            m.set(JAVA_INT, at + 8, len);
            m.set(JAVA_SHORT, at + 12, (short) id);
            VarHandle.releaseFence();
            m.set(JAVA_SHORT, at + 14, (short) flags);
        }

        private int posAt(int k) { return (nextAvail + k) % size; }
        private int wrapAt(int k) { return nextAvail + k >= size ? availWrap ^ 1 : availWrap; }
        private static int availBits(int w) { return w != 0 ? AVAIL : USED; }

        /** Writes a descriptor k positions after the next available one, marked available for its lap (not published in driver state). */
        void put(int k, long addr, int len, int id, int flags) {
            rawDesc(posAt(k), addr, len, id, flags | availBits(wrapAt(k)));
        }

        /** Writes a descriptor k positions after the next available one with raw flags. */
        void rawAt(int k, long addr, int len, int id, int flags) {
            rawDesc(posAt(k), addr, len, id, flags);
        }

        void setTableDesc(long table, int i, long addr, int len, int flags) {
            long at = table + 16L * i;
            m.set(JAVA_LONG, at, addr);
            m.set(JAVA_INT, at + 8, len);
            m.set(JAVA_SHORT, at + 12, (short) 0);
            m.set(JAVA_SHORT, at + 14, (short) flags);
        }

        /** Makes a buffer of k descriptors available: the first one's flags written last. Returns its id. */
        private int offer(long[] addr, int[] len, int[] flags, long[] segA, int[] segL) {
            int k = addr.length;
            if (freeDescs < k || freeIds.isEmpty()) throw new IllegalStateException("ring full");
            int id = freeIds.poll();
            for (int i = k - 1; i >= 0; i--) {
                int f = flags[i] | (i < k - 1 ? NEXT : 0) | availBits(wrapAt(i));
                long at = desc + 16L * posAt(i);
                m.set(JAVA_LONG, at, addr[i]);
                m.set(JAVA_INT, at + 8, len[i]);
                m.set(JAVA_SHORT, at + 12, (short) (i == k - 1 ? id : 0));
                VarHandle.releaseFence();
                m.set(JAVA_SHORT, at + 14, (short) f);
            }
            chainLen[id] = k;
            segAddr[id] = segA;
            segLen[id] = segL;
            freeDescs -= k;
            int w = wrapAt(k);
            nextAvail = posAt(k);
            if (k == size) w = availWrap ^ 1;
            availWrap = w;
            return id;
        }

        /** Transmits the concatenation of segments as a chain of one descriptor per segment; returns the id. */
        int send(byte[]... segments) {
            int k = segments.length;
            long[] a = new long[k];
            int[] l = new int[k], f = new int[k];
            int id = freeIds.isEmpty() ? -1 : freeIds.peek();
            if (id < 0) throw new IllegalStateException("no free id");
            long at = bufGpa(id);
            for (int i = 0; i < k; i++) {
                ram.write(at, segments[i]);
                a[i] = at;
                l[i] = segments[i].length;
                at += segments[i].length;
            }
            if (at > bufGpa(id) + bufSize) throw new IllegalArgumentException("segments larger than a buffer");
            return offer(a, l, f, a, l);
        }

        /** Transmits the concatenation of segments through one INDIRECT descriptor. */
        int sendIndirect(byte[]... segments) {
            int id = freeIds.isEmpty() ? -1 : freeIds.peek();
            if (id < 0) throw new IllegalStateException("no free id");
            long table = indirectGpa(id), at = bufGpa(id);
            for (int i = 0; i < segments.length; i++) {
                ram.write(at, segments[i]);
                setTableDesc(table, i, at, segments[i].length, 0);
                at += segments[i].length;
            }
            return offer(new long[] {table}, new int[] {16 * segments.length}, new int[] {INDIRECT}, null, null);
        }

        /** Posts up to n single-descriptor receive buffers of bufSize bytes; returns how many. */
        int postRx(int n) {
            int k = 0;
            while (k < n && freeDescs > 0 && !freeIds.isEmpty()) {
                long a = bufGpa(freeIds.peek());
                offer(new long[] {a}, new int[] {bufSize}, new int[] {WRITE}, new long[] {a}, new int[] {bufSize});
                k++;
            }
            return k;
        }

        /** Posts one receive buffer made of a chain of descriptors of the given lengths. */
        int postRxChain(int... lens) {
            int id = freeIds.peek();
            long[] a = new long[lens.length];
            int[] f = new int[lens.length];
            long at = bufGpa(id);
            for (int i = 0; i < lens.length; i++) {
                a[i] = at;
                f[i] = WRITE;
                at += lens[i];
            }
            if (at > bufGpa(id) + bufSize) throw new IllegalArgumentException("larger than a buffer");
            return offer(a, lens, f, a, lens);
        }

        /** Posts one receive buffer described by an indirect table of the given lengths. */
        int postRxIndirect(int... lens) {
            int id = freeIds.peek();
            long table = indirectGpa(id), at = bufGpa(id);
            long[] a = new long[lens.length];
            for (int i = 0; i < lens.length; i++) {
                a[i] = at;
                setTableDesc(table, i, at, lens[i], WRITE);
                at += lens[i];
            }
            if (at > bufGpa(id) + bufSize) throw new IllegalArgumentException("larger than a buffer");
            return offer(new long[] {table}, new int[] {16 * lens.length}, new int[] {INDIRECT}, a, lens);
        }

        /** The used descriptor at the driver's next used position, or null. Checks the id is in flight. */
        private int[] nextUsedDesc() {
            if (freeDescs == size) return null;    // nothing in flight
            int f = (short) m.get(JAVA_SHORT, desc + 16L * nextUsed + 14) & 0xffff;
            if (((f >>> 7) & 1) != usedWrap || ((f >>> 15) & 1) != usedWrap) return null;
            VarHandle.acquireFence();
            int id = descId(nextUsed), len = descLen(nextUsed);
            if (id >= size || chainLen[id] == 0) throw new IllegalStateException("device returned buffer id " + id + " which is not in flight");
            return new int[] {id, len};
        }

        private void consume(int id) {
            int k = chainLen[id];
            chainLen[id] = 0;
            freeIds.add(id);
            freeDescs += k;
            nextUsed += k;
            if (nextUsed >= size) { nextUsed -= size; usedWrap ^= 1; }
        }

        /** Reaps completed transmit buffers; returns how many. */
        int reclaim() {
            int n = 0;
            for (int[] u; (u = nextUsedDesc()) != null; n++) consume(u[0]);
            return n;
        }

        void reapAllUsed() { reclaim(); }

        private byte[] read(int id, int len) {
            byte[] out = new byte[len];
            int pos = 0;
            for (int i = 0; i < segAddr[id].length && pos < len; i++) {
                int n = Math.min(len - pos, segLen[id][i]);
                MemorySegment.copy(m, JAVA_BYTE, segAddr[id][i], out, pos, n);
                pos += n;
            }
            if (pos < len) throw new IllegalStateException("used length " + len + " is more than buffer " + id + " holds");
            return out;
        }

        List<RxPacket> receive() { return receive(true); }

        /** Reaps received packets (mergeable: num_buffers used descriptors each), re-posting buffers if asked. */
        List<RxPacket> receive(boolean repost) {
            List<RxPacket> out = new ArrayList<>();
            int reposted = 0;
            for (int[] u; (u = nextUsedDesc()) != null; ) {
                byte[] first = read(u[0], u[1]);
                if (first.length < hdrLen) throw new IllegalStateException("used length " + u[1] + " is shorter than the header");
                int nbuf = mergeable ? (first[10] & 0xff) | (first[11] & 0xff) << 8 : 1;
                if (nbuf < 1) throw new IllegalStateException("num_buffers " + nbuf);
                ByteArrayOutputStream data = new ByteArrayOutputStream();
                data.write(first, hdrLen, first.length - hdrLen);
                consume(u[0]);
                for (int k = 1; k < nbuf; k++) {
                    int[] v = nextUsedDesc();
                    if (v == null) throw new IllegalStateException("packet of " + nbuf + " buffers published partly");
                    data.writeBytes(read(v[0], v[1]));
                    consume(v[0]);
                }
                out.add(new RxPacket(Arrays.copyOf(first, hdrLen), data.toByteArray(), nbuf));
                reposted += nbuf;
            }
            if (repost && reposted > 0) postRx(reposted);
            return out;
        }
    }
}
