package io.xvio.datapath;

import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * install(ofports, vlans, flows, groups), the publication of a bundle commit: two versions of a pipeline whose
 * flows and groups only work together (table 0 sets reg0, table 1 sends reg0's value to its group, each group to
 * its own port) are swapped back and forth while a thread forwards bursts through the datapath, caches on. A packet
 * sees one version or the other, never flows of one and groups of the other: none is dropped, each leaves by
 * port 2 or port 3.
 */
class TablesAndGroupsSwapTest {
    private static final int[] OFPORTS = {1, 2, 3};
    private static final PortVlan[] VLANS = {PortVlan.TRUNK_ALL, PortVlan.TRUNK_ALL, PortVlan.TRUNK_ALL};

    private static List<Flow> flows(int v) {
        return List.of(FlowParser.parse("priority=10,in_port=1,actions=set_field:" + v + "->reg0,resubmit(,1)"),
                FlowParser.parse("table=1,priority=10,reg0=" + v + ",actions=group:" + v));
    }

    private static Map<Long, Group> groups(int v) {
        return Map.of((long) v, GroupParser.parse("group_id=" + v + ",type=all,bucket=actions=output:" + (v + 1)));
    }

    @Test
    void aPacketSeesOneVersionOrTheOther() throws Exception {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(OFPORTS, VLANS, flows(1), groups(1));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong sent = new AtomicLong(), toTwo = new AtomicLong(), toThree = new AtomicLong();
        AtomicReference<String> wrong = new AtomicReference<>();
        Thread pmd = Thread.ofPlatform().start(() -> {
            PacketBatch b = new PacketBatch();
            Outputs out = new Outputs(16);
            while (!stop.get() && wrong.get() == null) {
                for (int i = 0; i < 8; i++) {
                    long o = b.off[i];
                    for (int k = 0; k < 12; k++) b.data.set(JAVA_BYTE, o + k, (byte) (k < 6 ? 2 : 4 + i));
                    b.data.set(JAVA_BYTE, o + 12, (byte) 0x88);
                    b.data.set(JAVA_BYTE, o + 13, (byte) 0xb5);
                    b.len[i] = 64;
                }
                b.count = 8;
                out.clear();
                dp.process(0, b, out, 0, System.nanoTime());
                int seen = 0;
                for (int k = 0; k < out.touchedCount(); k++) {
                    int p = out.touchedPort(k);
                    if (p == 1) toTwo.addAndGet(out.countFor(p));
                    else if (p == 2) toThree.addAndGet(out.countFor(p));
                    else wrong.set("a packet left by port index " + p);
                    seen += out.countFor(p);
                }
                if (seen != 8) wrong.set((8 - seen) + " of 8 packets dropped: flows and groups of different versions");
                sent.addAndGet(8);
            }
        });
        try {
            for (int round = 0; round < 400 && wrong.get() == null; round++) {
                int v = 1 + round % 2;
                dp.install(OFPORTS, VLANS, flows(v), groups(v));
                Thread.sleep(0, 200_000);
            }
        } finally {
            stop.set(true);
            pmd.join(10_000);
        }
        assertNull(wrong.get());
        assertTrue(sent.get() > 0 && toTwo.get() > 0 && toThree.get() > 0, sent + " sent, " + toTwo + " to 2, " + toThree + " to 3");
        // the last version (2: port 3) is in force after the last install
        PacketBatch b = new PacketBatch();
        for (int k = 0; k < 12; k++) b.data.set(JAVA_BYTE, b.off[0] + k, (byte) 2);
        b.len[0] = 64;
        b.count = 1;
        Outputs out = new Outputs(16);
        dp.process(0, b, out, 0, System.nanoTime());
        assertEquals(1, out.touchedCount());
        assertEquals(2, out.touchedPort(0));
    }
}
