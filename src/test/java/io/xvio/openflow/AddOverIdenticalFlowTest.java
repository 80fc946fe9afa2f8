package io.xvio.openflow;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * An add over a flow with the same table, priority and match replaces it as OVS does (ofproto.c add_flow_start,
 * replace_rule_start; ofproto-dpif.c rule_insert; lib/ofp-flow.c ofputil_decode_flow_mod_flags): check_overlap does not
 * refuse it (an identical flow is not an overlap); the new flow takes its cookie, actions and timeouts from the add and
 * keeps the old one's packet and byte counters, unless the add resets them: OpenFlow 1.0 (and NXM) adds always do,
 * 1.2+ ones with OFPFF_RESET_COUNTS.
 */
class AddOverIdenticalFlowTest {
    static byte[] add13(String text, int flags) {
        byte[] m = OpenFlowCodecTest.flowMod13(text, FlowMod.ADD, OfVersion.OF13);
        m[45] = (byte) flags;
        return m;
    }

    /** Counts hits on the flows as the datapath would: n packets of 100 bytes each. */
    static void hit(MemorySwitch sw, int n) {
        for (var f : sw.flows()) f.hit(-1, n, 100L * n, System.nanoTime());
    }

    @Test
    void checkOverlapReplacesAnIdenticalFlowAndRefusesAnOverlappingOne() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF13);
        assertEquals(List.of(), c.handle(add13("cookie=0x1,priority=10,ip,actions=output:1", FlowMod.CHECK_OVERLAP)));
        assertEquals(List.of(), c.handle(add13("cookie=0x2,priority=10,ip,actions=output:2", FlowMod.CHECK_OVERLAP)), "identical: no overlap");
        List<FlowStatsView.Entry> flows = FlowStatsView.dump(c);
        assertEquals(1, flows.size());
        assertEquals(2, flows.getFirst().cookie());
        int[] err = OpenFlowCodecTest.errorOf(c.handle(add13("priority=10,tcp,actions=output:2", FlowMod.CHECK_OVERLAP)));
        assertArrayEquals(new int[] {5, 3}, err, "OFPFMFC_OVERLAP for a flow that overlaps without being identical");
    }

    @Test
    void anOpenFlow13AddKeepsTheCountersUnlessItResetsThem() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF13);
        assertEquals(List.of(), c.handle(add13("cookie=0x1,priority=10,ip,actions=output:1", 0)));
        hit(sw, 3);
        // ovn-controller re-adds a flow to change its cookie: the counters go on
        assertEquals(List.of(), c.handle(add13("cookie=0x2,priority=10,ip,idle_timeout=50,actions=output:2", 0)));
        hit(sw, 1);
        FlowStatsView.Entry e = FlowStatsView.dump(c).getFirst();
        assertEquals(2, e.cookie());
        assertEquals(50, e.idleTimeout(), "the add's timeouts");
        assertEquals(4, e.packets());
        assertEquals(400, e.bytes());
        assertEquals(List.of(), c.handle(add13("cookie=0x3,priority=10,ip,actions=output:2", FlowMod.RESET_COUNTS)));
        e = FlowStatsView.dump(c).getFirst();
        assertEquals(3, e.cookie());
        assertEquals(0, e.packets(), "OFPFF_RESET_COUNTS");
    }

    @Test
    void anOpenFlow10AddResetsTheCounters() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c13 = OpenFlowCodecTest.connected(sw, OfVersion.OF13);
        assertEquals(List.of(), c13.handle(add13("priority=10,in_port=1,actions=output:1", 0)));
        hit(sw, 3);
        OfConnection c10 = OpenFlowCodecTest.connected(sw, OfVersion.OF10);
        assertEquals(List.of(), c10.handle(ModifyMayAddTest.of10FlowMod("priority=10,in_port=1,actions=output:2", FlowMod.ADD, 5)));
        FlowStatsView.Entry e = FlowStatsView.dump(c13).getFirst();
        assertEquals(5, e.cookie());
        assertEquals(0, e.packets(), "an OpenFlow 1.0 add resets the counters");
    }

    /** ovn-controller sends its changes in bundles: a bundled add over an identical flow keeps the counters too. */
    @Test
    void aBundledAddKeepsTheCounters() {
        MemorySwitch sw = new MemorySwitch();
        int v = OfVersion.OF15;
        OfConnection c = OpenFlowCodecTest.connected(sw, v);
        assertEquals(List.of(), c.handle(BundleTest.flowAdd("cookie=0x1,priority=10,ip,actions=output:1", v)));
        hit(sw, 3);
        c.handle(BundleTest.control(v, 1, 7, BundleMsg.OPEN_REQUEST, BundleTest.ATOMIC_ORDERED));
        assertEquals(List.of(), c.handle(BundleTest.add(v, 2, 7, BundleTest.ATOMIC_ORDERED,
                BundleTest.flowAdd("cookie=0x2,priority=10,ip,actions=output:2", v))));
        assertEquals(BundleMsg.COMMIT_REPLY,
                BundleTest.reply(c.handle(BundleTest.control(v, 3, 7, BundleMsg.COMMIT_REQUEST, BundleTest.ATOMIC_ORDERED)), v, 3).type());
        FlowStatsView.Entry e = FlowStatsView.dump(OpenFlowCodecTest.connected(sw, OfVersion.OF13)).getFirst();
        assertEquals(2, e.cookie());
        assertEquals(3, e.packets());
    }

    /**
     * The all-ones cookie (UINT64_MAX, which a modify uses for "no new cookie"): an add with it over an identical flow
     * keeps that flow's cookie and takes the add's actions; a fresh add with it keeps the all-ones cookie, as OVS 3.1
     * (replace_rule_start changes the cookie only when the new one is not all-ones). Alone, batched with other adds
     * in one read, and in a bundle.
     */
    @Test
    void anAddWithTheAllOnesCookieKeepsAnIdenticalFlowsCookie() {
        MemorySwitch sw = new MemorySwitch();
        int v = OfVersion.OF15;
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF13);
        assertEquals(List.of(), c.handle(add13("cookie=0x5,priority=10,ip,actions=output:1", 0)));
        assertEquals(List.of(), c.handle(add13("cookie=0x6,priority=10,arp,actions=output:1", 0)));
        assertEquals(List.of(), c.handle(add13("cookie=0xffffffffffffffff,priority=10,ip,actions=output:2", 0)));
        // two in one read: the batched path of plain adds must not take it
        assertEquals(List.of(), c.handleAll(List.of(add13("cookie=0x7,priority=20,ip,actions=output:3", 0),
                add13("cookie=0xffffffffffffffff,priority=10,arp,actions=output:2", 0))));
        assertEquals(List.of(), c.handle(add13("cookie=0xffffffffffffffff,priority=30,ip,actions=output:4", 0)));
        OfConnection c15 = OpenFlowCodecTest.connected(sw, v);
        c15.handle(BundleTest.control(v, 1, 8, BundleMsg.OPEN_REQUEST, BundleTest.ATOMIC_ORDERED));
        assertEquals(List.of(), c15.handle(BundleTest.add(v, 2, 8, BundleTest.ATOMIC_ORDERED,
                BundleTest.flowAdd("cookie=0xffffffffffffffff,priority=20,ip,actions=output:5", v))));
        assertEquals(BundleMsg.COMMIT_REPLY,
                BundleTest.reply(c15.handle(BundleTest.control(v, 3, 8, BundleMsg.COMMIT_REQUEST, BundleTest.ATOMIC_ORDERED)), v, 3).type());
        assertEquals(4, sw.flows().size(), sw.flows().toString());
        for (var f : sw.flows()) {
            long want = switch (f.priority) {
                case 10 -> f.text().contains("arp") ? 6 : 5;     // kept
                case 20 -> 7;                                     // the bundle's all-ones add kept it too
                default -> -1;                                    // a fresh all-ones add
            };
            assertEquals(want, f.cookie, f.text());
            if (f.priority == 10) assertTrue(f.text().contains("output:2"), "the add's actions: " + f.text());
        }
        assertTrue(sw.flows().stream().anyMatch(f -> f.priority == 20 && f.text().contains("output:5")), "the bundled add's actions: " + sw.flows());
    }
}
