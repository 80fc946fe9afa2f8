package io.xvio.datapath;

import io.xvio.packet.FlowKey;
import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The controller action and packet-outs in the datapath: a packet-in carries the packet as it is at the action (cut to
 * max_len), its reason (table-miss flow: no match), table, cookie and metadata; such translations are never cached (every
 * packet reaches the controller); a full ring drops and counts; nobody listening is a CONTROLLER drop; the PMD side
 * allocates nothing. A packet-out runs its actions (output:TABLE as resubmit(,0)) from a port or from the controller.
 */
class PacketInsTest {
    private static final long A = 0x020000000001L, B = 0x020000000002L;

    record In(byte[] frame, int totalLen, int reason, int table, long cookie, long[] key) {}

    private static List<In> drain(BridgeDatapath dp) {
        List<In> got = new ArrayList<>();
        dp.packetIns().drain((f, len, total, reason, table, cookie, key) ->
                got.add(new In(java.util.Arrays.copyOf(f, len), total, reason, table, cookie, key.clone())));
        return got;
    }

    private static void frame(PacketBatch b, int i, long dst, long src, int len) {
        long o = b.off[i];
        for (int k = 0; k < 6; k++) {
            b.data.set(JAVA_BYTE, o + k, (byte) (dst >>> (40 - 8 * k)));
            b.data.set(JAVA_BYTE, o + 6 + k, (byte) (src >>> (40 - 8 * k)));
        }
        b.data.set(JAVA_BYTE, o + 12, (byte) 0x88);
        b.data.set(JAVA_BYTE, o + 13, (byte) 0xb5);
        for (int k = 14; k < len; k++) b.data.set(JAVA_BYTE, o + k, (byte) k);
        b.len[i] = len;
    }

    private static Outputs burst(BridgeDatapath dp, int inPort, int n, int len) {
        PacketBatch b = new PacketBatch();
        for (int i = 0; i < n; i++) frame(b, i, B, A + i, len);
        b.count = n;
        Outputs out = new Outputs(8);
        dp.process(inPort, b, out, 0, System.nanoTime());
        return out;
    }

    private static BridgeDatapath bridge(String... flows) {
        BridgeDatapath dp = new BridgeDatapath("br0");
        List<Flow> fs = new ArrayList<>();
        for (String f : flows) fs.add(FlowParser.parse(f));
        dp.install(new int[] {1, 2, 3}, fs);
        return dp;
    }

    @Test
    void theControllerActionQueuesThePacketWithItsMetadataAndIsNeverCached() {
        BridgeDatapath dp = bridge("priority=0,actions=CONTROLLER:65535",
                "table=0,priority=5,in_port=2,actions=set_field:0x7->reg3,write_metadata:0x99,goto_table:3",
                "table=3,cookie=0x42,priority=9,actions=controller:20,output:1");
        dp.packetIns().setWanted(true);
        burst(dp, 0, 2, 60);                           // from ofport 1: the table-miss flow
        List<In> miss = drain(dp);
        assertEquals(2, miss.size(), "both packets: the first one's translation was not cached");
        In p = miss.getFirst();
        assertEquals(PacketIns.EXPLICIT_MISS, p.reason(), "a table-miss flow (priority 0, matches everything) says explicit miss");
        assertEquals(0, p.table());
        assertEquals(60, p.totalLen());
        assertEquals(60, p.frame().length);
        assertEquals(1, p.key()[FlowKey.IN_PORT]);
        assertEquals(A + 1, miss.get(1).key()[FlowKey.DL_SRC]);
        assertEquals(2, dp.cacheStats(0).uncacheable());

        Outputs out = burst(dp, 1, 1, 100);           // from ofport 2: through table 3
        List<In> act = drain(dp);
        assertEquals(1, act.size());
        In q = act.getFirst();
        assertEquals(PacketIns.ACTION, q.reason());
        assertEquals(3, q.table());
        assertEquals(0x42, q.cookie());
        assertEquals(100, q.totalLen());
        assertEquals(100, q.frame().length, "the whole frame whatever max_len (20) says, as OVS (no buffers)");
        assertEquals(0x7, Field.REG3.get(q.key()[Field.REG3.word]));
        assertEquals(0x99, q.key()[FlowKey.METADATA]);
        assertEquals(1, out.touchedCount(), "the flow's other actions go on: output:1");
        assertEquals(0, dp.drops().get(DatapathDrops.Reason.CONTROLLER));
    }

    @Test
    void withoutAControllerItIsACountedDrop() {
        BridgeDatapath dp = bridge("priority=0,actions=CONTROLLER:65535");
        burst(dp, 0, 3, 60);
        assertEquals(3, dp.drops().get(DatapathDrops.Reason.CONTROLLER));
        assertTrue(drain(dp).isEmpty());
    }

    @Test
    void aFullRingDropsAndCounts() {
        BridgeDatapath dp = bridge("priority=0,actions=CONTROLLER:65535");
        dp.packetIns().setWanted(true);
        for (int k = 0; k < 3; k++) burst(dp, 0, 32, 60);
        assertEquals(PacketIns.SLOTS, drain(dp).size());
        assertEquals(96 - PacketIns.SLOTS, dp.packetIns().dropped());
        assertEquals(96 - PacketIns.SLOTS, dp.drops().get(DatapathDrops.Reason.PACKET_IN_QUEUE));
        burst(dp, 0, 1, 60);
        assertEquals(1, drain(dp).size(), "drained: room again");
    }

    @SuppressWarnings("restriction")
    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void packetInsAllocateNothingOnThePmdSide() {
        BridgeDatapath dp = bridge("priority=0,actions=CONTROLLER:65535");
        dp.packetIns().setWanted(true);
        PacketBatch b = new PacketBatch();
        Outputs out = new Outputs(8);
        PacketIns.Sink none = (f, len, total, reason, table, cookie, key) -> { };
        for (int round = 0; round < 3000; round++) {        // warm-up: the ring, the caches, the JIT
            b.reset();
            for (int i = 0; i < 32; i++) frame(b, i, B, A + i, 60);
            b.count = 32;
            dp.process(0, b, out, 0, 1);
            out.clear();
            dp.packetIns().drain(none);
        }
        long before = allocated();
        for (int round = 0; round < 1000; round++) {
            b.reset();
            for (int i = 0; i < 32; i++) frame(b, i, B, A + i, 60);
            b.count = 32;
            dp.process(0, b, out, 0, 1);
            out.clear();
            dp.packetIns().drain(none);
        }
        long used = allocated() - before;
        // the counter's own reading costs a few hundred bytes; one allocation per packet-in would be 32,000 x 16 or more
        assertTrue(used < 4096, used + " bytes allocated by 32,000 packet-ins");
    }

    private static byte[] bytes(long dst, long src, int len) {
        PacketBatch b = new PacketBatch();
        frame(b, 0, dst, src, len);
        byte[] f = new byte[len];
        java.lang.foreign.MemorySegment.copy(b.data, JAVA_BYTE, b.off[0], f, 0, len);
        return f;
    }

    private static List<Integer> packetOut(BridgeDatapath dp, int inOfport, String actions) { return packetOut(dp, inOfport, null, actions); }

    /** metadata: pipeline fields as a match ("reg0=5,tun_id=9"), or null. */
    private static List<Integer> packetOut(BridgeDatapath dp, int inOfport, String metadata, String actions) {
        PacketBatch b = new PacketBatch();
        Outputs out = new Outputs(8);
        Match md = metadata == null ? null : FlowParser.parse(metadata + ",actions=drop").match;
        dp.packetOut(inOfport, md, bytes(B, A, 60), FlowParser.parse("actions=" + actions).actions, b, out, 0, System.nanoTime());
        List<Integer> ports = new ArrayList<>();
        for (int k = 0; k < out.touchedCount(); k++) ports.add(out.touchedPort(k));
        return ports;
    }

    @Test
    void packetOutsRunTheirActions() {
        BridgeDatapath dp = bridge("priority=5,in_port=1,actions=output:3", "priority=5,in_port=0xfffd,actions=output:2");
        assertEquals(List.of(1), packetOut(dp, 0xfffd, "output:2"), "port index 1 is ofport 2");
        assertEquals(List.of(0, 1, 2), packetOut(dp, 0xfffd, "FLOOD"), "from the controller, FLOOD reaches every port");
        assertEquals(List.of(1, 2), packetOut(dp, 1, "FLOOD"), "from port 1, all but port 1");
        assertEquals(List.of(2), packetOut(dp, 1, "resubmit(,0)"), "output:TABLE runs the tables as received on port 1");
        assertEquals(List.of(1), packetOut(dp, 0xfffd, "resubmit(,0)"), "in_port=CONTROLLER is what the tables see");
        assertEquals(List.of(), packetOut(dp, 0xfffd, "NORMAL"), "NORMAL without an input port: dropped, as OVS");
        assertEquals(List.of(), packetOut(dp, 1, "output:1"), "output to the input port needs IN_PORT");
        assertEquals(List.of(0), packetOut(dp, 1, "IN_PORT"));
    }

    /** An OpenFlow 1.5 packet-out's pipeline fields are the packet's as its actions start (OVN's pinctrl sets them). */
    @Test
    void packetOutMetadataIsWhatTheActionsSee() {
        BridgeDatapath dp = bridge("table=1,priority=5,reg0=5,metadata=0x7,actions=output:3",
                "table=1,priority=4,reg0=5,actions=output:2", "table=1,priority=3,tun_id=0x9,actions=output:1",
                "table=1,priority=0,actions=drop");
        assertEquals(List.of(2), packetOut(dp, 0xfffd, "reg0=5,metadata=0x7", "resubmit(,1)"));
        assertEquals(List.of(1), packetOut(dp, 0xfffd, "reg0=5", "resubmit(,1)"));
        assertEquals(List.of(1), packetOut(dp, 0xfffd, "reg0=0x5/0xff,metadata=0x6", "resubmit(,1)"), "only the bits under a mask");
        assertEquals(List.of(0), packetOut(dp, 0xfffd, "tun_id=0x9", "resubmit(,1)"), "a tunnel field");
        assertEquals(List.of(), packetOut(dp, 0xfffd, "reg1=5", "resubmit(,1)"));
        assertEquals(List.of(), packetOut(dp, 0xfffd, null, "resubmit(,1)"), "no metadata: registers 0");
        assertEquals(List.of(1), packetOut(dp, 0xfffd, "reg0=4", "load:5->NXM_NX_REG0[],resubmit(,1)"), "actions change it as any register");
    }
}
