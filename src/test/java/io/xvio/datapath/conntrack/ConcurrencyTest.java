package io.xvio.datapath.conntrack;

import io.xvio.packet.FlowKey;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;

import static io.xvio.datapath.conntrack.Ct.*;
import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/** Two threads tracking the same connections at once: no lost or duplicate entries, no torn results. */
class ConcurrencyTest {
    static final long A = ip("10.0.0.1"), B = ip("10.0.0.2");
    static final int N = 2000, ROUNDS = 15;
    static final long NOW = 1_000_000_000_000L;

    /** One thread's view: its own key and result, thread index t. */
    static final class Pmd {
        final FlowKey key = new FlowKey();
        final CtResult out = new CtResult();
        final int t;
        Pmd(int t) { this.t = t; }
        int send(ConnTracker ct, byte[] f, int zone, boolean commit) {
            MemorySegment s = MemorySegment.ofArray(f);
            key.extract(s, 0, f.length, 1);
            return ct.track(key, s, 0, f.length, zone, commit, false, null, NOW, t, out);
        }
    }

    @Test
    void bothDirectionsCommittedAtOnceMakeOneConnection() throws Exception {
        ConnTracker ct = new ConnTracker(N * ROUNDS + 16, 2);
        byte[][] q = new byte[N][], r = new byte[N][];
        for (int i = 0; i < N; i++) {
            q[i] = v4(A, B, 17, udp(10000 + i, 53, 8));
            r[i] = v4(B, A, 17, udp(53, 10000 + i, 8));
        }
        int[][] states = new int[2][N * ROUNDS];
        CyclicBarrier start = new CyclicBarrier(2);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread[] ts = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int me = t;
            ts[t] = new Thread(() -> {
                try {
                    Pmd p = new Pmd(me);
                    for (int round = 0; round < ROUNDS; round++) {
                        start.await();
                        for (int i = 0; i < N; i++) {
                            int st = p.send(ct, me == 0 ? q[i] : r[i], round, true);
                            states[me][round * N + i] = st;
                            // the original tuple must be one of the two orientations, whole
                            boolean fromA = p.out.origSrcLo == A;
                            assertEquals(fromA ? B : A, p.out.origDstLo);
                            assertEquals(fromA ? 10000 + i : 53, p.out.origTpSrc);
                            assertEquals(fromA ? 53 : 10000 + i, p.out.origTpDst);
                            assertEquals(round, p.out.zone);
                        }
                    }
                } catch (Throwable e) {
                    failed.compareAndSet(null, e);
                    start.reset();
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) t.join();
        if (failed.get() != null) throw new AssertionError(failed.get());
        assertEquals(N * ROUNDS, ct.size());
        assertEquals(N * ROUNDS, ct.dump(-1, NOW).size());
        for (int k = 0; k < N * ROUNDS; k++) {
            int a = states[0][k], b = states[1][k];
            assertTrue((a == NEW && b == EST_RPL) || (a == EST_RPL && b == NEW), "slot " + k + ": " + a + "/" + b);
        }
    }

    @Test
    void establishedTrafficIsUndisturbedByChurn() throws Exception { churn(true); }

    /**
     * While another thread creates and flushes connections in the same, dense index shards (backward shifts moving
     * entries), a ct() without commit must still find every established connection: a missed lookup would say +new.
     */
    @Test
    void uncommittedLookupsFindEveryConnectionWhileTheIndexChurns() throws Exception { churn(false); }

    private static void churn(boolean commit) throws Exception {
        // dense shards (64 slots each, up to 3/4 full): long clusters, so removals shift entries lookups are passing
        ConnTracker ct = new ConnTracker(commit ? 4096 : 640, 2);
        Pmd main = new Pmd(0);
        byte[][] q = new byte[256][], r = new byte[256][];
        for (int i = 0; i < 256; i++) {
            q[i] = v4(A, B, 17, udp(20000 + i, 53, 8));
            r[i] = v4(B, A, 17, udp(53, 20000 + i, 8));
            main.send(ct, q[i], 1, true);
            main.send(ct, r[i], 1, true);
        }
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread churn = new Thread(() -> {
            try {
                Pmd p = new Pmd(1);
                for (int round = 0; round < (commit ? 40 : 400); round++) {
                    for (int i = 0, n = commit ? 1000 : 380; i < n; i++) p.send(ct, v4(A, B, 17, udp(1024 + i, 99, 8)), 2, true);
                    ct.flush(2, null, NOW);
                }
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        churn.start();
        Pmd p = new Pmd(0);
        while (churn.isAlive()) {
            for (int i = 0; i < 256; i++) {
                assertEquals(EST, p.send(ct, q[i], 1, commit));
                assertEquals(20000 + i, p.out.origTpSrc);
                assertEquals(EST_RPL, p.send(ct, r[i], 1, commit));
                assertEquals(20000 + i, p.out.origTpSrc);
            }
        }
        churn.join();
        if (failed.get() != null) throw new AssertionError(failed.get());
        assertEquals(256, ct.size());
        assertEquals(0, ct.dump(2, NOW).size());
    }

    @Test
    void concurrentSnatGivesEveryConnectionItsOwnPort() throws Exception {
        ConnTracker ct = new ConnTracker(4096, 2);
        long natIp = ip("192.168.0.1");
        NatAction snat = NatAction.ipv4(NatAction.Kind.SRC, natIp, natIp, 0, 0, false, false);
        int perThread = 1000;
        int[][] ports = new int[2][perThread];
        AtomicReference<Throwable> failed = new AtomicReference<>();
        CyclicBarrier start = new CyclicBarrier(2);
        Thread[] ts = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int me = t;
            ts[t] = new Thread(() -> {
                try {
                    FlowKey key = new FlowKey();
                    CtResult out = new CtResult();
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        byte[] f = v4(ip("10." + me + "." + (i >> 8) + "." + (i & 255)), B, 17, udp(5000, 53, 8));
                        MemorySegment s = MemorySegment.ofArray(f);
                        key.extract(s, 0, f.length, 1);
                        assertEquals(NEW | CtState.SNAT, ct.track(key, s, 0, f.length, 0, true, false, snat, NOW, me, out));
                        assertEquals(natIp, get32(f, 26));
                        assertTrue(checksumsOk(f));
                        ports[me][i] = get16(f, 34);
                    }
                } catch (Throwable e) {
                    failed.compareAndSet(null, e);
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) t.join();
        if (failed.get() != null) throw new AssertionError(failed.get());
        java.util.Set<Integer> distinct = new java.util.HashSet<>();
        for (int[] p : ports) for (int port : p) distinct.add(port);
        assertEquals(2 * perThread, distinct.size());           // one reply tuple per connection
        assertEquals(2 * perThread, ct.size());
    }
}
