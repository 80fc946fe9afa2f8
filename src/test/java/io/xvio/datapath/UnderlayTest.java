package io.xvio.datapath;

import io.xvio.datapath.tunnel.*;
import io.xvio.packet.FlowKey;
import io.xvio.packet.PacketBatch;
import io.xvio.packet.Segmentation;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The underlay bridge's endpoint ({@link Underlay}) in front of its tables: VXLAN frames to our address are taken
 * out of the burst, decapsulated and run through the overlay bridge with in_port = the tunnel port and tun_* set
 * (flows match tun_id; the megaflow cache keeps tun_id and hits the second time); a VNI of no port and a corrupted
 * outer header are counted drops by reason; tunnel frames to another address are switched as any frame; ARP for our address is answered out of the
 * input port while the request also goes on through the bridge; other frames are untouched.
 */
class UnderlayTest {
    static final long OUR_MAC = 0x02_00_00_00_00_01L, PEER_MAC = 0x02_00_00_00_00_02L;
    static final long INNER_SRC = 0x02_00_00_00_01_02L, INNER_DST = 0x02_00_00_00_01_01L;

    BridgeDatapath overlay, underlay;
    Underlay u;
    TunnelDrops drops;
    final int[] received = new int[1];

    @BeforeEach
    void setUp() throws Exception {
        overlay = new BridgeDatapath("br-int");
        overlay.install(new int[] {1, 10}, List.of(
                FlowParser.parse("priority=10,in_port=10,tun_id=100,tun_src=172.31.0.2,actions=output:1"),
                FlowParser.parse("priority=5,in_port=10,actions=drop")));
        underlay = new BridgeDatapath("br-phy");
        underlay.install(new int[] {1, 65534}, List.of(FlowParser.parse("priority=0,actions=NORMAL")));
        drops = new TunnelDrops();
        NeighborAgent agent = new NeighborAgent(OUR_MAC, List.of(Prefix.parse("172.31.0.1/24", "test")), new NeighborCache());
        TunnelDecoder dec = new TunnelDecoder(TunnelType.VXLAN, 4789, List.of(InetAddress.getByName("172.31.0.1")),
                TunnelDecoder.KnownOptions.NONE, drops);
        TunnelConfig cfg = TunnelConfig.parse(Map.of("type", "vxlan", "remote_ip", "172.31.0.2", "key", "100"), "vx0");
        // overlay ports follow the underlay's two in the port array: base 2
        u = new Underlay(agent, List.of(dec), List.of(new Underlay.Ingress(cfg, overlay, 1, 10, 2, (t, n) -> received[0]++)), drops);
        underlay.setUnderlay(u);
    }

    /** A VXLAN frame from 172.31.0.2 to dst with VNI vni around a 64-byte inner IPv4 frame; returns its length. */
    static int vxlanFrame(PacketBatch b, int i, long vni, String dst) throws Exception { return vxlanFrame(b, i, vni, dst, 64, 0); }

    /** As {@link #vxlanFrame(PacketBatch, int, long, String)}, the inner IPv4 TTL and UDP destination port given. */
    static int vxlanFrame(PacketBatch b, int i, long vni, String dst, int ttl, int udpDst) throws Exception {
        TunnelHeader h = new TunnelHeader(new TunnelHeader.Spec(TunnelType.VXLAN, PEER_MAC, OUR_MAC,
                InetAddress.getByName("172.31.0.2"), InetAddress.getByName(dst), 4789, vni, 0, 64, true, true, false, null));
        long inner = b.off[i];
        byte[] f = new byte[64];
        for (int k = 0; k < 6; k++) { f[k] = (byte) (INNER_DST >>> (40 - 8 * k)); f[6 + k] = (byte) (INNER_SRC >>> (40 - 8 * k)); }
        f[12] = 8;
        byte[] ip = {0x45, 0, 0, 50, 0, 0, 0, 0, 64, 17, 0, 0, 10, (byte) 200, 0, 2, 10, (byte) 200, 0, 1};
        System.arraycopy(ip, 0, f, 14, ip.length);
        f[22] = (byte) ttl;
        f[36] = (byte) (udpDst >>> 8);
        f[37] = (byte) udpDst;
        MemorySegment.copy(f, 0, b.data, JAVA_BYTE, inner, f.length);
        b.off[i] = (int) h.push(b.data, inner, f.length, 1234, 1);
        b.len[i] = f.length + h.length();
        return b.len[i];
    }

    static List<Integer> ports(Outputs out) {
        List<Integer> p = new ArrayList<>();
        for (int k = 0; k < out.touchedCount(); k++) p.add(out.touchedPort(k));
        return p;
    }

    @Test
    void vxlanFramesEnterTheOverlayOnTheTunnelPortWithTunId() throws Exception {
        for (int round = 0; round < 2; round++) {
            PacketBatch b = new PacketBatch();
            vxlanFrame(b, 0, 100, "172.31.0.1");
            b.count = 1;
            Outputs out = new Outputs(16);
            underlay.process(0, b, out, 0, System.nanoTime());
            assertEquals(List.of(2), ports(out), "overlay port index 0 (ofport 1), at base 2 of the underlay's array");
            assertEquals(0, out.packetsFor(2)[0]);
            assertEquals(64, b.len[0], "the inner frame, outer headers gone");
            assertEquals(0, b.count, "taken out of the underlay's own burst");
            FlowKey k = b.keys[0];
            assertEquals(100, k.w[FlowKey.TUN_ID]);
            assertEquals(10, k.w[FlowKey.IN_PORT]);
            assertEquals(0xac1f0002L, Field.TUN_SRC.get(k.w[FlowKey.TUN_IPV4]));
            assertEquals(0xac1f0001L, Field.TUN_DST.get(k.w[FlowKey.TUN_IPV4]));
            assertEquals(0, out.base, "base restored");
        }
        assertEquals(2, received[0]);
        MegaflowStats s = overlay.cacheStats(0);
        assertEquals(1, s.misses());
        assertEquals(1, s.hits(), "the second packet takes the megaflow (in_port and tun_id exact)");
    }

    /**
     * A kernel VXLAN sender on a device with checksum offload (a veth) leaves the inner UDP/TCP checksum partial
     * (local checksum offload) and says so in the virtio-net header: after decapsulation it is still owed, so the
     * overlay's port completes it or hands it on; a partial checksum in the outer UDP header goes with that header.
     */
    @Test
    void anInnerChecksumLeftToTheDeviceIsStillOwedAfterDecapsulation() throws Exception {
        for (boolean inner : new boolean[] {true, false}) {
            PacketBatch b = new PacketBatch();
            vxlanFrame(b, 0, 100, "172.31.0.1");
            b.count = 1;
            int innerStart = b.off[0] + b.len[0] - 64;
            b.offloads = true;
            b.vflags[0] = Segmentation.F_NEEDS_CSUM;
            b.csumAt[0] = inner ? innerStart + 34 : b.off[0] + 34;      // the inner UDP header, or the outer one
            b.csumOffset[0] = 6;
            Outputs out = new Outputs(16);
            underlay.process(0, b, out, 0, System.nanoTime());
            assertEquals(List.of(2), ports(out));
            assertEquals(innerStart, b.off[0]);
            if (inner) {
                assertEquals(Segmentation.F_NEEDS_CSUM, b.vflags[0], "the inner checksum still owed");
                assertEquals(innerStart + 34, b.csumAt[0]);
            } else {
                assertEquals(0, b.vflags[0], "the outer checksum went with the outer header");
            }
        }
    }

    @Test
    void aFrameOfAnotherVniIsADropCountedAsWrongVni() throws Exception {
        PacketBatch b = new PacketBatch();
        vxlanFrame(b, 0, 200, "172.31.0.1");
        b.count = 1;
        Outputs out = new Outputs(16);
        underlay.process(0, b, out, 0, System.nanoTime());
        assertEquals(List.of(), ports(out));
        assertEquals(1, drops.get(TunnelDrop.WRONG_VNI));
        assertEquals(0, received[0]);
    }

    @Test
    void badOuterHeadersAreCountedByReason() throws Exception {
        PacketBatch b = new PacketBatch();
        vxlanFrame(b, 0, 100, "172.31.0.1");
        b.data.set(JAVA_BYTE, b.off[0] + 14 + 20 + 8 + 20, (byte) 0x55);   // inner byte under the UDP checksum
        int len = vxlanFrame(b, 1, 100, "172.31.0.1");
        b.len[1] = len - 30;                                                // cut inside the inner frame
        b.count = 2;
        Outputs out = new Outputs(16);
        underlay.process(0, b, out, 0, System.nanoTime());
        assertEquals(List.of(), ports(out));
        assertEquals(1, drops.get(TunnelDrop.BAD_UDP_CHECKSUM));
        assertEquals(1, drops.get(TunnelDrop.BAD_IP_LENGTH) + drops.get(TunnelDrop.TRUNCATED) + drops.get(TunnelDrop.BAD_UDP_LENGTH));
    }

    @Test
    void tunnelFramesToAnotherAddressAreSwitchedNotTaken() throws Exception {
        // another host's VXLAN crossing the underlay bridge (or the kernel's own, when it holds the endpoint address)
        PacketBatch b = new PacketBatch();
        vxlanFrame(b, 0, 100, "172.31.0.9");
        b.count = 1;
        Outputs out = new Outputs(16);
        underlay.process(0, b, out, 0, System.nanoTime());
        assertEquals(List.of(1), ports(out), "NORMAL floods it to the other port, whole");
        assertEquals(0, drops.get(TunnelDrop.WRONG_DESTINATION));
        assertEquals(0, received[0]);
    }

    @Test
    void arpForOurAddressIsAnsweredAndStillSwitched() {
        PacketBatch b = new PacketBatch();
        b.len[0] = Arp.request(b.data, b.off[0], PEER_MAC, 0xac1f0002, 0xac1f0001);
        b.count = 1;
        for (FlowKey k : b.keys) {                       // an earlier packet's tunnel key in every slot
            k.w[FlowKey.TUN_ID] = 555;
            k.extended = true;
        }
        Outputs out = new Outputs(16);
        underlay.process(0, b, out, 0, System.nanoTime());
        assertTrue(ports(out).contains(0), "a reply back out of the input port");
        int reply = out.packetsFor(0)[0];
        assertFalse(b.keys[reply].extended, "the reply carries no tunnel key (a tx mirror to a key=flow port reads it)");
        Arp.Packet p = new Arp.Packet();
        assertTrue(Arp.parse(b.data, b.off[reply], b.len[reply], p));
        assertEquals(Arp.REPLY, p.op);
        assertEquals(OUR_MAC, p.sha);
        assertTrue(ports(out).contains(1), "the request itself is flooded by NORMAL (to LOCAL)");
        assertEquals(1, b.count);
    }

    /**
     * A tunnel port running BFD (its inbox enabled) takes the BFD control messages it decapsulates (inner IPv4, UDP
     * to 3784) out of the burst for its session, as OVS's process_special, and counts them as received; other inner
     * frames, and BFD frames while no session runs, go to the overlay's tables.
     */
    @Test
    void bfdMessagesOnATunnelPortRunningBfdGoToItsSessionNotTheTables() throws Exception {
        io.xvio.datapath.bfd.BfdInbox inbox = new io.xvio.datapath.bfd.BfdInbox();
        NeighborAgent agent = new NeighborAgent(OUR_MAC, List.of(Prefix.parse("172.31.0.1/24", "test")), new NeighborCache());
        TunnelDecoder dec = new TunnelDecoder(TunnelType.VXLAN, 4789, List.of(InetAddress.getByName("172.31.0.1")), TunnelDecoder.KnownOptions.NONE, drops);
        TunnelConfig cfg = TunnelConfig.parse(Map.of("type", "vxlan", "remote_ip", "172.31.0.2", "key", "100"), "vx0");
        underlay.setUnderlay(new Underlay(agent, List.of(dec), List.of(new Underlay.Ingress(cfg, overlay, 1, 10, 2, (t, n) -> received[0]++,
                TunnelTlvMap.EMPTY, inbox)), drops));
        overlay.install(new int[] {1, 10}, List.of(FlowParser.parse("priority=5,in_port=10,actions=output:1")));
        long[] got = new long[4];
        int[] seen = new int[1];
        for (boolean on : new boolean[] {false, true}) {
            inbox.setEnabled(on);
            for (int dport : new int[] {3784, 3785}) {
                PacketBatch b = new PacketBatch();
                vxlanFrame(b, 0, 100, "172.31.0.1", 255, dport);
                b.count = 1;
                Outputs out = new Outputs(16);
                underlay.process(0, b, out, 0, System.nanoTime());
                boolean taken = on && dport == 3784;
                assertEquals(taken ? List.of() : List.of(2), ports(out), "BFD " + (on ? "on" : "off") + ", port " + dport);
                int drained = inbox.drain((ethDst, ipDst, ttl, tunId, payload, len) -> {
                    got[0] = ethDst; got[1] = ipDst; got[2] = ttl; got[3] = tunId;
                    seen[0] += len;
                });
                assertEquals(taken ? 1 : 0, drained);
            }
        }
        assertEquals(INNER_DST, got[0]);
        assertEquals(0x0ac80001L, got[1]);
        assertEquals(255, got[2]);
        assertEquals(100, got[3]);
        assertEquals(64 - 42, seen[0], "the UDP payload");
        assertEquals(4, received[0], "every decapsulated frame counts on the tunnel port");
    }

    @Test
    void otherUdpAndPlainFramesGoThroughTheTables() throws Exception {
        PacketBatch b = new PacketBatch();
        vxlanFrame(b, 0, 100, "172.31.0.1");
        // UDP port 4790: not a tunnel port's
        long udp = b.off[0] + 14 + 20;
        b.data.set(JAVA_BYTE, udp + 3, (byte) 0xb6);
        b.count = 1;
        Outputs out = new Outputs(16);
        underlay.process(0, b, out, 0, System.nanoTime());
        assertEquals(1, b.count);
        assertEquals(List.of(1), ports(out), "NORMAL floods it to the other port");
        assertEquals(0, received[0]);
    }

    @Test
    void geneveOptionsMappedByTheTlvMapAreMatchedAsTunMetadata() throws Exception {
        BridgeDatapath ov = new BridgeDatapath("br-int");
        ov.install(new int[] {1, 2}, List.of(
                FlowParser.parse("priority=10,in_port=2,tun_id=5000,tun_metadata0=0xa,actions=output:1"),
                FlowParser.parse("priority=5,in_port=2,actions=drop")));
        TunnelTlvMap tlv = TunnelTlvMap.EMPTY.add(TunnelTlvMap.parse("{class=0x0102,type=0x80,len=4}->tun_metadata0"));
        TunnelDrops gd = new TunnelDrops();
        TunnelDecoder dec = new TunnelDecoder(TunnelType.GENEVE, 6081, List.of(InetAddress.getByName("172.31.0.1")), tlv, gd);
        TunnelConfig cfg = TunnelConfig.parse(Map.of("type", "geneve", "remote_ip", "172.31.0.2", "key", "5000"), "gnv0");
        NeighborAgent agent = new NeighborAgent(OUR_MAC, List.of(Prefix.parse("172.31.0.1/24", "test")), new NeighborCache());
        underlay.setUnderlay(new Underlay(agent, List.of(dec), List.of(new Underlay.Ingress(cfg, ov, 1, 2, 2, (t, n) -> received[0]++, tlv)), gd));
        byte[][] opts = {
                {0x01, 0x02, (byte) 0x80, 0x01, 0, 0, 0, 0x0a},          // mapped, critical, 0xa: matched
                {0x01, 0x02, (byte) 0x80, 0x01, 0, 0, 0, 0x0b},          // mapped, another value: the drop flow
                {0x01, 0x03, (byte) 0x81, 0x01, 0, 0, 0, 0x0a}};         // unknown critical option: dropped (RFC 8926)
        List<List<Integer>> got = new ArrayList<>();
        for (byte[] o : opts) {
            PacketBatch b = new PacketBatch();
            TunnelHeader h = new TunnelHeader(new TunnelHeader.Spec(TunnelType.GENEVE, PEER_MAC, OUR_MAC,
                    InetAddress.getByName("172.31.0.2"), InetAddress.getByName("172.31.0.1"), 6081, 5000, 0, 64, true, false, false, o));
            long inner = b.off[0];
            for (int k = 0; k < 64; k++) b.data.set(JAVA_BYTE, inner + k, (byte) (k < 12 ? 2 : 0));
            b.off[0] = (int) h.push(b.data, inner, 64, 99, 1);
            b.len[0] = 64 + h.length();
            b.count = 1;
            Outputs out = new Outputs(16);
            underlay.process(0, b, out, 0, System.nanoTime());
            got.add(ports(out));
            if (o[7] == 0x0b) assertEquals(0xbL, b.keys[0].w[FlowKey.TUN_METADATA0]);
        }
        assertEquals(List.of(List.of(2), List.of(), List.of()), got);
        assertEquals(1, gd.get(TunnelDrop.UNKNOWN_CRITICAL_OPTION));
        assertEquals(2, received[0]);
    }

    /**
     * A burst of 32 VXLAN frames whose overlay actions need two copies each (three outputs, a VLAN rewrite before
     * each): the decapsulated packets go out in chunks through the PMD thread's sender, every frame to every port.
     */
    @Test
    void decapsulatedPacketsNeedingMoreCopiesThanSlotsGoOutInChunks() throws Exception {
        BridgeDatapath ov = new BridgeDatapath("br-int2");
        ov.install(new int[] {1, 2, 3, 10}, List.of(FlowParser.parse(
                "in_port=10,actions=mod_vlan_vid:10,output:1,mod_vlan_vid:20,output:2,mod_vlan_vid:30,output:3")));
        ov.setLive(new boolean[] {true, true, true, true});
        NeighborAgent agent = new NeighborAgent(OUR_MAC, List.of(Prefix.parse("172.31.0.1/24", "test")), new NeighborCache());
        TunnelDecoder dec = new TunnelDecoder(TunnelType.VXLAN, 4789, List.of(InetAddress.getByName("172.31.0.1")),
                TunnelDecoder.KnownOptions.NONE, drops);
        TunnelConfig cfg = TunnelConfig.parse(Map.of("type", "vxlan", "remote_ip", "172.31.0.2", "key", "100"), "vx0");
        BridgeDatapath phy = new BridgeDatapath("br-phy2");
        phy.install(new int[] {1, 65534}, List.of(FlowParser.parse("priority=0,actions=NORMAL")));
        phy.setUnderlay(new Underlay(agent, List.of(dec), List.of(new Underlay.Ingress(cfg, ov, 3, 10, 2, (t, n) -> { })), drops));
        for (int round = 0; round < 2; round++) {
            PacketBatch b = new PacketBatch();
            for (int i = 0; i < PacketBatch.BURST; i++) vxlanFrame(b, i, 100, "172.31.0.1");
            b.count = PacketBatch.BURST;
            Map<Integer, Integer> tagged = new java.util.TreeMap<>();      // out index -> frames with that port's tag
            int[] chunks = {0};
            Outputs.Sender sender = (batch, o, chunk) -> {
                chunks[0]++;
                for (int k = 0; k < o.touchedCount(); k++) {
                    int p = o.touchedPort(k);
                    for (int c = 0; c < o.countFor(p); c++) {
                        int at = batch.off[o.packetsFor(p)[c]];
                        int vid = (batch.data.get(JAVA_BYTE, at + 14) & 0x0f) << 8 | batch.data.get(JAVA_BYTE, at + 15) & 0xff;
                        if (vid == 10 * (p - 2 + 1)) tagged.merge(p, 1, Integer::sum);
                    }
                }
            };
            Outputs out = new Outputs(16);
            out.setSender(sender);
            phy.process(0, b, out, 0, System.nanoTime());
            sender.send(b, out, out.chunk());
            out.endBurst();
            assertEquals(Map.of(2, 32, 3, 32, 4, 32), tagged, "every frame to overlay ports 1-3 (indices 2-4), each with its VLAN");
            assertTrue(chunks[0] >= 2, "in chunks: " + chunks[0]);
        }
        assertEquals(0, ov.drops().get(DatapathDrops.Reason.COPIES));
    }

    @Test
    void decapsulationIntoTheOverlayAllocatesNothing() throws Exception {
        PacketBatch b = new PacketBatch();
        Outputs out = new Outputs(16);
        byte[][] frames = new byte[4][];
        for (int f = 0; f < frames.length; f++) {          // VNI 100 (delivered), 200 (WRONG_VNI), an ARP request for us
            b.reset();
            int len = f == 3 ? Arp.request(b.data, b.off[0], PEER_MAC, 0xac1f0002, 0xac1f0001) : vxlanFrame(b, 0, f == 2 ? 200 : 100, "172.31.0.1");
            frames[f] = b.data.asSlice(b.off[0], len).toArray(JAVA_BYTE);
        }
        for (int round = 0; round < 3; round++) {
            long before = ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
            for (int k = 0; k < 20_000; k++) {
                b.reset();
                out.clear();
                for (int f = 0; f < frames.length; f++) {
                    MemorySegment.copy(frames[f], 0, b.data, JAVA_BYTE, b.off[f], frames[f].length);
                    b.len[f] = frames[f].length;
                }
                b.count = frames.length;
                underlay.process(0, b, out, 0, 1_000_000L * k);
            }
            long used = ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes() - before;
            if (round == 2) assertTrue(used < 4096, used + " bytes allocated by 20,000 bursts of decapsulation, WRONG_VNI and ARP");
        }
        assertTrue(drops.get(TunnelDrop.WRONG_VNI) >= 60_000);
    }
}
