package io.xvio.port;

import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The capture ring's promise: frames come out in the order they went in, cut to snaplen with their original length
 * and time, none lost silently: every frame offered is either taken out or counted as dropped, and a frame is dropped
 * only when it does not fit the space the consumer has not freed (wrap-around included); with several producer
 * threads each thread's frames keep their order.
 */
class CaptureRingProperties {
    private static final MemorySegment SRC = Arena.ofAuto().allocate(70_000, 8);

    /** Fills the source with frame n's pattern (its bytes say which frame and where) for len bytes. */
    private static void pattern(long n, int len) {
        for (int i = 0; i < len; i++) SRC.set(ValueLayout.JAVA_BYTE, i, (byte) (n * 31 + i));
    }

    private static void checkPattern(MemorySegment d, long off, long n, int cap) {
        for (int i = 0; i < cap; i++)
            if (d.get(ValueLayout.JAVA_BYTE, off + i) != (byte) (n * 31 + i)) fail("frame " + n + " byte " + i + " differs");
    }

    /** One step: offer a frame of len bytes (len >= 0) or poll up to -len frames. */
    @Provide
    Arbitrary<List<Integer>> steps() {
        return Arbitraries.oneOf(Arbitraries.integers().between(0, 120), Arbitraries.integers().between(0, 3000),
                Arbitraries.integers().between(-8, -1)).list().ofMaxSize(600);
    }

    @Property(tries = 300)
    void whatGoesInComesOutInOrderAndOverflowIsCounted(@ForAll("steps") List<Integer> steps,
                                                         @ForAll @IntRange(min = 10, max = 14) int log2Capacity,
                                                         @ForAll @IntRange(min = 1, max = 400) int snaplen) {
        int capacity = 1 << log2Capacity;
        CaptureRing r = new CaptureRing(capacity, snaplen);
        ArrayDeque<long[]> model = new ArrayDeque<>();   // accepted, not yet taken: {n, len, bytes}
        long n = 0, dropped = 0, used = 0;
        for (int s : steps) {
            if (s >= 0) {
                pattern(n, s);
                int rec = (CaptureRing.HEADER + Math.min(s, snaplen) + 7) & ~7;
                boolean took = r.offer(0, SRC, 0, s, 1000 + n);
                // it fits with or without the padding to the ring's end: a frame is refused only when even a
                // record at the ring's start would not fit what the consumer has not freed
                if (used + rec <= capacity - slack(r, capacity, used, model)) assertTrue(took, "frame " + n + " of " + s + " bytes refused with " + used + " used");
                if (used + rec > capacity) assertFalse(took, "frame " + n + " accepted past capacity");
                if (took) {
                    model.add(new long[] {n, s});
                    used = usedBytes(model, snaplen, capacity);
                } else {
                    dropped++;
                }
                n++;
            } else {
                for (int k = 0; k < -s; k++) {
                    long[] want = model.poll();
                    long[] got = take(r);
                    if (want == null) {
                        assertNull(got, "a frame came out that was never accepted");
                        break;
                    }
                    assertNotNull(got, "frame " + want[0] + " was accepted but does not come out");
                    assertArrayEquals(new long[] {want[0], Math.min(want[1], snaplen), want[1]}, got);
                }
                used = usedBytes(model, snaplen, capacity);
            }
            assertEquals(dropped, r.dropped());
        }
        for (long[] want; (want = model.poll()) != null; ) assertEquals(want[0], take(r)[0]);
        assertNull(take(r), "nothing more than what was accepted");
    }

    // an exact model of the padding is the ring itself; the property only claims: a frame whose record fits in
    // capacity minus a largest-record slack is always accepted
    private static long slack(CaptureRing r, int capacity, long used, ArrayDeque<long[]> model) {
        return (CaptureRing.HEADER + r.snaplen() + 7 & ~7) + 8;
    }

    private static long usedBytes(ArrayDeque<long[]> model, int snaplen, int capacity) {
        long u = 0;
        for (long[] f : model) u += (CaptureRing.HEADER + Math.min(f[1], snaplen) + 7) & ~7;
        return u;
    }

    /** The next frame as {n (from its time stamp), captured length, original length}, checking its bytes; null if none. */
    private static long[] take(CaptureRing r) {
        long[][] out = {null};
        boolean any = r.poll((data, off, cap, orig, nanos) -> {
            checkPattern(data, off, nanos - 1000, cap);
            out[0] = new long[] {nanos - 1000, cap, orig};
        });
        assertEquals(any, out[0] != null);
        return out[0];
    }

    @Test
    void severalProducersKeepTheirOwnOrderAndNothingIsLostUncounted() throws Exception {
        CaptureRing r = new CaptureRing(1 << 14, 200);
        int threads = 3, per = 200_000;
        AtomicBoolean done = new AtomicBoolean();
        List<Thread> ps = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            ps.add(Thread.ofPlatform().start(() -> {
                MemorySegment src = Arena.ofConfined().allocate(64);
                for (int i = 0; i < per; i++) {
                    src.set(ValueLayout.JAVA_INT, 0, id);
                    src.set(ValueLayout.JAVA_INT, 4, i);
                    r.offer(id, src, 0, 8 + (i % 50), ((long) id << 32) | i);
                }
            }));
        }
        long[] last = new long[threads];
        java.util.Arrays.fill(last, -1);
        long[] got = {0};
        Thread consumer = Thread.ofPlatform().start(() -> {
            while (true) {
                boolean finished = done.get();
                boolean any = r.poll((data, off, cap, orig, nanos) -> {
                    int id = data.get(ValueLayout.JAVA_INT, off), i = data.get(ValueLayout.JAVA_INT, off + 4);
                    assertEquals(nanos, ((long) id << 32) | i);
                    assertEquals(8 + (i % 50), orig);
                    assertTrue(i > last[id], "thread " + id + ": frame " + i + " after " + last[id]);
                    last[id] = i;
                    got[0]++;
                });
                if (!any && finished) return;
            }
        });
        for (Thread p : ps) p.join();
        done.set(true);
        consumer.join();
        assertEquals((long) threads * per, got[0] + r.dropped(), "every frame taken out or counted as dropped");
        assertTrue(got[0] > 0);
    }
}
