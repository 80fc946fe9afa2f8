package io.xvio.datapath.tunnel;

import io.xvio.packet.Checksum;
import io.xvio.testing.FramePort;
import io.xvio.testing.NetLab;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The Linux kernel's VXLAN device as the reference VTEP, behind a veth in a namespace; this test plays the other VTEP
 * with the tunnel package alone (no daemon): a {@link NeighborAgent} answers the kernel's ARP/ND for our endpoint
 * address and learns its MAC, a {@link TunnelDecoder} takes apart what the kernel encapsulates, and
 * {@link TunnelResolver}/{@link TunnelHeader} encapsulate our replies. The kernel's ping over the overlay gets
 * answered: the kernel accepted our encapsulation (ARP reply and ICMP echo replies) and we accepted its. Its outer
 * headers are compared byte for byte with the header we build from the same parameters (but the per-packet fields:
 * IPv4 id and checksum, UDP source port and checksum, IPv6 flow label). IPv4 and IPv6 underlays. Needs root, ip,
 * ethtool and busybox; runs in its own namespace and veth pair ({@link NetLab}).
 */
class KernelVxlanIT {
    static final long OUR_MAC = 0x02_00_00_00_00_01L, KERNEL_MAC = 0x02_00_00_00_00_02L;
    static final long OUR_INNER_MAC = 0x02_00_00_00_01_01L, KERNEL_INNER_MAC = 0x02_00_00_00_01_02L;

    static boolean available() { return !"false".equals(System.getProperty("xvio.e2e")) && NetLab.available(); }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    @EnabledIf("available")
    void kernelVtepPingsThroughOurEncapsulation(boolean v6) throws Exception {
        String ours = v6 ? "fd00:31::1" : "172.31.0.1", theirs = v6 ? "fd00:31::2" : "172.31.0.2";
        try (NetLab lab = new NetLab()) {
            String ns = lab.netns(), a = lab.name("vxa"), b = lab.name("vxb");
            lab.veth(a, b);
            lab.move(b, ns);
            NetLab.ok("ip", "link", "set", a, "address", TunnelHeader.mac(OUR_MAC));
            lab.up(null, a);
            NetLab.ok("ip", "-n", ns, "link", "set", b, "address", TunnelHeader.mac(KERNEL_MAC));
            // a veth leaves the UDP checksum to "hardware" (CHECKSUM_PARTIAL): the raw socket here would see only the
            // pseudo-header sum (AfPacketPort completes it from the virtio-net header; this test's socket has none)
            NetLab.ok("ip", "netns", "exec", ns, "ethtool", "-K", b, "tx", "off");
            if (v6) {
                NetLab.ok("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf." + b + ".disable_ipv6=0");
                NetLab.ok("ip", "-n", ns, "addr", "add", theirs + "/64", "dev", b, "nodad");
                lab.up(ns, b);
            } else lab.address(ns, b, theirs + "/24");
            NetLab.ok("ip", "-n", ns, "link", "add", "vx0", "type", "vxlan", "id", "100", "remote", ours, "local", theirs,
                    "dstport", "4789", "dev", b);
            NetLab.ok("ip", "-n", ns, "link", "set", "vx0", "address", TunnelHeader.mac(KERNEL_INNER_MAC), "mtu", "1400");
            lab.quietIpv6(ns, "vx0");
            lab.address(ns, "vx0", "10.200.0.2/24");
            String kernelVx = NetLab.ok("ip", "-n", ns, "-d", "link", "show", "vx0");

            NeighborCache cache = new NeighborCache();
            Prefix endpoint = Prefix.parse(ours + (v6 ? "/64" : "/24"), "test");
            NeighborAgent agent = new NeighborAgent(OUR_MAC, List.of(endpoint), cache);
            NeighborAgent.Scratch scratch = new NeighborAgent.Scratch();
            RouteTable routes = RouteTable.of(Map.of("br-phy", new UnderlayConfig(List.of(endpoint), List.of())));
            TunnelDrops drops = new TunnelDrops();
            TunnelDecoder decoder = new TunnelDecoder(TunnelType.VXLAN, 4789, List.of(endpoint.addr().inet()), TunnelDecoder.KnownOptions.NONE, drops);
            TunnelResolver resolver = new TunnelResolver(br -> agent);
            TunnelConfig port = TunnelConfig.parse(Map.of("type", "vxlan", "remote_ip", theirs, "key", 100, "csum", true), "vx0");
            MemorySegment in = Arena.ofAuto().allocate(4096), out = Arena.ofAuto().allocate(4096);
            TunnelMetadata md = new TunnelMetadata();
            List<String> seen = new ArrayList<>();
            byte[] kernelFrame = null;
            int kernelInnerLen = 0;
            int echoReplies = 0;

            Path pingOut = Files.createTempFile("xvio-ping", ".txt");
            try (FramePort fp = FramePort.open(a)) {
                Process ping = lab.spawn(ns, pingOut, "busybox", "ping", "-c", "3", "-i", "0.5", "-W", "3", "10.200.0.1");
                long deadline = System.nanoTime() + 15_000_000_000L;
                while (ping.isAlive() && System.nanoTime() < deadline) {
                    cache.tick(System.nanoTime(), t -> { });
                    for (byte[] f : fp.receive()) {
                        MemorySegment.copy(f, 0, in, JAVA_BYTE, 0, f.length);
                        int n = agent.receive(in, 0, f.length, out, 0, scratch);
                        if (n > 0) { fp.send(out.asSlice(0, n).toArray(JAVA_BYTE)); seen.add("answered " + (v6 ? "NS" : "ARP")); continue; }
                        int inner = decoder.pop(in, 0, f.length, md, 0);
                        if (inner < 0) { seen.add("dropped: " + md.drop); continue; }
                        assertEquals(100, md.tunId);
                        assertEquals(IpAddr.parse(theirs, "t").inet(), md.source());
                        assertEquals(IpAddr.parse(ours, "t").inet(), md.destination());
                        assertTrue((md.flags & TunnelMetadata.F_CSUM) != 0, "the kernel sends UDP checksums (udpcsum): " + kernelVx);
                        if (kernelFrame == null) { kernelFrame = f.clone(); kernelInnerLen = md.innerLength; }
                        int len = reply(in, inner, md.innerLength, out, 512);
                        seen.add("decapsulated inner " + describe(in, inner) + (len > 0 ? ", replied" : ""));
                        if (len == 0) continue;
                        if (Be.u16(out, 512 + 12) == 0x0800) echoReplies++;
                        cache.tick(System.nanoTime(), t -> { });
                        TunnelResolver.Result r = resolver.resolve(port, new TunnelMetadata(), 0, 64, routes);
                        assertNotNull(r.header(), r.why());
                        long o = r.header().push(out, 512, len, 0x1234_5678 * echoReplies, echoReplies);
                        fp.send(out.asSlice(o, len + r.header().length()).toArray(JAVA_BYTE));
                    }
                    Thread.sleep(5);
                }
                ping.waitFor();
            }
            String pinged = Files.readString(pingOut);
            Files.deleteIfExists(pingOut);
            assertTrue(pinged.contains("3 packets received"), "ping over the kernel's VXLAN: " + pinged + "\nframes: " + seen);
            assertEquals(3, echoReplies);
            assertEquals(KERNEL_MAC, cache.lookup(IpAddr.parse(theirs, "t")), "learnt from the kernel's " + (v6 ? "NS" : "ARP request"));

            // the kernel's outer header against ours from the same parameters
            MemorySegment k = MemorySegment.ofArray(kernelFrame);
            int hl = v6 ? 70 : 50;
            int tos = v6 ? (int) (Be.u32(k, 14) >>> 20) & 0xff : Be.u8(k, 15), ttl = Be.u8(k, v6 ? 21 : 22);
            boolean df = !v6 && (Be.u16(k, 20) & 0x4000) != 0;
            TunnelHeader mine = new TunnelHeader(new TunnelHeader.Spec(TunnelType.VXLAN, KERNEL_MAC, OUR_MAC,
                    IpAddr.parse(theirs, "t").inet(), IpAddr.parse(ours, "t").inet(), 4789, 100, tos, ttl, df, true, false, null));
            MemorySegment.copy(k, hl, out, 1024, kernelInnerLen);
            long o = mine.push(out, 1024, kernelInnerLen, 0, Be.u16(k, 18));
            byte[] ourBytes = out.asSlice(o, hl + kernelInnerLen).toArray(JAVA_BYTE);
            int[] perPacket = v6 ? new int[] {15, 16, 17, 54, 55, 60, 61} : new int[] {24, 25, 34, 35, 40, 41};
            for (int i : perPacket) ourBytes[i] = kernelFrame[i];
            assertEquals(java.util.HexFormat.of().formatHex(kernelFrame, 0, hl + kernelInnerLen), java.util.HexFormat.of().formatHex(ourBytes),
                    "outer header, kernel vs ours (" + (v6 ? "flow label, " : "IP checksum, ") + "UDP source port and checksum aside)");
            if (!v6) assertEquals(0xffff, Checksum.fold(Checksum.sum(k, 14, 20)));
        }
    }

    /** A reply to the kernel's inner frame: an ARP reply for 10.200.0.1, or an ICMP echo reply. Returns its length or 0. */
    static int reply(MemorySegment s, int inner, int len, MemorySegment out, long at) {
        Arp.Packet p = new Arp.Packet();
        if (Arp.parse(s, inner, len, p)) {
            if (p.op != Arp.REQUEST || p.tpa != 0x0ac8_0001) return 0;
            return Arp.reply(out, at, OUR_INNER_MAC, p.tpa, p.sha, p.spa);
        }
        if (len < 42 || Be.u16(s, inner + 12) != 0x0800 || Be.u8(s, inner + 23) != 1 || Be.u8(s, inner + 34) != 8) return 0;
        MemorySegment.copy(s, inner, out, at, len);
        Be.putMac(out, at, Be.mac(s, inner + 6));
        Be.putMac(out, at + 6, OUR_INNER_MAC);
        Be.put32(out, at + 26, Be.u32(s, inner + 30));
        Be.put32(out, at + 30, Be.u32(s, inner + 26));
        int ipLen = Be.u16(s, inner + 16);
        Be.put8(out, at + 34, 0);
        Be.put16(out, at + 36, 0);
        Be.put16(out, at + 36, ~Checksum.fold(Checksum.sum(out, at + 34, ipLen - 20)) & 0xffff);
        return len;
    }

    static String describe(MemorySegment s, int inner) {
        int t = Be.u16(s, inner + 12);
        return t == 0x0806 ? "ARP" : t == 0x0800 ? "IPv4 proto " + Be.u8(s, inner + 23) : "ethertype 0x" + Integer.toHexString(t);
    }
}
