package io.xvio.datapath;

import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

class BridgeDatapathTest {
    private static final long A = 0x020000000001L, B = 0x020000000002L, C = 0x020000000003L, BCAST = 0xffffffffffffL;

    private static void frame(PacketBatch b, int i, long dst, long src) {
        long o = b.off[i];
        for (int k = 0; k < 6; k++) {
            b.data.set(JAVA_BYTE, o + k, (byte) (dst >>> (40 - 8 * k)));
            b.data.set(JAVA_BYTE, o + 6 + k, (byte) (src >>> (40 - 8 * k)));
        }
        b.data.set(JAVA_BYTE, o + 12, (byte) 0x08);
        b.data.set(JAVA_BYTE, o + 13, (byte) 0x00);
        b.len[i] = 64;
    }

    /** Ports that packet 0 of a one-packet burst from inPort goes to. */
    private static List<Integer> send(BridgeDatapath dp, int inPort, long dst, long src) {
        PacketBatch b = new PacketBatch();
        frame(b, 0, dst, src);
        b.count = 1;
        Outputs out = new Outputs(16);
        dp.process(inPort, b, out, 0, System.nanoTime());
        List<Integer> ports = new ArrayList<>();
        for (int k = 0; k < out.touchedCount(); k++) ports.add(out.touchedPort(k));
        return ports;
    }

    @Test
    void normalFloodsUnknownThenForwardsToTheLearnedPort() {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2, 3}, List.of());
        assertEquals(List.of(1, 2), send(dp, 0, B, A), "unknown destination floods to all but the in port");
        assertEquals(List.of(0), send(dp, 1, A, B), "A was learned on port index 0");
        assertEquals(List.of(1), send(dp, 2, B, C), "B was learned on port index 1");
        assertEquals(List.of(0, 1), send(dp, 2, BCAST, C), "broadcast floods");
        assertEquals(List.of(), send(dp, 0, A, C), "destination on the in port: dropped, and C moves to port 0");
        assertEquals(List.of(0), send(dp, 1, C, B), "C moved");
    }

    @Test
    void inPortFlowsCrossConnect() {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2}, List.of(FlowParser.parse("in_port=1,actions=output:2"), FlowParser.parse("in_port=2,actions=output:1")));
        assertEquals(List.of(1), send(dp, 0, BCAST, A));
        assertEquals(List.of(0), send(dp, 1, BCAST, B));
    }

    @Test
    void higherPriorityWinsAndUnmatchedPacketsDrop() {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2, 3}, List.of(
                FlowParser.parse("priority=1,actions=output:3"),
                FlowParser.parse("priority=100,in_port=1,actions=output:2")));
        assertEquals(List.of(1), send(dp, 0, A, B));
        assertEquals(List.of(2), send(dp, 1, A, B));
        dp.install(new int[] {1, 2, 3}, List.of(FlowParser.parse("in_port=1,actions=output:2")));
        assertEquals(List.of(), send(dp, 1, A, B));
        assertEquals(1, dp.droppedNoMatch());
    }

    @Test
    void macTableAgesOut() {
        MacTable t = new MacTable(64, 1_000);
        t.learn(A, 0, 3, 0);
        assertEquals(3, t.lookup(A, 0, 500));
        assertEquals(-1, t.lookup(A, 0, 2_000));
        assertEquals(-1, t.lookup(A, 10, 500), "VLANs are separate");
    }
}
