package io.xvio.openflow;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * OVS's pinsched semantics: the first burst goes straight on, then packet-ins wait per in_port and leave round robin
 * as tokens come (a busy port cannot starve a quiet one); at most burst wait, the longest queue losing its oldest.
 */
class PacketInSchedulerTest {
    private static byte[] m(int port, int n) { return new byte[] {(byte) port, (byte) n}; }

    @Test
    void burstThenRoundRobinPerPort() {
        List<byte[]> out = new ArrayList<>();
        long now = 0;
        PacketInScheduler s = new PacketInScheduler(100, 25, now);     // 10 ms a token
        for (int k = 0; k < 25; k++) s.send(1, m(1, k), now, out::add);
        assertEquals(25, out.size(), "the burst passes at once");
        for (int k = 0; k < 10; k++) s.send(1, m(1, 100 + k), now, out::add);
        for (int k = 0; k < 3; k++) s.send(2, m(2, k), now, out::add);
        assertEquals(25, out.size(), "no tokens: they wait");
        assertEquals(13, s.queued());
        out.clear();
        for (int t = 0; t < 6; t++) {
            now += 10_000_000L;
            assertEquals(1, s.run(now, out::add), "one token each 10 ms");
        }
        int[] ports = out.stream().mapToInt(b -> b[0]).toArray();
        assertArrayEquals(new int[] {1, 2, 1, 2, 1, 2}, ports, "port 2's few are not stuck behind port 1's many");
        assertEquals(7, s.queued());
        now += 1_000_000_000L;                          // a second: the bucket is full again, all go (at most 50 a run)
        out.clear();
        assertEquals(7, s.run(now, out::add));
        for (int k = 0; k < out.size(); k++) assertEquals(103 + k, out.get(k)[1], "port 1's in their order");
        assertEquals(0, s.dropped());
    }

    @Test
    void atMostBurstWaitAndTheLongestQueueLoses() {
        List<byte[]> out = new ArrayList<>();
        PacketInScheduler s = new PacketInScheduler(100, 25, 0);
        for (int k = 0; k < 25; k++) s.send(9, m(9, k), 0, out::add);        // the burst
        for (int k = 0; k < 20; k++) s.send(1, m(1, k), 0, out::add);
        for (int k = 0; k < 5; k++) s.send(2, m(2, k), 0, out::add);
        assertEquals(25, s.queued());
        s.send(2, m(2, 5), 0, out::add);                                         // one too many: port 1's oldest goes
        s.send(3, m(3, 0), 0, out::add);
        assertEquals(2, s.dropped());
        assertEquals(25, s.queued());
        out.clear();
        s.flush(out::add);
        assertEquals(25, out.size());
        assertEquals(1, out.get(0)[0]);
        assertEquals(2, out.get(0)[1], "port 1's two oldest were dropped");
        assertEquals(6, out.stream().filter(b -> b[0] == 2).count(), "port 2 lost none");
        assertEquals(1, out.stream().filter(b -> b[0] == 3).count());
    }

    @Test
    void defaultsAndMinimumsAsOvs() {
        assertEquals(250, new PacketInScheduler(1000, 0, 0).burst(), "burst defaults to rate / 4");
        assertEquals(100, new PacketInScheduler(10, 0, 0).rate(), "rate at least 100");
        assertEquals(25, new PacketInScheduler(100, 0, 0).burst(), "burst at least 25");
        assertEquals(PacketInLimits.DEFAULT_RATE, PacketInLimits.of(0, 50).rate(), "a burst alone: OVS's rate of 1000");
        assertNull(PacketInLimits.of(0, 0), "neither set: no limit");
        assertThrows(IllegalArgumentException.class, () -> new PacketInLimits(99, 0));
        assertThrows(IllegalArgumentException.class, () -> new PacketInLimits(100, 24));
    }
}
