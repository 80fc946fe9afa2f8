package io.xvio.datapath.conntrack;

import io.xvio.packet.FlowKey;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static io.xvio.datapath.conntrack.Fragmenter.*;
import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The fragment store on its own: datagrams held until whole, tracked as one packet, their fragments sent on as they
 * were; overlapping, tiny, too many, too big and endless fragments rejected and counted (OVS ipf's rules).
 */
class FragmentStoreTest {
    static final long A = ip("10.1.0.1"), B = ip("10.1.0.2");
    static final long NET = 0xfd01000000000000L;
    final ConnTracker ct = new ConnTracker(1024, 2);
    final FragmentStore fs = ct.fragments();
    final FlowKey key = new FlowKey();
    final CtResult res = new CtResult();
    long now = 1_000_000_000_000L;
    final List<byte[]> sent = new ArrayList<>();
    final List<Long> sentState = new ArrayList<>();
    final FragmentStore.Sink sink = (s, off, len, words, at, w, ctAt, rid) -> {
        byte[] b = new byte[len];
        MemorySegment.copy(s, off, MemorySegment.ofArray(b), 0, len);
        sent.add(b);
        sentState.add(w[ctAt]);
        assertEquals(5, rid);
        assertEquals(1, words[at + FlowKey.IN_PORT], "the fragment's key words travel with it");
        return true;
    };

    /** Offers frame f to the store (zone 1, commit); a completed datagram is sent on into sent. */
    int offer(byte[] f) {
        MemorySegment s = MemorySegment.ofArray(f);
        key.extract(s, 0, f.length, 1);
        assertNotEquals(0, key.w[FlowKey.NW_FRAG] & FlowKey.FRAG_ANY, "a fragment");
        int d = fs.offer(key, s, 0, f.length, 1, 1, true, false, null, now, 0, 5, res);
        if (d >= 0) {
            long[] w = new long[FlowKey.WORDS];
            w[FlowKey.CT_MISC] = res.state;
            fs.setResult(d, w);
            assertFalse(fs.drain(1, 0, sink), "nothing left");
        }
        return d;
    }

    int track(byte[] f) {
        MemorySegment s = MemorySegment.ofArray(f);
        key.extract(s, 0, f.length, 1);
        return ct.track(key, s, 0, f.length, 1, true, false, null, now, 0, res);
    }

    long counter(String name) { return ct.stats(now).counters().get(name); }

    @Test
    void aUdpDatagramInThreeFragmentsInAnyOrderIsTrackedOnceAndSentOnAsItWas() {
        int[][] orders = {{0, 1, 2}, {2, 1, 0}, {1, 0, 2}, {1, 2, 0}, {0, 2, 1}, {2, 0, 1}};
        for (int o = 0; o < orders.length; o++) {
            byte[] dgram = v4(A, B, 17, udp(7000 + o, 53, 4000));
            List<byte[]> frags = cut(dgram, 100 + o, 1480);
            assertEquals(3, frags.size());
            sent.clear();
            sentState.clear();
            for (int x = 0; x < 3; x++) {
                int r = offer(frags.get(orders[o][x]).clone());
                if (x < 2) assertEquals(FragmentStore.HELD, r, "held until whole");
                else assertTrue(r >= 0, "the last one completes it");
            }
            assertEquals(hex(frags), hex(sent), "the same fragments, same bytes, in order of offset");
            assertEquals(List.of((long) (CtState.TRK | CtState.NEW), (long) (CtState.TRK | CtState.NEW), (long) (CtState.TRK | CtState.NEW)), sentState);
            assertEquals(CtState.TRK | CtState.EST | CtState.RPL, track(v4(B, A, 17, udp(53, 7000 + o, 10))), "the reply of the committed datagram");
        }
        assertEquals(0, fs.held());
        assertEquals(6, counter("frag-reassembled"));
        assertEquals(18, counter("frag-sent"));
    }

    @Test
    void ipv6FragmentsReassembleToo() {
        byte[] dgram = v6(NET, 1, NET, 2, 17, udp(9000, 9001, 3000));
        List<byte[]> frags = cut(dgram, 0x12345678, 1280);
        assertEquals(3, frags.size());
        assertEquals(FragmentStore.HELD, offer(frags.get(2).clone()));
        assertEquals(FragmentStore.HELD, offer(frags.get(0).clone()));
        assertTrue(offer(frags.get(1).clone()) >= 0);
        assertEquals(hex(frags), hex(sent));
        assertEquals(CtState.TRK | CtState.NEW, sentState.getFirst());
        assertEquals(CtState.TRK | CtState.EST | CtState.RPL, track(v6(NET, 2, NET, 1, 17, udp(9001, 9000, 8))));
    }

    @Test
    void overlappingAndDuplicateFragmentsAreInvalidAndCounted() {
        byte[] dgram = v4(A, B, 17, udp(7100, 53, 4000));
        assertEquals(FragmentStore.HELD, offer(v4Piece(dgram, 9, 0, 1480, true)));
        assertEquals(FragmentStore.INVALID, offer(v4Piece(dgram, 9, 1472, 2952, true)), "overlaps the first");
        assertEquals(CtState.TRK | CtState.INV, res.state);
        assertEquals(FragmentStore.INVALID, offer(v4Piece(dgram, 9, 0, 1480, true)), "a duplicate");
        assertEquals(FragmentStore.INVALID, offer(v4Piece(dgram, 9, 1000, 4008, false)), "reaches into the first");
        assertEquals(3, counter("frag-overlap"));
        assertEquals(FragmentStore.HELD, offer(v4Piece(dgram, 9, 1480, 2960, true)));
        assertTrue(offer(v4Piece(dgram, 9, 2960, 4008, false)) >= 0, "the right ones still complete it");
    }

    @Test
    void tinyNonLastFragmentsAreInvalidAndCounted() {
        byte[] dgram = v4(A, B, 17, udp(7200, 53, 2000));
        assertEquals(FragmentStore.INVALID, offer(v4Piece(dgram, 10, 0, 1000, true)), "1020 bytes < 1200");
        assertEquals(FragmentStore.INVALID, offer(v4Piece(dgram, 11, 0, 8, true)), "8 bytes");
        assertEquals(2, counter("frag-too-small"));
        assertEquals(FragmentStore.HELD, offer(v4Piece(dgram, 12, 0, 1184, true)), "1204 bytes: enough");
        assertEquals(FragmentStore.HELD, offer(v4Piece(dgram, 13, 2000, 2008, false)), "a last fragment may be small");
        byte[] d6 = v6(NET, 1, NET, 2, 17, udp(1, 2, 2000));
        assertEquals(FragmentStore.INVALID, offer(v6Piece(d6, 1, 0, 1224, true)), "1272 bytes < 1280");
        assertEquals(3, counter("frag-too-small"));
    }

    @Test
    void tooManyFragmentsAreInvalidAndCounted() {
        fs.setMaxFragments(3);
        for (int id = 0; id < 3; id++) assertEquals(FragmentStore.HELD, offer(v4Piece(v4(A, B, 17, udp(7300, 53, 3000)), id, 0, 1480, true)));
        assertEquals(FragmentStore.INVALID, offer(v4Piece(v4(A, B, 17, udp(7300, 53, 3000)), 3, 0, 1480, true)), "the store is full");
        assertEquals(1, counter("frag-too-many"));
        assertEquals(3, fs.held());
        fs.setMaxFragments(1000);
        fs.setMinFragmentSize(false, 400);
        byte[] dgram = v4(A, B, 17, udp(7301, 53, 30000));
        int x = 0;
        for (; x < FragmentStore.MAX_PER_DATAGRAM; x++) assertEquals(FragmentStore.HELD, offer(v4Piece(dgram, 77, x * 400, x * 400 + 400, true)));
        assertEquals(FragmentStore.INVALID, offer(v4Piece(dgram, 77, x * 400, x * 400 + 400, true)), "one datagram's limit");
        assertEquals(2, counter("frag-too-many"));
    }

    @Test
    void datagramsOver65535BytesAreDroppedAndCounted() {
        byte[] big = v4(A, B, 17, udp(7400, 53, 65600));       // bytes to cut from
        assertEquals(FragmentStore.INVALID, offer(v4Piece(big, 5, 65528, 65536, false)), "ends beyond 65535");
        assertEquals(1, counter("frag-too-big"));
        int x = 0;
        for (; x < 8; x++) assertEquals(FragmentStore.HELD, offer(v4Piece(big, 6, x * 8000, x * 8000 + 8000, true)));
        assertEquals(FragmentStore.HELD, offer(v4Piece(big, 6, 64000, 65530, false)), "whole, but 65550 bytes of IP");
        assertEquals(List.of(), sent);
        assertEquals(10, counter("frag-too-big"));
        assertEquals(0, fs.held(), "its fragments are gone");
    }

    @Test
    void incompleteDatagramsExpireAfter15SecondsAndAreCounted() {
        byte[] dgram = v4(A, B, 17, udp(7500, 53, 4000));
        assertEquals(FragmentStore.HELD, offer(v4Piece(dgram, 1, 0, 1480, true)));
        assertEquals(FragmentStore.HELD, offer(v4Piece(dgram, 1, 1480, 2960, true)));
        fs.expire(now + 14_000_000_000L, 10);
        assertEquals(2, fs.held());
        fs.expire(now + 15_000_000_001L, 10);
        assertEquals(0, fs.held());
        assertEquals(0, fs.datagrams());
        assertEquals(2, counter("frag-expired"));
        now += 16_000_000_000L;
        assertEquals(FragmentStore.HELD, offer(v4Piece(dgram, 1, 2960, 4008, false)), "the last one alone waits again");
    }

    @Test
    void aNatConnectionTranslatesEveryFragmentAsOvsDoes() {
        long nat = ip("192.168.1.1");
        NatAction snat = NatAction.ipv4(NatAction.Kind.SRC, nat, nat, 0, 0, false, false);
        byte[] dgram = v4(A, B, 17, udp(7600, 53, 3000));
        List<byte[]> frags = cut(dgram, 42, 1480);
        int d = -1;
        for (byte[] f : frags) {
            MemorySegment s = MemorySegment.ofArray(f.clone());
            key.extract(s, 0, f.length, 1);
            d = fs.offer(key, s, 0, f.length, 1, 3, true, false, snat, now, 0, 5, res);
        }
        assertTrue(d >= 0);
        assertNotEquals(0, res.state & CtState.SNAT);
        fs.setResult(d, new long[FlowKey.WORDS]);
        fs.drain(1, 0, sink);
        // the datagram, translated as a whole, must equal the fragments put back together
        byte[] whole = new byte[dgram.length];
        System.arraycopy(sent.getFirst(), 0, whole, 0, 34);
        int at = 34;
        for (byte[] f : sent) {
            assertEquals(nat, get32(f, 26), "source translated in every fragment");
            assertEquals(0xffff, fold(sum(f, 14, 20)), "IPv4 header checksum right");
            System.arraycopy(f, 34, whole, at, f.length - 34);
            at += f.length - 34;
        }
        put16(whole, 16, whole.length - 14);
        put16(whole, 20, 0);
        put16(whole, 24, 0);
        put16(whole, 24, ~fold(sum(whole, 14, 20)));
        assertTrue(checksumsOk(whole), "the UDP checksum in the first fragment covers the translated datagram");
    }

    @Test
    void ipv6FragmentsAfterAnExtensionHeaderReassemble() {
        byte[] dgram = v6(NET, 1, NET, 2, 17, udp(9100, 9101, 3000));
        List<byte[]> frags = new ArrayList<>();
        for (byte[] f : cut(dgram, 0x55, 1280)) {
            // a hop-by-hop header (8 bytes, PadN) between the IPv6 header and the fragment header
            byte[] g = new byte[f.length + 8];
            System.arraycopy(f, 0, g, 0, 54);
            g[54] = 44;
            g[56] = 1;
            g[57] = 4;
            System.arraycopy(f, 54, g, 62, f.length - 54);
            g[20] = 0;
            put16(g, 18, get16(f, 18) + 8);
            frags.add(g);
        }
        assertEquals(FragmentStore.HELD, offer(frags.get(1).clone()));
        assertEquals(FragmentStore.HELD, offer(frags.get(2).clone()));
        assertTrue(offer(frags.get(0).clone()) >= 0);
        assertEquals(CtState.TRK | CtState.NEW, res.state, "the reassembled datagram parses as UDP with a valid checksum");
        assertEquals(hex(frags), hex(sent));
        assertEquals(CtState.TRK | CtState.EST | CtState.RPL, track(v6(NET, 2, NET, 1, 17, udp(9101, 9100, 8))));
    }
}
