package io.xvio.e2e;

import java.util.ArrayList;
import java.util.List;

/**
 * The two-bridge cases of {@link OvsDifferentialIT}: bridges A and B joined by two patch pairs, A's port 10 with B's
 * port 10 and A's 11 with B's 11; A's ofports 1 and 2 are the test's ports 1 and 2, B's ofports 1 and 2 its ports 3
 * and 4. Each case owns one ethertype (0x9001...), so all cases' flows go in at once. Each frame says where OVS sends
 * it (ports of the test, a port once per copy): the test checks that against OVS first (so the case tests what it
 * claims), then that xvio sends the same bytes out of the same ports, except where {@link Case#xvio} documents a
 * difference.
 */
final class PatchDiffCases {
    static final int PORTS = 4;
    /** The patch pairs: A's ofport -> B's ofport (same numbers). */
    static final int PA = 10, PB = 11;

    /** Frame bytes into test port in; OVS sends it out of the test ports ovs (once per copy, sorted). */
    record Send(String name, int in, byte[] bytes, List<Integer> ovs) {}

    /**
     * A case: its flows on A and B, its frames in order; xvio: null if xvio must send exactly what OVS sends, else
     * the documented difference (what xvio sends per frame, as ports) and why.
     */
    record Case(String name, List<String> flowsA, List<String> flowsB, List<Send> sends, List<List<Integer>> xvio, String why) {}

    static final long MAC_A = 0x02000000000aL, MAC_B = 0x02000000000bL, MAC_C = 0x02000000000cL, BCAST = 0xffffffffffffL;

    static byte[] frame(int type, long dst, long src, int... tags) {
        byte[] payload = new byte[46];
        for (int i = 0; i < payload.length; i++) payload[i] = (byte) (type + i);
        return FrameCorpus.eth(dst, src, tags, type, payload);
    }

    private static Send send(String name, int in, byte[] f, Integer... ovs) {
        return new Send(name, in, f, List.of(ovs));
    }

    static final List<Case> ALL = List.of(
            new Case("registers, metadata and tun_id cleared on crossing",
                    List.of("priority=100,in_port=1,dl_type=0x9001,actions=set_field:5->reg0,set_field:7->metadata,set_field:0x99->tun_id,output:10"),
                    List.of("priority=120,in_port=10,dl_type=0x9001,reg0=5,actions=output:1",
                            "priority=119,in_port=10,dl_type=0x9001,metadata=7,actions=output:1",
                            "priority=118,in_port=10,dl_type=0x9001,tun_id=0x99,actions=output:1",
                            "priority=100,in_port=10,dl_type=0x9001,reg0=0,metadata=0,tun_id=0,actions=output:2"),
                    List.of(send("untagged", 1, frame(0x9001, MAC_B, MAC_A), 4)), null, null),
            new Case("pkt_mark kept, header rewrites cross",
                    List.of("priority=100,in_port=1,dl_type=0x9002,actions=set_field:0x42->pkt_mark,mod_dl_src:02:00:00:00:00:99,output:10"),
                    List.of("priority=120,in_port=10,dl_type=0x9002,pkt_mark=0x42,actions=output:1",
                            "priority=100,in_port=10,dl_type=0x9002,actions=output:2"),
                    List.of(send("untagged", 1, frame(0x9002, MAC_B, MAC_A), 3)), null, null),
            new Case("VLAN pushed before crossing",
                    List.of("priority=100,dl_type=0x9003,actions=push_vlan:0x8100,set_field:4196->vlan_vid,output:10"),
                    List.of("priority=120,in_port=10,dl_vlan=100,dl_type=0x9003,actions=output:1,pop_vlan,output:2",
                            "priority=100,in_port=10,dl_type=0x9003,actions=output:2,output:2"),
                    List.of(send("untagged", 1, frame(0x9003, MAC_B, MAC_A), 3, 4)), null, null),
            // OVS hands the peer its flow as the actions left it: after a push onto a tagged frame, two tags and
            // dl_type 0x9013 still, where one parse of the frame finds dl_type 0x8100 (PatchLayout keeps the pipeline's)
            new Case("a second VLAN tag pushed before crossing",
                    List.of("priority=100,dl_type=0x9013,actions=push_vlan:0x8100,set_field:4196->vlan_vid,output:10"),
                    List.of("priority=120,in_port=10,dl_vlan=100,dl_type=0x9013,actions=output:1,pop_vlan,output:2",
                            "priority=100,in_port=10,dl_type=0x9013,actions=output:2,output:2"),
                    List.of(send("tagged 5", 2, frame(0x9013, MAC_B, MAC_A, 0x8100, 5), 3, 4)), null, null),
            // the other way round: a double-tagged frame (vlan-limit 1: one tag parsed, dl_type 0x8100) loses a tag; OVS's
            // flow then has no VLAN and dl_type 0x8100, where one parse of the frame finds VLAN 7 and 0x9014
            new Case("a tag popped from a double-tagged frame before crossing",
                    List.of("priority=100,in_port=1,dl_vlan=5,dl_type=0x8100,actions=pop_vlan,output:10"),
                    List.of("priority=120,in_port=10,vlan_tci=0,dl_type=0x8100,actions=output:1",
                            "priority=110,in_port=10,dl_vlan=7,actions=output:2"),
                    List.of(send("tags 5 and 7", 1, frame(0x9014, MAC_B, MAC_A, 0x8100, 5, 0x8100, 7), 3)), null, null),
            // a frame whose flow outputs to the patch and touches no header may be sent from xvio's exact-match cache
            // without its key being extracted: the mark of an earlier frame must not cross with it (here the sentinels
            // between frames refill the slot's key; PatchPortsTest reuses a slot directly)
            new Case("pkt_mark of an earlier frame does not cross with the next",
                    List.of("priority=100,in_port=1,dl_type=0x9010,actions=output:10"),
                    List.of("priority=120,in_port=10,dl_type=0x9010,pkt_mark=0x42,actions=output:1",
                            "priority=100,in_port=10,dl_type=0x9010,actions=output:2"),
                    List.of(send("marked (the pkt_mark case's)", 1, frame(0x9002, MAC_B, MAC_A), 3),
                            send("unmarked", 1, frame(0x9010, MAC_B, MAC_A), 4),
                            send("marked (the pkt_mark case's)", 1, frame(0x9002, MAC_B, MAC_A), 3),
                            send("unmarked", 1, frame(0x9010, MAC_B, MAC_A), 4),
                            send("marked (the pkt_mark case's)", 1, frame(0x9002, MAC_B, MAC_A), 3),
                            send("unmarked", 1, frame(0x9010, MAC_B, MAC_A), 4)), null, null),
            new Case("NORMAL on the far bridge learns across the patch",
                    List.of("priority=100,in_port=1,dl_type=0x9004,actions=output:10",
                            "priority=100,in_port=10,dl_type=0x9004,actions=output:1"),
                    List.of("priority=100,dl_type=0x9004,actions=NORMAL"),
                    List.of(send("A to B, unknown: flooded on B (and into A again by the other pair: no flow there)", 1, frame(0x9004, MAC_B, MAC_A), 3, 4),
                            send("B to A: learned behind the patch", 3, frame(0x9004, MAC_A, MAC_B), 1),
                            send("A to B again: learned on B's port 1", 1, frame(0x9004, MAC_B, MAC_A), 3),
                            send("broadcast from B", 4, frame(0x9004, BCAST, MAC_C), 1, 3)), null, null),
            new Case("output to a patch port and normal ports (copies)",
                    List.of("priority=100,in_port=1,dl_type=0x9005,actions=output:10,mod_dl_dst:02:00:00:00:00:dd,output:2,output:11",
                            "priority=100,in_port=2,dl_type=0x9005,actions=output:1,output:10,output:1"),
                    List.of("priority=100,in_port=10,dl_type=0x9005,actions=mod_dl_src:02:00:00:00:00:77,output:1",
                            "priority=100,in_port=11,dl_type=0x9005,actions=output:2"),
                    List.of(send("patch, rewrite, normal, patch", 1, frame(0x9005, MAC_B, MAC_A), 2, 3, 4),
                            send("normal, patch, normal", 2, frame(0x9005, MAC_B, MAC_A), 1, 1, 3)), null, null),
            new Case("resubmit after crossing (both bridges)",
                    List.of("priority=100,in_port=1,dl_type=0x9006,actions=set_field:4->reg2,output:10,resubmit(,1)",
                            "table=1,priority=100,dl_type=0x9006,reg2=4,actions=output:2"),
                    List.of("priority=100,in_port=10,dl_type=0x9006,actions=set_field:3->reg1,resubmit(,1)",
                            "table=1,priority=110,dl_type=0x9006,reg1=3,reg2=0,actions=output:1",
                            "table=1,priority=100,dl_type=0x9006,actions=output:2"),
                    List.of(send("untagged", 1, frame(0x9006, MAC_B, MAC_A), 2, 3)), null, null),
            new Case("back through the patch it came from (in_port)",
                    List.of("priority=100,in_port=1,dl_type=0x9009,actions=output:10",
                            "priority=100,in_port=10,dl_type=0x9009,actions=output:2"),
                    List.of("priority=100,in_port=10,dl_type=0x9009,actions=output:10,in_port"),
                    List.of(send("untagged", 1, frame(0x9009, MAC_B, MAC_A), 2)), null, null),
            new Case("a loop A -> B -> A ... is dropped",
                    List.of("priority=100,in_port=1,dl_type=0x9007,actions=output:10",
                            "priority=100,in_port=11,dl_type=0x9007,actions=output:10"),
                    List.of("priority=100,in_port=10,dl_type=0x9007,actions=output:11"),
                    List.of(send("untagged", 1, frame(0x9007, MAC_B, MAC_A))), null, null),
            new Case("a loop that sends a copy out of B at each pass",
                    List.of("priority=100,in_port=1,dl_type=0x9008,actions=output:10",
                            "priority=100,in_port=11,dl_type=0x9008,actions=output:10"),
                    List.of("priority=100,in_port=10,dl_type=0x9008,actions=output:1,output:11"),
                    // OVS (3.1) crosses until its translation depth (64) ends the loop: B's flow runs 32 times, 32 copies;
                    // xvio drops the 9th crossing: B's flow ran 4 times (crossings 1, 3, 5, 7), 4 copies
                    List.of(send("untagged", 1, frame(0x9008, MAC_B, MAC_A), java.util.Collections.nCopies(32, 3).toArray(Integer[]::new))),
                    List.of(List.of(3, 3, 3, 3)),
                    "xvio's bound is 8 patch crossings per burst (PatchLayout.MAX_HOPS), OVS's its translation depth of 64"));

    /**
     * Mirrors at patch ports (OvsDifferentialIT adds them for this case only: test ports 2 and 4 are mirror outputs
     * then, which nothing else may use): A mirrors what it outputs to patch port 10 to test port 2, B what enters it
     * through patch port 10 to test port 4. The flows are other cases' (the pkt_mark case's and NORMAL's). OVS mirrors
     * nothing there: compose_output_action__ returns after patch_port_output, before the output mirrors, and only the
     * first bridge's input port is mirrored on ingress (mirror_ingress_packet); xvio's mirrors sit at port queues,
     * which a patch port has none of. The mirror output is excluded from B's flood in both.
     */
    static final Case MIRRORS = new Case("mirrors of patch ports mirror nothing (A: output to 10, B: input from 10)", List.of(), List.of(),
            List.of(send("pkt_mark case's frame", 1, frame(0x9002, MAC_B, MAC_A), 3),
                    send("broadcast into NORMAL on B (not flooded to B's mirror output)", 1, frame(0x9004, BCAST, MAC_A), 3)),
            null, null);

    /** Every case's flows on bridge A (b: B), plus the sentinel flows and a lowest-priority drop. */
    static List<String> flows(boolean b, int sentinelType) {
        List<String> f = new ArrayList<>();
        for (Case c : ALL) f.addAll(b ? c.flowsB() : c.flowsA());
        // a sentinel from a port of this bridge goes out of all of its ports and to the other bridge; from the patch,
        // out of all of its ports: so every test port sees it once
        f.add("priority=65535,in_port=1,dl_type=" + sentinelType + ",actions=in_port,output:2,output:" + PA);
        f.add("priority=65535,in_port=2,dl_type=" + sentinelType + ",actions=output:1,in_port,output:" + PA);
        f.add("priority=65535,in_port=" + PA + ",dl_type=" + sentinelType + ",actions=output:1,output:2");
        f.add("priority=0,actions=drop");
        return f;
    }

    /** Test port p's bridge (false: A) and OpenFlow port there. */
    static boolean onB(int p) { return p > 2; }

    static int ofport(int p) { return onB(p) ? p - 2 : p; }

    private PatchDiffCases() {}
}
