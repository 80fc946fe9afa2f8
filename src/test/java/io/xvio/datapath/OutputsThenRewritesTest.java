package io.xvio.datapath;

import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.*;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A packet output and then rewritten: every port gets the packet as it was at its output, the copies made only
 * when a rewrite follows. A flood to every port of a big logical switch as OVN writes it (a register load and a
 * resubmit per port) rewrites nothing, so it needs no copy: a whole burst of broadcasts reaches every port, and the
 * long translation (as an ALL group with a bucket per port) is cached like a short one.
 */
class OutputsThenRewritesTest {
    private static final int PORTS = 60;

    private static BridgeDatapath bridge(boolean cached, List<String> groups, List<Flow> flows) {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.setCacheEnabled(cached);
        int[] ofports = new int[PORTS];
        boolean[] live = new boolean[PORTS];
        for (int p = 0; p < PORTS; p++) { ofports[p] = p + 1; live[p] = true; }
        dp.install(ofports, flows);
        Map<Long, Group> gs = new HashMap<>();
        for (String g : groups) { Group x = GroupParser.parse(g); gs.put(x.id, x); }
        dp.setGroups(gs);
        dp.setLive(live);
        return dp;
    }

    private static List<Flow> flows(String... fs) {
        List<Flow> l = new ArrayList<>();
        for (String f : fs) l.add(FlowParser.parse(f));
        return l;
    }

    /** Runs burst copies of frame, in on port index inPort, through dp in b; returns where they went. */
    private static Outputs process(BridgeDatapath dp, int inPort, PacketBatch b, byte[] frame, int burst) {
        for (int i = 0; i < burst; i++) {
            MemorySegment.copy(frame, 0, b.data, JAVA_BYTE, b.off[i], frame.length);
            b.len[i] = frame.length;
        }
        b.count = burst;
        Outputs out = new Outputs(PORTS);
        dp.process(inPort, b, out, 0, System.nanoTime());
        return out;
    }

    /** Sends burst frames (copies of frame) in on port 1; returns OpenFlow port -> the frames that left there. */
    private static Map<Integer, List<byte[]>> send(BridgeDatapath dp, byte[] frame, int burst) {
        PacketBatch b = new PacketBatch();
        Outputs out = process(dp, 0, b, frame, burst);
        Map<Integer, List<byte[]>> res = new TreeMap<>();
        collect(b, out, res);
        return res;
    }

    /** Adds the frames out queued (copied out of b) to res, by OpenFlow port. */
    private static void collect(PacketBatch b, Outputs out, Map<Integer, List<byte[]>> res) {
        for (int k = 0; k < out.touchedCount(); k++) {
            int p = out.touchedPort(k);
            for (int c = 0; c < out.countFor(p); c++) {
                int idx = out.packetsFor(p)[c];
                byte[] bytes = new byte[b.len[idx]];
                MemorySegment.copy(b.data, JAVA_BYTE, b.off[idx], bytes, 0, bytes.length);
                res.computeIfAbsent(p + 1, x -> new ArrayList<>()).add(bytes);
            }
        }
    }

    private static byte[] frame() { return GroupsTest.tcp(0x0a000001, 0x0a000002, 1000, 80); }

    /** Each port of 2..PORTS got burst frames equal to frame. */
    private static void assertFlooded(Map<Integer, List<byte[]>> got, byte[] frame, int burst) {
        Set<Integer> want = new TreeSet<>();
        for (int p = 2; p <= PORTS; p++) want.add(p);
        assertEquals(want, got.keySet());
        for (var e : got.entrySet()) {
            assertEquals(burst, e.getValue().size(), "frames to port " + e.getKey());
            for (byte[] f : e.getValue()) assertArrayEquals(frame, f, "port " + e.getKey());
        }
    }

    private static void assertCachedFlood(BridgeDatapath dp) {
        assertFlooded(send(dp, frame(), 1), frame(), 1);
        assertFlooded(send(dp, frame(), 1), frame(), 1);
        MegaflowStats s = dp.cacheStats(0);
        assertEquals(0, s.uncacheable(), "a long translation is cached: " + s);
        assertEquals(1, s.misses());
        assertEquals(1, s.hits());
    }

    private static List<Flow> ovnFlood(List<Flow> perPort) {
        StringBuilder flood = new StringBuilder("table=0,in_port=1,actions=");
        for (int p = 2; p <= PORTS; p++) {
            flood.append(p > 2 ? "," : "").append("load:").append(p).append("->NXM_NX_REG15[],resubmit(,1)");
            perPort.add(FlowParser.parse("table=1,reg15=" + p + ",actions=output:" + p));
        }
        List<Flow> fs = new ArrayList<>(perPort);
        fs.add(FlowParser.parse(flood.toString()));
        return fs;
    }

    @Test
    void anOvnStyleFloodOfOneResubmitPerPortIsCached() {
        List<Flow> perPort = new ArrayList<>();
        BridgeDatapath dp = bridge(true, List.of(), ovnFlood(perPort));
        assertCachedFlood(dp);
        for (Flow f : perPort) assertEquals(2, f.packetCount(), "a hit per frame on " + f);
    }

    @Test
    void aBurstOfBroadcastsFloodsEveryPortWithoutCopies() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached, List.of(), ovnFlood(new ArrayList<>()));
            for (int round = 0; round < 2; round++) assertFlooded(send(dp, frame(), PacketBatch.BURST), frame(), PacketBatch.BURST);
            assertEquals(0, dp.drops().get(DatapathDrops.Reason.COPIES), "cached " + cached);
        }
    }

    @Test
    void anAllGroupWithABucketPerPortIsCached() {
        StringBuilder g = new StringBuilder("group_id=1,type=all");
        for (int p = 2; p <= PORTS; p++) g.append(",bucket=output:").append(p);
        BridgeDatapath dp = bridge(true, List.of(g.toString()), flows("in_port=1,actions=group:1"));
        assertCachedFlood(dp);
        Group gr = dp.groups().get(1L);
        assertEquals(2, gr.packetCount());
        for (int k = 0; k < PORTS - 1; k++) assertEquals(2, gr.bucketPacketCount(k), "bucket " + k);
    }

    /** Frame f with bytes [at, at + v.length) replaced by v. */
    private static byte[] with(byte[] f, int at, int... v) {
        byte[] c = f.clone();
        for (int x = 0; x < v.length; x++) c[at + x] = (byte) v[x];
        return c;
    }

    @Test
    void portsBeforeARewriteGetThePacketAsItWasThen() {
        byte[] f = frame();
        byte[] newSrc = with(f, 6, 2, 0, 0, 0, 0, 0x99);
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached, List.of(), flows(
                    "table=0,in_port=1,actions=output:2,load:1->reg0,output:3,resubmit(,1),output:5,"
                            + "mod_vlan_vid:7,output:6,strip_vlan,dec_ttl,output:7",
                    "table=1,actions=mod_dl_src:02:00:00:00:00:99,output:4"));
            for (int round = 0; round < 2; round++) {
                Map<Integer, List<byte[]>> got = send(dp, f, 1);
                assertEquals(Set.of(2, 3, 4, 5, 6, 7), got.keySet(), "cached " + cached);
                assertArrayEquals(f, got.get(2).get(0), "output before a register load and a rewrite");
                assertArrayEquals(f, got.get(3).get(0), "output after a register load, before a rewrite");
                assertArrayEquals(newSrc, got.get(4).get(0), "rewritten in the resubmit");
                assertArrayEquals(newSrc, got.get(5).get(0), "after the resubmit");
                byte[] tagged = got.get(6).get(0);
                assertEquals(f.length + 4, tagged.length);
                assertEquals(7, tagged[15] & 0xff, "VLAN 7");
                byte[] last = got.get(7).get(0);
                assertEquals(63, last[22] & 0xff, "TTL decremented after the earlier outputs");
                assertArrayEquals(newSrc, with(last, 22, 64, last[23], f[24], f[25]), "the rest as after the resubmit");
            }
            assertEquals(0, dp.drops().get(DatapathDrops.Reason.COPIES));
        }
    }

    @Test
    void aPortBeforeConntracksNatGetsThePacketUnnatted() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached, List.of(), flows(
                    "table=0,ip,in_port=1,actions=output:2,ct(commit,nat(src=10.9.9.9)),output:3"));
            for (int round = 0; round < 2; round++) {
                byte[] f = io.xvio.datapath.conntrack.Frames.v4(0x0a000001, 0x0a000002, 17,
                        io.xvio.datapath.conntrack.Frames.udp(1000 + round, 53, 10));
                Map<Integer, List<byte[]>> got = send(dp, f, 1);
                assertArrayEquals(f, got.get(2).get(0), "before the nat");
                byte[] natted = got.get(3).get(0);
                assertArrayEquals(new byte[] {10, 9, 9, 9}, Arrays.copyOfRange(natted, 26, 30), "source natted");
            }
        }
    }

    /**
     * OVN's flood to remote chassis: the same tun_id set before each tunnel output. A write that changes no tun_*
     * value copies nothing (59 outputs of one frame, more than a burst's 32 copy slots), one that changes it does:
     * each port reads the tun_id it was sent with.
     */
    @Test
    void settingTheSameTunnelFieldsBeforeEachOutputCopiesNothing() {
        for (boolean cached : new boolean[] {true, false}) {
            StringBuilder f = new StringBuilder("table=0,in_port=1,actions=");
            for (int p = 2; p <= PORTS; p++) f.append(p > 2 ? "," : "").append("set_field:0x5->tun_id,output:").append(p);
            BridgeDatapath dp = bridge(cached, List.of(), flows(f.toString(),
                    "table=0,in_port=2,actions=set_field:0x5->tun_id,output:3,set_field:0x6->tun_id,output:4"));
            for (int round = 0; round < 2; round++) {
                Map<Integer, Long> tunIds = tunIdsSent(dp, 0);
                assertEquals(PORTS - 1, tunIds.size(), "cached " + cached);
                for (long id : tunIds.values()) assertEquals(5, id);
                assertEquals(Map.of(3, 5L, 4, 6L), tunIdsSent(dp, 1), "a changed tun_id: the earlier output keeps its own");
            }
            assertEquals(0, dp.drops().get(DatapathDrops.Reason.COPIES), "cached " + cached);
        }
    }

    /** Writing tun_metadata0's value 0 over a stale 0 still makes the option present: an earlier output keeps it absent. */
    @Test
    void anOptionMadePresentIsARewrite() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached, List.of(), flows(
                    "table=0,in_port=1,actions=set_field:0x5->tun_id,output:2,set_field:0->tun_metadata0,output:3"));
            for (int round = 0; round < 2; round++) {
                PacketBatch b = new PacketBatch();
                Outputs out = process(dp, 0, b, frame(), 1);
                long present = 1L << io.xvio.packet.FlowKey.TUN_METADATA_PRESENT;
                assertEquals(0, b.keys[out.packetsFor(1)[0]].w[io.xvio.packet.FlowKey.TUN_MISC] & present, "port 2: no option");
                assertEquals(present, b.keys[out.packetsFor(2)[0]].w[io.xvio.packet.FlowKey.TUN_MISC] & present, "port 3: the option, 0");
            }
        }
    }

    /**
     * Sends burst copies of frame in on port 1 as a PMD thread does, with a sender the datapath may send chunks of the
     * burst through; returns OpenFlow port -> the frames that left there, and counts the chunks in chunks[0].
     */
    private static Map<Integer, List<byte[]>> sendChunked(BridgeDatapath dp, byte[] frame, int burst, int[] chunks) {
        PacketBatch b = new PacketBatch();
        Map<Integer, List<byte[]>> res = new TreeMap<>();
        Outputs.Sender collect = (batch, out, chunk) -> {
            assertEquals(chunks[0]++, chunk, "chunks in order");
            collect(batch, out, res);
        };
        for (int i = 0; i < burst; i++) {
            MemorySegment.copy(frame, 0, b.data, JAVA_BYTE, b.off[i], frame.length);
            b.len[i] = frame.length;
        }
        b.count = burst;
        Outputs out = new Outputs(PORTS);
        out.setSender(collect);
        dp.process(0, b, out, 0, System.nanoTime());
        collect.send(b, out, out.chunk());
        out.endBurst();
        return res;
    }

    /** The frame as it leaves after mod_vlan_vid:vid (a tag pushed onto an untagged frame). */
    private static byte[] tagged(byte[] f, int vid) {
        byte[] t = new byte[f.length + 4];
        System.arraycopy(f, 0, t, 0, 12);
        t[12] = (byte) 0x81;
        t[14] = (byte) (vid >> 8);
        t[15] = (byte) vid;
        System.arraycopy(f, 12, t, 16, f.length - 12);
        return t;
    }

    /**
     * Three outputs, each after its own rewrite, need two copies per packet: 64 for a full burst, twice the copy
     * slots. The datapath sends the burst in chunks instead of dropping the sends it has no slot for.
     */
    @Test
    void aBurstNeedingMoreCopiesThanSlotsGoesOutInChunks() {
        byte[] f = frame();
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached, List.of(), flows(
                    "table=0,in_port=1,actions=mod_vlan_vid:10,output:2,mod_vlan_vid:20,output:3,mod_vlan_vid:30,output:4"));
            for (int round = 0; round < 3; round++) {
                int[] chunks = {0};
                Map<Integer, List<byte[]>> got = sendChunked(dp, f, PacketBatch.BURST, chunks);
                assertEquals(Set.of(2, 3, 4), got.keySet(), "cached " + cached);
                for (int p = 2; p <= 4; p++) {
                    assertEquals(PacketBatch.BURST, got.get(p).size(), "frames to port " + p + ", cached " + cached + ", round " + round);
                    for (byte[] x : got.get(p)) assertArrayEquals(tagged(f, 10 * (p - 1)), x, "port " + p);
                }
                assertTrue(chunks[0] >= 2, "more than one chunk: " + chunks[0]);
            }
            assertEquals(0, dp.drops().get(DatapathDrops.Reason.COPIES), "cached " + cached);
        }
    }

    /**
     * The same after a recirculation (ct(table=1)): the copies are made in the second pass, after the first pass has
     * taken the whole burst. The second pass sends a chunk when the packets it still has to run are the burst's own
     * (the ct() recirculated each packet itself, no copy): nothing is lost, the first burst included.
     */
    @Test
    void copiesMadeAfterARecirculationGoOutInChunksToo() {
        byte[] f = frame();
        BridgeDatapath dp = bridge(true, List.of(), flows("table=0,ip,in_port=1,actions=ct(table=1)",
                "table=1,actions=mod_vlan_vid:10,output:2,mod_vlan_vid:20,output:3,mod_vlan_vid:30,output:4"));
        for (int round = 0; round < 3; round++) {
            Map<Integer, List<byte[]>> got = sendChunked(dp, f, PacketBatch.BURST, new int[1]);
            for (int p = 2; p <= 4; p++) assertEquals(PacketBatch.BURST, got.get(p).size(), "frames to port " + p + ", round " + round);
        }
        assertEquals(0, dp.drops().get(DatapathDrops.Reason.COPIES));
    }

    /** One frame in on port index inPort: OpenFlow port -> the tun_id in the key of the slot sent there. */
    private static Map<Integer, Long> tunIdsSent(BridgeDatapath dp, int inPort) {
        PacketBatch b = new PacketBatch();
        Outputs out = process(dp, inPort, b, frame(), 1);
        Map<Integer, Long> m = new TreeMap<>();
        for (int k = 0; k < out.touchedCount(); k++) {
            int p = out.touchedPort(k);
            assertEquals(1, out.countFor(p));
            m.put(p + 1, b.keys[out.packetsFor(p)[0]].w[io.xvio.packet.FlowKey.TUN_ID]);
        }
        return m;
    }
}
