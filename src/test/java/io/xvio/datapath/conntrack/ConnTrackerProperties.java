package io.xvio.datapath.conntrack;

import io.xvio.packet.FlowKey;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Random packet sequences over a small tuple space (so they hit each other's connections), with random flags,
 * sequence numbers, directions, commit/force/nat and corruption: tracking never throws, every result is a valid
 * ct_state, TCP peers stay in valid states, and the index agrees with the pool.
 */
class ConnTrackerProperties {
    static final long[] HOSTS = {ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.3")};
    static final int[] PORTS = {80, 1000, 1001};
    static final int[] FLAGS = {SYN, SYN | ACK, ACK, ACK | PSH, FIN | ACK, RST, RST | ACK, SYN | FIN, FIN, 0, 0x3f};
    static final NatAction[] NATS = {null, NatAction.APPLY,
            NatAction.ipv4(NatAction.Kind.SRC, ip("192.168.0.1"), ip("192.168.0.2"), 0, 0, false, false),
            NatAction.ipv4(NatAction.Kind.DST, ip("10.0.0.2"), ip("10.0.0.3"), 80, 81, true, false)};

    static byte[] randomFrame(Random r) {
        long src = HOSTS[r.nextInt(3)], dst = HOSTS[r.nextInt(3)];
        int sp = PORTS[r.nextInt(3)], dp = PORTS[r.nextInt(3)];
        int seq = r.nextInt(4) * 1000 + r.nextInt(3), ack = r.nextInt(4) * 1000 + r.nextInt(3);
        byte[] f = switch (r.nextInt(6)) {
            case 0, 1 -> v4(src, dst, 6, tcp(sp, dp, FLAGS[r.nextInt(FLAGS.length)], seq, ack, r.nextInt(3) * 30000,
                    r.nextInt(3) * 10, r.nextBoolean() ? new byte[0] : new byte[]{1, 3, 3, (byte) r.nextInt(16)}));
            case 2 -> v4(src, dst, 17, udp(sp, dp, r.nextInt(4)));
            case 3 -> v4(src, dst, 1, r.nextBoolean() ? icmp(r.nextInt(2) * 8, 0, sp, 1)
                    : icmpError(3, 1, v4(dst, src, 17, udp(dp, sp, 0))));
            case 4 -> v6(0, src, 0, dst, r.nextBoolean() ? 6 : 58, r.nextBoolean()
                    ? tcp(sp, dp, FLAGS[r.nextInt(FLAGS.length)], seq, ack, 30000, 0, new byte[0]) : icmp(128 + r.nextInt(2), 0, 1, 1));
            default -> v4(src, dst, 47, new byte[r.nextInt(8)]);
        };
        if (r.nextInt(8) == 0) f[14 + r.nextInt(f.length - 14)] ^= (byte) (1 << r.nextInt(8));   // corruption
        return f;
    }

    static void assertValid(int st) {
        assertTrue((st & CtState.TRK) != 0, CtState.format(st));
        int kinds = Integer.bitCount(st & (CtState.NEW | CtState.EST | CtState.REL | CtState.INV));
        assertEquals(1, kinds, CtState.format(st));
        // an invalid packet of a NAT connection is still translated (snat/dnat set), as in OVS's process_one()
        if ((st & CtState.INV) != 0) assertEquals(0, st & (CtState.NEW | CtState.EST | CtState.REL | CtState.RPL));
        if ((st & CtState.RPL) != 0) assertTrue((st & (CtState.EST | CtState.REL)) != 0, CtState.format(st));
        assertNotEquals(CtState.SNAT | CtState.DNAT, st & (CtState.SNAT | CtState.DNAT), CtState.format(st));
    }

    @Property(tries = 200)
    void randomSequencesKeepValidStates(@ForAll long seed, @ForAll boolean checksums) {
        Random r = new Random(seed);
        ConnTracker ct = new ConnTracker(48, 1, new Timeouts(), checksums);
        FlowKey key = new FlowKey();
        CtResult out = new CtResult();
        long now = 1_000_000_000_000L;
        for (int i = 0; i < 300; i++) {
            byte[] f = randomFrame(r);
            MemorySegment s = MemorySegment.ofArray(f);
            key.extract(s, 0, f.length, 1);
            int zone = r.nextInt(2);
            int st = ct.track(key, s, 0, f.length, zone, r.nextInt(4) != 0, r.nextInt(10) == 0,
                    NATS[r.nextInt(NATS.length)], now, 0, out);
            assertValid(st);
            assertEquals(st, out.state);
            if (r.nextInt(50) == 0) now += r.nextInt(100) * 1_000_000_000L;
            if (r.nextInt(20) == 0) ct.expire(now, r.nextInt(64));
        }
        ConnPool p = ct.pool;
        int alive = 0;
        for (int c = 0; c < p.capacity; c++) {
            if (!p.alive(c)) continue;
            alive++;
            for (int d = 0; d < 2; d++) {
                int ref = c * 2 + d;
                if (d == 1 && p.keyEquals(ref, p.rec, c * ConnPool.STRIDE)) continue;   // to itself: one key
                assertEquals(ref, ct.index.find(p.rec, ConnPool.keyBase(ref), ConnIndex.hash(p.rec, ConnPool.keyBase(ref))));
                assertTrue(p.pstate[ref] >= 0 && p.pstate[ref] <= TcpTracker.TIME_WAIT);
            }
        }
        assertEquals(alive, ct.size());
    }

    @Property(tries = 500)
    void arbitraryBytesNeverThrow(@ForAll @Size(max = 120) byte[] tail, @ForAll boolean v6, @ForAll boolean commit) {
        byte[] f = new byte[14 + tail.length];
        f[12] = (byte) (v6 ? 0x86 : 0x08);
        f[13] = (byte) (v6 ? 0xdd : 0x00);
        System.arraycopy(tail, 0, f, 14, tail.length);
        if (tail.length > 0) f[14] = (byte) ((f[14] & 0x0f) | (v6 ? 0x60 : 0x40));
        ConnTracker ct = new ConnTracker(8, 1, new Timeouts(), false);
        FlowKey key = new FlowKey();
        CtResult out = new CtResult();
        MemorySegment s = MemorySegment.ofArray(f);
        key.extract(s, 0, f.length, 1);
        for (NatAction n : NATS) assertValid(ct.track(key, s, 0, f.length, 3, commit, false, n, 1, 0, out));
    }
}
