package io.xvio.datapath.tunnel;

import io.xvio.packet.Checksum;
import net.jqwik.api.*;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

class NeighborTest {
    static final long OUR_MAC = 0x02_00_00_00_00_01L, PEER_MAC = 0x02_00_00_00_00_02L;
    static final IpAddr OUR4 = IpAddr.parse("172.31.0.1", "t"), PEER4 = IpAddr.parse("172.31.0.2", "t");
    static final IpAddr OUR6 = IpAddr.parse("fd00::1", "t"), PEER6 = IpAddr.parse("fd00::2", "t");
    static final long S = 1_000_000_000L;

    final MemorySegment in = Arena.ofAuto().allocate(256), out = Arena.ofAuto().allocate(256);
    final NeighborCache cache = new NeighborCache();
    final NeighborAgent agent = new NeighborAgent(OUR_MAC, List.of(new Prefix(OUR4, 24), new Prefix(OUR6, 64)), cache);
    final NeighborAgent.Scratch x = new NeighborAgent.Scratch();
    final List<IpAddr> asked = new ArrayList<>();

    @Test
    void arpRequestBytes() {
        assertEquals(60, agent.request(PEER4, out, 0));
        assertEquals("ffffffffffff" + "020000000001" + "0806" + "0001080006040001" + "020000000001ac1f0001" + "000000000000ac1f0002"
                + "00".repeat(18), TunnelCodecTest.hex(out, 0, 60));
    }

    @Test
    void answersArpForItsOwnAddressOnlyAndLearnsTheAsker() {
        Arp.request(in, 0, PEER_MAC, PEER4.v4(), OUR4.v4());
        assertEquals(60, agent.receive(in, 0, 60, out, 0, x));
        Arp.Packet p = new Arp.Packet();
        assertTrue(Arp.parse(out, 0, 60, p));
        assertEquals(Arp.REPLY, p.op);
        assertEquals(OUR_MAC, p.sha);
        assertEquals(OUR4.v4(), p.spa);
        assertEquals(PEER_MAC, p.tha);
        assertEquals(PEER4.v4(), p.tpa);
        assertEquals(PEER_MAC, Be.mac(out, 0));
        cache.tick(0, asked::add);
        assertEquals(PEER_MAC, cache.lookup(PEER4));
        // a request for someone else: no answer, nothing learnt
        Arp.request(in, 0, 0x02_00_00_00_00_09L, IpAddr.parse("172.31.0.9", "t").v4(), IpAddr.parse("172.31.0.3", "t").v4());
        assertEquals(0, agent.receive(in, 0, 60, out, 0, x));
        cache.tick(0, asked::add);
        assertEquals(-1, cache.lookup(IpAddr.parse("172.31.0.9", "t")));
        assertTrue(asked.isEmpty());
    }

    /** answers false (the kernel holds the addresses and answers): no reply, but the asker is still learnt. */
    @Test
    void listeningAgentDoesNotAnswerArpButLearnsTheAsker() {
        NeighborAgent listening = new NeighborAgent(OUR_MAC, List.of(new Prefix(OUR4, 24), new Prefix(OUR6, 64)), cache, false);
        out.fill((byte) 0x5a);
        Arp.request(in, 0, PEER_MAC, PEER4.v4(), OUR4.v4());
        assertEquals(0, listening.receive(in, 0, 60, out, 0, x));
        for (int i = 0; i < 60; i++) assertEquals((byte) 0x5a, out.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i), "nothing written at " + i);
        cache.tick(0, asked::add);
        assertEquals(PEER_MAC, cache.lookup(PEER4));
        // a request for someone else: still neither answered nor learnt
        Arp.request(in, 0, 0x02_00_00_00_00_09L, IpAddr.parse("172.31.0.9", "t").v4(), IpAddr.parse("172.31.0.3", "t").v4());
        assertEquals(0, listening.receive(in, 0, 60, out, 0, x));
        cache.tick(0, asked::add);
        assertEquals(-1, cache.lookup(IpAddr.parse("172.31.0.9", "t")));
        assertTrue(asked.isEmpty());
        // it still asks for what the cache misses, from our address
        assertEquals(60, listening.request(PEER4, out, 0));
        assertEquals(60, agent.request(PEER4, in, 0));
        assertEquals(TunnelCodecTest.hex(in, 0, 60), TunnelCodecTest.hex(out, 0, 60));
    }

    /** answers false: a neighbour solicitation for our address gets no advertisement, the solicitor is learnt. */
    @Test
    void listeningAgentDoesNotAnswerNdButLearnsTheSolicitor() {
        NeighborAgent listening = new NeighborAgent(OUR_MAC, List.of(new Prefix(OUR4, 24), new Prefix(OUR6, 64)), cache, false);
        Ndp.solicit(in, 0, PEER_MAC, PEER6, OUR6);
        assertEquals(0, listening.receive(in, 0, 86, out, 0, x));
        cache.tick(0, asked::add);
        assertEquals(PEER_MAC, cache.lookup(PEER6));
        // the answering agent, same frame: answers
        assertEquals(86, agent.receive(in, 0, 86, out, 0, x));
    }

    /** Our own address is never learnt, whoever claims it (the kernel's own ARP replies pass by when it holds them). */
    @Test
    void ourOwnAddressIsNeverLearnt() {
        for (boolean answers : new boolean[] {true, false}) {
            NeighborCache c = new NeighborCache();
            NeighborAgent a = new NeighborAgent(OUR_MAC, List.of(new Prefix(OUR4, 24), new Prefix(OUR6, 64)), c, answers);
            // an ARP reply from our own address (the kernel answering a peer, or a host with a conflicting address)
            Arp.reply(in, 0, 0x02_00_00_00_00_99L, OUR4.v4(), PEER_MAC, PEER4.v4());
            assertEquals(0, a.receive(in, 0, 60, out, 0, x));
            // a gratuitous ARP for our address, and a request from our address to the peer
            Arp.request(in, 0, 0x02_00_00_00_00_99L, OUR4.v4(), OUR4.v4());
            assertEquals(0, a.receive(in, 0, 60, out, 0, x));
            Arp.request(in, 0, OUR_MAC, OUR4.v4(), PEER4.v4());
            assertEquals(0, a.receive(in, 0, 60, out, 0, x));
            // a neighbour advertisement for our IPv6 address
            Ndp.advertise(in, 0, 0x02_00_00_00_00_99L, OUR6, PEER_MAC, PEER6);
            assertEquals(0, a.receive(in, 0, 86, out, 0, x));
            c.tick(0, asked::add);
            assertEquals(-1, c.lookup(OUR4), "answers=" + answers);
            assertEquals(-1, c.lookup(OUR6), "answers=" + answers);
            assertTrue(c.entries().isEmpty(), "answers=" + answers + ": " + c.entries());
            // a reply from the peer is learnt as before
            Arp.reply(in, 0, PEER_MAC, PEER4.v4(), OUR_MAC, OUR4.v4());
            assertEquals(0, a.receive(in, 0, 60, out, 0, x));
            Ndp.advertise(in, 0, PEER_MAC, PEER6, OUR_MAC, OUR6);
            assertEquals(0, a.receive(in, 0, 86, out, 0, x));
            c.tick(0, asked::add);
            assertEquals(PEER_MAC, c.lookup(PEER4), "answers=" + answers);
            assertEquals(PEER_MAC, c.lookup(PEER6), "answers=" + answers);
        }
        assertTrue(asked.isEmpty());
    }

    @Test
    void ndSolicitationAndAdvertisement() {
        assertEquals(86, agent.request(PEER6, out, 0));
        Ndp.Packet n = new Ndp.Packet();
        assertTrue(Ndp.parse(out, 0, 86, n));
        assertEquals(Ndp.SOLICIT, n.type);
        assertEquals(0x3333ff000002L, Be.mac(out, 0));             // solicited-node group of fd00::2
        assertEquals(IpAddr.parse("ff02::1:ff00:2", "t"), new IpAddr(n.dstHi, n.dstLo));
        assertEquals(PEER6, new IpAddr(n.targetHi, n.targetLo));
        assertEquals(OUR_MAC, n.lladdr);
        // the peer solicits us: we advertise, solicited and override, with our MAC; and learn the peer
        Ndp.solicit(in, 0, PEER_MAC, PEER6, OUR6);
        assertEquals(86, agent.receive(in, 0, 86, out, 0, x));
        assertTrue(Ndp.parse(out, 0, 86, n));
        assertEquals(Ndp.ADVERT, n.type);
        assertEquals(Ndp.F_SOLICITED | Ndp.F_OVERRIDE, n.flags);
        assertEquals(OUR6, new IpAddr(n.targetHi, n.targetLo));
        assertEquals(OUR_MAC, n.lladdr);
        assertEquals(PEER6, new IpAddr(n.dstHi, n.dstLo));
        assertEquals(PEER_MAC, Be.mac(out, 0));
        cache.tick(0, asked::add);
        assertEquals(PEER_MAC, cache.lookup(PEER6));
        // a corrupted checksum is not ND
        Ndp.solicit(in, 0, PEER_MAC, PEER6, OUR6);
        in.set(Be.SHORT, 56, (short) (in.get(Be.SHORT, 56) + 1));
        assertFalse(Ndp.parse(in, 0, 86, n));
        assertEquals(0, agent.receive(in, 0, 86, out, 0, x));
    }

    @Test
    void missAsksRetriesFailsAndHolds() {
        assertEquals(-1, cache.lookup(PEER4));
        assertTrue(cache.miss(PEER4.hi(), PEER4.lo()));
        assertTrue(cache.miss(PEER4.hi(), PEER4.lo()));
        cache.tick(0, asked::add);
        assertEquals(List.of(PEER4), asked);                      // one request for two misses
        cache.tick(S / 2, asked::add);
        assertEquals(1, asked.size());
        cache.tick(S, asked::add);
        cache.tick(2 * S, asked::add);
        assertEquals(3, asked.size());
        cache.tick(3 * S, asked::add);
        assertEquals(NeighborCache.State.FAILED, cache.entries().getFirst().state());
        assertEquals(1, cache.failures());
        cache.miss(PEER4.hi(), PEER4.lo());
        cache.tick(4 * S, asked::add);
        assertEquals(3, asked.size());                            // held: no storm
        cache.tick(9 * S, asked::add);
        assertTrue(cache.entries().isEmpty());
        cache.miss(PEER4.hi(), PEER4.lo());
        cache.tick(10 * S, asked::add);
        assertEquals(4, asked.size());
    }

    @Test
    void replyResolvesAgesRefreshesAndMacChangeBumpsGeneration() {
        cache.miss(PEER4.hi(), PEER4.lo());
        cache.tick(0, asked::add);
        long g0 = cache.generation();
        Arp.reply(in, 0, PEER_MAC, PEER4.v4(), OUR_MAC, OUR4.v4());
        assertEquals(0, agent.receive(in, 0, 60, out, 0, x));
        cache.tick(S / 10, asked::add);
        assertEquals(PEER_MAC, cache.lookup(PEER4));
        assertNotEquals(g0, cache.generation());
        assertEquals(NeighborCache.State.REACHABLE, cache.entries().getFirst().state());
        // after 5 minutes: stale, still used, asked again
        cache.tick(301 * S, asked::add);
        assertEquals(NeighborCache.State.STALE, cache.entries().getFirst().state());
        assertEquals(PEER_MAC, cache.lookup(PEER4));
        assertEquals(2, asked.size());
        // the peer came back with a new MAC (veth re-created): learnt, generation changes
        long g1 = cache.generation();
        Arp.reply(in, 0, 0x02_00_00_00_00_22L, PEER4.v4(), OUR_MAC, OUR4.v4());
        agent.receive(in, 0, 60, out, 0, x);
        cache.tick(302 * S, asked::add);
        assertEquals(0x02_00_00_00_00_22L, cache.lookup(PEER4));
        assertNotEquals(g1, cache.generation());
        // the peer goes away: stale, three requests unanswered, removed
        cache.tick(700 * S, asked::add);
        cache.tick(701 * S, asked::add);
        cache.tick(702 * S, asked::add);
        assertEquals(0x02_00_00_00_00_22L, cache.lookup(PEER4));            // still used while asked
        cache.tick(703 * S, asked::add);
        assertEquals(-1, cache.lookup(PEER4));
        assertTrue(cache.text("br-phy").startsWith("IP"));
    }

    @Test
    void neighText() {
        cache.learn(PEER4, PEER_MAC, 0);
        cache.learn(PEER6, PEER_MAC, 0);
        cache.miss(IpAddr.parse("172.31.0.3", "t").hi(), IpAddr.parse("172.31.0.3", "t").lo());
        cache.tick(0, asked::add);
        String[] lines = cache.text("br-phy").split("\n");
        assertEquals(5, lines.length);
        assertEquals("172.31.0.2                              02:00:00:00:00:02  reachable   DYNAMIC  br-phy", lines[2]);
        assertEquals("172.31.0.3                              (none)             incomplete  DYNAMIC  br-phy", lines[3]);
        assertEquals("fd00::2                                 02:00:00:00:00:02  reachable   DYNAMIC  br-phy", lines[4]);
    }

    /** tnl neigh set: never aged, never asked for, ARP/ND cannot change it; flush removes it; IPv4 and IPv6. */
    @Test
    void staticEntriesAreNeverAgedAskedForOrOverwritten() {
        long g0 = cache.generation();
        assertTrue(cache.setStatic(PEER4, PEER_MAC, 0));
        assertTrue(cache.setStatic(PEER6, PEER_MAC, 0));
        assertNotEquals(g0, cache.generation());
        assertEquals(PEER_MAC, cache.lookup(PEER4));
        assertEquals(PEER_MAC, cache.lookup(PEER6));
        // a reply and an advertisement with another MAC: ignored
        Arp.reply(in, 0, 0x02_00_00_00_00_77L, PEER4.v4(), OUR_MAC, OUR4.v4());
        agent.receive(in, 0, 60, out, 0, x);
        cache.snooped(PEER6.hi(), PEER6.lo(), 0x02_00_00_00_00_77L);
        cache.miss(PEER4.hi(), PEER4.lo());
        long g1 = cache.generation();
        for (long t = 0; t <= 3600; t += 100) cache.tick(t * S, asked::add);   // an hour: far past reachable, retries, holds
        assertEquals(PEER_MAC, cache.lookup(PEER4));
        assertEquals(PEER_MAC, cache.lookup(PEER6));
        assertEquals(g1, cache.generation());
        assertTrue(asked.isEmpty(), "a static neighbour is never asked for: " + asked);
        assertEquals(List.of(NeighborCache.State.PERMANENT, NeighborCache.State.PERMANENT), cache.entries().stream().map(NeighborCache.Entry::state).toList());
        assertEquals("STATIC", cache.entries().getFirst().type());
        String[] lines = cache.text("br-phy").split("\n");
        assertEquals("172.31.0.2                              02:00:00:00:00:02  permanent   STATIC   br-phy", lines[2]);
        assertEquals("fd00::2                                 02:00:00:00:00:02  permanent   STATIC   br-phy", lines[3]);
        // the same MAC again changes nothing; another one does
        assertFalse(cache.setStatic(PEER4, PEER_MAC, 0));
        assertTrue(cache.setStatic(PEER4, 0x02_00_00_00_00_33L, 0));
        assertEquals(0x02_00_00_00_00_33L, cache.lookup(PEER4));
        cache.flush();
        assertEquals(-1, cache.lookup(PEER4));
        assertTrue(cache.entries().isEmpty());
    }

    /** A static entry replaces a learnt one (a new generation), and the full cache refuses a new one with a reason. */
    @Test
    void staticReplacesLearntAndAFullCacheRefuses() {
        NeighborCache small = new NeighborCache(new NeighborCache.Timers(S, S, 3, S, 2));
        small.learn(PEER4, PEER_MAC, 0);
        long g = small.generation();
        assertTrue(small.setStatic(PEER4, 0x02_00_00_00_00_44L, 0));
        assertNotEquals(g, small.generation());
        assertEquals("STATIC", small.entries().getFirst().type());
        small.learn(PEER6, PEER_MAC, 0);
        assertEquals("DYNAMIC", small.entries().getLast().type());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> small.setStatic(IpAddr.parse("172.31.0.9", "t"), PEER_MAC, 0));
        assertTrue(e.getMessage().contains("full (2 entries)"), e.getMessage());
        assertTrue(small.setStatic(PEER6, 0x02_00_00_00_00_45L, 0), "an existing entry can still be made static");
    }

    /** Readers on other threads see every published entry or none, never a torn one, while the control thread churns. */
    @Test
    void lockFreeReadersDuringUpdates() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong bad = new AtomicLong(), hits = new AtomicLong();
        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            Thread th = new Thread(() -> {
                while (!stop.get())
                    for (int i = 0; i < 64; i++) {
                        IpAddr a = IpAddr.v4(0x0a00_0000 | i);
                        long m = cache.lookup(a.hi(), a.lo());
                        if (m >= 0) { hits.incrementAndGet(); if ((m & 0xffff) != i) bad.incrementAndGet(); }
                        else cache.miss(a.hi(), a.lo());
                    }
            });
            th.start();
            readers.add(th);
        }
        long deadline = System.nanoTime() + 500_000_000L;
        for (long now = 0; System.nanoTime() < deadline; now += S / 10) {
            for (int i = 0; i < 64; i += 3) cache.learn(IpAddr.v4(0x0a00_0000 | i), 0x0200_0000_0000L | ((now & 0xff) << 16) | i, now);
            cache.tick(now, a -> cache.snooped(a.hi(), a.lo(), 0x0200_0000_0000L | (a.v4() & 0xffff)));
            if ((now / (S / 10)) % 7 == 0) cache.flush();
        }
        stop.set(true);
        for (Thread th : readers) th.join();
        assertEquals(0, bad.get());
        assertTrue(hits.get() > 0);
    }

    @Property(tries = 3000)
    void parsersNeverThrowOnRandomFrames(@ForAll @Size(max = 120) byte[] b, @ForAll boolean arp) {
        if (b.length >= 14) { b[12] = (byte) (arp ? 0x08 : 0x86); b[13] = (byte) (arp ? 0x06 : 0xdd); }
        if (!arp && b.length >= 22) { b[14] = 0x60; b[20] = 58; b[21] = (byte) 255; }
        MemorySegment s = MemorySegment.ofArray(b);
        Arp.parse(s, 0, b.length, new Arp.Packet());
        Ndp.parse(s, 0, b.length, new Ndp.Packet());
        new NeighborAgent(OUR_MAC, List.of(new Prefix(OUR4, 24)), new NeighborCache()).receive(s, 0, b.length, out, 0, x);
    }

    @Property(tries = 500)
    void ndChecksumAndRoundTrip(@ForAll long hi, @ForAll long lo, @ForAll long mac) {
        Assume.that((hi >>> 56) != 0xff && !IpAddr.isV4(hi, lo));
        IpAddr t = new IpAddr(hi, lo);
        long m = mac & 0xfeff_ffff_ffffL;
        Ndp.advertise(out, 0, m, t, PEER_MAC, PEER6);
        assertEquals(0xffff, Checksum.fold(Checksum.sum(out, 22, 32) + 32 + 58 + Checksum.sum(out, 54, 32)));
        Ndp.Packet n = new Ndp.Packet();
        assertTrue(Ndp.parse(out, 0, 86, n));
        assertEquals(t, new IpAddr(n.targetHi, n.targetLo));
        assertEquals(m, n.lladdr);
    }
}
