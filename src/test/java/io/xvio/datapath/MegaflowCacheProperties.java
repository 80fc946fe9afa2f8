package io.xvio.datapath;

import io.xvio.packet.PacketBatch;
import net.jqwik.api.*;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.*;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The fast path must decide exactly what the plain table walk decides: random flow tables (several tables,
 * resubmits, rewrites, dec_ttl, VLAN push/pop) and random packets go through two datapaths, one with the
 * megaflow cache and one without; every output port must get the same bytes, and flow counters and drop
 * counters must agree, before and after random flow additions and deletions.
 */
class MegaflowCacheProperties {
    static final String[] MATCHES = {
        "", "in_port=1", "in_port=2", "ip", "arp", "tcp", "udp", "ip,nw_src=10.0.0.1", "ip,nw_src=10.0.0.0/24",
        "tcp,tp_dst=80", "udp,tp_src=53", "ip,nw_ttl=1", "dl_vlan=10", "dl_vlan=0xffff", "ip,nw_dst=10.0.1.2",
        "reg0=5", "tcp,nw_src=10.0.0.2,tp_dst=22"};
    static final String[] ACTIONS = {
        "output:1", "output:2", "output:3", "in_port", "drop", "dec_ttl", "mod_nw_src:192.168.0.9", "mod_tp_dst:8080",
        "mod_vlan_vid:10", "strip_vlan", "mod_dl_src:02:aa:bb:cc:dd:ee", "load:5->NXM_NX_REG0[]", "mod_nw_tos:16",
        "flood", "push_vlan:0x8100"};

    @Provide
    Arbitrary<List<String>> tables() {
        Arbitrary<String> flow = Combinators.combine(
                Arbitraries.integers().between(0, 1),
                Arbitraries.integers().between(0, 300),
                Arbitraries.of(MATCHES),
                Arbitraries.of(ACTIONS).list().ofMinSize(1).ofMaxSize(4),
                Arbitraries.of(true, false)).as((table, prio, match, acts, resub) -> {
            List<String> a = new ArrayList<>(acts);
            if (a.contains("drop")) a = List.of("drop");
            else if (table == 0 && resub) a.add(Math.min(a.size(), 1), "resubmit(,1)");
            return "table=" + table + ",priority=" + prio + (match.isEmpty() ? "" : "," + match) + ",actions=" + String.join(",", a);
        });
        return flow.list().ofMinSize(1).ofMaxSize(25);
    }

    @Provide
    Arbitrary<List<byte[]>> packets() {
        Arbitrary<byte[]> pkt = Combinators.combine(
                Arbitraries.of(0x0800, 0x0800, 0x0806),
                Arbitraries.of(-1, -1, 10, 20),
                Arbitraries.of(0x0a000001, 0x0a000002, 0x0a000102),
                Arbitraries.of(6, 17),
                Arbitraries.of(80, 53, 22),
                Arbitraries.of(1, 2, 64)).as(MegaflowCacheProperties::frame);
        return pkt.list().ofMinSize(1).ofMaxSize(60);
    }

    static byte[] frame(int type, int vlan, int src, int proto, int port, int ttl) {
        ByteBuffer bb = ByteBuffer.allocate(80);
        bb.putShort((short) 0x0200).putInt(2).putShort((short) 0x0200).putInt(src);
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

    @Property(tries = 300)
    void cachedAndPlainPathsAgree(@ForAll("tables") List<String> flows, @ForAll("packets") List<byte[]> pkts,
                                  @ForAll("tables") List<String> more, @ForAll("packets") List<byte[]> pkts2,
                                  @ForAll Random random) {
        int[] ofports = {1, 2, 3};
        BridgeDatapath cached = new BridgeDatapath("c"), plain = new BridgeDatapath("p");
        plain.setCacheEnabled(false);
        List<Flow> fc = new ArrayList<>(), fp = new ArrayList<>();
        for (String f : flows) { fc.add(FlowParser.parse(f)); fp.add(FlowParser.parse(f)); }
        cached.install(ofports, fc);
        plain.install(ofports, fp);
        compare(cached, plain, fc, fp, pkts, random);
        compare(cached, plain, fc, fp, pkts, random);      // second pass: now mostly cache hits
        // change the tables: delete some, add others; the cache must not answer from before
        for (int i = fc.size() - 1; i >= 0; i--) if (random.nextBoolean()) { fc.remove(i); fp.remove(i); }
        for (String f : more) { fc.add(FlowParser.parse(f)); fp.add(FlowParser.parse(f)); }
        cached.install(ofports, fc);
        plain.install(ofports, fp);
        compare(cached, plain, fc, fp, pkts, random);
        compare(cached, plain, fc, fp, pkts2, random);
    }

    private static void compare(BridgeDatapath cached, BridgeDatapath plain, List<Flow> fc, List<Flow> fp,
                                List<byte[]> pkts, Random random) {
        int at = 0;
        while (at < pkts.size()) {
            int n = Math.min(pkts.size() - at, 1 + random.nextInt(PacketBatch.BURST));
            int inPort = random.nextInt(3);
            List<byte[]> burst = pkts.subList(at, at + n);
            assertEquals(run(plain, inPort, burst), run(cached, inPort, burst), "burst from port " + (inPort + 1) + ", flows " + fc);
            at += n;
        }
        for (int i = 0; i < fc.size(); i++) assertEquals(fp.get(i).packetCount(), fc.get(i).packetCount(), "hits of " + fc.get(i).text);
        assertEquals(plain.droppedNoMatch(), cached.droppedNoMatch());
        assertEquals(plain.droppedTtl(), cached.droppedTtl());
    }

    /** Each output port's frames, in order, as hex strings. */
    private static Map<Integer, List<String>> run(BridgeDatapath dp, int inPort, List<byte[]> frames) {
        PacketBatch b = new PacketBatch();
        for (int i = 0; i < frames.size(); i++) {
            MemorySegment.copy(frames.get(i), 0, b.data, JAVA_BYTE, b.off[i], frames.get(i).length);
            b.len[i] = frames.get(i).length;
        }
        b.count = frames.size();
        Outputs out = new Outputs(8);
        dp.process(inPort, b, out, 0, 1_000_000_000L);
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
