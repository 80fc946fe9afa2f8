package io.xvio.openflow;

import net.jqwik.api.*;
import net.jqwik.api.constraints.*;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Whatever the packet-ins (ports, times) and however often the OpenFlow thread runs the scheduler: no more leave
 * than the burst plus the rate times the time passed; each one offered leaves, waits or is counted dropped; at most
 * burst wait; and each port's packet-ins leave in their order.
 */
class PacketInSchedulerProperties {
    record Step(int port, int count, long gapNanos, boolean run) {}

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> s = Combinators.combine(Arbitraries.integers().between(1, 6), Arbitraries.integers().between(0, 40),
                Arbitraries.longs().between(0, 30_000_000L), Arbitraries.of(true, false)).as(Step::new);
        return s.list().ofMaxSize(200);
    }

    @Property(tries = 300)
    void boundedByTheBucketAndNothingLost(@ForAll("steps") List<Step> steps, @ForAll @IntRange(min = 100, max = 5000) int rate,
                                         @ForAll @IntRange(min = 0, max = 300) int burstAsked) {
        long start = 7_000_000_000L, now = start;
        PacketInScheduler s = new PacketInScheduler(rate, burstAsked, start);
        List<byte[]> out = new ArrayList<>();
        int offered = 0;
        int[] next = new int[7];
        for (Step st : steps) {
            now += st.gapNanos();
            for (int k = 0; k < st.count(); k++) {
                s.send(st.port(), new byte[] {(byte) st.port(), (byte) (offered >> 16), (byte) (offered >> 8), (byte) offered}, now, out::add);
                offered++;
            }
            if (st.run()) s.run(now, out::add);
            long bound = s.burst() + (now - start) * s.rate() / 1_000_000_000L;
            assertTrue(out.size() <= bound, out.size() + " sent by " + (now - start) + " ns, at most " + bound);
            assertTrue(s.queued() <= s.burst(), "at most burst wait");
            assertEquals(offered, out.size() + s.queued() + s.dropped(), "each one sent, waiting or dropped");
        }
        s.flush(out::add);
        assertEquals(0, s.queued());
        for (byte[] m : out) {                                  // each port's in their order
            int seq = ((m[1] & 0xff) << 16) | ((m[2] & 0xff) << 8) | (m[3] & 0xff);
            assertTrue(seq >= next[m[0]], "port " + m[0] + ": " + seq + " after " + next[m[0]]);
            next[m[0]] = seq + 1;
        }
    }
}
