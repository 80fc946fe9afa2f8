package io.xvio.datapath.conntrack;

import io.xvio.packet.FlowKey;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.xvio.datapath.conntrack.Fragmenter.cut;
import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Two threads offer the fragments of the same datagrams at once (each datagram's fragments split between them): every
 * datagram completes exactly once, on the thread that brought its last fragment, and all fragments are sent on.
 */
class FragmentStoreConcurrencyTest {
    @Test
    void twoThreadsShareDatagrams() throws Exception {
        for (int round = 0; round < 5; round++) {
            ConnTracker ct = new ConnTracker(4096, 2);
            FragmentStore fs = ct.fragments();
            int n = 300;
            byte[][][] frags = new byte[n][][];
            for (int d = 0; d < n; d++) frags[d] = cut(v4(ip("10.3.0.1"), ip("10.3.0.2"), 17, udp(1000 + d, 53, 4000)), d, 1480).toArray(new byte[0][]);
            AtomicInteger completed = new AtomicInteger(), sent = new AtomicInteger(), held = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread[] ts = new Thread[2];
            for (int t = 0; t < 2; t++) {
                int me = t;
                ts[t] = new Thread(() -> {
                    try {
                        FlowKey key = new FlowKey();
                        CtResult res = new CtResult();
                        long[] w = new long[FlowKey.WORDS];
                        for (int d = 0; d < n; d++) {
                            for (int x = 0; x < 3; x++) {
                                if ((d + x) % 2 != me) continue;
                                byte[] f = frags[d][x];
                                MemorySegment s = MemorySegment.ofArray(f.clone());
                                key.extract(s, 0, f.length, 1);
                                int r = fs.offer(key, s, 0, f.length, 1, 0, true, false, null, 1L << 40, me, 9, res);
                                if (r == FragmentStore.INVALID) throw new AssertionError("rejected: " + ct.stats(1L << 40).counters());
                                if (r == FragmentStore.HELD) { held.incrementAndGet(); continue; }
                                completed.incrementAndGet();
                                assertEquals(CtState.TRK | CtState.NEW, res.state);
                                w[FlowKey.CT_MISC] = res.state;
                                fs.setResult(r, w);
                                assertFalse(fs.drain(1, me, (sg, off, len, words, at, c, ca, rid) -> {
                                    sent.incrementAndGet();
                                    return true;
                                }));
                            }
                        }
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                });
            }
            for (Thread t : ts) t.start();
            for (Thread t : ts) t.join();
            if (failure.get() != null) throw new AssertionError(failure.get());
            assertEquals(n, completed.get());
            assertEquals(3 * n, sent.get());
            assertEquals(2 * n, held.get());
            assertEquals(0, fs.held());
            assertEquals(0, fs.datagrams());
            assertEquals(n, ct.size(), "one connection per datagram");
            List<Long> c = List.of(ct.stats(1L << 40).counters().get("frag-reassembled"), ct.stats(1L << 40).counters().get("frag-sent"));
            assertEquals(List.of((long) n, 3L * n), c);
        }
    }
}
