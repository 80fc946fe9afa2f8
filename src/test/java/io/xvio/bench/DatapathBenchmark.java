package io.xvio.bench;

import io.xvio.datapath.BridgeDatapath;
import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.GroupParser;
import io.xvio.datapath.Outputs;
import io.xvio.packet.FlowKey;
import io.xvio.packet.PacketBatch;
import org.openjdk.jmh.annotations.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

import java.nio.ByteOrder;

/**
 * Per-packet cost of the datapath stages, in ns per packet (each invocation is one burst of 32 packets whose
 * consecutive frames differ): flow-key extraction alone; two in_port flows; an exact-match cache hit and a
 * megaflow cache hit (exact-match cache off: extraction + megaflow lookup) with 1,000 or 10,000 flows installed;
 * the slow path (the classifier walk, caches off) with 1,000 or 10,000 flows; and the NORMAL learning switch.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class DatapathBenchmark {
    static final ValueLayout.OfInt BE_INT = JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    @Param({"1000", "10000"})
    int flows;

    PacketBatch batch;
    Outputs outputs;
    BridgeDatapath exact, cached, slow, normal, inport, conntrack, select;
    PacketBatch reply, oneFlow = burst(1), oneFlowReply;
    FlowKey key;

    /** 32 UDP frames from 32 sources to one destination, as a PMD burst holds them. */
    static PacketBatch burst() { return burst(4); }

    /** A burst of 64-byte UDP frames from `sources` source addresses in turn (1: one flow, every frame alike). */
    static PacketBatch burst(int sources) {
        PacketBatch b = new PacketBatch();
        for (int i = 0; i < PacketBatch.BURST; i++) {
            ByteBuffer bb = ByteBuffer.allocate(64);
            bb.putShort((short) 0x0200).putInt(2).putShort((short) 0x0200).putInt(1).putShort((short) 0x0800);
            bb.put((byte) 0x45).put((byte) 0).putShort((short) 50).putInt(0).put((byte) 64).put((byte) 17).putShort((short) 0)
                    .putInt(0xc6120001 + i % sources).putInt(0xc6120002);
            bb.putShort((short) 9).putShort((short) 9).putShort((short) 30).putShort((short) 0);
            byte[] f = bb.array();
            long sum = 0;                       // a valid IPv4 header checksum: the tracker checks it as OVS does
            for (int k = 14; k < 34; k += 2) sum += (f[k] & 0xff) << 8 | (f[k + 1] & 0xff);
            while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
            f[24] = (byte) (~sum >>> 8);
            f[25] = (byte) ~sum;
            MemorySegment.copy(f, 0, b.data, JAVA_BYTE, b.off[i], 64);
            b.len[i] = 64;
        }
        b.count = PacketBatch.BURST;
        return b;
    }

    /** n flows in six L3/L4 mask shapes that the traffic misses, then in_port forwarding. */
    static List<Flow> table(int n) {
        List<Flow> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int a = (i / 256) % 256, b = i % 256, c = i / 65536;
            fs.add(FlowParser.parse(switch (i % 6) {
                case 0 -> "priority=100,tcp,nw_src=10." + a + "." + b + "." + c + ",tp_dst=" + (1000 + i % 60000) + ",actions=drop";
                case 1 -> "priority=110,ip,nw_dst=10." + a + "." + b + ".0/24,actions=drop";
                case 2 -> "priority=120,ip,nw_src=172." + a + "." + c + ".0/24,nw_dst=10." + b + ".0.0/16,actions=drop";
                case 3 -> "priority=130,udp,tp_src=" + (2000 + i % 60000) + ",tp_dst=" + (i / 60000) + ",actions=drop";
                case 4 -> "priority=140,ip,nw_src=192.168." + a + "." + b + ",nw_tos=" + (4 * (c % 64)) + ",actions=drop";
                default -> "priority=150,tcp,nw_src=10." + a + "." + b + "." + c + ",tp_src=" + (3000 + i % 60000) + ",tp_dst=80,actions=drop";
            }));
        }
        fs.add(FlowParser.parse("priority=1,in_port=1,actions=output:2"));
        fs.add(FlowParser.parse("priority=1,in_port=2,actions=output:1"));
        return fs;
    }

    @Setup
    public void setup() {
        batch = burst();
        outputs = new Outputs(16);
        exact = new BridgeDatapath("exact");
        exact.install(new int[] {1, 2}, table(flows));
        cached = new BridgeDatapath("cached");
        cached.setExactMatchEnabled(false);
        cached.install(new int[] {1, 2}, table(flows));
        slow = new BridgeDatapath("slow");
        slow.setCacheEnabled(false);
        slow.install(new int[] {1, 2}, table(flows));
        inport = new BridgeDatapath("inport");
        inport.install(new int[] {1, 2}, List.of(FlowParser.parse("in_port=1,actions=output:2"), FlowParser.parse("in_port=2,actions=output:1")));
        normal = new BridgeDatapath("normal");
        normal.install(new int[] {1, 2}, List.of(FlowParser.parse("priority=0,actions=NORMAL")));
        key = new FlowKey();
        conntrack = new BridgeDatapath("conntrack");
        conntrack.install(new int[] {1, 2}, Stream.of(
                "table=0,priority=10,ip,actions=ct(commit,zone=1,table=1)", "table=0,priority=0,actions=drop",
                "table=1,priority=10,ip,ct_state=+trk+est,in_port=1,actions=output:2",
                "table=1,priority=10,ip,ct_state=+trk+est,in_port=2,actions=output:1",
                "table=1,priority=5,ip,ct_state=+trk+new,in_port=1,actions=output:2",
                "table=1,priority=5,ip,ct_state=+trk+new,in_port=2,actions=output:1",
                "table=1,priority=0,actions=drop").map(FlowParser::parse).toList());
        conntrack.setLive(new boolean[] {true, true});
        reply = swapped(batch);
        oneFlowReply = swapped(oneFlow);
        select = new BridgeDatapath("select");
        select.install(new int[] {1, 2}, List.of(FlowParser.parse("in_port=1,actions=group:1"), FlowParser.parse("in_port=2,actions=group:2")));
        select.setGroups(Map.of(
                1L, GroupParser.parse("group_id=1,type=select,bucket=output:2,bucket=output:2,bucket=output:2,bucket=output:2"),
                2L, GroupParser.parse("group_id=2,type=select,bucket=output:1,bucket=output:1,bucket=output:1,bucket=output:1")));
        select.setLive(new boolean[] {true, true});
    }

    /** The burst with source and destination addresses swapped (testpmd's 5tswap on the way back). */
    static PacketBatch swapped(PacketBatch b) {
        PacketBatch r = new PacketBatch();
        for (int i = 0; i < b.count; i++) {
            MemorySegment.copy(b.data, b.off[i], r.data, r.off[i], b.len[i]);   // b's own frames (burst() had 4 flows)
            r.len[i] = b.len[i];
            int src = r.data.get(BE_INT, r.off[i] + 26), dst = r.data.get(BE_INT, r.off[i] + 30);
            r.data.set(BE_INT, r.off[i] + 26, dst);
            r.data.set(BE_INT, r.off[i] + 30, src);
        }
        r.count = b.count;
        return r;
    }

    /** The rig's "conntrack" case: ct(commit,zone=1,table=1), then +trk+est to the other port; a burst each way. */
    @Benchmark
    @OperationsPerInvocation(2 * PacketBatch.BURST)
    public int conntrackFlows() { return bothWays(conntrack, batch, reply); }

    /** The same with one flow: every frame of a burst alike (the rig's generator sends one 5-tuple each way). */
    @Benchmark
    @OperationsPerInvocation(2 * PacketBatch.BURST)
    public int conntrackOneFlow() { return bothWays(conntrack, oneFlow, oneFlowReply); }

    /** there from port index 0, then back from port index 1; the ports the two bursts touched. */
    private int bothWays(BridgeDatapath dp, PacketBatch there, PacketBatch back) {
        dp.process(0, there, outputs, 0, 1L);
        int n = outputs.touchedCount();
        outputs.clear();
        dp.process(1, back, outputs, 0, 1L);
        n += outputs.touchedCount();
        outputs.clear();
        return n;
    }

    /** The rig's "select" case: every packet through a 4-bucket select group (dp_hash: two passes). */
    @Benchmark
    @OperationsPerInvocation(PacketBatch.BURST)
    public int selectGroup() {
        select.process(0, batch, outputs, 0, 1L);
        int n = outputs.touchedCount();
        outputs.clear();
        return n;
    }

    @Benchmark
    @OperationsPerInvocation(PacketBatch.BURST)
    public long flowKeyExtraction() {
        long s = 0;
        for (int i = 0; i < PacketBatch.BURST; i++) {
            key.extract(batch.data, batch.off[i], batch.len[i], 1);
            s += key.w[FlowKey.NW_SRC];
        }
        return s;
    }

    @Benchmark
    @OperationsPerInvocation(PacketBatch.BURST)
    public int exactMatchHit() {
        exact.process(0, batch, outputs, 0, 1L);
        int n = outputs.touchedCount();
        outputs.clear();
        return n;
    }

    @Benchmark
    @OperationsPerInvocation(PacketBatch.BURST)
    public int megaflowHit() {
        cached.process(0, batch, outputs, 0, 1L);
        int n = outputs.touchedCount();
        outputs.clear();
        return n;
    }

    /** The rig's "inport" case: two in_port flows, nothing else. */
    @Benchmark
    @OperationsPerInvocation(PacketBatch.BURST)
    public int inportFlows() {
        inport.process(0, batch, outputs, 0, 1L);
        int n = outputs.touchedCount();
        outputs.clear();
        return n;
    }

    @Benchmark
    @OperationsPerInvocation(PacketBatch.BURST)
    public int slowPath() {
        slow.process(0, batch, outputs, 0, 1L);
        int n = outputs.touchedCount();
        outputs.clear();
        return n;
    }

    @Benchmark
    @OperationsPerInvocation(PacketBatch.BURST)
    public int normalSwitch() {
        normal.process(0, batch, outputs, 0, 1L);
        int n = outputs.touchedCount();
        outputs.clear();
        batch.copies = 0;
        return n;
    }
}
