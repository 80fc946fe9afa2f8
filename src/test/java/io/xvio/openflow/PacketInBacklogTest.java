package io.xvio.openflow;

import io.xvio.datapath.BridgeDatapath;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.Outputs;
import io.xvio.datapath.action.Action;
import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Packet-ins over a bridge's real sockets and packet-in path ({@link ControllerIdTest.Client}): a controller that
 * stops reading (its socket buffer fills) keeps at most 100 packet-ins queued and loses the rest, counted, while
 * another connection of the same bridge gets every packet-in and its echo replies; and a controller_rate_limit
 * lets through no more than the burst plus the rate times the time, the rest counted as rate limit drops.
 */
@Timeout(120)
class PacketInBacklogTest {
    private static final Pattern COUNTERS = Pattern.compile("packet-ins sent (\\d+), dropped (\\d+) \\(queue full\\) (\\d+) \\(rate limit\\)");

    /** sent, dropped (queue full), dropped (rate limit) of the status line that contains who. */
    private static long[] counters(OfChannels chs, String who) {
        for (String line : chs.controllerStatus()) {
            if (!line.contains(who)) continue;
            Matcher m = COUNTERS.matcher(line);
            assertTrue(m.find(), line);
            return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))};
        }
        fail("no status line for " + who + ": " + chs.controllerStatus());
        return null;
    }

    private static void packetIn(BridgeDatapath dp, byte[] frame, List<Action> actions) {
        dp.packetOut(0xfffd, frame, actions, new PacketBatch(), new Outputs(4), -1, System.nanoTime());
    }

    private static byte[] frame(int len) {
        byte[] f = new byte[len];
        f[12] = (byte) 0x88;
        f[13] = (byte) 0xb5;
        return f;
    }

    @Test
    void aStuckControllerDelaysNoOtherConnection(@TempDir Path dir) throws Exception {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2}, List.of());
        MemorySwitch sw = new MemorySwitch();
        sw.packetIns = dp.packetIns();
        List<Action> toController = FlowParser.parseActionList("controller");
        byte[] frame = frame(1400);
        int total = 3200;                                   // 4.5 MB: far more than a socket buffer holds
        try (OfChannels chs = new OfChannels(sw, System.nanoTime());
             OfEndpoint e = OfEndpoint.start(dir.resolve("ctl.sock").toString(), sw, chs);
             ControllerIdTest.Client stuck = new ControllerIdTest.Client(ControllerIdTest.Client.unix(e.path()), 0, false);
             ControllerIdTest.Client live = new ControllerIdTest.Client(e.path(), 0)) {
            for (int k = 0; k < 100 && chs.controllerStatus().size() < 2; k++) Thread.sleep(20);
            String stuckName = "connection 1:", liveName = "connection 2:";
            boolean echoed = false;
            for (int sent = 0; sent < total; ) {
                for (int k = 0; k < 32; k++, sent++) packetIn(dp, frame, toController);
                // the live controller gets each chunk before the next goes (this also paces the PMD ring of 64)
                for (int k = 0; k < 32; k++)
                    assertNotNull(live.packetIns.poll(20, TimeUnit.SECONDS), "live connection: packet-in " + (sent - 32 + k) + " of " + total);
                if (!echoed && sent >= total / 2) {          // the stuck one's socket and queue are full by now
                    assertTrue(counters(chs, stuckName)[1] > 0, "the stuck controller has lost packet-ins: " + chs.controllerStatus());
                    OfChannelsTest.write(live.ch, new Wire.Writer(OfVersion.OF13, OfType.ECHO_REQUEST, 77).finish());
                    byte[] reply = live.others.poll(20, TimeUnit.SECONDS);
                    assertNotNull(reply, "an echo reply while the other connection is stuck");
                    assertEquals(OfType.ECHO_REPLY, reply[1]);
                    assertEquals(77, OfConnection.xidOf(reply));
                    echoed = true;
                }
            }
            assertTrue(echoed);
            assertEquals(0, live.packetIns.size(), "nothing more than sent");
            assertEquals(0, dp.packetIns().dropped(), "no packet-in lost before the connections' queues");
            long[] l = counters(chs, liveName);
            assertEquals(total, l[0], "live: all sent");
            assertEquals(0, l[1] + l[2], "live: none dropped");
            long[] s = counters(chs, stuckName);
            assertTrue(s[1] > 0 && s[1] < total, "stuck: dropped as its queue was full: " + s[1]);
            assertEquals(0, s[2], "no rate limit on BRIDGE.mgmt");
            long kept = total - s[1];                        // in its socket buffer, in flight, or among the 100 queued
            assertTrue(kept >= Outbox.MAX_PACKET_INS, "kept at least the 100 queued: " + kept);
            // the stuck controller reads again: it gets every packet-in that was not dropped, the backlog written
            stuck.startReading();
            for (long k = 0; k < kept; k++) assertNotNull(stuck.packetIns.poll(20, TimeUnit.SECONDS), "stuck's backlog: " + k + " of " + kept);
            Thread.sleep(200);
            assertEquals(0, stuck.packetIns.size(), "no more than kept");
            assertEquals(kept, counters(chs, stuckName)[0], "stuck: sent is what it received");
        }
    }

    @Test
    void aRateLimitedControllerGetsBurstPlusRateTimesTime() throws Exception {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2}, List.of());
        MemorySwitch sw = new MemorySwitch();
        sw.packetIns = dp.packetIns();
        List<Action> toController = FlowParser.parseActionList("controller");
        byte[] frame = frame(100);
        int rate = 100, burst = 25, total = 640;
        try (OfChannels chs = new OfChannels(sw, System.nanoTime())) {
            chs.setPacketInLimits(new PacketInLimits(rate, burst));
            String target = "ptcp:0:127.0.0.1";
            chs.setControllers(List.of(target));
            int port = chs.listeningPort(target);
            try (ControllerIdTest.Client c = new ControllerIdTest.Client(SocketChannel.open(new InetSocketAddress("127.0.0.1", port)), 0, true)) {
                for (int k = 0; k < 100 && !dp.packetIns().wanted(); k++) Thread.sleep(20);
                long start = System.nanoTime();
                for (int sent = 0; sent < total; sent += 32) {
                    for (int k = 0; k < 32; k++) packetIn(dp, frame, toController);
                    Thread.sleep(15);                            // the OpenFlow thread drains the PMD ring every ms
                }
                Thread.sleep(1000);
                long received = c.packetIns.size();
                double seconds = (System.nanoTime() - start) / 1e9;
                long offered = total - dp.packetIns().dropped();
                long[] n = counters(chs, target);
                assertTrue(received >= burst, "at least the burst passes: " + received);
                long bound = burst + (long) Math.ceil(rate * seconds) + 10;
                assertTrue(received <= bound, received + " packet-ins in " + seconds + " s: at most " + bound);
                assertTrue(n[2] > 0, "the rest dropped by the rate limit, counted: " + chs.controllerStatus());
                assertEquals(0, n[1], "none for a full queue");
                assertTrue(received + n[2] <= offered && received + n[2] >= offered - burst,
                        received + " received + " + n[2] + " dropped, of " + offered + " (at most " + burst + " still waiting)");
            }
        }
    }
}
