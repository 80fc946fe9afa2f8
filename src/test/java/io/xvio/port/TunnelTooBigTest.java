package io.xvio.port;

import io.xvio.datapath.tunnel.*;
import io.xvio.packet.Checksum;
import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A frame too big for the underlay after encapsulation: dropped and counted, and (IPv4 with DF) answered with an ICMP
 * "fragmentation needed" carrying the overlay's MTU, which comes back encapsulated as if the remote endpoint had sent
 * it, so the underlay decapsulates it with the remote's tunnel metadata; at most a ring's worth per thread waits.
 */
class TunnelTooBigTest {
    /** Big-endian reads and writes (the tunnel package's own helper is package-private). */
    static final class BE {
        static void put16(MemorySegment s, long o, long v) { s.set(JAVA_BYTE, o, (byte) (v >>> 8)); s.set(JAVA_BYTE, o + 1, (byte) v); }
        static void put32(MemorySegment s, long o, long v) { put16(s, o, v >>> 16); put16(s, o + 2, v); }
        static void putMac(MemorySegment s, long o, long mac) { put16(s, o, mac >>> 32); put32(s, o + 2, mac); }
        static int u8(MemorySegment s, long o) { return s.get(JAVA_BYTE, o) & 0xff; }
        static int u16(MemorySegment s, long o) { return u8(s, o) << 8 | u8(s, o + 1); }
        static long u32(MemorySegment s, long o) { return (long) u16(s, o) << 16 | u16(s, o + 2); }
        static long mac(MemorySegment s, long o) { return (long) u16(s, o) << 32 | u32(s, o + 2); }
    }

    static final long SRC_MAC = 0x02_00_00_00_00_0aL, DST_MAC = 0x02_00_00_00_00_0bL;

    /** An IPv4 UDP frame of len bytes from 10.0.0.1 to 10.0.0.2, DF set or not. */
    static void ipv4(PacketBatch b, int i, int len, boolean df) {
        MemorySegment d = b.data;
        long o = b.off[i];
        for (int k = 0; k < len; k++) d.set(JAVA_BYTE, o + k, (byte) k);
        BE.putMac(d, o, DST_MAC);
        BE.putMac(d, o + 6, SRC_MAC);
        BE.put16(d, o + 12, 0x0800);
        long ip = o + 14;
        BE.put32(d, ip, 0x4500_0000L | (len - 14));
        BE.put32(d, ip + 4, df ? 0x1234_4000L : 0x1234_0000L);
        BE.put32(d, ip + 8, 64L << 24 | 17L << 16);
        BE.put32(d, ip + 12, 0x0a00_0001L);
        BE.put32(d, ip + 16, 0x0a00_0002L);
        BE.put16(d, ip + 10, ~Checksum.fold(Checksum.sum(d, ip, 20)) & 0xffff);
        BE.put32(d, ip + 20, 5000L << 16 | 6000);
        BE.put32(d, ip + 24, (long) (len - 34) << 16);
        b.len[i] = len;
    }

    static TunnelPort port(TunnelPortTest.Capture up, TooBigAnswers answers) throws Exception {
        TunnelConfig cfg = TunnelConfig.parse(java.util.Map.of("type", "vxlan", "remote_ip", "172.31.0.2", "key", "100"), "vx0");
        TunnelPort p = new TunnelPort("vx0", 10, cfg);
        p.setEgress(new TunnelPort.Egress(header(), up, 1500, "br-phy", answers), null);
        return p;
    }

    static TunnelHeader header() throws Exception {
        return new TunnelHeader(new TunnelHeader.Spec(TunnelType.VXLAN, 0x020000000001L, 0x020000000002L,
                InetAddress.getByName("172.31.0.1"), InetAddress.getByName("172.31.0.2"), 4789, 100, 0, 64, true, false, false, null));
    }

    @Test
    void aTooBigFrameWithDfIsAnsweredAsIfTheRemoteSentIt() throws Exception {
        TunnelPortTest.Capture up = new TunnelPortTest.Capture();
        TooBigAnswers answers = new TooBigAnswers(4);
        TunnelPort p = port(up, answers);
        PacketBatch b = new PacketBatch();
        ipv4(b, 0, 1500, true);                  // 1500 + 36 > 1500: too big; the overlay takes IP packets of 1450
        byte[] sent = b.data.asSlice(b.off[0], 1500).toArray(JAVA_BYTE);
        p.transmit(1, b, new int[] {0}, 1);
        assertEquals(0, up.frames.size());
        assertEquals(1, p.drops().get(TunnelDrop.TOO_BIG));
        assertEquals(1L, p.extraCounters().get("icmp_too_big_sent"), p.extraCounters().toString());
        assertTrue(p.details().get("last too big").contains("frame of 1500 bytes") && p.details().get("last too big").contains("underlay MTU 1500"),
                p.details().toString());

        PacketBatch in = new PacketBatch();
        assertEquals(1, answers.drain(in));
        MemorySegment f = in.data.asSlice(in.off[0], in.len[0]);
        // the underlay (local 172.31.0.1) decapsulates it: from the remote, VNI 100
        TunnelDecoder dec = new TunnelDecoder(TunnelType.VXLAN, 4789, List.of(InetAddress.getByName("172.31.0.1")),
                TunnelDecoder.KnownOptions.NONE, new TunnelDrops());
        TunnelMetadata md = new TunnelMetadata();
        int inner = dec.pop(f, 0, (int) f.byteSize(), md, 0);
        assertTrue(inner > 0, "decodes: " + md.drop);
        assertEquals(100, md.tunId);
        assertEquals(InetAddress.getByName("172.31.0.2"), md.source());
        assertEquals(InetAddress.getByName("172.31.0.1"), md.destination());
        assertEquals(0x020000000002L, BE.mac(f, 6), "outer source MAC: the next hop's");
        assertEquals(0x020000000001L, BE.mac(f, 0), "outer destination MAC: ours");
        assertEquals(0, ~Checksum.fold(Checksum.sum(f, 14, 20)) & 0xffff, "outer IPv4 header checksum");

        MemorySegment icmp = f.asSlice(inner, md.innerLength);
        assertEquals(SRC_MAC, BE.mac(icmp, 0), "to the sender's MAC");
        assertEquals(DST_MAC, BE.mac(icmp, 6), "from the destination's MAC");
        assertEquals(0x0800, BE.u16(icmp, 12));
        assertEquals(0x0a000002L, BE.u32(icmp, 14 + 12), "from the packet's destination");
        assertEquals(0x0a000001L, BE.u32(icmp, 14 + 16), "to its source");
        assertEquals(1, BE.u8(icmp, 14 + 9));
        assertEquals(0, ~Checksum.fold(Checksum.sum(icmp, 14, 20)) & 0xffff, "inner IPv4 header checksum");
        assertEquals(3, BE.u8(icmp, 34), "destination unreachable");
        assertEquals(4, BE.u8(icmp, 35), "fragmentation needed");
        assertEquals(1450, BE.u16(icmp, 40), "next-hop MTU: the underlay's 1500 less 50 bytes of outer headers");
        int icmpLen = md.innerLength - 34;
        assertEquals(0, ~Checksum.fold(Checksum.sum(icmp, 34, icmpLen)) & 0xffff, "ICMP checksum");
        assertArrayEquals(java.util.Arrays.copyOfRange(sent, 14, 14 + icmpLen - 8), icmp.asSlice(42, icmpLen - 8).toArray(JAVA_BYTE),
                "quotes the packet from its IP header");
    }

    @Test
    void withoutDfOrWithoutAnUnderlayEndpointNothingIsAnswered() throws Exception {
        TunnelPortTest.Capture up = new TunnelPortTest.Capture();
        TooBigAnswers answers = new TooBigAnswers(4);
        TunnelPort p = port(up, answers);
        PacketBatch b = new PacketBatch();
        ipv4(b, 0, 1500, false);
        p.transmit(0, b, new int[] {0}, 1);
        assertEquals(1, p.drops().get(TunnelDrop.TOO_BIG));
        assertEquals(0, answers.drain(new PacketBatch()));
        assertNull(p.extraCounters().get("icmp_too_big_sent"));

        TunnelPort bare = TunnelPortTest.port(up, 1500);        // an Egress without answers (tests, no endpoint)
        ipv4(b, 0, 1500, true);
        bare.transmit(0, b, new int[] {0}, 1);
        assertEquals(1, bare.drops().get(TunnelDrop.TOO_BIG));
    }

    @Test
    void aThreadQueuesAtMostARingOfAnswersUntilTheyAreTaken() throws Exception {
        TunnelPortTest.Capture up = new TunnelPortTest.Capture();
        TooBigAnswers answers = new TooBigAnswers(4);
        TunnelPort p = port(up, answers);
        PacketBatch b = new PacketBatch();
        int[] which = new int[10];
        for (int i = 0; i < 10; i++) { ipv4(b, i, 1480 + i, true); which[i] = i; }
        p.transmit(0, b, which, 10);
        assertEquals(10, p.drops().get(TunnelDrop.TOO_BIG));
        assertEquals((long) TooBigAnswers.SLOTS, p.extraCounters().get("icmp_too_big_sent"));
        PacketBatch in = new PacketBatch();
        assertEquals(TooBigAnswers.SLOTS, answers.drain(in));
        assertEquals(0, answers.drain(in));
        p.transmit(0, b, which, 10);
        assertEquals(TooBigAnswers.SLOTS, answers.drain(in), "room again once taken");
    }

    @Test
    void answersFromTwoThreadsAreEachTakenOnce() throws Exception {
        TooBigAnswers answers = new TooBigAnswers(4);
        TunnelHeader h = header();
        AtomicLong offered = new AtomicLong();
        int per = 20_000;
        Thread[] producers = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int thread = t;
            producers[t] = new Thread(() -> {
                PacketBatch b = new PacketBatch();
                ipv4(b, 0, 1500, true);
                BE.put16(b.data, b.off[0] + 18, thread);      // the IPv4 id says which thread
                for (int i = 0; i < per; i++) {
                    if (answers.offer(thread, b.data, b.off[0], 1500, 1450, h)) offered.incrementAndGet();
                    else Thread.onSpinWait();
                }
            });
        }
        for (Thread t : producers) t.start();
        PacketBatch in = new PacketBatch();
        long taken = 0;
        boolean alive = true;
        while (alive) {
            alive = producers[0].isAlive() || producers[1].isAlive();
            int n = answers.drain(in);
            for (int i = 0; i < n; i++) {
                int id = BE.u16(in.data, in.off[i] + 50 + 42 + 4);   // outer (50), ICMP header (28 + 14): the quoted id
                assertTrue(id == 0 || id == 1, "a whole answer: quoted id " + id);
            }
            taken += n;
        }
        taken += answers.drain(in);
        assertTrue(offered.get() > 0);
        assertEquals(offered.get(), taken, "every answer queued is taken once");
        assertEquals(offered.get(), answers.sent());
    }
}
