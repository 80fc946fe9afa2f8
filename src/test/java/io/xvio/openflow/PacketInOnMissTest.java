package io.xvio.openflow;

import io.xvio.datapath.BridgeDatapath;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.Outputs;
import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Table misses and table-miss flows as OVS reports them: while a connection of controller id 0 speaks OpenFlow
 * 1.0-1.2, a packet that finds no flow goes to it with reason no_match (ofproto-dpif.c rule_dpif_lookup_from_table's
 * miss_rule; connmgr.c update_want_packet_in_on_miss), which an OpenFlow 1.3 connection does not get; a table-miss
 * flow's (priority 0, matching everything) controller action is reported as action before 1.3 and as no_match from
 * 1.3 on (ofproto-dpif-xlate.c xlate_controller_action, lib/ofp-packet.c encode_packet_in_reason).
 */
@Timeout(60)
class PacketInOnMissTest {
    /** An OpenFlow 1.0 controller of id 0 on BRIDGE.mgmt that takes packet-ins (miss_send_len set). */
    static ControllerIdTest.Client of10(Path sock) throws Exception {
        SocketChannel ch = ControllerIdTest.Client.unix(sock);
        OfChannelsTest.write(ch, OpenFlowCodecTest.hello(OfVersion.OF10, 1 << OfVersion.OF10));
        assertEquals(OfType.HELLO, OfChannelsTest.read(ch)[1]);
        OfChannelsTest.write(ch, new Wire.Writer(OfVersion.OF10, OfType.SET_CONFIG, 2).u16(0).u16(0xffff).finish());
        OfChannelsTest.write(ch, new Wire.Writer(OfVersion.OF10, OfType.OF10_BARRIER_REQUEST, 4).finish());
        assertEquals(OfType.OF10_BARRIER_REQUEST + 1, OfChannelsTest.read(ch)[1]);
        ControllerIdTest.Client c = new ControllerIdTest.Client(ch);
        c.startReading();
        return c;
    }

    /** Receives a 64-byte IPv4 frame on port index 0 (ofport 1). */
    static void receive(BridgeDatapath dp) {
        PacketBatch b = new PacketBatch();
        long o = b.off[0];
        for (int k = 0; k < 12; k++) b.data.set(ValueLayout.JAVA_BYTE, o + k, (byte) (k < 6 ? 2 : 4));
        b.data.set(ValueLayout.JAVA_BYTE, o + 12, (byte) 0x08);
        b.len[0] = 64;
        b.count = 1;
        dp.process(0, b, new Outputs(4), 0, System.nanoTime());
    }

    /** The reason of an OpenFlow 1.0 or 1.3 packet-in (standard format). */
    static int reason(byte[] pin) { return pin[pin[0] == OfVersion.OF10 ? 16 : 14]; }

    @Test
    void of10ControllersGetTableMisses(@TempDir Path dir) throws Exception {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2}, List.of());
        MemorySwitch sw = new MemorySwitch();
        sw.packetIns = dp.packetIns();
        sw.datapath = dp;
        try (OfChannels chs = new OfChannels(sw, System.nanoTime());
             OfEndpoint e = OfEndpoint.start(dir.resolve("ctl.sock").toString(), sw, chs);
             ControllerIdTest.Client of13 = new ControllerIdTest.Client(e.path(), 0);
             ControllerIdTest.Client of10 = of10(e.path())) {
            for (int k = 0; k < 100 && !dp.packetIns().wanted(); k++) Thread.sleep(20);
            receive(dp);
            byte[] pin = of10.packetIns.poll(5, TimeUnit.SECONDS);
            assertNotNull(pin, "the OpenFlow 1.0 controller gets the table miss");
            assertEquals(0, reason(pin), "OFPR_NO_MATCH");
            Thread.sleep(300);
            assertEquals(0, of13.packetIns.size(), "no implicit miss for the OpenFlow 1.3 connection");
        }
    }

    /** A packet-out's output:TABLE may miss to the controllers too (OVS: may_packet_in for OFPP_TABLE); a resubmit may not. */
    @Test
    void aPacketOutToTableMissesToOf10Controllers(@TempDir Path dir) throws Exception {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2}, List.of(FlowParser.parse("table=0,priority=1,in_port=2,actions=drop")));
        MemorySwitch sw = new MemorySwitch();
        sw.packetIns = dp.packetIns();
        sw.datapath = dp;
        try (OfChannels chs = new OfChannels(sw, System.nanoTime());
             OfEndpoint e = OfEndpoint.start(dir.resolve("ctl.sock").toString(), sw, chs);
             ControllerIdTest.Client of10 = of10(e.path())) {
            for (int k = 0; k < 100 && !dp.packetIns().wanted(); k++) Thread.sleep(20);
            byte[] frame = new byte[60];
            frame[12] = 0x08;
            byte[] msg = OfMessages.packetOut(OfVersion.OF13, 5, OfMessages.output(0xfffffff9), frame);    // output:TABLE
            Wire.Reader r = new Wire.Reader(msg);
            r.skip(8);
            PacketOut po = PacketOut.decode(r, OfVersion.OF13);
            dp.packetOut(po.inPort(), po.data(), po.actions(), new PacketBatch(), new Outputs(4), -1, System.nanoTime());
            byte[] pin = of10.packetIns.poll(5, TimeUnit.SECONDS);
            assertNotNull(pin, "output:TABLE's miss goes to the OpenFlow 1.0 controller");
            assertEquals(0, reason(pin), "OFPR_NO_MATCH");
            dp.packetOut(0xfffd, frame, FlowParser.parseActionList("resubmit(,0)"), new PacketBatch(), new Outputs(4), -1, System.nanoTime());
            Thread.sleep(300);
            assertEquals(0, of10.packetIns.size(), "a resubmit's miss does not");
        }
    }

    @Test
    void aTableMissFlowsPacketInIsActionBeforeOpenFlow13(@TempDir Path dir) throws Exception {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2}, List.of(FlowParser.parse("priority=0,actions=CONTROLLER:65535")));
        MemorySwitch sw = new MemorySwitch();
        sw.packetIns = dp.packetIns();
        sw.datapath = dp;
        try (OfChannels chs = new OfChannels(sw, System.nanoTime());
             OfEndpoint e = OfEndpoint.start(dir.resolve("ctl.sock").toString(), sw, chs);
             ControllerIdTest.Client of13 = new ControllerIdTest.Client(e.path(), 0);
             ControllerIdTest.Client of10 = of10(e.path())) {
            for (int k = 0; k < 100 && !dp.packetIns().wanted(); k++) Thread.sleep(20);
            receive(dp);
            byte[] pin = of10.packetIns.poll(5, TimeUnit.SECONDS);
            assertNotNull(pin);
            assertEquals(1, reason(pin), "a table-miss flow's packet-in is OFPR_ACTION before OpenFlow 1.3");
            pin = of13.packetIns.poll(5, TimeUnit.SECONDS);
            assertNotNull(pin);
            assertEquals(0, reason(pin), "and OFPR_NO_MATCH from 1.3 on");
        }
    }

    @Test
    void withoutAnOf10ControllerATableMissIsDropped(@TempDir Path dir) throws Exception {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2}, List.of());
        MemorySwitch sw = new MemorySwitch();
        sw.packetIns = dp.packetIns();
        sw.datapath = dp;
        try (OfChannels chs = new OfChannels(sw, System.nanoTime());
             OfEndpoint e = OfEndpoint.start(dir.resolve("ctl.sock").toString(), sw, chs);
             ControllerIdTest.Client of13 = new ControllerIdTest.Client(e.path(), 0);
             ControllerIdTest.Client of10 = of10(e.path())) {
            Wire.Writer w = new Wire.Writer(OfVersion.OF10, OfType.VENDOR, 3);
            w.u32(OfVersion.NX_VENDOR).u32(OfType.NXT_SET_CONTROLLER_ID).zeros(6).u16(5);
            OfChannelsTest.write(of10.ch, w.finish());
            OfChannelsTest.write(of10.ch, new Wire.Writer(OfVersion.OF10, OfType.OF10_BARRIER_REQUEST, 4).finish());
            for (int k = 0; k < 100 && of10.others.isEmpty(); k++) Thread.sleep(20);
            receive(dp);
            Thread.sleep(300);
            assertEquals(0, of10.packetIns.size(), "controller id 5: no table misses");
            assertEquals(0, of13.packetIns.size());
            assertEquals(1, dp.droppedNoMatch());
        }
    }
}
