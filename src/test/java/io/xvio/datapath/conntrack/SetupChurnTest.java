package io.xvio.datapath.conntrack;

import io.xvio.packet.FlowKey;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every packet a new short-lived connection (the bench's conntrack-setup case): with the PMD's sweep (expire with
 * budget 64 every 8th burst of 32), connections are reclaimed as fast as they are made, so none is refused even
 * in a table much larger than the connections alive (the sweep walks only the slots ever used).
 */
class SetupChurnTest {
    @Test
    void shortLivedConnectionsAreReclaimedAsFastAsTheyAreMade() {
        int capacity = 1 << 20;                               // far more than live: the sweep must not walk empty slots
        ConnTracker t = new ConnTracker(capacity, 1, new Timeouts().set(Timeouts.OTHER_FIRST, 1), true);
        FlowKey key = new FlowKey();
        CtResult out = new CtResult();
        long now = TimeUnit.SECONDS.toNanos(1000), step = TimeUnit.SECONDS.toNanos(1) / 5000;   // 5,000 setups a second
        int packets = 200_000, bursts = 0;                    // 40 s: 40 timeouts, 12 tables' worth of connections
        for (int i = 0; i < packets; i++) {
            byte[] f = Frames.v4(Frames.ip("10.0.0.1"), Frames.ip("10.1.0.0") + i, 17, Frames.udp(1000, 1001, 18));
            MemorySegment s = MemorySegment.ofArray(f);
            key.extract(s, 0, f.length, 1);
            assertEquals(Ct.NEW, t.track(key, s, 0, f.length, 1, true, false, null, now, 0, out), "packet " + i);
            now += step;
            if (i % 32 == 31 && (++bursts & 7) == 0) t.expire(now, 64);
        }
        assertEquals(packets, t.counter(ConnTracker.CREATED));
        assertEquals(0, t.counter(ConnTracker.INV_LIMIT) + t.counter(ConnTracker.INV_TABLE_FULL));
        assertTrue(t.counter(ConnTracker.EXPIRED) > packets - 2 * 5000, "expired " + t.counter(ConnTracker.EXPIRED));
        assertTrue(t.size() < capacity, "size " + t.size());
    }
}
