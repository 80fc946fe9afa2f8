package io.xvio.datapath;

import io.xvio.packet.FlowKey;
import io.xvio.packet.GsoFrames;
import io.xvio.packet.PacketBatch;
import io.xvio.packet.VnetHeader;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Per-packet state the datapath must not take from another packet or from the frame's whole length: a tunnel
 * port reads the flow key (VNI, remote, options), so packets sent there always get their own key extracted, even
 * on the header-free fast paths; check_pkt_larger measures a GSO frame by its segments (as OVS); a packet-in of a
 * frame with a partial checksum carries the checksum completed (as OVS before an upcall).
 */
class OffloadAndKeyStateTest {
    static final long NOW = 1_000_000_000_000L;

    /** Ports vm (ofport 1, index 0) and vx (ofport 2, index 1, a tunnel port reading the key). */
    static BridgeDatapath bridge(String... flows) {
        BridgeDatapath dp = new BridgeDatapath("br0");
        List<Flow> fs = new ArrayList<>();
        for (String f : flows) fs.add(FlowParser.parse(f));
        dp.setKeyedPorts(new boolean[] {false, true});
        dp.install(new int[] {1, 2}, fs);
        dp.setLive(new boolean[] {true, true});
        return dp;
    }

    /** Puts frames into b and marks every slot's key as an earlier decapsulated packet left it: VNI 555, tun_dst. */
    static void stale(PacketBatch b, byte[]... frames) {
        b.reset();
        for (int i = 0; i < frames.length; i++) {
            MemorySegment.copy(frames[i], 0, b.data, JAVA_BYTE, b.off[i], frames[i].length);
            b.len[i] = frames[i].length;
        }
        b.count = frames.length;
        for (int i = 0; i < PacketBatch.BURST; i++) {
            FlowKey k = b.keys[i];
            k.w[FlowKey.TUN_ID] = 555;
            k.w[FlowKey.TUN_IPV4] = 0xac1f0009L;
            k.extended = true;
        }
    }

    @Test
    void packetsForATunnelPortNeverKeepAnEarlierPacketsKeyOnTheHeaderFreePaths() {
        BridgeDatapath dp = bridge("in_port=1,actions=output:2", "in_port=2,actions=output:1");
        PacketBatch b = new PacketBatch();
        Outputs out = new Outputs(4);
        byte[] f = GroupsTest.tcp(1, 2, 3, 4);
        for (int pass = 0; pass < 4; pass++) {         // later passes: cached, whole-burst and exact-match hits
            stale(b, f, f, f);
            out.clear();
            dp.process(0, b, out, 0, NOW);
            assertEquals(3, out.countFor(1));
            for (int i = 0; i < 3; i++) {
                assertFalse(b.keys[i].extended, "pass " + pass + ", packet " + i + ": the tunnel port would read VNI 555");
                assertEquals(0, b.keys[i].w[FlowKey.TUN_ID]);
            }
        }
        // the other way (to a port that reads no key) stays on the header-free path: keys not extracted
        stale(b, f, f);
        out.clear();
        dp.process(1, b, out, 0, NOW);
        stale(b, f, f);
        out.clear();
        dp.process(1, b, out, 0, NOW);
        assertEquals(2, out.countFor(0));
        assertTrue(b.keys[0].extended, "to vm: the header-free path, untouched keys (this test can tell the two apart)");
    }

    /**
     * A port becomes key-reading on the same port layout (a mirror copies its transmit to a key=flow tunnel port):
     * the header-free entries cached before are not replayed any more, so its packets get their own keys.
     */
    @Test
    void aPortThatStartsReadingTheKeyEndsTheHeaderFreeReplayOfTranslationsToIt() {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.setKeyedPorts(new boolean[] {false, false});
        dp.install(new int[] {1, 2}, List.of(FlowParser.parse("in_port=1,actions=output:2")));
        dp.setLive(new boolean[] {true, true});
        PacketBatch b = new PacketBatch();
        Outputs out = new Outputs(4);
        byte[] f = GroupsTest.tcp(1, 2, 3, 4);
        for (int pass = 0; pass < 3; pass++) {
            stale(b, f, f);
            out.clear();
            dp.process(0, b, out, 0, NOW);
        }
        assertTrue(b.keys[0].extended, "a port that reads no key: header-free, the keys untouched");
        dp.setKeyedPorts(new boolean[] {false, true});
        for (int pass = 0; pass < 3; pass++) {
            stale(b, f, f);
            out.clear();
            dp.process(0, b, out, 0, NOW);
            assertEquals(2, out.countFor(1));
            for (int i = 0; i < 2; i++) assertFalse(b.keys[i].extended, "pass " + pass + ", packet " + i + ": VNI 555 of an earlier packet");
        }
    }

    @Test
    void aNormalBridgesRepeatedFrameToATunnelPortGetsItsOwnKey() {
        BridgeDatapath dp = bridge("priority=0,actions=NORMAL");
        PacketBatch b = new PacketBatch();
        Outputs out = new Outputs(4);
        byte[] toVm = GroupsTest.tcp(1, 2, 3, 4), fromVm = GroupsTest.tcp(2, 1, 3, 4);
        toVm[11] = 0x77;                                 // from 02:00:00:00:00:77, behind vx
        fromVm[5] = 0x77;                                // to it
        stale(b, toVm);                                  // learn 02:00:00:00:00:77 on vx
        dp.process(1, b, out, 0, NOW);
        out.clear();
        stale(b, fromVm, fromVm, fromVm);                // the same 16 header bytes: the repeat path
        dp.process(0, b, out, 0, NOW);
        assertEquals(3, out.countFor(1), "unicast to vx, learned");
        for (int i = 0; i < 3; i++) assertFalse(b.keys[i].extended, "packet " + i + " keeps VNI 555 of an earlier packet");
    }

    /** A TCP GSO frame of 8,000 bytes of payload in 1,400-byte segments (each 1,458 bytes with its headers). */
    static void gso(PacketBatch b, boolean partialChecksum) {
        GsoFrames.Frame f = GsoFrames.build(new Random(3), false, false, 0, 8000, 1000, 7, GsoFrames.ACK, 1);
        b.reset();
        MemorySegment.copy(f.bytes(), 0, b.data, JAVA_BYTE, b.off[0], f.bytes().length);
        b.len[0] = f.bytes().length;
        b.count = 1;
        b.offloads = true;
        b.vflags[0] = partialChecksum ? VnetHeader.F_NEEDS_CSUM : 0;
        b.gsoType[0] = f.gsoType();
        b.gsoSize[0] = 1400;
        b.csumAt[0] = b.off[0] + f.csumStart();
        b.csumOffset[0] = f.csumOffset();
    }

    @Test
    void checkPktLargerMeasuresAGsoFrameByItsSegmentsAsOvs() {
        for (int limit : new int[] {1500, 1458, 1457}) {
            BridgeDatapath dp = bridge("in_port=1,actions=check_pkt_larger(" + limit + ")->reg0[0],resubmit(,1)",
                    "table=1,reg0=0x1/0x1,actions=output:1",           // larger: back to vm (an ICMP, in OVN)
                    "table=1,actions=output:2");
            PacketBatch b = new PacketBatch();
            Outputs out = new Outputs(4);
            gso(b, true);
            dp.process(0, b, out, 0, NOW);
            boolean larger = limit < 1458;
            assertEquals(larger ? 0 : 1, out.countFor(1), "limit " + limit + ": segments of 1,458 bytes, the frame " + b.len[0]);
        }
    }

    @Test
    void aPacketInOfAFrameWithAPartialChecksumCarriesItCompleted() {
        BridgeDatapath dp = bridge("in_port=1,actions=controller");
        dp.packetIns().setWanted(true);
        PacketBatch b = new PacketBatch();
        byte[] frame = io.xvio.datapath.conntrack.Frames.v4(io.xvio.datapath.conntrack.Frames.ip("10.0.0.1"),
                io.xvio.datapath.conntrack.Frames.ip("10.0.0.2"), 6, io.xvio.datapath.conntrack.Frames.tcp(1000, 80, 0x18, 1, 1, 65535, 100, new byte[0]));
        assertTrue(io.xvio.datapath.conntrack.Frames.checksumsOk(frame));
        MemorySegment.copy(frame, 0, b.data, JAVA_BYTE, b.off[0], frame.length);
        b.len[0] = frame.length;
        b.count = 1;
        b.offloads = true;
        b.vflags[0] = VnetHeader.F_NEEDS_CSUM;
        b.csumAt[0] = b.off[0] + 34;                     // the TCP header
        b.csumOffset[0] = 16;
        int ipLen = frame.length - 14;
        b.data.set(JAVA_BYTE, b.off[0] + 34 + 16, (byte) 0x12);   // what a guest leaves there: not the checksum
        b.data.set(JAVA_BYTE, b.off[0] + 34 + 17, (byte) 0x34);
        dp.process(0, b, new Outputs(4), 0, NOW);
        List<byte[]> got = new ArrayList<>();
        dp.packetIns().drain((f, len, total, reason, table, cookie, key) -> got.add(java.util.Arrays.copyOf(f, len)));
        assertEquals(1, got.size());
        byte[] p = got.getFirst();
        assertEquals(frame.length, p.length);
        assertTrue(io.xvio.datapath.conntrack.Frames.checksumsOk(java.util.Arrays.copyOf(p, 14 + ipLen)), "TCP checksum completed");
        assertArrayEquals(frame, p, "the frame as the guest meant it");
    }
}
