package io.xvio.datapath.conntrack;

import org.junit.jupiter.api.Test;

import static io.xvio.datapath.conntrack.Ct.*;
import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/** A thread's memo of its last connection is a hint: stale hints give the answers an index lookup gives. */
class ConnMemoTest {
    static final long A = ip("10.0.0.1"), B = ip("10.0.0.2"), C = ip("10.0.0.3");

    @Test
    void remembersTheLastKeyPerThreadAndForgetsIt() {
        ConnMemo m = new ConnMemo(2);
        long[] k1 = {0, 1, 0, 2, 17}, k2 = {0, 2, 0, 1, 17};
        assertEquals(-1, m.find(0, k1));
        assertEquals(-1, m.find(0, new long[5]));       // an empty slot matches no key, not even zeros
        m.put(0, k1, 10);
        m.put(1, k2, 11);
        assertEquals(10, m.find(0, k1));
        assertEquals(-1, m.find(0, k2));                 // per thread
        assertEquals(11, m.find(1, k2));
        m.put(0, k2, 12);                                // the last key only
        assertEquals(-1, m.find(0, k1));
        assertEquals(12, m.find(0, k2));
        m.forget(0);
        assertEquals(-1, m.find(0, k2));
        assertEquals(11, m.find(1, k2));
    }

    @Test
    void aFlushedConnectionWhoseSlotANewOneTookIsNotFoundThroughTheMemo() {
        Ct ct = new Ct(4);
        byte[] ab = v4(A, B, 17, udp(5000, 53, 20)), ba = v4(B, A, 17, udp(53, 5000, 20));
        byte[] cb = v4(C, B, 17, udp(6000, 53, 20));
        assertEquals(NEW, ct.send(ab));
        assertEquals(EST_RPL, ct.send(ba));               // thread 0 remembers the reply direction
        assertEquals(1, ct.tracker.flush(-1, null, ct.now));
        ct.thread = 1;
        assertEquals(NEW, ct.send(cb));                   // another thread's connection takes the freed slot
        assertEquals(EST_RPL, ct.send(v4(B, C, 17, udp(53, 6000, 20))));   // its reply: the slot's reply key
        assertEquals(1, ct.tracker.size());
        ct.thread = 0;
        ct.commit = false;
        assertEquals(NEW, ct.send(ba));                   // a reply without its connection: new, not C's reply
        assertEquals(NEW, ct.send(ab));
        assertEquals(1, ct.tracker.size());
        ct.commit = true;
        assertEquals(NEW, ct.send(ab));
        assertEquals(EST_RPL, ct.send(ba));
        assertEquals(2, ct.tracker.size());
    }

    @Test
    void anExpiredConnectionIsNewAgainThroughTheMemo() {
        Ct ct = new Ct(4);
        byte[] ab = v4(A, B, 17, udp(5000, 53, 20)), ba = v4(B, A, 17, udp(53, 5000, 20));
        assertEquals(NEW, ct.send(ab));
        assertEquals(EST_RPL, ct.send(ba));
        assertEquals(EST, ct.send(ab));
        ct.advanceSeconds(31);
        assertEquals(NEW, ct.send(ab));                   // remembered, expired: a new connection
        assertEquals(NEW, ct.send(ab));
        assertEquals(EST_RPL, ct.send(ba));
        assertEquals(1, ct.tracker.size());
    }

    @Test
    void forceCommitOfAReplyStillEndsTheConnectionWhenRemembered() {
        Ct ct = new Ct(4);
        byte[] ab = v4(A, B, 17, udp(5000, 53, 20)), ba = v4(B, A, 17, udp(53, 5000, 20));
        assertEquals(NEW, ct.send(ab));
        assertEquals(EST_RPL, ct.send(ba));               // the reply direction is the thread's latest
        assertEquals(NEW, ct.send(ba, 0, true, true, null));   // force: ends A->B, commits B->A
        ct.commit = false;
        assertEquals(EST_RPL, ct.send(ab));               // A's packets are now the reply direction
        assertEquals(1, ct.tracker.size());
    }
}
