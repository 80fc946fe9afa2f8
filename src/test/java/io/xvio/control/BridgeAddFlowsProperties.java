package io.xvio.control;

import io.xvio.datapath.Flow;
import io.xvio.datapath.Match;
import io.xvio.datapath.action.Output;
import io.xvio.packet.FlowKey;
import net.jqwik.api.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Bridge.addFlows finds the flows a batch replaces through the published tables (not by walking the table for each
 * flow): after random batches (keys colliding with the table, with each other inside a batch, and with a hand-written
 * table's duplicates; fail-open on and off), the bridge holds exactly what adding the flows one by one to the list
 * would (a flow with the same table, priority and match replaced, the new one last), in that order, and the datapath
 * publishes the same flows.
 */
class BridgeAddFlowsProperties {
    private static Flow flow(Random r, int serial) {
        Match m = new Match();
        if (r.nextBoolean()) m.setWord(FlowKey.IN_PORT, 1 + r.nextInt(3), 0xffff);
        if (r.nextBoolean()) m.setWord(FlowKey.DL_TYPE, 0x0800, 0xffff).setWord(FlowKey.NW_DST, 0x0a000000L | r.nextInt(4), 0xffffffffL);
        return new Flow(r.nextInt(2), r.nextInt(3), serial, m, List.of(new Output(1 + r.nextInt(3))), 0, 0, "generated " + serial);
    }

    /** What addFlows did before it used the tables: for each flow, drop those with its key, then append it. */
    private static void reference(List<Flow> flows, List<Flow> fs) {
        for (Flow f : fs) {
            flows.removeIf(o -> o.table == f.table && o.priority == f.priority && o.match.equals(f.match));
            flows.add(f);
        }
    }

    @Property(tries = 300)
    void addingABatchIsAddingItsFlowsOneByOne(@ForAll long seed) {
        Random r = new Random(seed);
        Bridge br = new Bridge("br0");
        int serial = 0;
        List<Flow> initial = new ArrayList<>();
        for (int i = r.nextInt(12); i > 0; i--) initial.add(flow(r, serial++));
        if (!initial.isEmpty() && r.nextBoolean()) {          // a hand-written table may hold two flows of one key
            Flow d = initial.get(r.nextInt(initial.size()));
            initial.add(new Flow(d.table, d.priority, 99, d.match, List.of(new Output(3)), 0, 0, "duplicate"));
        }
        br.setFlows(initial);
        List<Flow> expected = new ArrayList<>(br.flows());
        for (int batch = 0; batch < 8; batch++) {
            if (r.nextInt(4) == 0) br.setFailOpen(r.nextBoolean());
            List<Flow> fs = new ArrayList<>();
            for (int i = 1 + r.nextInt(6); i > 0; i--) fs.add(flow(r, serial++));
            br.addFlows(fs);
            reference(expected, fs);
            assertEquals(expected, br.flows(), "batch " + batch);
            List<Flow> published = new ArrayList<>(br.datapath.flows());
            if (br.failOpen()) assertEquals(0xf0f0f0, published.removeLast().priority, "fail-open's flow stays, last");
            assertEquals(expected, published);
        }
    }
}
