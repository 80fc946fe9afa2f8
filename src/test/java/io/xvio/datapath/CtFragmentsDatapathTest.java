package io.xvio.datapath;

import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.*;

import static io.xvio.datapath.conntrack.Fragmenter.*;
import static io.xvio.datapath.conntrack.Frames.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * ct(commit,table=1) on IP fragments in the datapath: a 4000-byte UDP datagram in 3 fragments, in any order, one
 * per burst or all in one, is held until whole, tracked once, and leaves as its 3 fragments with the datagram's
 * ct_state (copied into the Ethernet destination by table 1); the reply direction (fragmented too) is +est+rpl;
 * overlapping, tiny and endless fragments are dropped (+inv) and counted. Caches on (second round: replayed
 * translations) and off.
 */
class CtFragmentsDatapathTest {
    static final long A = ip("10.0.0.1"), B = ip("10.0.0.2"), NET = 0xfd00000000000000L;
    static final String[] FLOWS = {
            "table=0,priority=10,ip,actions=ct(commit,zone=5,table=1)",
            "table=0,priority=10,ipv6,actions=ct(commit,zone=5,table=1)",
            "table=0,priority=0,actions=drop",
            "table=1,priority=20,ct_state=+trk+inv,actions=drop",
            "table=1,priority=10,in_port=1,actions=move:NXM_NX_CT_STATE[]->NXM_OF_ETH_DST[0..31],output:2",
            "table=1,priority=10,in_port=2,ct_state=+trk+est,actions=move:NXM_NX_CT_STATE[]->NXM_OF_ETH_DST[0..31],output:1"};

    long now = 1_000_000_000_000L;

    /** A batch holding frames, in order. */
    static PacketBatch batchOf(List<byte[]> frames) { return fill(new PacketBatch(), frames); }

    /** b (empty, or reset) holds frames as its burst. */
    static PacketBatch fill(PacketBatch b, List<byte[]> frames) {
        for (int i = 0; i < frames.size(); i++) {
            byte[] f = frames.get(i);
            MemorySegment.copy(f, 0, b.data, JAVA_BYTE, b.off[i], f.length);
            b.len[i] = f.length;
        }
        b.count = frames.size();
        return b;
    }

    /** Sends frames in one burst on port index inPort; returns port index -> frames out of it, in order. */
    Map<Integer, List<byte[]>> burst(BridgeDatapath dp, int inPort, List<byte[]> frames) {
        PacketBatch b = batchOf(frames);
        Outputs out = new Outputs(16);
        dp.process(inPort, b, out, 0, now);
        Map<Integer, List<byte[]>> res = new TreeMap<>();
        for (int k = 0; k < out.touchedCount(); k++) {
            int p = out.touchedPort(k);
            for (int x = 0; x < out.countFor(p); x++) {
                int idx = out.packetsFor(p)[x];
                byte[] bytes = new byte[b.len[idx]];
                MemorySegment.copy(b.data, JAVA_BYTE, b.off[idx], bytes, 0, bytes.length);
                res.computeIfAbsent(p, q -> new ArrayList<>()).add(bytes);
            }
        }
        return res;
    }

    /** Each frame in its own burst; everything that came out. */
    Map<Integer, List<byte[]>> oneByOne(BridgeDatapath dp, int inPort, List<byte[]> frames) {
        Map<Integer, List<byte[]>> all = new TreeMap<>();
        for (byte[] f : frames) burst(dp, inPort, List.of(f)).forEach((p, l) -> all.computeIfAbsent(p, q -> new ArrayList<>()).addAll(l));
        return all;
    }

    /** f as table 1 puts it out: ct_state in the destination MAC's low 32 bits. */
    static byte[] withState(byte[] f, int state) {
        byte[] g = f.clone();
        g[2] = (byte) (state >>> 24); g[3] = (byte) (state >>> 16); g[4] = (byte) (state >>> 8); g[5] = (byte) state;
        return g;
    }

    static List<byte[]> withState(List<byte[]> fs, int state) { return fs.stream().map(f -> withState(f, state)).toList(); }

    static <T> List<T> permute(List<T> l, int[] order) {
        List<T> r = new ArrayList<>();
        for (int o : order) r.add(l.get(o));
        return r;
    }

    static long counter(BridgeDatapath dp, String name, long now) {
        return dp.conntrack().get().stats(now).counters().get(name);
    }

    @Test
    void aFragmentedDatagramIsTrackedWholeAndLeavesAsItsFragmentsInAnyOrder() {
        int[][] orders = {{0, 1, 2}, {2, 1, 0}, {1, 2, 0}};
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = CtDatapathTest.bridge(cached, FLOWS);
            for (int o = 0; o < orders.length; o++) {
                for (boolean oneBurst : new boolean[] {false, true}) {
                    int sp = 5000 + o * 2 + (oneBurst ? 1 : 0);
                    List<byte[]> frags = cut(v4(A, B, 17, udp(sp, 53, 4000)), sp, 1480);
                    assertEquals(3, frags.size());
                    List<byte[]> in = permute(frags, orders[o]);
                    var out = oneBurst ? burst(dp, 0, in) : oneByOne(dp, 0, in);
                    assertEquals(Set.of(1), out.keySet(), "out of port 2 only");
                    assertEquals(hex(withState(frags, 0x21)), hex(out.get(1)), "the 3 fragments, +new+trk, in order of offset");
                    // the reply, fragmented too, comes back established
                    List<byte[]> reply = cut(v4(B, A, 17, udp(53, sp, 3000)), 7 + sp, 1480);
                    var back = oneByOne(dp, 1, permute(reply, new int[] {2, 0, 1}));
                    assertEquals(hex(withState(reply, 0x2a)), hex(back.get(0)), "+est+rpl+trk");
                    var again = burst(dp, 0, in);
                    assertEquals(hex(withState(frags, 0x22)), hex(again.get(1)), "established now");
                }
            }
            assertEquals(18, counter(dp, "frag-reassembled", now));
            assertEquals(0, dp.conntrack().get().fragments().held());
        }
    }

    @Test
    void ipv6FragmentsToo() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = CtDatapathTest.bridge(cached, FLOWS);
            List<byte[]> frags = cut(v6(NET, 1, NET, 2, 17, udp(1111, 2222, 4000)), 99, 1448);
            var out = oneByOne(dp, 0, permute(frags, new int[] {1, 2, 0}));
            assertEquals(hex(withState(frags, 0x21)), hex(out.get(1)));
            List<byte[]> reply = cut(v6(NET, 2, NET, 1, 17, udp(2222, 1111, 4000)), 98, 1448);
            assertEquals(hex(withState(reply, 0x2a)), hex(burst(dp, 1, reply).get(0)));
        }
    }

    @Test
    void overlappingTinyAndEndlessFragmentsAreDroppedAndCounted() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = CtDatapathTest.bridge(cached, FLOWS);
            byte[] d = v4(A, B, 17, udp(6000, 53, 4000));
            assertEquals(Map.of(), burst(dp, 0, List.of(v4Piece(d, 1, 0, 1480, true))), "held");
            assertEquals(Map.of(), burst(dp, 0, List.of(v4Piece(d, 1, 8, 1488, true))), "overlapping: +inv, dropped");
            assertEquals(Map.of(), burst(dp, 0, List.of(v4Piece(d, 2, 0, 64, true))), "tiny: +inv, dropped");
            assertEquals(1, counter(dp, "frag-overlap", now));
            assertEquals(1, counter(dp, "frag-too-small", now));
            assertEquals(1, dp.conntrack().get().fragments().held());
            now += 16_000_000_000L;                      // datagram 1 never completes
            assertEquals(Set.of(1), burst(dp, 0, List.of(v4(A, B, 17, udp(6001, 53, 10)))).keySet(), "other traffic flows");
            assertEquals(0, dp.conntrack().get().fragments().held(), "expired at a later burst");
            assertEquals(1, counter(dp, "frag-expired", now));
            String stats = dp.conntrack().get().stats(now).format();
            assertTrue(stats.contains("frag-overlap: 1") && stats.contains("frag-too-small: 1") && stats.contains("frag-expired: 1"), stats);
        }
    }

    @Test
    void aDatagramOfMoreFragmentsThanCopySlotsGoesOnOverTwoBursts() {
        BridgeDatapath dp = CtDatapathTest.bridge(true, FLOWS);
        List<byte[]> frags = cut(v4(A, B, 17, udp(6100, 53, 50000)), 3, 1200);
        assertTrue(frags.size() > PacketBatch.BURST);
        var out = oneByOne(dp, 0, frags);
        assertEquals(PacketBatch.BURST, out.get(1).size(), "as many as the copy slots of the completing burst");
        var later = burst(dp, 0, List.of(v4(A, B, 17, udp(6101, 53, 10))));
        List<byte[]> all = new ArrayList<>(out.get(1));
        all.addAll(later.get(1).subList(0, frags.size() - PacketBatch.BURST));
        assertEquals(hex(withState(frags, 0x21)), hex(all), "the rest at the next burst, first");
        assertEquals(frags.size() - PacketBatch.BURST + 1, later.get(1).size());
    }

    @Test
    void fragmentsReplayCachedTranslationsAndAllocateNothing() {
        BridgeDatapath dp = CtDatapathTest.bridge(true, FLOWS);
        PacketBatch b = new PacketBatch();
        Outputs out = new Outputs(16);
        byte[][] frames = new byte[600][];
        for (int n = 0; n < 200; n++) {           // 200 datagrams of 3 fragments, the last one first
            List<byte[]> f = cut(v4(A, B, 17, udp(20000 + n, 53, 4000)), n, 1480);
            frames[3 * n] = f.get(2);
            frames[3 * n + 1] = f.get(0);
            frames[3 * n + 2] = f.get(1);
        }
        long[] sent = new long[1];
        Runnable run = () -> {
            for (byte[] f : frames) {
                b.reset();
                MemorySegment.copy(f, 0, b.data, JAVA_BYTE, b.off[0], f.length);
                b.len[0] = f.length;
                b.count = 1;
                out.clear();
                dp.process(0, b, out, 0, now);
                sent[0] += out.countFor(1);
            }
        };
        run.run();                                 // warm-up: translations cached, store made
        assertEquals(600, sent[0]);
        MegaflowStats before = dp.cacheStats(0);
        dp.conntrack().get().flush(-1, null, now);
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long t = Thread.currentThread().threadId();
        long a0 = mx.getThreadAllocatedBytes(t);
        run.run();
        long allocated = mx.getThreadAllocatedBytes(t) - a0;
        assertEquals(1200, sent[0], "every fragment went on again");
        MegaflowStats after = dp.cacheStats(0);
        assertEquals(600, after.hits() - before.hits(), "every fragment replayed a cached translation");
        assertEquals(0, after.misses() - before.misses());
        assertTrue(allocated < 4096, "held, reassembled, tracked, sent on: " + allocated + " bytes allocated for 600 fragments");
    }

    @Test
    void registersAndMarksSetBeforeTheCtTravelWithEachFragment() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = CtDatapathTest.bridge(cached,
                    "table=0,ip,actions=load:0x7->NXM_NX_REG3[],set_field:0x9->pkt_mark,ct(commit,zone=NXM_NX_REG3[0..15],table=1)",
                    "table=1,ip,reg3=7,pkt_mark=9,ct_zone=7,ct_state=+trk+new,actions=output:2");
            List<byte[]> frags = cut(v4(A, B, 17, udp(6300, 53, 4000)), 5, 1480);
            assertEquals(hex(frags), hex(oneByOne(dp, 0, permute(frags, new int[] {1, 0, 2})).get(1)));
        }
    }

    @Test
    void theRegisterStackTravelsWithEachFragment() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = CtDatapathTest.bridge(cached,
                    "table=0,ip,actions=load:0x7->NXM_NX_REG3[],push:NXM_NX_REG3[],load:0->NXM_NX_REG3[],ct(commit,zone=5,table=1)",
                    "table=1,ip,actions=pop:NXM_NX_REG4[],resubmit(,2)",
                    "table=2,ip,reg4=7,actions=output:2");
            List<byte[]> frags = cut(v4(A, B, 17, udp(6400, 53, 4000)), 6, 1480);
            assertEquals(hex(frags), hex(oneByOne(dp, 0, permute(frags, new int[] {1, 0, 2})).get(1)),
                    "cached " + cached + ": each fragment pops the 7 pushed before the ct()");
        }
    }

    @Test
    void aSecondCtInARecirculatedPassHoldsAndReleasesTheFragmentsAgain() {
        for (boolean cached : new boolean[] {true, false}) {
            // OVN's shape: look up (no commit), then commit what is new in another stage
            BridgeDatapath dp = CtDatapathTest.bridge(cached,
                    "table=0,ip,actions=ct(zone=5,table=1)",
                    "table=1,ip,ct_state=+trk+new,actions=ct(commit,zone=5,table=2)",
                    "table=1,ip,ct_state=+trk+est,actions=resubmit(,2)",
                    "table=2,ip,in_port=1,actions=move:NXM_NX_CT_STATE[]->NXM_OF_ETH_DST[0..31],output:2",
                    "table=2,ip,in_port=2,actions=move:NXM_NX_CT_STATE[]->NXM_OF_ETH_DST[0..31],output:1");
            for (int n = 0; n < 2; n++) {
                List<byte[]> frags = cut(v4(A, B, 17, udp(6400 + n, 53, 4000)), 40 + n, 1480);
                assertEquals(hex(withState(frags, 0x21)), hex(oneByOne(dp, 0, permute(frags, new int[] {2, 0, 1})).get(1)),
                        "held at both ct()s, committed at the second");
                List<byte[]> reply = cut(v4(B, A, 17, udp(53, 6400 + n, 4000)), 50 + n, 1480);
                assertEquals(hex(withState(reply, 0x2a)), hex(burst(dp, 1, reply).get(0)), "the reply finds the connection");
            }
            assertEquals(6, counter(dp, "frag-reassembled", now), "first stage twice, second once, replies once");
        }
    }

    @Test
    void withoutTableTheFragmentsGoOnWithTheActionsAfterTheCt() {
        long nat = ip("192.168.0.100");
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = CtDatapathTest.bridge(cached,
                    "table=0,ip,in_port=1,nw_src=10.0.0.1,actions=ct(commit,zone=3),set_field:0x9->reg0,resubmit(,2)",
                    "table=0,ip,in_port=1,nw_src=10.0.0.3,actions=ct(commit,zone=4,nat(src=192.168.0.100)),output:2",
                    "table=0,ip,in_port=2,actions=ct(zone=3,table=1)",
                    "table=1,ip,ct_state=+trk+est,actions=output:1",
                    "table=2,ip,reg0=9,ct_state=-trk,actions=output:2");
            for (int n = 0; n < 2; n++) {
                List<byte[]> frags = cut(v4(A, B, 17, udp(6500 + n, 53, 4000)), 60 + n, 1480);
                for (int[] order : new int[][] {{2, 0, 1}}) {
                    var out = oneByOne(dp, 0, permute(frags, order));
                    assertEquals(Set.of(1), out.keySet());
                    assertEquals(hex(frags), hex(out.get(1)), "the 3 fragments as they were, in order of offset, after resubmit");
                }
                List<byte[]> reply = cut(v4(B, A, 17, udp(53, 6500 + n, 3000)), 70 + n, 1480);
                assertEquals(hex(reply), hex(burst(dp, 1, reply).get(0)), "committed: the reply is established");
                // SNAT without table: every fragment's source translated, the datagram's checksum still right
                List<byte[]> nf = cut(v4(ip("10.0.0.3"), B, 17, udp(6600 + n, 53, 4000)), 80 + n, 1480);
                List<byte[]> got = burst(dp, 0, permute(nf, new int[] {1, 2, 0})).get(1);
                assertEquals(3, got.size());
                byte[] whole = new byte[nf.stream().mapToInt(f -> f.length - 34).sum() + 34];
                System.arraycopy(got.getFirst(), 0, whole, 0, 34);
                int at = 34;
                for (byte[] f : got) {
                    assertEquals(nat, get32(f, 26), "source translated");
                    assertEquals(0xffff, fold(sum(f, 14, 20)), "IPv4 header checksum");
                    System.arraycopy(f, 34, whole, at, f.length - 34);
                    at += f.length - 34;
                }
                put16(whole, 16, whole.length - 14);
                put16(whole, 20, 0);
                put16(whole, 24, 0);
                put16(whole, 24, ~fold(sum(whole, 14, 20)));
                assertTrue(checksumsOk(whole), "UDP checksum of the translated datagram");
            }
            assertEquals(0, dp.conntrack().get().fragments().held());
            assertEquals(6, counter(dp, "frag-reassembled", now), "each datagram reassembled once");
            if (cached) assertTrue(dp.cacheStats(0).hits() > 0, "the second round replays cached translations");
        }
    }

    static boolean vlanTagged(byte[] f) { return f[12] == (byte) 0x81 && f[13] == 0; }

    /**
     * ct() without table inside a clone, followed by a nested clone in that clone: the fragments the ct releases go
     * on through the nested clone, and the actions after the outer clone still get the packet that came in, once.
     */
    @Test
    void aCtInACloneWithANestedCloneAfterItLeavesThePacketThatCameInToTheActionsAfterTheClone() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = CtDatapathTest.bridge(cached,
                    "table=0,ip,in_port=1,actions=clone(ct(commit,zone=3),clone(mod_vlan_vid:10,output:2)),output:2");
            for (int n = 0; n < 3; n++) {                // later rounds complete the datagram on a cached translation
                List<byte[]> frags = cut(v4(A, B, 17, udp(6900 + n, 53, 4000)), 90 + n, 1480);
                List<byte[]> sent = permute(frags, new int[] {2, 0, 1});
                List<byte[]> out = oneByOne(dp, 0, sent).get(1);
                assertEquals(hex(sent), hex(out.stream().filter(f -> !vlanTagged(f)).toList()),
                        "cached " + cached + ", round " + n + ": each fragment once, as it came, after the clone");
                assertEquals(3, out.stream().filter(CtFragmentsDatapathTest::vlanTagged).count(), "the nested clone's tagged copies");
            }
            assertEquals(0, dp.conntrack().get().fragments().held());
        }
    }

    /** The same through a patch port: the peer bridge's ct() without table sends every fragment on. */
    @Test
    void fragmentsCrossingAPatchPortGoOnAfterACtWithoutTable() {
        for (boolean cached : new boolean[] {true, false}) {
            PatchPortsTest.Pair p = new PatchPortsTest.Pair(cached, List.of("priority=0,actions=output:2"),
                    List.of("in_port=1,ip,actions=ct(commit,zone=3),output:2"));
            for (int n = 0; n < 3; n++) {
                List<byte[]> frags = cut(v4(A, B, 17, udp(7000 + n, 53, 4000)), 100 + n, 1480);
                List<byte[]> out = new ArrayList<>();
                for (byte[] f : permute(frags, new int[] {2, 0, 1})) {
                    var got = PatchPortsTest.send(p.br0, 0, f);
                    assertTrue(got.keySet().stream().allMatch(k -> k == 4), "only br1's phy (array index 4): " + got.keySet());
                    out.addAll(got.getOrDefault(4, List.of()));
                }
                assertEquals(hex(frags), hex(out), "cached " + cached + ", round " + n + ": every fragment once, in order of offset");
            }
            assertEquals(0, p.br1.conntrack().get().fragments().held());
        }
    }

    @Test
    void withoutTableFragmentsBeyondTheCopySlotsAreDroppedAndCounted() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = CtDatapathTest.bridge(cached, "table=0,ip,actions=ct(commit,zone=3),output:2");
            List<byte[]> frags = cut(v4(A, B, 17, udp(6800, 53, 50000)), 9, 1200);
            var out = oneByOne(dp, 0, frags);
            assertEquals(PacketBatch.BURST, out.get(1).size(), "as many as the copy slots");
            assertEquals(hex(frags.subList(0, PacketBatch.BURST)), hex(out.get(1)), "in order of offset");
            assertEquals(frags.size() - PacketBatch.BURST, counter(dp, "frag-too-many", now));
            assertEquals(0, dp.conntrack().get().fragments().held());
        }
    }
}
