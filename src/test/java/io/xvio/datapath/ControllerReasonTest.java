package io.xvio.datapath;

import io.xvio.datapath.action.Controller;
import io.xvio.datapath.meter.MeterParser;
import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The packet-in reason and meter of the controller action in the datapath, as OVS's translation gives them: a
 * reason the action names; else packet_out in a packet-out, group in a group bucket's own actions (not in a flow a
 * bucket resubmits to), no_match in a table-miss flow, action elsewhere. meter_id rate-limits the packet-ins through
 * that OpenFlow meter (its drops counted as meter drops and in the meter's stats); a meter that does not exist lets
 * them pass. max_len does not cut the frame (OVS sends it whole: it buffers nothing).
 */
class ControllerReasonTest {
    static final long T0 = 1_000_000_000_000L;

    record In(int len, int total, int reason, int table, long cookie) {}

    static List<In> drain(BridgeDatapath dp) {
        List<In> got = new ArrayList<>();
        dp.packetIns().drain((f, len, total, reason, table, cookie, key) -> got.add(new In(len, total, reason, table, cookie)));
        return got;
    }

    static byte[] frame() {
        byte[] f = new byte[60];
        for (int k = 0; k < 6; k++) f[k] = (byte) 0xff;
        f[11] = 1;
        f[12] = (byte) 0x88;
        f[13] = (byte) 0xb5;
        return f;
    }

    static void send(BridgeDatapath dp, int inPortIndex, int n, long now) {
        PacketBatch b = new PacketBatch();
        Outputs o = new Outputs(8);
        byte[] f = frame();
        b.reset();
        for (int i = 0; i < n; i++) {
            MemorySegment.copy(f, 0, b.data, JAVA_BYTE, b.off[i], f.length);
            b.len[i] = f.length;
        }
        b.count = n;
        dp.process(inPortIndex, b, o, 0, now);
    }

    static BridgeDatapath bridge(String... flows) {
        BridgeDatapath dp = new BridgeDatapath("br0");
        List<Flow> fs = new ArrayList<>();
        for (String f : flows) fs.add(FlowParser.parse(f));
        dp.install(new int[] {1, 2, 3}, fs);
        dp.setLive(new boolean[] {true, true, true});
        dp.packetIns().setWanted(true);
        return dp;
    }

    /**
     * dec_ttl at TTL 1 sends an invalid_ttl packet-in (the whole frame, with the flow's table and cookie) to each
     * controller id it names (plain dec_ttl: id 0), then ends the flow's actions; a TTL above 1 sends none; a dec_ttl
     * with no ids (ovn-controller's, over OpenFlow) sends none either. As OVS's compose_dec_ttl.
     */
    @Test
    void decTtlSendsInvalidTtlPacketInsToItsControllerIds() {
        BridgeDatapath dp = bridge(
                "table=0,priority=9,in_port=1,ip,actions=resubmit(,1),output:3",
                "table=1,cookie=0x44,priority=9,ip,actions=dec_ttl(1,2),output:2");
        byte[] f = ipv4(1);
        sendFrame(dp, f);
        assertEquals(List.of(new In(f.length, f.length, Controller.INVALID_TTL, 1, 0x44), new In(f.length, f.length, Controller.INVALID_TTL, 1, 0x44)),
                drain(dp), "one packet-in per controller id");
        sendFrame(dp, ipv4(64));
        assertEquals(List.of(), drain(dp), "a TTL that does not run out sends nothing");

        BridgeDatapath plain = bridge("table=0,priority=9,ip,actions=dec_ttl,output:2");
        sendFrame(plain, f);
        assertEquals(List.of(new In(f.length, f.length, Controller.INVALID_TTL, 0, 0)), drain(plain), "plain dec_ttl is controller id 0");

        BridgeDatapath none = bridge("table=0,priority=9,ip,actions=output:2");
        none.install(new int[] {1, 2, 3}, List.of(new Flow(0, 9, 0, FlowParser.parse("table=0,priority=9,ip,actions=drop").match,
                List.of(new io.xvio.datapath.action.DecTtl(List.of(), true), new io.xvio.datapath.action.Output(2)), 0, 0, "ip,actions=dec_ttl()")));
        sendFrame(none, f);
        assertEquals(List.of(), drain(none), "dec_ttl with no ids sends no packet-in");
    }

    /** An IPv4/UDP frame with this TTL (header checksum right). */
    static byte[] ipv4(int ttl) {
        byte[] f = new byte[60];
        for (int k = 0; k < 6; k++) f[k] = (byte) 0x02;
        f[11] = 1;
        f[12] = 0x08;
        f[14] = 0x45;
        f[17] = 46;
        f[22] = (byte) ttl;
        f[23] = 17;
        f[26] = 10; f[29] = 1; f[30] = 10; f[33] = 2;
        int sum = 0;
        for (int k = 14; k < 34; k += 2) sum += (f[k] & 0xff) << 8 | f[k + 1] & 0xff;
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
        f[24] = (byte) (~sum >>> 8);
        f[25] = (byte) ~sum;
        f[35] = 1; f[37] = 2; f[39] = 26;
        return f;
    }

    static void sendFrame(BridgeDatapath dp, byte[] f) {
        PacketBatch b = new PacketBatch();
        b.reset();
        MemorySegment.copy(f, 0, b.data, JAVA_BYTE, b.off[0], f.length);
        b.len[0] = f.length;
        b.count = 1;
        dp.process(0, b, new Outputs(8), 0, T0);
    }

    @Test
    void eachReasonAsOvsGivesIt() {
        BridgeDatapath dp = bridge(
                "table=0,priority=9,in_port=1,actions=controller(reason=invalid_ttl,max_len=20),resubmit(,1)",
                "table=1,cookie=0x11,priority=9,actions=controller(reason=action_set),goto_table:2",
                "table=2,cookie=0x22,priority=9,actions=group:7",
                "table=3,cookie=0x33,priority=9,actions=controller",
                "table=0,priority=0,actions=controller");
        Group g = GroupParser.parse("group_id=7,type=all,bucket=actions=output:controller,bucket=actions=resubmit(,3)");
        dp.setGroups(Map.of(7L, g));

        send(dp, 0, 1, T0);
        List<In> got = drain(dp);
        assertEquals(List.of(new In(60, 60, Controller.INVALID_TTL, 0, 0), new In(60, 60, Controller.ACTION_SET, 1, 0x11),
                new In(60, 60, Controller.GROUP, 2, 0x22), new In(60, 60, Controller.ACTION, 3, 0x33)), got,
                "named reasons; group in the bucket; action in the flow a bucket resubmits to");

        send(dp, 1, 1, T0);
        assertEquals(List.of(new In(60, 60, io.xvio.datapath.PacketIns.EXPLICIT_MISS, 0, 0)), drain(dp), "the table-miss flow: OVS's explicit miss");

        PacketBatch b = new PacketBatch();
        dp.packetOut(0xfffd, frame(), FlowParser.parseActionList("controller,controller(reason=no_match),controller(userdata=01.02),resubmit(,3)"),
                b, new Outputs(8), -1, T0);
        // a packet-out's own actions have no flow: OVS's rule cookie is then all-ones
        assertEquals(List.of(new In(60, 60, Controller.PACKET_OUT, 0, -1L), new In(60, 60, Controller.NO_MATCH, 0, -1L),
                new In(60, 60, Controller.ACTION, 0, -1L), new In(60, 60, Controller.PACKET_OUT, 3, 0x33)), drain(dp),
                "packet_out for output:CONTROLLER in the whole packet-out (OVS's in_packet_out); a controller(...) action keeps its own");
    }

    /**
     * OVN's {@code icmp4.frag_mtu}: a {@code controller(userdata=...,pause)} inside the actions of the packet-out that
     * ovn-controller sends for {@code icmp4_error}. Its packet-in must say "action" (the action's own reason, as OVS
     * gives a paused controller action; OVN's pinctrl drops every other reason), with table 0 and the all-ones cookie
     * of a packet-out; a paused table-miss flow says "action" too (OVS substitutes no miss for a pause).
     */
    @Test
    void aPauseKeepsItsOwnReasonInAPacketOutAndInATableMissFlow() {
        BridgeDatapath dp = bridge("table=0,priority=0,actions=controller(userdata=02,pause),output:2");
        PacketBatch b = new PacketBatch();
        dp.packetOut(0xfffd, frame(), FlowParser.parseActionList("controller(userdata=00.00.00.0d,pause),resubmit(,3)"), b, new Outputs(8), -1, T0);
        assertEquals(List.of(new In(60, 60, Controller.ACTION, 0, -1L)), drain(dp), "the pause in a packet-out");
        send(dp, 0, 1, T0);
        assertEquals(List.of(new In(60, 60, Controller.ACTION, 0, 0)), drain(dp), "the pause in a table-miss flow");
    }

    @Test
    void meterIdRateLimitsThePacketIns() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge("in_port=1,actions=controller(meter_id=5),output:2", "in_port=2,actions=controller(meter_id=6)");
            dp.setCacheEnabled(cached);
            dp.meters().put(MeterParser.parse("meter=5,pktps,burst,stats,bands=type=drop,rate=10,burst_size=3"), false, T0);
            send(dp, 0, 20, T0);
            assertEquals(3, drain(dp).size(), "the meter's burst of 3, cached=" + cached);
            send(dp, 0, 20, T0 + 200_000_000L);
            assertEquals(2, drain(dp).size(), "10 packets/s: 2 more 0.2 s later");
            assertEquals(40, dp.meters().get(5).packetsIn());
            assertEquals(35, dp.meters().get(5).bandPackets(0));
            assertEquals(35, dp.drops().get(DatapathDrops.Reason.METER));
            assertEquals(40, dp.flows().stream().mapToLong(Flow::packetCount).sum(), "every packet hit the flow (the meter is the packet-in's only)");

            send(dp, 1, 20, T0);
            assertEquals(20, drain(dp).size(), "meter 6 does not exist: nothing is limited (as OVS)");
        }
    }

    @Test
    void aPausedPacketInIsMeteredAndCarriesItsReason() {
        BridgeDatapath dp = bridge("in_port=1,actions=controller(reason=no_match,meter_id=5,pause),output:2");
        dp.meters().put(MeterParser.parse("meter=5,pktps,burst,bands=type=drop,rate=1,burst_size=1"), false, T0);
        send(dp, 0, 4, T0);
        List<Integer> reasons = new ArrayList<>();
        dp.packetIns().drain(new PacketIns.Sink() {
            @Override public void packetIn(byte[] f, int len, int total, int reason, int table, long cookie, long[] key) { fail("not paused"); }

            @Override public void packetIn(byte[] f, int len, int total, int reason, int table, long cookie, long[] key, String u, Paused p) {
                reasons.add(reason);
            }
        });
        assertEquals(List.of(Controller.NO_MATCH), reasons, "one of four passed the meter");
        assertEquals(3, dp.drops().get(DatapathDrops.Reason.METER));
    }
}
