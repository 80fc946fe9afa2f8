package io.xvio.datapath;

import io.xvio.datapath.action.Action;
import io.xvio.datapath.action.Meter;
import io.xvio.datapath.meter.LiveMeter;
import io.xvio.datapath.meter.MeterParser;
import io.xvio.openflow.OfActions;
import io.xvio.openflow.OfVersion;
import io.xvio.openflow.Wire;
import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static io.xvio.datapath.conntrack.Frames.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * meter:N in the datapath: every packet meets the meter, on a cache miss and when the megaflow cache replays the
 * translation (including the whole-burst and previous-frame fast paths, which a metered translation must not take),
 * a dropped packet goes nowhere after the meter, a meter in a clone drops the copy only, and meter-stats count.
 */
class MeterDatapathTest {
    static final long T0 = 1_000_000_000_000L;
    static final byte[] FRAME = v4(ip("10.0.0.1"), ip("10.0.0.2"), 17, udp(1000, 2000, 58));   // 100 bytes

    static BridgeDatapath bridge(boolean cached, String meter, String... flows) {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.setCacheEnabled(cached);
        dp.meters().put(MeterParser.parse(meter), false, T0);
        List<Flow> fs = new ArrayList<>();
        for (String f : flows) fs.add(FlowParser.parse(f));
        dp.install(new int[] {1, 2, 3}, fs);
        dp.setLive(new boolean[] {true, true, true});
        return dp;
    }

    /** Sends n copies of FRAME (bursts of up to 32) on port index 0 at now; returns frames out per port index. */
    static int[] send(BridgeDatapath dp, int n, long now) {
        int[] out = new int[3];
        PacketBatch b = new PacketBatch();
        Outputs o = new Outputs(16);
        while (n > 0) {
            int k = Math.min(n, PacketBatch.BURST);
            b.reset();
            for (int i = 0; i < k; i++) {
                MemorySegment.copy(FRAME, 0, b.data, JAVA_BYTE, b.off[i], FRAME.length);
                b.len[i] = FRAME.length;
            }
            b.count = k;
            dp.process(0, b, o, 0, now);
            for (int x = 0; x < o.touchedCount(); x++) out[o.touchedPort(x)] += o.countFor(o.touchedPort(x));
            o.clear();
            n -= k;
        }
        return out;
    }

    @Test
    void aPacketMeterPassesItsBurstThenItsRateWithTheCacheOnAndOff() {
        assertEquals(100, FRAME.length);
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached, "meter=1,pktps,burst,stats,bands=type=drop,rate=10,burst_size=5",
                    "in_port=1,actions=meter:1,output:2");
            assertArrayEquals(new int[] {0, 5, 0}, send(dp, 100, T0), "the burst (5 packets) at once, cached=" + cached);
            assertArrayEquals(new int[] {0, 4, 0}, send(dp, 100, T0 + 400_000_000L), "10 packets/s: 4 more 0.4 s later");
            assertArrayEquals(new int[] {0, 0, 0}, send(dp, 40, T0 + 400_000_000L), "nothing left in the same instant");
            assertArrayEquals(new int[] {0, 5, 0}, send(dp, 100, T0 + 60_000_000_000L), "a minute later: the bucket holds its burst only");
            LiveMeter m = dp.meters().get(1);
            assertEquals(340, m.packetsIn());
            assertEquals(34_000, m.bytesIn());
            assertEquals(326, m.bandPackets(0));
            assertEquals(32_600, m.bandBytes(0));
            assertEquals(326, dp.drops().get(DatapathDrops.Reason.METER), "stats shows them as dropped(meter band)");
            long hits = dp.flows().getFirst().packetCount();
            assertEquals(340, hits, "every packet hit the flow (the meter comes after the lookup)");
        }
    }

    @Test
    void aKbpsMeterCountsBits() {
        // 8 kbps = 1000 bytes/s, burst 8 kb = 1000 bytes: ten 100-byte frames at once, then 10 per second
        BridgeDatapath dp = bridge(true, "meter=2,kbps,burst,bands=type=drop,rate=8,burst_size=8", "actions=meter:2,output:2");
        assertArrayEquals(new int[] {0, 10, 0}, send(dp, 64, T0));
        assertArrayEquals(new int[] {0, 5, 0}, send(dp, 64, T0 + 500_000_000L), "half a second: 500 bytes");
    }

    @Test
    void withoutBurstTheRateIsTheDepthAsInOvs() {
        BridgeDatapath dp = bridge(true, "meter=3,pktps,bands=type=drop,rate=7", "actions=meter:3,output:2");
        assertArrayEquals(new int[] {0, 7, 0}, send(dp, 64, T0));
    }

    @Test
    void theHighestRateBandThatCannotTakeAPacketCountsIt() {
        BridgeDatapath dp = bridge(true, "meter=4,pktps,burst,bands=type=drop,rate=100,burst_size=3,type=drop,rate=1000,burst_size=6",
                "actions=meter:4,output:2");
        assertArrayEquals(new int[] {0, 3, 0}, send(dp, 10, T0));
        LiveMeter m = dp.meters().get(4);
        // packets 4..6: band 0 is empty, band 1 still gives; packets 7..10: both are empty, band 1 (1000/s) fires
        assertEquals(3, m.bandPackets(0));
        assertEquals(4, m.bandPackets(1));
    }

    @Test
    void aMeterInACloneDropsTheCopyOnly() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached, "meter=1,pktps,burst,bands=type=drop,rate=1,burst_size=4",
                    "in_port=1,actions=clone(meter:1,output:3),output:2");
            assertArrayEquals(new int[] {0, 50, 4}, send(dp, 50, T0), "cached=" + cached);
        }
    }

    @Test
    void aDroppedPacketGoesNowhereAfterTheMeterButOutputsBeforeItStand() {
        BridgeDatapath dp = bridge(true, "meter=1,pktps,burst,bands=type=drop,rate=1,burst_size=2",
                "in_port=1,actions=output:3,meter:1,output:2");
        assertArrayEquals(new int[] {0, 2, 30}, send(dp, 30, T0));
    }

    @Test
    void aTraceShowsTheMeterAndMetersNothing() {
        BridgeDatapath dp = bridge(true, "meter=1,pktps,burst,bands=type=drop,rate=1,burst_size=1", "in_port=1,actions=meter:1,output:2");
        Trace t = dp.trace(1, FRAME, new Match());
        assertTrue(t.datapathActions.contains("meter(1)"), t.datapathActions);
        assertEquals(0, dp.meters().get(1).packetsIn());
        assertArrayEquals(new int[] {0, 1, 0}, send(dp, 3, T0), "the bucket is still full");
    }

    @Test
    void theActionParsesFormatsAndCrossesOpenFlow() {
        Flow f = FlowParser.parse("in_port=1,actions=meter:7,output:2");
        assertEquals(new Meter(7), f.actions.getFirst());
        assertEquals("meter:7,output:2", FlowFormat.actions(f.actions));
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("actions=meter:0"));
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("actions=meter:4294967295"));
        for (int v : new int[] {OfVersion.OF13, OfVersion.OF14, OfVersion.OF15}) {
            Wire.Writer w = new Wire.Writer();
            OfActions.encodeInstructions(f.actions, v, w);
            List<Action> back = OfActions.decodeInstructions(new Wire.Reader(w.toBytes()), v);
            assertEquals(f.actions, back, "OpenFlow version " + v);
        }
    }
}
