package io.xvio.datapath.conntrack;

import io.xvio.packet.FlowKey;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static io.xvio.datapath.conntrack.Fragmenter.*;
import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Any order of a datagram's non-overlapping fragments (IPv4 or IPv6, any size and cut) reassembles to the original:
 * tracked once as a valid UDP packet and sent on as the same fragments; fragments with random offsets and sizes
 * (overlapping, tiny, too far) never throw, are each held or rejected and counted, and the store ends up empty.
 */
class FragmentStoreProperties {
    static final long A = ip("10.2.0.1"), B = ip("10.2.0.2"), NET = 0xfd02000000000000L;

    @Property(tries = 100)
    void anyOrderReassembles(@ForAll boolean v6, @ForAll @IntRange(min = 1300, max = 30000) int payload,
                             @ForAll @IntRange(min = 160, max = 1100) int chunk8, @ForAll long seed) {
        ConnTracker ct = new ConnTracker(64, 1);
        FragmentStore fs = ct.fragments();
        int chunk = chunk8 * 8;                       // >= 1280 data bytes: above both minimums
        byte[] dgram = v6 ? v6(NET, 1, NET, 2, 17, udp(1000, 2000, payload)) : v4(A, B, 17, udp(1000, 2000, payload));
        List<byte[]> frags = cut(dgram, (int) seed, chunk);
        net.jqwik.api.Assume.that(frags.size() > 1);
        List<byte[]> order = new ArrayList<>(frags);
        Collections.shuffle(order, new Random(seed));
        FlowKey key = new FlowKey();
        CtResult res = new CtResult();
        List<byte[]> sent = new ArrayList<>();
        int done = 0;
        for (int x = 0; x < order.size(); x++) {
            byte[] f = order.get(x).clone();
            MemorySegment s = MemorySegment.ofArray(f);
            key.extract(s, 0, f.length, 1);
            int d = fs.offer(key, s, 0, f.length, 1, 0, true, false, null, 1L << 40, 0, 3, res);
            if (x < order.size() - 1) {
                assertEquals(FragmentStore.HELD, d);
            } else {
                assertTrue(d >= 0);
                assertEquals(CtState.TRK | CtState.NEW, res.state, "the reassembled datagram is a valid new UDP packet");
                fs.setResult(d, new long[FlowKey.WORDS]);
                fs.drain(1, 0, (sg, off, len, w, at, c, ca, rid) -> {
                    byte[] b = new byte[len];
                    MemorySegment.copy(sg, off, MemorySegment.ofArray(b), 0, len);
                    sent.add(b);
                    return true;
                });
                done++;
            }
        }
        assertEquals(1, done);
        assertEquals(hex(frags), hex(sent));
        assertEquals(0, fs.held());
        assertEquals(1, ct.size(), "one connection committed");
    }

    @Property(tries = 100)
    void randomFragmentsAreHeldOrRejectedAndCounted(@ForAll long seed, @ForAll boolean v6) {
        Random r = new Random(seed);
        ConnTracker ct = new ConnTracker(64, 1);
        FragmentStore fs = ct.fragments();
        byte[] src = v6 ? v6(NET, 1, NET, 2, 17, udp(1, 2, 70000)) : v4(A, B, 17, udp(1, 2, 70000));
        FlowKey key = new FlowKey();
        CtResult res = new CtResult();
        int held = 0, rejected = 0, sent = 0;
        for (int n = 0; n < 40; n++) {
            int start = r.nextInt(4) == 0 ? r.nextInt(8192) * 8 : r.nextInt(6) * 1480;
            int len = r.nextInt(3) == 0 ? 1 + r.nextInt(1500) : 1480;
            if (start + len > 65600) len = 65600 - start;
            boolean more = r.nextInt(5) != 0;
            if (start == 0 && !more) more = true;
            byte[] f = v6 ? v6Piece(src, r.nextInt(3), start, start + len, more) : v4Piece(src, r.nextInt(3), start, start + len, more);
            MemorySegment s = MemorySegment.ofArray(f);
            key.extract(s, 0, f.length, 1);
            if ((key.w[FlowKey.NW_FRAG] & FlowKey.FRAG_ANY) == 0) continue;
            int d = fs.offer(key, s, 0, f.length, 1, 0, true, false, null, 1L << 40, 0, 3, res);
            if (d == FragmentStore.HELD) held++;
            else if (d == FragmentStore.INVALID) { rejected++; assertEquals(CtState.TRK | CtState.INV, res.state); }
            else sent += 1;
            if (d >= 0) fs.drain(1, 0, (sg, off, ln, w, at, c, ca, rid) -> true);
        }
        var c = ct.stats(1L << 40).counters();
        long counted = c.get("frag-overlap") + c.get("frag-too-small") + c.get("frag-too-big") + c.get("frag-too-many")
                + c.get("checksum");
        assertTrue(counted >= rejected, "every rejection counted: " + c + " rejected " + rejected);
        fs.expire((1L << 40) + FragmentStore.TIMEOUT_NANOS + 1, 1000);
        assertEquals(0, fs.held(), "all expired");
        assertEquals(0, fs.datagrams());
    }
}
