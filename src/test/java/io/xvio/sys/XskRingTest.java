package io.xvio.sys;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.*;
import static org.junit.jupiter.api.Assertions.*;

/** AF_XDP ring index arithmetic with this test playing the kernel's side, across the 2^32 wrap of the indices. */
class XskRingTest {
    static final long PROD = 0, CONS = 64, FLAGS = 128, DESC = 192;
    private final MemorySegment mem = Arena.ofAuto().allocate(DESC + 8 * 8, 64);

    private XskRing ring(int prod, int cons) {
        mem.set(JAVA_INT, PROD, prod);
        mem.set(JAVA_INT, CONS, cons);
        return new XskRing(mem, PROD, CONS, FLAGS, DESC, 8, 8);
    }

    @Test
    void aProducerSeesRoomOnlyAsTheConsumerFreesItAcrossTheWrap() {
        int start = -3;                                  // 0xfffffffd: wraps after three entries
        XskRing r = ring(start, start);
        assertEquals(8, r.reserve(10));
        for (int i = 0; i < 8; i++) mem.set(JAVA_LONG, r.producerEntry(i), 100 + i);
        r.submit(8);
        assertEquals(start + 8, mem.get(JAVA_INT, PROD), "published");
        assertEquals(5, mem.get(JAVA_INT, PROD));
        assertEquals(0, r.reserve(1), "full");
        assertEquals(8, r.pending());
        // the kernel consumes three: entries at index -3, -2, -1 sit in slots 5, 6, 7
        for (int i = 0; i < 3; i++) assertEquals(100 + i, mem.get(JAVA_LONG, DESC + 8L * ((start + i) & 7)));
        mem.set(JAVA_INT, CONS, start + 3);
        assertEquals(3, r.reserve(4));
        assertEquals(DESC + 8L * (5 & 7), r.producerEntry(0), "next write goes where index 5 maps");
        assertEquals(5, r.pending());
    }

    @Test
    void aConsumerReadsWhatWasPublishedAndGivesItBackAcrossTheWrap() {
        XskRing r = ring(-2, -2);
        assertEquals(0, r.peek(4));
        for (int i = 0; i < 5; i++) mem.set(JAVA_LONG, DESC + 8L * ((-2 + i) & 7), 7 + i);
        mem.set(JAVA_INT, PROD, 3);                      // the kernel published five
        assertEquals(4, r.peek(4));
        assertEquals(5, r.peek(32));
        for (int i = 0; i < 5; i++) assertEquals(7 + i, mem.get(JAVA_LONG, r.consumerEntry(i)));
        r.release(2);
        assertEquals(0, mem.get(JAVA_INT, CONS));
        assertEquals(3, r.peek(32));
        assertEquals(9, mem.get(JAVA_LONG, r.consumerEntry(0)));
        r.release(3);
        assertEquals(3, mem.get(JAVA_INT, CONS));
        assertEquals(0, r.peek(32));
    }

    @Test
    void theNeedWakeupFlagAndBadShapes() {
        XskRing r = ring(0, 0);
        assertFalse(r.needsWakeup());
        mem.set(JAVA_INT, FLAGS, 1);
        assertTrue(r.needsWakeup());
        assertThrows(IllegalArgumentException.class, () -> new XskRing(mem, PROD, CONS, FLAGS, DESC, 6, 8));
        assertThrows(IllegalArgumentException.class, () -> new XskRing(mem, PROD, CONS, FLAGS, DESC, 16, 8));
    }
}
