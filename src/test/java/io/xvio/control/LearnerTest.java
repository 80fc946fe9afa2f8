package io.xvio.control;

import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.Match;
import io.xvio.datapath.PortVlan;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The control side of learn: a traced packet never learns (no side effects), a forwarded one queues its flow and the
 * Learner adds it to the bridge (one publication); the same learning again refreshes it, a different one replaces
 * it, the limit holds, and deleting the learning flow with delete_learned deletes what it learned.
 */
class LearnerTest {
    private final Bridge br = new Bridge("br0");

    LearnerTest() {
        for (int of = 1; of <= 3; of++) {
            br.ports.add(new MeterCommandsTest.TestPort("p" + of, of));
            br.vlans.add(PortVlan.TRUNK_ALL);
        }
    }

    private static byte[] frame(int src) {
        byte[] f = new byte[60];
        f[0] = 2; f[5] = 9;                         // dst 02:00:00:00:00:09
        f[6] = 2; f[11] = (byte) src;               // src 02:00:00:00:00:<src>
        f[12] = (byte) 0x88; f[13] = (byte) 0xb5;
        return f;
    }

    /** Runs a frame from ofport 1 through the bridge as a packet-out would (on this thread, with side effects). */
    private void send(int src) {
        io.xvio.packet.PacketBatch b = new io.xvio.packet.PacketBatch();
        br.datapath.packetOut(1, frame(src), FlowParser.parseActionList("resubmit(,0)"), b, new io.xvio.datapath.Outputs(8), -1, System.nanoTime());
    }

    private List<Flow> table(int t) { return br.flows().stream().filter(f -> f.table == t).toList(); }

    private int apply() { return new Learner(List::of, null).applyTo(br); }

    @Test
    void aForwardedPacketLearnsATracedOneDoesNot() {
        br.setFlows(List.of(FlowParser.parse("priority=1,actions=learn(table=20,cookie=0x7,idle_timeout=60,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:OXM_OF_IN_PORT[]),output:2")));
        br.datapath.trace(1, frame(1), new Match());
        assertEquals(0, apply(), "a trace has no side effects");
        send(1);
        send(1);
        assertEquals(2, apply());
        List<Flow> t20 = table(20);
        assertEquals(1, t20.size(), "the second learning found the first's flow: " + t20);
        assertEquals("table=20,priority=32768,cookie=0x7,idle_timeout=60,dl_dst=02:00:00:00:00:01,actions=output:1", t20.getFirst().text());
        Flow first = t20.getFirst();
        send(2);
        send(1);
        apply();
        assertEquals(2, table(20).size());
        assertSame(first, table(20).stream().filter(f -> f.text().contains(":01,")).findFirst().orElseThrow(), "refreshed, not replaced");
    }

    /** OVS's limit: past it only an identical flow is refreshed; one that would replace a flow's actions is refused. */
    @Test
    void aDifferentLearningIsRefusedAtTheLimitAndReplacesBelowIt() {
        br.setFlows(List.of(FlowParser.parse("priority=1,actions=learn(table=20,limit=2,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:NXM_OF_ETH_SRC[0..7]->NXM_NX_REG0[0..7]),output:2")));
        for (int s = 1; s <= 4; s++) send(s);
        apply();
        assertEquals(2, table(20).size(), "limit=2");
        br.addFlows(List.of(FlowParser.parse("table=20,dl_dst=02:00:00:00:00:01,actions=drop")));
        send(1);
        apply();
        assertEquals(List.of(), flowTo(1).actions, "at the limit (two flows with the learn's cookie) the drop flow stays");
        br.delFlows(f -> f.table == 20 && f.text().contains(":02,"));
        send(1);
        apply();
        assertEquals("load:0x1->reg0[0..7]", flowTo(1).actions.getFirst().format(), "below it the learning replaces the flow");
        assertEquals(1, table(20).size());
    }

    private Flow flowTo(int host) {
        return table(20).stream().filter(f -> f.text().contains(":0" + host + ",")).findFirst().orElseThrow();
    }

    @Test
    void deleteLearnedDeletesWhatTheFlowLearned() {
        br.setFlows(List.of(FlowParser.parse("cookie=0x1,priority=1,actions=learn(table=20,cookie=0x5,delete_learned,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[]),output:2"),
                FlowParser.parse("table=20,cookie=0x6,priority=0,actions=drop")));
        send(1);
        send(2);
        apply();
        assertEquals(3, table(20).size());
        br.delFlows(f -> f.cookie == 1);
        assertEquals(List.of("table=20,cookie=0x6,priority=0,actions=drop"), table(20).stream().map(f -> f.text()).toList(),
                "the learned flows (cookie 0x5) went with the learning flow; others stay");
    }
}
