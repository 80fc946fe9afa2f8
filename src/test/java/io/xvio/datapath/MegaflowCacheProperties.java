package io.xvio.datapath;

import io.xvio.datapath.action.*;

import io.xvio.packet.PacketBatch;
import net.jqwik.api.*;
import net.jqwik.api.statistics.Statistics;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.*;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The fast path must decide exactly what the plain table walk decides: random flow tables (several tables,
 * resubmits, rewrites and register/metadata loads before a later lookup, dec_ttl, VLAN push/pop) and random
 * packets go through two datapaths, one with the megaflow cache and one without; every output port must get the
 * same bytes, and flow counters and drop counters must agree, before and after each of a random sequence of flow
 * additions, deletions, modifications (mod-flows copies, counters kept) and port changes. The same packets are
 * sent again after each change, so entries learned under the old tables meet the new ones; some changes follow
 * one another without traffic, so a cache also has to catch up over several versions.
 */
class MegaflowCacheProperties {
    static final String[] MATCHES = {
        "", "in_port=1", "in_port=2", "ip", "arp", "tcp", "udp", "ip,nw_src=10.0.0.1", "ip,nw_src=10.0.0.0/24",
        "tcp,tp_dst=80", "udp,tp_src=53", "ip,nw_ttl=1", "dl_vlan=10", "dl_vlan=0xffff", "ip,nw_dst=10.0.1.2",
        "reg0=5", "reg13=7", "tcp,nw_src=10.0.0.2,tp_dst=22", "ip,nw_src=192.168.0.9", "tcp,tp_dst=8080", "metadata=0x1",
        "ip,nw_ttl=63"};
    /** Matches on what table 0's rewrites leave (a lookup after a rewrite sees these), favoured in table 1. */
    static final String[] AFTER_REWRITES = {
        "reg0=5", "reg0=0", "reg13=7", "reg12=5", "ip,nw_ttl=63", "ip,nw_src=192.168.0.9", "tcp,tp_dst=8080", "dl_vlan=10", "metadata=0x1",
        "in_port=2", "ip,nw_tos=16"};
    static final String[] ACTIONS = {
        "output:1", "output:2", "output:3", "in_port", "drop", "dec_ttl", "mod_nw_src:192.168.0.9", "mod_tp_dst:8080",
        "mod_vlan_vid:10", "strip_vlan", "mod_dl_src:02:aa:bb:cc:dd:ee", "load:5->NXM_NX_REG0[]", "load:7->reg13", "move:reg0[]->reg12[]", "mod_nw_tos:16",
        "flood", "push_vlan:0x8100", "normal", "group:1", "group:2", "group:3", "group:4",
        "clone(mod_dl_src:02:aa:bb:cc:dd:03,output:3)", "clone(output:2)", "push:in_port[]", "pop:reg2[0..15]", "output:reg2[0..15]",
        "controller", "note:01.02", "check_pkt_larger(100)->reg0[0]"};
    /** Groups every table may use: all (one bucket rewrites), select, indirect (rewrites), fast_failover. */
    static final String[] GROUPS = {
        "group_id=1,type=all,bucket=output:1,bucket=mod_dl_src:02:aa:bb:cc:dd:01,output:2,bucket=group:3",
        "group_id=2,type=select,bucket=output:1,bucket=weight:2,output:2,bucket=mod_tp_dst:8080,output:3",
        "group_id=3,type=indirect,bucket=mod_nw_src:192.168.0.9,dec_ttl,output:3",
        "group_id=4,type=fast_failover,bucket=watch_port:2,output:2,bucket=watch_port:3,output:3,bucket=watch_port:1,output:1"};

    /** Parses GROUPS afresh (each datapath its own groups and counters). */
    static Map<Long, Group> groups() {
        Map<Long, Group> m = new HashMap<>();
        for (String g : GROUPS) { Group x = GroupParser.parse(g); m.put(x.id, x); }
        return m;
    }

    /** Port 2 (index 1) down: fast_failover group 4 takes port 3. */
    static boolean[] live(int n) {
        boolean[] l = new boolean[n];
        Arrays.fill(l, true);
        if (n > 1) l[1] = false;
        return l;
    }
    /** How a table-0 flow continues into table 1: not at all, resubmit (as is or from in_port 2), goto_table. */
    static final String[] TO_TABLE_1 = {"", "resubmit(,1)", "resubmit(2,1)", "write_metadata:0x1,goto_table:1"};
    static final int[][] PORT_SETS = {{1, 2, 3}, {1, 2, 3}, {1, 2}, {1, 3, 2}};

    static String actions(int table, List<String> acts, String next) {
        List<String> a = new ArrayList<>(acts);
        if (a.contains("drop")) return "drop";
        if (table == 0 && next.startsWith("resubmit")) a.add(Math.min(a.size(), 1), next);
        else if (table == 0 && !next.isEmpty()) a.add(next);
        return String.join(",", a);
    }

    static Arbitrary<List<String>> actionLists() { return Arbitraries.of(ACTIONS).list().ofMinSize(1).ofMaxSize(4); }

    /** A flow in table 0 or 1 (tables: the choice of table numbers, repeated to weigh one). */
    static Arbitrary<String> flow(Integer... tables) {
        return Arbitraries.of(tables).flatMap(table -> Combinators.combine(
                Arbitraries.integers().between(0, 300),
                table == 0 ? Arbitraries.of(MATCHES) : Arbitraries.oneOf(Arbitraries.of(MATCHES), Arbitraries.of(AFTER_REWRITES)),
                actionLists(),
                Arbitraries.of(TO_TABLE_1)).as((prio, match, acts, next) ->
                "table=" + table + ",priority=" + prio + (match.isEmpty() ? "" : "," + match) + ",actions=" + actions(table, acts, next)));
    }

    @Provide
    Arbitrary<List<String>> tables() { return flow(0, 1).list().ofMinSize(1).ofMaxSize(25); }

    /** One change of the tables: what kind, and the random choices it may use. */
    record Step(String kind, String flow, String match, List<String> acts, String next, int pick, boolean quiet) {}

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Combinators.combine(
                Arbitraries.of("add", "add", "del", "del-matching", "mod", "mod-matching", "ports"),
                flow(0, 1, 1),            // more often where a lookup after a rewrite happens
                Arbitraries.of(MATCHES),
                actionLists(),
                Arbitraries.of(TO_TABLE_1),
                Arbitraries.integers().between(0, 1000),
                Arbitraries.of(false, false, true)).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(12);
    }

    @Provide
    Arbitrary<List<byte[]>> packets() {
        Arbitrary<byte[]> pkt = Combinators.combine(
                Arbitraries.of(0x0800, 0x0800, 0x0806),
                Arbitraries.of(-1, -1, 10, 20),
                Arbitraries.of(0x0a000001, 0x0a000002, 0x0a000102),
                Arbitraries.of(6, 17),
                Arbitraries.of(80, 53, 22),
                Arbitraries.of(1, 2, 64),
                Arbitraries.of(0, 0, 40, 42, 46, 100)).as(MegaflowCacheProperties::frame);
        return pkt.list().ofMinSize(1).ofMaxSize(60);
    }

    /** As below, with pad zero bytes after the packet (lengths around check_pkt_larger(100)'s, a VLAN push away from it). */
    static byte[] frame(int type, int vlan, int src, int proto, int port, int ttl, int pad) {
        byte[] f = frame(type, vlan, src, proto, port, ttl);
        return Arrays.copyOf(f, f.length + pad);
    }

    static byte[] frame(int type, int vlan, int src, int proto, int port, int ttl) {
        ByteBuffer bb = ByteBuffer.allocate(80);
        // destination: a MAC NORMAL learns (the source of 10.0.0.1's frames) for port 22, else one it never sees
        bb.putShort((short) 0x0200).putInt(port == 22 ? 0x0a000001 : 2).putShort((short) 0x0200).putInt(src);
        if (vlan >= 0) bb.putShort((short) 0x8100).putShort((short) vlan);
        bb.putShort((short) type);
        if (type == 0x0800) {
            bb.put((byte) 0x45).put((byte) 0).putShort((short) 40).putInt(0).put((byte) ttl).put((byte) proto).putShort((short) 0)
                    .putInt(src).putInt(0x0a000102);
            bb.putShort((short) port).putShort((short) port).putInt(0).putInt(0).putInt(0x50000000).putInt(0);
        } else {
            bb.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1)
                    .putShort((short) 0x0200).putInt(src).putInt(src).putShort((short) 0).putInt(0).putInt(0x0a000102);
        }
        return Arrays.copyOf(bb.array(), bb.position());
    }

    @Property(tries = 400)
    void cachedAndPlainPathsAgreeAcrossChanges(@ForAll("tables") List<String> flows, @ForAll("packets") List<byte[]> pkts,
                                               @ForAll("steps") List<Step> steps, @ForAll("packets") List<byte[]> pkts2,
                                               @ForAll Random random, @ForAll boolean twoThreads) {
        int[] ofports = PORT_SETS[0];
        BridgeDatapath cached = new BridgeDatapath("c"), plain = new BridgeDatapath("p");
        plain.setCacheEnabled(false);
        List<Flow> fc = new ArrayList<>(), fp = new ArrayList<>();
        for (String f : flows) { fc.add(FlowParser.parse(f)); fp.add(FlowParser.parse(f)); }
        cached.install(ofports, fc);
        plain.install(ofports, fp);
        cached.setGroups(groups());
        plain.setGroups(groups());
        cached.setLive(live(ofports.length));
        plain.setLive(live(ofports.length));
        int threads = twoThreads ? 2 : 1;    // two PMD threads: each burst through either one's cache
        compare(cached, plain, fc, fp, pkts, random, ofports.length, threads);
        compare(cached, plain, fc, fp, pkts, random, ofports.length, threads);      // second pass: now mostly cache hits
        for (Step s : steps) {
            if (s.kind().equals("ports")) ofports = PORT_SETS[s.pick() % PORT_SETS.length];
            else change(s, fc, fp);
            cached.install(ofports, fc);
            plain.install(ofports, fp);
            cached.setLive(live(ofports.length));
            plain.setLive(live(ofports.length));
            if (s.quiet()) continue;                                          // the next change comes first
            compare(cached, plain, fc, fp, pkts, random, ofports.length, threads);    // the cache must not answer from before
        }
        compare(cached, plain, fc, fp, pkts2, random, ofports.length, threads);
        MegaflowStats st = cached.cacheStats(0);
        Statistics.label("revalidation kept entries").collect(st.kept() > 0);
        Statistics.label("revalidation evicted entries").collect(st.evicted() > 0);
    }

    /** Applies step s to both flow lists alike (the same choices, each list its own Flow objects). */
    private static void change(Step s, List<Flow> fc, List<Flow> fp) {
        switch (s.kind()) {
            case "add" -> { fc.add(FlowParser.parse(s.flow())); fp.add(FlowParser.parse(s.flow())); }
            case "del" -> { if (!fc.isEmpty()) { int i = s.pick() % fc.size(); fc.remove(i); fp.remove(i); } }
            case "del-matching" -> {
                FlowSpec spec = FlowParser.parseSpec(s.match(), false);
                fc.removeIf(spec::selects);
                fp.removeIf(spec::selects);
            }
            case "mod", "mod-matching" -> {
                FlowSpec spec = FlowParser.parseSpec(s.match(), false);
                int one = fc.isEmpty() ? -1 : s.pick() % fc.size();
                for (int i = 0; i < fc.size(); i++) {
                    if (s.kind().equals("mod") ? i != one : !spec.selects(fc.get(i))) continue;
                    Flow c = fc.get(i);
                    List<Action> acts = FlowParser.parse("table=" + c.table + ",actions=" + actions(c.table, s.acts(), s.next())).actions;
                    fc.set(i, c.modified(acts, "mod", false));
                    fp.set(i, fp.get(i).modified(acts, "mod", false));
                }
            }
            default -> throw new IllegalArgumentException(s.kind());
        }
    }

    private static void compare(BridgeDatapath cached, BridgeDatapath plain, List<Flow> fc, List<Flow> fp,
                                List<byte[]> pkts, Random random, int ports, int threads) {
        int at = 0;
        while (at < pkts.size()) {
            int n = Math.min(pkts.size() - at, 1 + random.nextInt(PacketBatch.BURST));
            int inPort = random.nextInt(ports);
            List<byte[]> burst = pkts.subList(at, at + n);
            assertEquals(run(plain, inPort, burst, 0), run(cached, inPort, burst, random.nextInt(threads)), "burst from port " + (inPort + 1) + ", flows " + fc);
            at += n;
        }
        for (int i = 0; i < fc.size(); i++) {
            assertEquals(fp.get(i).packetCount(), fc.get(i).packetCount(), "hits of " + fc.get(i));
            assertEquals(fp.get(i).byteCount(), fc.get(i).byteCount(), "bytes of " + fc.get(i));
        }
        assertEquals(plain.droppedNoMatch(), cached.droppedNoMatch(), "dropped (no match)");
        for (long id = 1; id <= GROUPS.length; id++) {
            Group gp = plain.groups().get(id), gc = cached.groups().get(id);
            assertEquals(gp.packetCount(), gc.packetCount(), "packets of group " + id);
            for (int x = 0; x < gp.buckets.size(); x++) assertEquals(gp.bucketByteCount(x), gc.bucketByteCount(x), "bytes of group " + id + " bucket " + x);
        }
        assertEquals(plain.droppedTtl(), cached.droppedTtl(), "dropped (ttl)");
    }

    /** Each output port's frames, in order, as hex strings. */
    static Map<Integer, List<String>> run(BridgeDatapath dp, int inPort, List<byte[]> frames, int thread) {
        PacketBatch b = new PacketBatch();
        for (int i = 0; i < frames.size(); i++) {
            MemorySegment.copy(frames.get(i), 0, b.data, JAVA_BYTE, b.off[i], frames.get(i).length);
            b.len[i] = frames.get(i).length;
        }
        b.count = frames.size();
        Outputs out = new Outputs(8);
        dp.process(inPort, b, out, thread, 1_000_000_000L);
        Map<Integer, List<String>> res = new TreeMap<>();
        for (int k = 0; k < out.touchedCount(); k++) {
            int p = out.touchedPort(k);
            List<String> l = new ArrayList<>();
            for (int j = 0; j < out.countFor(p); j++) {
                int idx = out.packetsFor(p)[j];
                byte[] bytes = new byte[b.len[idx]];
                MemorySegment.copy(b.data, JAVA_BYTE, b.off[idx], bytes, 0, bytes.length);
                l.add(HexFormat.of().formatHex(bytes));
            }
            res.put(p, l);
        }
        return res;
    }
}
