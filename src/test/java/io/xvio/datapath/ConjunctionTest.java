package io.xvio.datapath;

import io.xvio.packet.FlowKey;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Conjunctive matches (conjunction(ID,K/N) and conj_id), resolved as OVS's classifier does. */
class ConjunctionTest {
    private static Classifier table(String... flows) {
        List<Flow> fs = new ArrayList<>();
        for (String f : flows) fs.add(FlowParser.parse(f));
        return new Classifier(fs);
    }

    private static long[] ip(long src, long dst, int proto, int dport) {
        long[] k = new long[FlowKey.WORDS];
        k[FlowKey.DL_TYPE] = 0x0800;
        k[FlowKey.NW_SRC] = src;
        k[FlowKey.NW_DST] = dst;
        k[FlowKey.NW_PROTO] = proto;
        k[FlowKey.TP_DST] = dport;
        return k;
    }

    private static String hit(Classifier c, long[] k) {
        long[] wc = new long[FlowKey.WORDS];
        Flow f = c.lookup(k, wc);
        assertEquals(f, c.lookup(k), "with and without wildcard tracking");
        assertEquals(0, k[FlowKey.CONJ_ID], "conj_id is set for the second lookup only");
        return f == null ? null : FlowFormat.actions(f.actions);
    }

    /** 100 sources x 100 destinations as 200 flows: every pair in the sets matches, none outside. */
    @Test
    void anAclOverTwoAddressSetsWithoutACrossProduct() {
        List<String> flows = new ArrayList<>();
        for (int i = 0; i < 100; i++) flows.add("priority=100,ip,nw_src=10.1.0." + i + ",actions=conjunction(1,1/2)");
        for (int i = 0; i < 100; i++) flows.add("priority=100,ip,nw_dst=10.2.0." + i + ",actions=conjunction(1,2/2)");
        flows.add("priority=100,conj_id=1,ip,actions=output:2");
        flows.add("priority=1,actions=drop");
        Classifier c = table(flows.toArray(String[]::new));
        assertTrue(c.hasConjunctions());
        assertEquals("output:2", hit(c, ip(0x0a010005, 0x0a020063, 6, 80)));
        assertEquals("output:2", hit(c, ip(0x0a010063, 0x0a020000, 17, 53)));
        assertEquals("drop", hit(c, ip(0x0a010005, 0x0a030001, 6, 80)), "destination outside the set");
        assertEquals("drop", hit(c, ip(0x0a030005, 0x0a020001, 6, 80)), "source outside the set");
    }

    @Test
    void priorityOrderBetweenConjunctionsAndOrdinaryFlows() {
        Classifier c = table(
                "priority=200,ip,nw_src=10.0.0.1,actions=conjunction(7,1/2)",
                "priority=200,tcp,tp_dst=80,actions=conjunction(7,2/2),conjunction(8,1/2)",
                "priority=200,conj_id=7,ip,actions=output:4",
                "priority=150,ip,nw_dst=10.0.0.9,actions=conjunction(8,2/2)",
                "priority=150,conj_id=8,actions=output:5",
                "priority=300,icmp,actions=output:3",
                "priority=100,ip,actions=output:2");
        assertEquals("output:4", hit(c, ip(0x0a000001, 0x0a000002, 6, 80)), "both clauses of 7");
        assertEquals("output:2", hit(c, ip(0x0a000001, 0x0a000002, 6, 22)), "clause 2 missing: the ordinary flow");
        assertEquals("output:3", hit(c, ip(0x0a000001, 0x0a000002, 1, 0)), "an ordinary flow above the conjunction wins");
        // 8's clauses sit at different priorities (200 and 150): OVS never completes it
        assertEquals("output:2", hit(c, ip(0x0a000005, 0x0a000009, 6, 80)));
    }

    @Test
    void aSoftMatchGivesWayToALowerFlowWithTheSameMatch() {
        // the conjunction cannot complete, so the lower-priority flow with the identical match takes the packet
        Classifier c = table(
                "priority=200,ip,nw_src=10.0.0.1,actions=conjunction(3,1/2)",
                "priority=180,ip,nw_src=10.0.0.1,actions=output:6",
                "priority=100,ip,actions=output:2");
        assertEquals("output:6", hit(c, ip(0x0a000001, 2, 6, 80)));
    }

    @Test
    void conjunctionIsTheOnlyActionOfItsFlowAndItsNumbersAreChecked() {
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("ip,actions=conjunction(1,1/2),output:1"));
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("ip,actions=conjunction(1,3/2)"));
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("ip,actions=conjunction(1,1/1)"));
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("ip,actions=conjunction(1,1/65)"));
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("ip,actions=conjunction(1)"));
        Flow f = FlowParser.parse("ip,actions=conjunction(10,1/2),conjunction(11,2/3)");
        assertEquals("conjunction(10,1/2),conjunction(11,2/3)", FlowFormat.actions(f.actions));
        assertEquals("conj_id=10,ip", FlowFormat.match(FlowParser.parse("conj_id=10,ip,actions=drop").match));
    }

    /** The megaflow cache, including revalidation when clauses come and go, gives what the plain walk gives. */
    @Test
    void cachedAndPlainAgreeAsClausesChange() {
        List<String> base = new ArrayList<>(List.of(
                "priority=100,ip,nw_src=10.0.0.1,actions=conjunction(1,1/2)",
                "priority=100,ip,nw_dst=10.0.0.2,actions=conjunction(1,2/2)",
                "priority=100,conj_id=1,ip,actions=output:2",
                "priority=1,actions=drop"));
        BridgeDatapath cached = new BridgeDatapath("c"), plain = new BridgeDatapath("p");
        plain.setCacheEnabled(false);
        byte[] hitFrame = GroupsTest.tcp(0x0a000001, 0x0a000002, 1000, 80), otherFrame = GroupsTest.tcp(0x0a000001, 0x0a000003, 1000, 80);
        for (int step = 0; step < 4; step++) {
            List<Flow> fc = new ArrayList<>(), fp = new ArrayList<>();
            for (String s : base) { fc.add(FlowParser.parse(s)); fp.add(FlowParser.parse(s)); }
            cached.install(new int[] {1, 2, 3}, fc);
            plain.install(new int[] {1, 2, 3}, fp);
            for (byte[] f : List.of(hitFrame, otherFrame, hitFrame))
                assertEquals(GroupsTest.send(plain, f).keySet(), GroupsTest.send(cached, f).keySet(), "step " + step);
            switch (step) {
                case 0 -> base.add("priority=100,ip,nw_dst=10.0.0.3,actions=conjunction(1,2/2)");   // otherFrame now matches
                case 1 -> base.remove(1);                                                         // hitFrame no longer
                case 2 -> base.set(base.indexOf("priority=100,conj_id=1,ip,actions=output:2"), "priority=100,conj_id=1,ip,actions=output:3");
                default -> { }
            }
        }
        assertEquals(java.util.Set.of(2), GroupsTest.send(cached, otherFrame).keySet());
    }
}
