package io.xvio.control.ovsdb;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/** OVS's alloc_ofp_port on a small range of automatic numbers (1..4) and a clock of the test's. */
class OfportAllocatorTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final OfportAllocator a = new OfportAllocator(4, now::get);
    private final Set<Integer> used = new HashSet<>();

    private int take(Integer wanted) {
        int n = a.take(wanted, used);
        if (n > 0) used.add(n);
        return n;
    }

    private void free(int n) {
        used.remove(n);
        a.freed(n);
    }

    @Test
    void automaticNumbersGoRoundAndSkipOnesFreedWithinTheHour() {
        assertEquals(1, take(null));
        assertEquals(2, take(null));
        free(1);
        assertEquals(3, take(null), "not 1, just freed");
        assertEquals(4, take(null));
        now.addAndGet(OfportAllocator.QUARANTINE_MILLIS - 1);
        free(2);
        assertEquals(1, take(null), "round again: 1 was freed longest ago, and every free number within the hour");
        free(3);
        now.addAndGet(1);
        free(4);
        assertEquals(2, take(null), "the one freed longest ago when none is older than an hour");
        now.addAndGet(OfportAllocator.QUARANTINE_MILLIS);
        assertEquals(3, take(null), "an hour after: usable again");
        assertEquals(4, take(null));
        assertEquals(-1, take(null), "all four in use");
    }

    @Test
    void aWantedNumberIsTakenWhenFreeEvenJustFreedAndOtherwiseAnAutomaticOne() {
        assertEquals(3, take(3));
        free(3);
        assertEquals(3, take(3), "the port's own number back at once (as OVS's request)");
        assertEquals(1, take(3), "in use: an automatic one");
        assertEquals(100, take(100), "above the automatic range: fine when asked for");
        assertEquals(65534, take(65534), "the bridge's LOCAL port");
        assertEquals(2, take(0), "0 is no number");
    }
}
