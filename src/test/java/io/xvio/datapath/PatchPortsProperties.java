package io.xvio.datapath;

import io.xvio.packet.PacketBatch;
import net.jqwik.api.*;

import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Two bridges joined by a patch pair decide with their megaflow caches exactly what they decide without: random flow
 * tables on both (MegaflowCacheProperties' matches and actions: rewrites, resubmits, groups, NORMAL, in_port, ...),
 * port 3 of each bridge the patch to the other's port 3, random bursts into either bridge. Every port of both bridges
 * gets the same bytes in the same order, and flow, group and drop counters (patch loops included) agree.
 */
class PatchPortsProperties {
    /** A pair of bridges, br0's and br1's layouts as the control plane makes them (each bridge's array: its own ports first). */
    static BridgeDatapath[] pair(boolean cached, List<Flow> f0, List<Flow> f1, PatchLayout.Counter none) {
        BridgeDatapath br0 = new BridgeDatapath("br0"), br1 = new BridgeDatapath("br1");
        for (BridgeDatapath b : new BridgeDatapath[] {br0, br1}) {
            b.setCacheEnabled(cached);
            b.setGroups(MegaflowCacheProperties.groups());
        }
        br0.install(new int[] {1, 2, 3}, f0);
        br1.install(new int[] {1, 2, 3}, f1);
        for (BridgeDatapath b : new BridgeDatapath[] {br0, br1}) b.setLive(MegaflowCacheProperties.live(3));
        br0.setPatches(new PatchLayout(List.of(new PatchLayout.Hop(2, br0, br1, 2, 3, 3, none, none),
                new PatchLayout.Hop(5, br1, br0, 2, 3, 0, none, none))));
        br1.setPatches(new PatchLayout(List.of(new PatchLayout.Hop(2, br1, br0, 2, 3, 3, none, none),
                new PatchLayout.Hop(5, br0, br1, 2, 3, 0, none, none))));
        return new BridgeDatapath[] {br0, br1};
    }

    @Provide
    Arbitrary<List<String>> tables() {
        // MegaflowCacheProperties' flows, and flows that send to the patch port or back where the packet came from
        Arbitrary<String> toPatch = Combinators.combine(Arbitraries.integers().between(0, 300),
                Arbitraries.of("", "in_port=3", "in_port=1", "ip", "in_port=3,ip,nw_ttl=63", "reg0=5", "in_port=3,reg0=0"),
                Arbitraries.of("output:3", "in_port", "normal", "flood", "dec_ttl,output:3", "mod_nw_src:192.168.0.9,output:3,output:2",
                        "load:5->NXM_NX_REG0[],output:3", "output:3,output:3", "group:1", "clone(output:3),output:1"))
                .as((prio, match, acts) -> "priority=" + prio + (match.isEmpty() ? "" : "," + match) + ",actions=" + acts);
        Arbitrary<String> bounce = Arbitraries.integers().between(250, 400).map(p -> "priority=" + p + ",in_port=3,actions=in_port");
        return Arbitraries.frequencyOf(Tuple.of(3, MegaflowCacheProperties.flow(0, 1)), Tuple.of(4, toPatch), Tuple.of(1, bounce))
                .list().ofMinSize(1).ofMaxSize(15);
    }

    @Provide
    Arbitrary<List<byte[]>> packets() { return new MegaflowCacheProperties().packets(); }

    @Property(tries = 250)
    void cachedAndPlainPairsAgree(@ForAll("tables") List<String> t0, @ForAll("tables") List<String> t1,
                                  @ForAll("packets") List<byte[]> pkts, @ForAll long seed) {
        List<Flow> c0 = t0.stream().map(FlowParser::parse).toList(), c1 = t1.stream().map(FlowParser::parse).toList();
        List<Flow> p0 = t0.stream().map(FlowParser::parse).toList(), p1 = t1.stream().map(FlowParser::parse).toList();
        long[] crossed = new long[1];
        BridgeDatapath[] cached = pair(true, c0, c1, (t, n) -> crossed[0]++), plain = pair(false, p0, p1, (t, n) -> { });
        Random random = new Random(seed);
        for (int round = 0; round < 2; round++) {          // the second time, from the caches
            int at = 0;
            while (at < pkts.size()) {
                int n = Math.min(pkts.size() - at, 1 + random.nextInt(PacketBatch.BURST));
                int root = random.nextInt(2), inPort = random.nextInt(2);
                List<byte[]> burst = pkts.subList(at, at + n);
                assertEquals(run(plain[root], inPort, burst), run(cached[root], inPort, burst),
                        "burst into br" + root + " port " + (inPort + 1) + "; br0 " + t0 + "; br1 " + t1);
                at += n;
            }
        }
        net.jqwik.api.statistics.Statistics.label("crossings").collect(crossed[0] == 0 ? "none" : crossed[0] < 20 ? "some" : "many");
        net.jqwik.api.statistics.Statistics.label("patch loops").collect(cached[0].drops().get(DatapathDrops.Reason.PATCH_LOOP)
                + cached[1].drops().get(DatapathDrops.Reason.PATCH_LOOP) > 0);
        for (int b = 0; b < 2; b++) {
            List<Flow> fc = b == 0 ? c0 : c1, fp = b == 0 ? p0 : p1;
            for (int i = 0; i < fc.size(); i++) assertEquals(fp.get(i).packetCount(), fc.get(i).packetCount(), "hits of br" + b + " " + fc.get(i));
            assertEquals(plain[b].drops().nonZero(), cached[b].drops().nonZero(), "drops of br" + b);
            for (long id = 1; id <= MegaflowCacheProperties.GROUPS.length; id++)
                assertEquals(plain[b].groups().get(id).packetCount(), cached[b].groups().get(id).packetCount(), "group " + id + " of br" + b);
        }
    }

    /** Each array index's frames, in order, as hex (ports a burst touched but left empty, e.g. patch ports, left out). */
    static Map<Integer, List<String>> run(BridgeDatapath dp, int inPort, List<byte[]> frames) {
        Map<Integer, List<String>> res = MegaflowCacheProperties.run(dp, inPort, frames, 0);
        res.values().removeIf(List::isEmpty);
        return res;
    }
}
