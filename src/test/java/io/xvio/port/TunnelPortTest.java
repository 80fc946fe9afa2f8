package io.xvio.port;

import io.xvio.datapath.tunnel.*;
import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A tunnel port encapsulates what the datapath sends it and hands it to the uplink in the same burst: the uplink
 * sees frames our decoder takes back to the inner frame, the burst's frames are left as they were (another port may
 * send the same packet), a frame over the underlay MTU and a port without a resolved way out are counted drops by
 * reason, and the per-packet path allocates nothing.
 */
class TunnelPortTest {
    /** An uplink that keeps copies of what it is given. */
    static final class Capture implements Port {
        final List<byte[]> frames = new ArrayList<>();
        boolean keep = true;
        int sent;
        @Override public String name() { return "up0"; }
        @Override public String type() { return "test"; }
        @Override public int ofport() { return 1; }
        @Override public int rxQueues() { return 0; }
        @Override public int receive(int q, PacketBatch b, int thread) { return 0; }
        @Override public void transmit(int thread, PacketBatch b, int[] which, int n) {
            sent += n;
            if (keep) for (int k = 0; k < n; k++) frames.add(b.data.asSlice(b.off[which[k]], b.len[which[k]]).toArray(JAVA_BYTE));
        }
        @Override public PortCounters counters() { return new PortCounters(); }
        @Override public Map<String, Long> extraCounters() { return Map.of(); }
        @Override public String status() { return "up"; }
        @Override public Map<String, String> details() { return Map.of(); }
        @Override public void start() {}
        @Override public void close() {}
    }

    static TunnelPort port(Capture up, int mtu) throws Exception {
        TunnelConfig cfg = TunnelConfig.parse(Map.of("type", "vxlan", "remote_ip", "172.31.0.2", "key", "100"), "vx0");
        TunnelPort p = new TunnelPort("vx0", 10, cfg);
        TunnelHeader h = new TunnelHeader(new TunnelHeader.Spec(TunnelType.VXLAN, 0x020000000001L, 0x020000000002L,
                InetAddress.getByName("172.31.0.1"), InetAddress.getByName("172.31.0.2"), 4789, 100, 0, 64, true, false, false, null));
        p.setEgress(new TunnelPort.Egress(h, up, mtu, "br-phy"), null);
        return p;
    }

    static void inner(PacketBatch b, int i, int len, int seed) {
        for (int k = 0; k < len; k++) b.data.set(JAVA_BYTE, b.off[i] + k, (byte) (seed + k));
        b.data.set(JAVA_BYTE, b.off[i] + 12, (byte) 8);
        b.data.set(JAVA_BYTE, b.off[i] + 13, (byte) 0);
        b.len[i] = len;
    }

    @Test
    void encapsulatesIntoTheUplinkAndLeavesTheBurstAsItWas() throws Exception {
        Capture up = new Capture();
        TunnelPort p = port(up, 1500);
        PacketBatch b = new PacketBatch();
        inner(b, 0, 100, 1);
        inner(b, 1, 1464, 7);            // 1464 + 36 (outer IP, UDP, VXLAN) = 1500: just fits
        inner(b, 2, 1465, 9);            // one byte too many
        int off0 = b.off[0];
        p.transmit(0, b, new int[] {0, 1, 2}, 3);
        assertEquals(2, up.frames.size());
        assertEquals(off0, b.off[0]);
        assertEquals(100, b.len[0]);
        assertEquals(1, p.drops().get(TunnelDrop.TOO_BIG));
        TunnelDecoder dec = new TunnelDecoder(TunnelType.VXLAN, 4789, List.of(InetAddress.getByName("172.31.0.2")),
                TunnelDecoder.KnownOptions.NONE, new TunnelDrops());
        TunnelMetadata md = new TunnelMetadata();
        for (int f = 0; f < 2; f++) {
            byte[] frame = up.frames.get(f);
            MemorySegment s = MemorySegment.ofArray(frame);
            int in = dec.pop(s, 0, frame.length, md, 0);
            assertTrue(in > 0, "decodes: " + md.drop);
            assertEquals(100, md.tunId);
            assertEquals(f == 0 ? 100 : 1464, md.innerLength);
            assertArrayEquals(b.data.asSlice(b.off[f], b.len[f]).toArray(JAVA_BYTE), s.asSlice(in, md.innerLength).toArray(JAVA_BYTE));
        }
        assertEquals(2, p.counters().get(PortCounters.Counter.TX_PACKETS));
        assertTrue(p.extraCounters().keySet().stream().anyMatch(k -> k.startsWith("encap: too big")), p.extraCounters().toString());
    }

    /**
     * A TCP GSO frame with a partial checksum (what an offloading guest, a tap or an afpacket port hands the
     * datapath whole) sent to a tunnel port through {@link SoftwareOffload}: the tunnel port takes no offloads, so
     * the uplink gets MTU-sized encapsulated segments whose inner frames are the frame's segments, each with full
     * checksums, and no offload state reaches the uplink.
     */
    @ParameterizedTest
    @CsvSource({"false", "true"})
    void aGsoFrameLeavesAsEncapsulatedSegmentsWithFullChecksums(boolean v6) throws Exception {
        Capture up = new Capture();
        TunnelPort p = port(up, 1500);
        io.xvio.packet.GsoFrames.Frame f = io.xvio.packet.GsoFrames.build(new java.util.Random(5), v6, false, 0, 20000, 1000, 7,
                io.xvio.packet.GsoFrames.ACK, 1);
        int gsoSize = 1464 - 14 - (v6 ? 40 : 20) - 24;             // inner frames of at most 1464 bytes fit 1500
        PacketBatch b = new PacketBatch();
        MemorySegment.copy(f.bytes(), 0, b.data, JAVA_BYTE, b.off[0], f.bytes().length);
        b.len[0] = f.bytes().length;
        b.offloads = true;
        b.vflags[0] = io.xvio.packet.VnetHeader.F_NEEDS_CSUM;
        b.gsoType[0] = f.gsoType();
        b.gsoSize[0] = gsoSize;
        b.csumAt[0] = b.off[0] + f.csumStart();
        b.csumOffset[0] = f.csumOffset();
        new SoftwareOffload().transmit(p, 0, b, new int[] {0}, 1);
        TunnelDecoder dec = new TunnelDecoder(TunnelType.VXLAN, 4789, List.of(InetAddress.getByName("172.31.0.2")),
                TunnelDecoder.KnownOptions.NONE, new TunnelDrops());
        TunnelMetadata md = new TunnelMetadata();
        List<byte[]> inner = new ArrayList<>();
        for (byte[] frame : up.frames) {
            assertTrue(frame.length <= 1514, frame.length + " bytes on the underlay");
            MemorySegment s = MemorySegment.ofArray(frame);
            int in = dec.pop(s, 0, frame.length, md, 0);
            assertTrue(in > 0, "decodes: " + md.drop);
            inner.add(s.asSlice(in, md.innerLength).toArray(JAVA_BYTE));
        }
        io.xvio.packet.GsoFrames.verify(f, 0, gsoSize, inner);
        assertEquals(1, p.counters().get(PortCounters.Counter.TX_GSO_SEGMENTED));
        assertEquals(0, p.drops().get(TunnelDrop.TOO_BIG));
    }

    /** One slot given twice in a burst (output:vx0 twice, or NORMAL's flood and output:vx0): two frames, each encapsulated once. */
    @Test
    void aSlotGivenTwiceIsSentTwiceEachTimeEncapsulatedOnce() throws Exception {
        Capture up = new Capture();
        TunnelPort p = port(up, 1500);
        PacketBatch b = new PacketBatch();
        inner(b, 0, 100, 1);
        inner(b, 1, 120, 5);
        int off0 = b.off[0];
        byte[] frame0 = b.data.asSlice(b.off[0], 100).toArray(JAVA_BYTE);
        p.transmit(0, b, new int[] {0, 1, 0}, 3);
        assertEquals(3, up.frames.size());
        assertEquals(off0, b.off[0], "the slot's frame put back");
        assertEquals(100, b.len[0]);
        TunnelDecoder dec = new TunnelDecoder(TunnelType.VXLAN, 4789, List.of(InetAddress.getByName("172.31.0.2")),
                TunnelDecoder.KnownOptions.NONE, new TunnelDrops());
        int[] lens = {100, 120, 100};
        for (int f = 0; f < 3; f++) {
            byte[] frame = up.frames.get(f);
            assertEquals(lens[f] + 50, frame.length, "frame " + f + ": one outer header of 50 bytes");
            TunnelMetadata md = new TunnelMetadata();
            MemorySegment s = MemorySegment.ofArray(frame);
            int in = dec.pop(s, 0, frame.length, md, 0);
            assertTrue(in > 0, "decodes: " + md.drop);
            if (f != 1) assertArrayEquals(frame0, s.asSlice(in, md.innerLength).toArray(JAVA_BYTE));
        }
    }

    /** A GSO frame cut for a key=flow port: every segment carries the VNI (and remote) the flow set. */
    @Test
    void segmentsOfAGsoFrameKeepTheTunnelFieldsTheFlowSet() throws Exception {
        Capture up = new Capture();
        TunnelConfig cfg = TunnelConfig.parse(Map.of("type", "vxlan", "remote_ip", "flow", "key", "flow"), "vx1");
        TunnelPort p = new TunnelPort("vx1", 11, cfg);
        FlowHeaders.Key want = new FlowHeaders.Key(IpAddr.V4_HI, IpAddr.V4_LO_TAG | 0xac1f0002L, 300);
        TunnelHeader h = new TunnelHeader(new TunnelHeader.Spec(TunnelType.VXLAN, 1, 2, InetAddress.getByName("172.31.0.1"),
                InetAddress.getByName("172.31.0.2"), 4789, 300, 0, 64, true, false, false, null));
        p.flowHeaders().publish(Map.of(want, new TunnelPort.Egress(h, up, 1500, "br-phy")));
        io.xvio.packet.GsoFrames.Frame f = io.xvio.packet.GsoFrames.build(new java.util.Random(9), false, false, 0, 8000, 1000, 7,
                io.xvio.packet.GsoFrames.ACK, 1);
        PacketBatch b = new PacketBatch();
        MemorySegment.copy(f.bytes(), 0, b.data, JAVA_BYTE, b.off[0], f.bytes().length);
        b.len[0] = f.bytes().length;
        b.offloads = true;
        b.vflags[0] = io.xvio.packet.VnetHeader.F_NEEDS_CSUM;
        b.gsoType[0] = f.gsoType();
        b.gsoSize[0] = 1400;
        b.csumAt[0] = b.off[0] + f.csumStart();
        b.csumOffset[0] = f.csumOffset();
        io.xvio.packet.FlowKey k = b.keys[0];
        k.w[io.xvio.packet.FlowKey.TUN_ID] = 300;
        k.w[io.xvio.packet.FlowKey.TUN_IPV4] = 0xac1f0002L;
        k.extended = true;
        new SoftwareOffload().transmit(p, 0, b, new int[] {0}, 1);
        assertEquals(0, p.drops().get(TunnelDrop.NO_ROUTE) + p.drops().get(TunnelDrop.NO_NEIGHBOR), p.extraCounters().toString());
        assertEquals(6, up.frames.size(), "8,000 bytes of payload in 1,400-byte segments");
        TunnelDecoder dec = new TunnelDecoder(TunnelType.VXLAN, 4789, List.of(), TunnelDecoder.KnownOptions.NONE, new TunnelDrops());
        for (byte[] frame : up.frames) {
            TunnelMetadata md = new TunnelMetadata();
            assertTrue(dec.pop(MemorySegment.ofArray(frame), 0, frame.length, md, 0) > 0, "decodes: " + md.drop);
            assertEquals(300, md.tunId, "the flow's VNI on every segment");
        }
    }

    @Test
    void withoutAWayOutPacketsAreCountedDropsAndTheStatusSaysWhy() throws Exception {
        Capture up = new Capture();
        TunnelPort p = port(up, 1500);
        p.setEgress(null, "no MAC address for next hop 172.31.0.2 on br-phy yet");
        PacketBatch b = new PacketBatch();
        inner(b, 0, 64, 0);
        p.transmit(0, b, new int[] {0}, 1);
        assertEquals(0, up.sent);
        assertEquals(1, p.drops().get(TunnelDrop.NO_NEIGHBOR));
        assertEquals("down (no MAC address for next hop 172.31.0.2 on br-phy yet)", p.status());
        p.setEgress(null, "no route to 10.9.9.9");
        p.transmit(0, b, new int[] {0}, 1);
        assertEquals(1, p.drops().get(TunnelDrop.NO_ROUTE));
    }

    @Test
    void thePerPacketPathAllocatesNothing() throws Exception {
        Capture up = new Capture();
        up.keep = false;
        TunnelPort p = port(up, 1500);
        PacketBatch b = new PacketBatch();
        int[] which = new int[PacketBatch.BURST];
        for (int i = 0; i < PacketBatch.BURST; i++) { inner(b, i, 64 + i, i); which[i] = i; }
        for (int round = 0; round < 3; round++) {
            long before = ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
            for (int k = 0; k < 20_000; k++) p.transmit(0, b, which, PacketBatch.BURST);
            long used = ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes() - before;
            if (round == 2) assertTrue(used < 4096, used + " bytes allocated by 20,000 bursts");
        }
        assertEquals(3L * 20_000 * PacketBatch.BURST, up.sent);
    }

    @Test
    void flowPortsTakeRemoteAndKeyFromTheFlowResolvedByTheControlThread() throws Exception {
        Capture up = new Capture();
        TunnelConfig cfg = TunnelConfig.parse(Map.of("type", "vxlan", "remote_ip", "flow", "key", "flow"), "vx1");
        TunnelPort p = new TunnelPort("vx1", 11, cfg);
        assertEquals("up", p.status());
        PacketBatch b = new PacketBatch();
        inner(b, 0, 80, 3);
        io.xvio.packet.FlowKey k = b.keys[0];
        p.transmit(0, b, new int[] {0}, 1);
        assertEquals(1, p.drops().get(TunnelDrop.NO_ROUTE), "no set_field to tun_dst: nowhere to send");
        k.w[io.xvio.packet.FlowKey.TUN_ID] = 200;
        k.w[io.xvio.packet.FlowKey.TUN_IPV4] = 0xac1f0002L;
        k.extended = true;
        p.transmit(0, b, new int[] {0}, 1);
        assertEquals(1, p.drops().get(TunnelDrop.NO_NEIGHBOR), "not resolved yet: dropped and asked for");
        List<FlowHeaders.Key> asked = new ArrayList<>();
        p.flowHeaders().drainMisses((hi, lo, vni) -> asked.add(new FlowHeaders.Key(hi, lo, vni)));
        FlowHeaders.Key want = new FlowHeaders.Key(IpAddr.V4_HI, IpAddr.V4_LO_TAG | 0xac1f0002L, 200);
        assertEquals(List.of(want), asked);
        TunnelHeader h = new TunnelHeader(new TunnelHeader.Spec(TunnelType.VXLAN, 1, 2, InetAddress.getByName("172.31.0.1"),
                InetAddress.getByName("172.31.0.2"), 4789, 200, 0, 64, true, false, false, null));
        p.flowHeaders().publish(Map.of(want, new TunnelPort.Egress(h, up, 1500, "br-phy")));
        p.transmit(0, b, new int[] {0}, 1);
        assertEquals(1, up.frames.size());
        TunnelMetadata md = new TunnelMetadata();
        byte[] f = up.frames.get(0);
        assertTrue(new TunnelDecoder(TunnelType.VXLAN, 4789, List.of(), TunnelDecoder.KnownOptions.NONE, new TunnelDrops())
                .pop(MemorySegment.ofArray(f), 0, f.length, md, 0) > 0);
        assertEquals(200, md.tunId);
    }

    @Test
    void flowHeadersFindWhatWasPublishedAndNothingElse() {
        FlowHeaders fh = new FlowHeaders();
        java.util.Random r = new java.util.Random(16);
        Map<FlowHeaders.Key, Object> m = new java.util.HashMap<>();
        for (int i = 0; i < 500; i++) m.put(new FlowHeaders.Key(r.nextLong(), r.nextLong(), r.nextInt(1 << 24)), "v" + i);
        fh.publish(m);
        for (var e : m.entrySet()) assertEquals(e.getValue(), fh.lookup(e.getKey().hi(), e.getKey().lo(), e.getKey().vni()));
        for (int i = 0; i < 500; i++) assertNull(fh.lookup(r.nextLong(), r.nextLong(), 7));
        int[] misses = new int[1];
        fh.drainMisses((hi, lo, vni) -> misses[0]++);
        assertEquals(256, misses[0], "a bounded miss queue: the rest are asked again by the next packets");
    }

    /** An inner IPv4 frame with this tos byte and ttl. */
    static void ipv4Inner(PacketBatch b, int i, int tos, int ttl) {
        inner(b, i, 60, 0);
        long ip = b.off[i] + 14;
        byte[] h = {0x45, (byte) tos, 0, 46, 0, 0, 0, 0, (byte) ttl, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
        MemorySegment.copy(h, 0, b.data, JAVA_BYTE, ip, h.length);
    }

    @ParameterizedTest
    @CsvSource({"false,0xb8,0xb8,20", "false,0xbb,0xba,20", "true,0x02,0x02,20", "true,0xb9,0xb9,20"})
    void tosAndTtlInheritAndEcnIsCopiedAsRfc6040Says(boolean v6, String innerTosHex, String outerTosHex, int ttl) throws Exception {
        int innerTos = Integer.decode(innerTosHex), outerTos = Integer.decode(outerTosHex);
        Capture up = new Capture();
        String remote = v6 ? "fd00:31::2" : "172.31.0.2", local = v6 ? "fd00:31::1" : "172.31.0.1";
        for (boolean inherit : new boolean[] {true, false}) {
            up.frames.clear();
            Map<String, Object> m = new java.util.HashMap<>(Map.of("type", "vxlan", "remote_ip", remote, "key", "100"));
            if (inherit) { m.put("tos", "inherit"); m.put("ttl", "inherit"); }
            TunnelConfig cfg = TunnelConfig.parse(m, "vx0");
            TunnelPort p = new TunnelPort("vx0", 10, cfg);
            // the header as the control thread builds it (tos 0, ttl 64 when inherited: the per-packet values come in transmit)
            TunnelHeader h = new TunnelHeader(new TunnelHeader.Spec(TunnelType.VXLAN, 1, 2, InetAddress.getByName(local), InetAddress.getByName(remote),
                    4789, 100, 0, cfg.ttl() == TunnelConfig.INHERIT ? TunnelConfig.DEFAULT_TTL : cfg.ttl(), true, false, false, null));
            p.setEgress(new TunnelPort.Egress(h, up, 1500, "br-phy"), null);
            PacketBatch b = new PacketBatch();
            ipv4Inner(b, 0, innerTos, ttl);
            p.transmit(0, b, new int[] {0}, 1);
            byte[] f = up.frames.get(0);
            TunnelMetadata md = new TunnelMetadata();
            assertTrue(new TunnelDecoder(TunnelType.VXLAN, 4789, List.of(), TunnelDecoder.KnownOptions.NONE, new TunnelDrops())
                    .pop(MemorySegment.ofArray(f), 0, f.length, md, 0) > 0, "outer header checks pass (IPv4 checksum redone): " + md.drop);
            int ecn = innerTos & 3;
            int expect = inherit ? outerTos : (ecn == 3 ? 2 : ecn);       // fixed tos 0: only the ECN bits come from inside
            assertEquals(expect, md.tos, (inherit ? "inherit" : "tos 0") + ": outer tos for inner " + innerTosHex);
            assertEquals(inherit ? ttl : 64, md.ttl);
        }
    }
}
