package io.xvio.datapath;

import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.*;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/** Groups in the datapath: what each type does to packets, with the caches on (each frame twice) and off. */
class GroupsTest {
    private static final long A = 0x020000000001L, B = 0x020000000002L;

    static byte[] tcp(int src, int dst, int sport, int dport) {
        ByteBuffer bb = ByteBuffer.allocate(64);
        bb.putShort((short) (B >>> 32)).putInt((int) B).putShort((short) (A >>> 32)).putInt((int) A).putShort((short) 0x0800);
        bb.put((byte) 0x45).put((byte) 0).putShort((short) 46).putShort((short) 1).putShort((short) 0).put((byte) 64).put((byte) 6)
                .putShort((short) 0).putInt(src).putInt(dst);
        bb.putShort((short) sport).putShort((short) dport).putInt(1).putInt(0).put((byte) 0x50).put((byte) 0x10).putShort((short) 100).putInt(0);
        return bb.array();
    }

    static BridgeDatapath bridge(boolean cached, List<String> groups, String... flows) {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.setCacheEnabled(cached);
        List<Flow> fs = new ArrayList<>();
        for (String f : flows) fs.add(FlowParser.parse(f));
        dp.install(new int[] {1, 2, 3, 4}, fs);
        Map<Long, Group> gs = new HashMap<>();
        for (String g : groups) { Group x = GroupParser.parse(g); gs.put(x.id, x); }
        dp.setGroups(gs);
        dp.setLive(new boolean[] {true, true, true, true});
        return dp;
    }

    /** One batch per test thread, reset for each frame (a batch is 4 MiB: tests send thousands of frames). */
    private static final ThreadLocal<PacketBatch> BATCH = ThreadLocal.withInitial(PacketBatch::new);

    /** Port index -> frames sent there, for one frame from port index 0. */
    static Map<Integer, byte[]> send(BridgeDatapath dp, byte[] frame) { return send(dp, 0, frame); }

    /** Port index -> frames sent there (one each), for one frame from port index inPort. */
    static Map<Integer, byte[]> send(BridgeDatapath dp, int inPort, byte[] frame) { return send(dp, inPort, frame, b -> { }); }

    /** As above, with the batch's slot 0 given more state (e.g. offload flags) by prepare before processing. */
    static Map<Integer, byte[]> send(BridgeDatapath dp, int inPort, byte[] frame, java.util.function.Consumer<PacketBatch> prepare) {
        PacketBatch b = BATCH.get();
        b.reset();
        MemorySegment.copy(frame, 0, b.data, JAVA_BYTE, b.off[0], frame.length);
        b.len[0] = frame.length;
        b.count = 1;
        prepare.accept(b);
        Outputs out = new Outputs(16);
        dp.process(inPort, b, out, 0, System.nanoTime());
        Map<Integer, byte[]> res = new TreeMap<>();
        for (int k = 0; k < out.touchedCount(); k++) {
            int p = out.touchedPort(k);
            assertEquals(1, out.countFor(p), "one frame per port");
            int idx = out.packetsFor(p)[0];
            byte[] bytes = new byte[b.len[idx]];
            MemorySegment.copy(b.data, JAVA_BYTE, b.off[idx], bytes, 0, bytes.length);
            res.put(p, bytes);
        }
        return res;
    }

    @Test
    void allGroupBucketsRunOnClonesAndTheFlowGoesOnWithTheOriginal() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached, List.of(
                    "group_id=1,type=all,bucket=mod_dl_src:02:00:00:00:00:99,output:2,bucket=output:3"),
                    "in_port=1,actions=group:1,mod_nw_src:10.9.9.9,output:4");
            for (int pass = 0; pass < 2; pass++) {
                byte[] f = tcp(0x0a000001, 0x0a000002, 1000, 80);
                Map<Integer, byte[]> out = send(dp, f);
                assertEquals(Set.of(1, 2, 3), out.keySet());
                assertEquals(0x99, out.get(1)[11] & 0xff, "bucket 0 rewrote its clone");
                assertArrayEquals(f, out.get(2), "bucket 1 got the packet as it was");
                assertEquals(0x01, out.get(3)[11] & 0xff, "the bucket's rewrite did not reach the flow's next actions");
                assertEquals(0x0a090909, ByteBuffer.wrap(out.get(3), 26, 4).getInt(), "the flow's own rewrite did");
            }
            Group g = dp.groups().get(1L);
            assertEquals(2, g.packetCount());
            assertEquals(2, g.bucketPacketCount(0));
            assertEquals(128, g.bucketByteCount(1));
        }
    }

    @Test
    void selectSpreadsConnectionsKeepsEachOnOneBucketAndBothDirectionsTogether() {
        BridgeDatapath dp = bridge(true, List.of("group_id=1,type=select,bucket=output:2,bucket=output:3"), "actions=group:1");
        int[] per = new int[4];
        for (int c = 0; c < 400; c++) {
            byte[] f = tcp(0x0a000001, 0x0a000002 + c % 7, 1024 + c, 80);
            Set<Integer> where = send(dp, f).keySet();
            assertEquals(1, where.size());
            int p = where.iterator().next();
            per[p]++;
            assertEquals(where, send(dp, f).keySet(), "a connection stays on its bucket");
            assertEquals(where, send(dp, tcp(0x0a000002 + c % 7, 0x0a000001, 80, 1024 + c)).keySet(), "its replies too");
        }
        assertTrue(per[1] > 120 && per[2] > 120, "both buckets take a share: " + Arrays.toString(per));
    }

    @Test
    void selectFollowsWeightsAndSkipsDeadBuckets() {
        BridgeDatapath dp = bridge(true, List.of(
                "group_id=1,type=select,bucket=weight:3,watch_port:2,output:2,bucket=weight:1,output:3"), "actions=group:1");
        int[] per = new int[4];
        for (int c = 0; c < 800; c++) for (int p : send(dp, tcp(0x0a000001, 0x0a000002, 1024 + c, 80)).keySet()) per[p]++;
        assertTrue(per[1] > 480 && per[1] < 720, "weight 3 of 4: " + Arrays.toString(per));
        dp.setLive(new boolean[] {true, false, true, true});
        for (int c = 0; c < 50; c++) assertEquals(Set.of(2), send(dp, tcp(0x0a000001, 0x0a000002, 1024 + c, 80)).keySet());
    }

    @Test
    void fastFailoverTakesTheFirstLiveBucket() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached, List.of(
                    "group_id=1,type=fast_failover,bucket=watch_port:2,output:2,bucket=watch_port:3,output:3"), "actions=group:1");
            byte[] f = tcp(1, 2, 3, 4);
            assertEquals(Set.of(1), send(dp, f).keySet());
            assertEquals(Set.of(1), send(dp, f).keySet());
            dp.setLive(new boolean[] {true, false, true, true});
            assertEquals(Set.of(2), send(dp, f).keySet(), "port 2 went down: its cached decision went too");
            dp.setLive(new boolean[] {true, false, false, true});
            assertEquals(Set.of(), send(dp, f).keySet());
            assertEquals(1, dp.drops().get(DatapathDrops.Reason.GROUP_NO_LIVE_BUCKET));
            dp.setLive(new boolean[] {true, true, true, true});
            assertEquals(Set.of(1), send(dp, f).keySet(), "and back");
        }
    }

    @Test
    void indirectAndNestedGroups() {
        BridgeDatapath dp = bridge(true, List.of(
                "group_id=1,type=indirect,bucket=group:2",
                "group_id=2,type=all,bucket=output:2,bucket=dec_ttl,output:3"), "actions=group:1");
        for (int pass = 0; pass < 2; pass++) {
            Map<Integer, byte[]> out = send(dp, tcp(1, 2, 3, 4));
            assertEquals(Set.of(1, 2), out.keySet());
            assertEquals(64, out.get(1)[22] & 0xff);
            assertEquals(63, out.get(2)[22] & 0xff);
        }
    }

    @Test
    void aGroupThatIsGoneIsACountedDrop() {
        BridgeDatapath dp = bridge(true, List.of(), "actions=group:9,output:2");
        assertEquals(Set.of(1), send(dp, tcp(1, 2, 3, 4)).keySet(), "the flow's other actions still run");
        assertEquals(Set.of(1), send(dp, tcp(1, 2, 3, 4)).keySet());
        assertEquals(2, dp.drops().get(DatapathDrops.Reason.GROUP_MISSING));
    }

    /**
     * A dp_hash select group (the default): the first pass is cached once for every connection, the second once per
     * dp_hash slot, so 500 connections make at most 1 + 64 megaflow entries; counts stay exact on cache hits.
     */
    @Test
    void dpHashSelectCachesFewEntriesForManyConnections() {
        BridgeDatapath dp = bridge(true, List.of("group_id=1,type=select,bucket=output:2,bucket=output:3"), "actions=group:1");
        for (int round = 0; round < 2; round++)
            for (int c = 0; c < 500; c++) assertEquals(1, send(dp, tcp(0x0a000001, 0x0a000002, 1024 + c, 80)).size());
        MegaflowStats first = dp.cacheStats(0), second = dp.recirculationStats(0);
        assertEquals(1, first.entries(), "one first-pass entry for all connections");
        assertTrue(second.entries() <= Group.DP_HASH_SLOTS, "at most one entry per dp_hash slot: " + second);
        assertEquals(1000, first.hits() + first.misses());
        assertEquals(1000, second.hits() + second.misses());
        Group g = dp.groups().get(1L);
        assertEquals(1000, g.packetCount());
        assertEquals(1000, g.bucketPacketCount(0) + g.bucketPacketCount(1));
        assertEquals(1, dp.recirculations().size());
    }

    /**
     * Whole bursts through a dp_hash select group on in_port alone take the chained second pass (the burst path):
     * every frame (TCP, UDP, VLAN-tagged, IPv6, an IPv4 fragment) goes where the uncached tables send it, in every
     * burst, before and after a bucket's port goes down and after the group changes; counts stay exact.
     */
    @Test
    void selectBurstsGoWhereTheTablesSendEachFrame() {
        List<String> four = List.of("group_id=1,type=select,bucket=output:2,bucket=output:3,bucket=watch_port:4,output:4,bucket=output:2");
        BridgeDatapath cached = bridge(true, four, "in_port=1,actions=group:1"), plain = bridge(false, four, "in_port=1,actions=group:1");
        List<byte[]> frames = new ArrayList<>();
        for (int c = 0; c < PacketBatch.BURST; c++) {
            byte[] f = tcp(0x0a000001 + c % 3, 0x0a000002, 3000 + 7 * c, 80);
            switch (c % 8) {
                case 3 -> f[23] = 17;                                                     // UDP
                case 5 -> { f[20] = 0x20; f[21] = (byte) c; }                              // an IPv4 fragment
                case 6 -> {                                                               // VLAN-tagged
                    byte[] v = new byte[f.length + 4];
                    System.arraycopy(f, 0, v, 0, 12);
                    v[12] = (byte) 0x81; v[15] = 7;
                    System.arraycopy(f, 12, v, 16, f.length - 12);
                    f = v;
                }
                case 7 -> { f[12] = (byte) 0x86; f[13] = (byte) 0xdd; }                     // IPv6 (junk addresses)
                default -> { }
            }
            frames.add(f);
        }
        int sent = 0;
        for (int phase = 0; phase < 3; phase++) {
            if (phase == 1) { cached.setLive(new boolean[] {true, true, true, false}); plain.setLive(new boolean[] {true, true, true, false}); }
            if (phase == 2) {
                Map<Long, Group> gs = new HashMap<>();
                Group g = GroupParser.parse("group_id=1,type=select,bucket=output:3,bucket=weight:3,output:4");
                gs.put(g.id, g);
                cached.setGroups(gs);
                plain.setGroups(gs);
                cached.setLive(new boolean[] {true, true, true, true});
                plain.setLive(new boolean[] {true, true, true, true});
            }
            for (int round = 0; round < 4; round++) {
                assertEquals(burst(plain, frames), burst(cached, frames), "phase " + phase + ", round " + round);
                sent += frames.size();
            }
        }
        assertTrue(cached.recirculationStats(0).hits() > 0);
        assertEquals(sent, cached.cacheStats(0).hits() + cached.cacheStats(0).misses());
        assertEquals(sent, cached.recirculationStats(0).hits() + cached.recirculationStats(0).misses());
        assertEquals(plain.groups().get(1L).packetCount(), cached.groups().get(1L).packetCount());
        assertEquals(plain.groups().get(1L).bucketPacketCount(1), cached.groups().get(1L).bucketPacketCount(1));
    }

    /**
     * A frame whose second pass is not cached yet goes through a recirculation after the burst; the frames after it
     * in the burst follow it there, so a port sends the burst's frames in their order even when a later frame's
     * slot is chained already.
     */
    @Test
    void aSelectBurstKeepsTheFramesInOrder() {
        BridgeDatapath dp = bridge(true, List.of("group_id=1,type=select,bucket=output:2,bucket=output:2,bucket=output:2"),
                "in_port=1,actions=group:1");
        byte[] known = tcp(0x0a000001, 0x0a000002, 4000, 80);
        for (int round = 0; round < 3; round++) burst(dp, List.of(known));          // its slot is chained now
        for (int c = 0; c < 20; c++) {
            byte[] fresh = tcp(0x0a000001, 0x0a000002, 5000 + c, 80);
            if (SelectHash.frameDpHash(java.lang.foreign.MemorySegment.ofArray(fresh), 0, fresh.length) % Group.DP_HASH_SLOTS
                    == SelectHash.frameDpHash(java.lang.foreign.MemorySegment.ofArray(known), 0, known.length) % Group.DP_HASH_SLOTS) continue;
            PacketBatch b = new PacketBatch();
            List<byte[]> frames = List.of(fresh, known);
            for (int i = 0; i < 2; i++) {
                MemorySegment.copy(frames.get(i), 0, b.data, JAVA_BYTE, b.off[i], frames.get(i).length);
                b.len[i] = frames.get(i).length;
            }
            b.count = 2;
            Outputs out = new Outputs(16);
            dp.process(0, b, out, 0, System.nanoTime());
            assertEquals(2, out.countFor(1));
            assertArrayEquals(new int[] {0, 1}, Arrays.copyOf(out.packetsFor(1), 2), "in burst order, new connection " + c);
            return;
        }
        fail("no connection with a slot other than the known one's");
    }

    /** Frame index -> the port index it went to, for one burst of frames from port index 0. */
    static Map<Integer, Integer> burst(BridgeDatapath dp, List<byte[]> frames) {
        PacketBatch b = new PacketBatch();
        for (int i = 0; i < frames.size(); i++) {
            MemorySegment.copy(frames.get(i), 0, b.data, JAVA_BYTE, b.off[i], frames.get(i).length);
            b.len[i] = frames.get(i).length;
        }
        b.count = frames.size();
        Outputs out = new Outputs(16);
        dp.process(0, b, out, 0, System.nanoTime());
        Map<Integer, Integer> res = new TreeMap<>();
        for (int k = 0; k < out.touchedCount(); k++) {
            int p = out.touchedPort(k);
            int[] idx = out.packetsFor(p);
            for (int x = 0; x < out.countFor(p); x++) assertNull(res.put(idx[x], p), "frame " + idx[x] + " sent once");
        }
        assertEquals(frames.size(), res.size(), "every frame went somewhere: " + res);
        return res;
    }

    /** A group that recirculates into itself (the control plane refuses such loops; the datapath bounds them). */
    @Test
    void recirculationIsBounded() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached, List.of("group_id=1,type=select,bucket=group:1"), "actions=group:1");
            assertEquals(Set.of(), send(dp, tcp(1, 2, 3, 4)).keySet());
            assertEquals(1, dp.drops().get(DatapathDrops.Reason.RECIRC_DEPTH));
            assertEquals(7, dp.groups().get(1L).packetCount(), "the first pass and six recirculations");
        }
    }

    /** A select group that is not the flow's last action recirculates a copy: the flow's other outputs are untouched. */
    @Test
    void aSelectGroupBeforeOtherActionsRecirculatesACopy() {
        BridgeDatapath dp = bridge(true, List.of("group_id=1,type=select,bucket=mod_dl_dst:02:00:00:00:00:77,output:2"),
                "actions=group:1,output:3");
        for (int pass = 0; pass < 2; pass++) {
            byte[] f = tcp(1, 2, 3, 4);
            Map<Integer, byte[]> out = send(dp, f);
            assertEquals(Set.of(1, 2), out.keySet());
            assertEquals(0x77, out.get(1)[5] & 0xff);
            assertArrayEquals(f, out.get(2));
        }
    }

    /**
     * The second pass of a dp_hash select group is served by the recirculation front (recirc_id, in_port, dp_hash
     * slot) once cached: every connection still goes where the uncached tables send it, also after the group changes.
     */
    @Test
    void cachedBucketChoicesEqualTheTablesBeforeAndAfterAGroupChange() {
        List<String> three = List.of("group_id=1,type=select,bucket=output:2,bucket=output:3,bucket=output:4");
        BridgeDatapath cached = bridge(true, three, "actions=group:1"), plain = bridge(false, three, "actions=group:1");
        for (int phase = 0; phase < 2; phase++) {
            if (phase == 1) {                                   // a bucket goes: the cached choices must follow
                Map<Long, Group> gs = new HashMap<>();
                Group g = GroupParser.parse("group_id=1,type=select,bucket=output:2,bucket=output:4");
                gs.put(g.id, g);
                cached.setGroups(gs);
                plain.setGroups(gs);
            }
            Set<Integer> used = new HashSet<>();
            for (int round = 0; round < 3; round++)
                for (int c = 0; c < 300; c++) {
                    byte[] f = tcp(0x0a000001, 0x0a000002, 2000 + c, 80);
                    Set<Integer> want = send(plain, f).keySet(), got = send(cached, f).keySet();
                    assertEquals(want, got, "connection " + c + ", round " + round + ", phase " + phase);
                    used.addAll(got);
                }
            assertEquals(phase == 0 ? Set.of(1, 2, 3) : Set.of(1, 3), used, "every bucket takes connections");
        }
        assertTrue(cached.recirculationStats(0).hits() > 0);
    }
}
