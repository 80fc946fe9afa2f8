package io.xvio.datapath;

import io.xvio.datapath.action.Action;
import io.xvio.packet.FlowKey;
import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * controller(pause): the translation stops at the action, the packet-in carries the rest of the flow's actions, its
 * table and cookie, the register stack; nothing after the pause is output and nothing is cached; resuming runs the
 * rest with the metadata the controller sent back. Under resubmits, the enclosing lists' rests follow (OVS's unroll).
 * A pause inside a clone or a group bucket is refused at install.
 */
class PauseTest {
    private static final long A = 0x020000000001L, B = 0x020000000002L;

    record In(byte[] frame, int table, long cookie, long[] key, String userdata, Paused paused) {}

    private static List<In> drain(BridgeDatapath dp) {
        List<In> got = new ArrayList<>();
        dp.packetIns().drain(new PacketIns.Sink() {
            @Override public void packetIn(byte[] f, int len, int total, int reason, int table, long cookie, long[] key) {
                got.add(new In(java.util.Arrays.copyOf(f, len), table, cookie, key.clone(), null, null));
            }

            @Override public void packetIn(byte[] f, int len, int total, int reason, int table, long cookie, long[] key, String u, Paused p) {
                got.add(new In(java.util.Arrays.copyOf(f, len), table, cookie, key.clone(), u, p));
            }
        });
        return got;
    }

    private static byte[] frame(long dst, long src) {
        byte[] f = new byte[60];
        for (int k = 0; k < 6; k++) {
            f[k] = (byte) (dst >>> (40 - 8 * k));
            f[6 + k] = (byte) (src >>> (40 - 8 * k));
        }
        f[12] = (byte) 0x88;
        f[13] = (byte) 0xb5;
        return f;
    }

    private static List<Integer> receive(BridgeDatapath dp, int inPort) {
        PacketBatch b = new PacketBatch();
        byte[] f = frame(B, A);
        java.lang.foreign.MemorySegment.copy(f, 0, b.data, JAVA_BYTE, b.off[0], f.length);
        b.len[0] = f.length;
        b.count = 1;
        Outputs out = new Outputs(8);
        dp.process(inPort, b, out, 0, System.nanoTime());
        return ports(out);
    }

    private static List<Integer> ports(Outputs out) {
        List<Integer> ports = new ArrayList<>();
        for (int k = 0; k < out.touchedCount(); k++) ports.add(out.touchedPort(k));
        return ports;
    }

    private static BridgeDatapath bridge(String... flows) {
        BridgeDatapath dp = new BridgeDatapath("br0");
        List<Flow> fs = new ArrayList<>();
        for (String f : flows) fs.add(FlowParser.parse(f));
        dp.install(new int[] {1, 2, 3}, fs);
        dp.packetIns().setWanted(true);
        return dp;
    }

    @Test
    void aPausedTranslationSendsTheRestAndOutputsNothing() {
        BridgeDatapath dp = bridge("table=0,priority=5,in_port=1,actions=set_field:0x7->reg3,push:NXM_NX_REG3[],goto_table:4",
                "table=4,cookie=0x42,priority=5,actions=output:3,controller(userdata=01.02,pause),set_field:0x9->reg4,output:2");
        for (int round = 0; round < 2; round++) {
            assertEquals(List.of(2), receive(dp, 0), "output:3 before the pause goes out (index 2), output:2 after it does not");
            List<In> got = drain(dp);
            assertEquals(1, got.size(), "round " + round + ": not cached, every packet pauses");
            In p = got.getFirst();
            assertNotNull(p.paused());
            assertEquals("01.02", p.userdata());
            assertEquals(4, p.table());
            assertEquals(0x42, p.cookie());
            assertEquals(1, p.paused().frames().size(), "table 4's rest only: goto_table was table 0's last action");
            Paused.Frame f = p.paused().frames().getFirst();
            assertEquals(4, f.table());
            assertEquals(0x42, f.cookie());
            assertEquals("set_field:0x9->reg4,output:2", io.xvio.datapath.action.ActionSyntax.format(f.rest()));
            assertArrayEquals(new long[] {7}, p.paused().stack());
            assertEquals(7, Field.REG3.get(p.key()[Field.REG3.word]));
            assertEquals(1, p.key()[FlowKey.IN_PORT]);
        }
        assertEquals(2, dp.cacheStats(0).uncacheable());
    }

    @Test
    void resumingRunsTheRestWithTheMetadataSentBack() {
        BridgeDatapath dp = bridge("table=4,priority=5,reg4=0x9,actions=output:3",
                "table=5,priority=5,reg5=0x1,actions=output:1");
        List<Action> rest = FlowParser.parseActionList("set_field:0x9->reg4,pop:NXM_NX_REG5[],resubmit(,5),resubmit(,4),output:2");
        Match meta = new Match().set(Field.IN_PORT, 0xfffd, Field.IN_PORT.fullMask()).set(Field.REG3, 7, Field.REG3.fullMask());
        PacketBatch b = new PacketBatch();
        Outputs out = new Outputs(8);
        dp.resume(0xfffd, frame(B, A), meta, new long[] {1}, List.of(new Paused.Frame(4, 0x42, rest)), b, out, 0, System.nanoTime());
        assertEquals(List.of(0, 2, 1), ports(out), "pop restores the stack (reg5=1: table 5 outputs to 1), reg4 set: 3, then 2");
        assertEquals(7, Field.REG3.get(b.keys[0].w[Field.REG3.word]), "the controller's registers");
    }

    /**
     * As OVS's xlate_resume: the packet-in's tunnel fields, ct_state, ct_zone, ct_mark and ct_label come back with
     * the resumed packet (flows after the pause match them), its connection's tuple does not.
     */
    @Test
    void resumingRestoresTheTunnelAndConntrackFields() {
        BridgeDatapath dp = bridge("table=4,priority=5,tun_id=0x5,tun_src=192.0.2.1,ct_state=+trk+est,ct_zone=3,ct_mark=0x42,actions=output:3",
                "table=4,priority=1,actions=output:2");
        long[] k = new long[FlowKey.WORDS];
        k[FlowKey.IN_PORT] = 1;
        k[FlowKey.TUN_ID] = 5;
        k[Field.TUN_SRC.word] |= Field.TUN_SRC.put(0xc0000201L);
        k[Field.CT_STATE.word] |= Field.CT_STATE.put(io.xvio.datapath.conntrack.CtState.TRK | io.xvio.datapath.conntrack.CtState.EST);
        k[Field.CT_ZONE.word] |= Field.CT_ZONE.put(3);
        k[Field.CT_NW_PROTO.word] |= Field.CT_NW_PROTO.put(6);
        k[FlowKey.CT_MARK] = 0x42;
        Match meta = io.xvio.openflow.PacketIn.metadata(k);
        PacketBatch b = new PacketBatch();
        Outputs out = new Outputs(8);
        dp.resume(1, frame(B, A), meta, new long[0], List.of(new Paused.Frame(4, 0, FlowParser.parseActionList("resubmit(,4)"))), b, out, 0, System.nanoTime());
        assertEquals(List.of(2), ports(out), "the flow on the tunnel and conntrack fields: output:3 (index 2)");
        assertEquals(0, Field.CT_NW_PROTO.get(b.keys[0].w[Field.CT_NW_PROTO.word]), "the tuple is not restored");
        b = new PacketBatch();
        out = new Outputs(8);
        dp.resume(1, frame(B, A), io.xvio.openflow.PacketIn.metadata(java.util.Arrays.copyOf(k, FlowKey.PACKET_WORDS)), new long[0],
                List.of(new Paused.Frame(4, 0, FlowParser.parseActionList("resubmit(,4)"))), b, out, 0, System.nanoTime());
        assertEquals(List.of(1), ports(out), "without them: output:2");
    }

    @Test
    void aPauseUnderResubmitsUnrollsTheEnclosingListsAndResumesThem() {
        BridgeDatapath dp = bridge("table=0,cookie=0x10,priority=5,in_port=1,actions=resubmit(,4),output:3",
                "table=4,cookie=0x44,priority=5,actions=set_field:0x1->reg1,resubmit(,5),output:2",
                "table=5,cookie=0x55,priority=5,actions=controller(userdata=0a,pause),set_field:0x2->reg1",
                "table=6,priority=5,reg1=0x2,actions=output:1");
        assertEquals(List.of(), receive(dp, 0), "nothing after the pause runs: not output:2 nor output:3");
        List<In> got = drain(dp);
        assertEquals(1, got.size());
        In p = got.getFirst();
        assertEquals(5, p.table());
        assertEquals(0x55, p.cookie());
        assertEquals(List.of(new Paused.Frame(5, 0x55, FlowParser.parseActionList("set_field:0x2->reg1")),
                new Paused.Frame(4, 0x44, FlowParser.parseActionList("output:2")),
                new Paused.Frame(0, 0x10, FlowParser.parseActionList("output:3"))), p.paused().frames(), "innermost first, as OVS");

        Match meta = new Match().set(Field.IN_PORT, 1, Field.IN_PORT.fullMask()).set(Field.REG1, 1, Field.REG1.fullMask());
        PacketBatch b = new PacketBatch();
        Outputs out = new Outputs(8);
        dp.resume(1, frame(B, A), meta, new long[0], p.paused().frames(), b, out, 0, System.nanoTime());
        assertEquals(List.of(1, 2), ports(out), "the rest of each list, innermost first: output:2 then output:3");
        assertEquals(2, Field.REG1.get(b.keys[0].w[Field.REG1.word]));

        // a continuation that pauses again in a list others follow: the rest of the lists go on in the new one
        List<Paused.Frame> twice = List.of(new Paused.Frame(5, 0x55, FlowParser.parseActionList("controller(pause),output:1")),
                new Paused.Frame(0, 0x10, FlowParser.parseActionList("output:3")));
        out = new Outputs(8);
        dp.resume(2, frame(B, A), meta, new long[0], twice, new PacketBatch(), out, 0, System.nanoTime());
        assertEquals(List.of(), ports(out));
        In again = drain(dp).getFirst();
        assertEquals(List.of(new Paused.Frame(5, 0x55, FlowParser.parseActionList("output:1")), twice.get(1)), again.paused().frames());
        assertEquals(0x55, again.cookie());
    }

    @Test
    void aPauseXviocannotContinueIsRefusedAtInstall() {
        FlowSyntaxException e = assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("actions=clone(controller(pause)),output:2"));
        assertTrue(e.getMessage().contains("controller(pause)"), e.getMessage());
        e = assertThrows(FlowSyntaxException.class, () -> GroupParser.parse("group_id=1,type=all,bucket=actions=controller(pause),output:2"));
        assertTrue(e.getMessage().contains("group bucket"), e.getMessage());
        assertTrue(((io.xvio.datapath.action.Controller) FlowParser.parseActionList("controller(userdata=01,pause)").getFirst()).pause());
        assertEquals("controller(userdata=01,pause)", FlowParser.parseActionList("controller(userdata=01,pause)").getFirst().format());
    }

    @Test
    void withoutAControllerAPauseIsACountedDrop() {
        BridgeDatapath dp = bridge("priority=5,actions=controller(pause),output:2");
        dp.packetIns().setWanted(false);
        assertEquals(List.of(), receive(dp, 0));
        assertEquals(1, dp.drops().get(DatapathDrops.Reason.CONTROLLER));
    }
}
