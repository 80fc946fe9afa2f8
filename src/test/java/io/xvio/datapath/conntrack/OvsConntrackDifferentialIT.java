package io.xvio.datapath.conntrack;

import io.xvio.e2e.OvsUserspace;
import io.xvio.packet.FlowKey;
import io.xvio.testing.FramePort;
import io.xvio.testing.NetLab;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIf;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The tracker's ct_state decisions against Open vSwitch's userspace conntrack on the same frame sequences. OVS
 * ({@link OvsUserspace}, datapath_type=netdev) runs "ip/ipv6 -> ct(commit,zone=1,table=1)" and table 1 copies
 * ct_state into the low 32 bits of the Ethernet destination and outputs the frame on port 2; each frame goes in
 * on port 1 followed by a sentinel (so its output, if any, is known to be complete), and the state read back is
 * compared with {@link ConnTracker#track} (zone 1, commit) on the same frame.
 */
@Tag("e2e")
@EnabledIf("io.xvio.datapath.conntrack.OvsConntrackDifferentialIT#enabled")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OvsConntrackDifferentialIT {
    static final int SENTINEL_TYPE = 0x88b5;
    private final NetLab lab = new NetLab();
    private Path dir;
    private OvsUserspace ovs;
    private FramePort in, out;
    private long sequence;

    static boolean enabled() {
        return !"false".equals(System.getProperty("xvio.e2e")) && NetLab.available() && OvsUserspace.available();
    }

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("xvio-ctdiff");
        String[] dev = {lab.name("cto"), lab.name("cto")}, peer = {lab.name("ctO"), lab.name("ctO")};
        for (int i = 0; i < 2; i++) {
            lab.veth(dev[i], peer[i]);
            lab.up(null, dev[i]);
            lab.up(null, peer[i]);
        }
        in = FramePort.open(peer[0]);
        out = FramePort.open(peer[1]);
        ovs = OvsUserspace.start(Files.createDirectories(dir.resolve("ovs")), "xct" + lab.id());
        ovs.addPort(dev[0], 1);
        ovs.addPort(dev[1], 2);
        lab.quietIpv6(null, ovs.bridge());
        ovs.replaceFlows(FLOWS);
    }

    /** The same tables for OVS and for xvio's datapath (the sentinel flow is OVS's only). */
    static final List<String> FLOWS = List.of(
                "table=0,priority=100,dl_type=0x88b5,actions=output:2",
                "table=0,priority=10,in_port=1,ip,actions=ct(commit,zone=1,table=1)",
                "table=0,priority=20,in_port=1,ip,nw_dst=10.7.9.9,actions=ct(commit,zone=2,nat(dst=10.7.1.1:8080),table=1)",
                "table=0,priority=20,in_port=1,ip,nw_src=10.7.1.1,actions=ct(zone=2,nat,table=1)",
                "table=0,priority=20,in_port=1,ip,nw_src=10.7.5.5,actions=ct(commit,zone=3,nat(src=10.7.8.8),table=1)",
                "table=0,priority=20,in_port=1,ip,nw_dst=10.7.8.8,actions=ct(zone=3,nat,table=1)",
                "table=0,priority=10,in_port=1,ipv6,actions=ct(commit,zone=1,table=1)",
                "table=0,priority=30,in_port=1,ip,nw_src=10.7.4.1,actions=ct(commit,zone=6),ct(zone=6,table=1)",
                // a load balancer, then a second ct() of the same zone in the recirculated pass (OVN's stateful stage)
                "table=0,priority=20,in_port=1,ip,nw_dst=10.7.9.10,actions=ct(commit,zone=4,nat(dst=10.7.1.2:8080),table=2)",
                "table=0,priority=20,in_port=1,ip,nw_src=10.7.1.2,actions=ct(zone=4,nat,table=2)",
                "table=2,priority=10,ip,actions=ct(commit,zone=4,exec(set_field:0x5->ct_mark),table=1)",
                "table=0,priority=0,actions=drop",
                "table=1,priority=10,actions=move:NXM_NX_CT_STATE[]->NXM_OF_ETH_DST[0..31],output:2");

    /** xvio's bridge with FLOWS (ports 1 and 2), and what it puts out of port 2 for frame f, or null. */
    private static byte[] xvioOutput(io.xvio.datapath.BridgeDatapath dp, byte[] f, long now) {
        io.xvio.packet.PacketBatch b = new io.xvio.packet.PacketBatch();
        MemorySegment.copy(f, 0, b.data, java.lang.foreign.ValueLayout.JAVA_BYTE, b.off[0], f.length);
        b.len[0] = f.length;
        b.count = 1;
        io.xvio.datapath.Outputs out = new io.xvio.datapath.Outputs(4);
        dp.process(0, b, out, 0, now);
        byte[] r = null;
        for (int k = 0; k < out.touchedCount(); k++) {
            if (out.touchedPort(k) != 1) continue;
            int idx = out.packetsFor(1)[0];
            r = new byte[b.len[idx]];
            MemorySegment.copy(b.data, java.lang.foreign.ValueLayout.JAVA_BYTE, b.off[idx], r, 0, r.length);
        }
        return r;
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (ovs != null) ovs.close();
        } finally {
            if (in != null) in.close();
            if (out != null) out.close();
            lab.close();
            if (dir != null) NetLab.run("rm", "-rf", dir.toString());
        }
    }

    /** What OVS put out for frame f (its ct_state in the destination MAC's low 32 bits), or null. */
    private byte[] ovsOutput(byte[] f) {
        long seq = ++sequence;
        byte[] sentinel = new byte[60];
        for (int i = 0; i < 6; i++) sentinel[i] = (byte) 0xff;
        sentinel[6] = 2;
        sentinel[12] = (byte) (SENTINEL_TYPE >>> 8);
        sentinel[13] = (byte) SENTINEL_TYPE;
        for (int i = 0; i < 8; i++) sentinel[14 + i] = (byte) (seq >>> (56 - 8 * i));
        in.send(f);
        in.send(sentinel);
        byte[] result = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (System.nanoTime() < deadline) {
            for (byte[] got : out.receive()) {
                if (Arrays.equals(got, 12, 22, sentinel, 12, 22)) return result;
                if (got.length >= f.length && Arrays.equals(got, 6, 14, f, 6, 14)) result = Arrays.copyOf(got, f.length);
            }
            LockSupport.parkNanos(200_000);
        }
        throw new AssertionError("the sentinel did not come out\n" + ovs.log());
    }

    static final long A = ip("10.7.0.1"), B = ip("10.7.0.2"), R = ip("10.7.0.254"), VIP = ip("10.7.9.9"),
            BACKEND = ip("10.7.1.1"), INSIDE = ip("10.7.5.5"), OUTSIDE = ip("10.7.8.8");
    static final NatAction DNAT = NatAction.ipv4(NatAction.Kind.DST, BACKEND, BACKEND, 8080, 8080, false, false),
            SNAT = NatAction.ipv4(NatAction.Kind.SRC, OUTSIDE, OUTSIDE, 0, 0, false, false);
    static final byte[] NO = {};

    static List<byte[]> sequences() {
        List<byte[]> s = new ArrayList<>();
        // TCP: handshake, data, out of window, bad ack, FIN close, SYN reopening
        s.add(v4(A, B, 6, tcp(40000, 80, SYN, 1000, 0, 65535, 0, NO)));
        s.add(v4(A, B, 6, tcp(40000, 80, SYN, 1000, 0, 65535, 0, NO)));
        s.add(v4(B, A, 6, tcp(80, 40000, SYN | ACK, 5000, 1001, 65535, 0, NO)));
        s.add(v4(A, B, 6, tcp(40000, 80, ACK, 1001, 5001, 65535, 0, NO)));
        s.add(v4(A, B, 6, tcp(40000, 80, ACK | PSH, 1001, 5001, 65535, 100, NO)));
        s.add(v4(B, A, 6, tcp(80, 40000, ACK, 5001, 1101, 65535, 0, NO)));
        s.add(v4(A, B, 6, tcp(40000, 80, ACK | PSH, 1101 + 300_000, 5001, 65535, 100, NO)));
        s.add(v4(A, B, 6, tcp(40000, 80, ACK, 1101, 5001 + 300_000, 65535, 0, NO)));
        s.add(v4(B, A, 6, tcp(80, 40000, RST | ACK, 9999, 1101, 0, 0, NO)));
        s.add(v4(A, B, 6, tcp(40000, 80, FIN | ACK, 1101, 5001, 65535, 0, NO)));
        s.add(v4(B, A, 6, tcp(80, 40000, FIN | ACK, 5001, 1102, 65535, 0, NO)));
        s.add(v4(A, B, 6, tcp(40000, 80, ACK, 1102, 5002, 65535, 0, NO)));
        s.add(v4(A, B, 6, tcp(40000, 80, SYN, 777777, 0, 65535, 0, NO)));
        s.add(v4(B, A, 6, tcp(80, 40000, SYN | ACK, 42, 777778, 65535, 0, NO)));
        // TCP: invalid flags, a SYN+ACK without connection, an ACK picking up a connection, reset in window
        s.add(v4(A, B, 6, tcp(40001, 80, SYN | FIN, 1, 0, 1000, 0, NO)));
        s.add(v4(A, B, 6, tcp(40002, 80, SYN | ACK, 1, 1, 1000, 0, NO)));
        s.add(v4(A, B, 6, tcp(40003, 80, ACK, 50, 60, 1000, 10, NO)));
        s.add(v4(B, A, 6, tcp(80, 40003, ACK, 60, 60, 1000, 0, NO)));
        s.add(v4(B, A, 6, tcp(80, 40003, RST, 60, 0, 0, 0, NO)));
        s.add(v4(A, B, 6, tcp(40003, 80, ACK, 60, 60, 1000, 0, NO)));
        // window scaling
        byte[] ws = {1, 3, 3, 7};
        s.add(v4(A, B, 6, tcp(41000, 80, SYN, 1, 0, 1000, 0, ws)));
        s.add(v4(B, A, 6, tcp(80, 41000, SYN | ACK, 100, 2, 1000, 0, ws)));
        s.add(v4(A, B, 6, tcp(41000, 80, ACK, 2 + 100_000, 101, 1000, 10, NO)));
        s.add(v4(B, A, 6, tcp(80, 41000, ACK, 101, 2, 1000, 0, NO)));
        s.add(v4(A, B, 6, tcp(41000, 80, ACK, 2 + 100_000, 101, 1000, 10, NO)));
        s.add(v4(A, B, 6, tcp(41000, 80, ACK, 2 + 200_000, 101, 1000, 10, NO)));
        // UDP, ICMP echo and errors, other protocols
        byte[] q = v4(A, B, 17, udp(5000, 53, 20));
        s.add(q);
        s.add(q);
        s.add(v4(B, A, 17, udp(53, 5000, 40)));
        s.add(q);
        s.add(v4(R, A, 1, icmpError(3, 1, q)));
        s.add(v4(A, B, 1, icmpError(3, 3, v4(B, A, 17, udp(53, 5000, 4)))));
        s.add(v4(R, A, 1, icmpError(3, 1, v4(A, B, 17, udp(5001, 53, 4)))));
        s.add(v4(R, B, 1, icmpError(3, 1, q)));
        s.add(v4(A, B, 1, icmp(8, 0, 7, 1)));
        s.add(v4(A, B, 1, icmp(8, 0, 7, 2)));
        s.add(v4(B, A, 1, icmp(0, 0, 7, 2)));
        s.add(v4(A, B, 1, icmp(8, 0, 7, 3)));
        s.add(v4(B, A, 1, icmp(0, 0, 8, 1)));
        s.add(v4(A, B, 47, new byte[8]));
        s.add(v4(B, A, 47, new byte[8]));
        byte[] bad = v4(A, B, 17, udp(5002, 53, 8));
        bad[bad.length - 1] ^= 1;
        s.add(bad);
        // IPv6
        long net = 0xfd07000000000000L;
        byte[] syn6 = v6(net, 1, net, 2, 6, tcp(40000, 443, SYN, 10, 0, 5000, 0, NO));
        s.add(syn6);
        s.add(v6(net, 2, net, 1, 6, tcp(443, 40000, SYN | ACK, 99, 11, 5000, 0, NO)));
        s.add(v6(net, 1, net, 2, 6, tcp(40000, 443, ACK, 11, 100, 5000, 0, NO)));
        s.add(v6(net, 1, net, 2, 58, icmp(128, 0, 3, 1)));
        s.add(v6(net, 2, net, 1, 58, icmp(129, 0, 3, 1)));
        s.add(v6(net, 0xfe, net, 1, 58, icmp6Error(1, 4, syn6)));
        s.add(v6(net, 0xfe, net, 1, 58, icmp6Error(1, 4, syn6, 48)));     // a TCP header cut short
        s.add(v4(R, A, 1, icmpError(3, 1, v4(A, B, 6, tcp(40000, 80, ACK, 1101, 5001, 65535, 0, NO)))));
        s.add(v4(A, B, 17, udp(0, 53, 4)));                               // port 0
        s.add(v6(net, 1, net, 2, 17, udp(9, 9, 4)));
        s.add(v6(net, 2, net, 1, 17, udp(9, 9, 4)));
        // DNAT (zone 2) and SNAT (zone 3), both directions, with related ICMP errors: bytes compared too
        byte[] dsyn = v4(A, VIP, 6, tcp(33000, 80, SYN, 1, 0, 5000, 0, NO));
        s.add(dsyn);
        s.add(v4(BACKEND, A, 6, tcp(8080, 33000, SYN | ACK, 70, 2, 5000, 0, NO)));
        s.add(v4(A, VIP, 6, tcp(33000, 80, ACK | PSH, 2, 71, 5000, 20, NO)));
        s.add(v4(BACKEND, A, 1, icmpError(3, 3, v4(BACKEND, A, 17, udp(1, 2, 0)))));   // unrelated: inv
        byte[] du = v4(A, VIP, 17, udp(34000, 80, 12));
        s.add(du);
        s.add(v4(BACKEND, A, 17, udp(8080, 34000, 12)));
        s.add(v4(BACKEND, A, 1, icmpError(3, 3, v4(A, BACKEND, 17, udp(34000, 8080, 12)))));
        byte[] su = v4(INSIDE, B, 17, udp(35000, 53, 16));
        s.add(su);
        s.add(v4(B, OUTSIDE, 17, udp(53, 35000, 16)));
        s.add(v4(R, OUTSIDE, 1, icmpError(11, 0, v4(OUTSIDE, B, 17, udp(35000, 53, 16)))));
        s.add(v4(INSIDE, B, 1, icmp(8, 0, 99, 1)));
        s.add(v4(B, OUTSIDE, 1, icmp(0, 0, 99, 1)));
        return s;
    }

    @Test
    void sameDecisionsAsOvs() {
        ConnTracker ct = new ConnTracker(1024, 1);
        FlowKey key = new FlowKey();
        CtResult res = new CtResult();
        long now = 1_000_000_000_000L;
        List<String> diffs = new ArrayList<>();
        io.xvio.datapath.BridgeDatapath dp = new io.xvio.datapath.BridgeDatapath("br0");
        dp.install(new int[] {1, 2}, FLOWS.stream().map(io.xvio.datapath.FlowParser::parse).toList());
        dp.setLive(new boolean[] {true, true});
        int i = 0;
        for (byte[] f : sequences()) {
            byte[] got = ovsOutput(f.clone());
            // xvio's datapath (ct() action, recirculation, the move from ct_state) on the same frame
            byte[] mine = xvioOutput(dp, f.clone(), now);
            if (got == null ? mine != null : mine == null || !Arrays.equals(got, mine))
                diffs.add("frame " + i + " through the datapath: OVS " + (got == null ? "nothing" : HexFormat.of().formatHex(got))
                        + ", xvio " + (mine == null ? "nothing" : HexFormat.of().formatHex(mine)));
            int o = got == null ? -1 : (got[2] & 0xff) << 24 | (got[3] & 0xff) << 16 | (got[4] & 0xff) << 8 | (got[5] & 0xff);
            MemorySegment s = MemorySegment.ofArray(f);
            key.extract(s, 0, f.length, 1);
            // the same choice of zone and nat as the flows above
            long src = key.w[FlowKey.NW_SRC], dst = key.w[FlowKey.NW_DST];
            boolean v4 = key.w[FlowKey.DL_TYPE] == 0x0800;
            int zone = 1;
            boolean commit = true;
            NatAction nat = null;
            if (v4 && dst == VIP) { zone = 2; nat = DNAT; }
            else if (v4 && src == BACKEND) { zone = 2; nat = NatAction.APPLY; commit = false; }
            else if (v4 && src == INSIDE) { zone = 3; nat = SNAT; }
            else if (v4 && dst == OUTSIDE) { zone = 3; nat = NatAction.APPLY; commit = false; }
            int x = ct.track(key, s, 0, f.length, zone, commit, false, nat, now, 0, res);
            if (o != x) diffs.add("frame " + i + ": OVS " + (o < 0 ? "nothing" : CtState.format(o)) + ", xvio " + CtState.format(x));
            else if (got != null && !Arrays.equals(got, 6, got.length, f, 6, f.length))
                diffs.add("frame " + i + " bytes: OVS " + HexFormat.of().formatHex(got, 6, got.length) + " xvio " + HexFormat.of().formatHex(f, 6, f.length));
            i++;
        }
        assertEquals(List.of(), diffs, ovs.appctl("dpctl/dump-conntrack") + "\nxvio:\n" + ct.dump(-1, now));
    }

    /**
     * A connection DNAT'd by a load balancer's ct(commit,nat) and tracked again, committed with a mark, by a second
     * ct() of the same zone after the recirculation: OVS finds it by the reverse of the translated tuple (it does not
     * make a second connection, whose reply would collide), so both directions keep their state; the same from xvio.
     */
    @Test
    void aSecondCtInTheSameZoneAfterNatSameAsOvs() {
        long vip2 = ip("10.7.9.10"), backend2 = ip("10.7.1.2"), now = 1_000_000_000_000L;
        io.xvio.datapath.BridgeDatapath dp = new io.xvio.datapath.BridgeDatapath("br0");
        dp.install(new int[] {1, 2}, FLOWS.stream().map(io.xvio.datapath.FlowParser::parse).toList());
        dp.setLive(new boolean[] {true, true});
        List<byte[]> frames = List.of(
                v4(A, vip2, 6, tcp(36000, 80, SYN, 1, 0, 5000, 0, NO)),
                v4(backend2, A, 6, tcp(8080, 36000, SYN | ACK, 70, 2, 5000, 0, NO)),
                v4(A, vip2, 6, tcp(36000, 80, ACK | PSH, 2, 71, 5000, 20, NO)),
                v4(backend2, A, 6, tcp(8080, 36000, ACK | PSH, 71, 22, 5000, 30, NO)),
                v4(A, vip2, 17, udp(36001, 80, 12)),
                v4(backend2, A, 17, udp(8080, 36001, 12)),
                v4(A, vip2, 17, udp(36001, 80, 12)));
        List<String> diffs = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++) {
            byte[] f = frames.get(i);
            byte[] got = ovsOutput(f.clone()), mine = xvioOutput(dp, f.clone(), now);
            if (got == null ? mine != null : mine == null || !Arrays.equals(got, mine))
                diffs.add("frame " + i + ": OVS " + (got == null ? "nothing" : CtState.format(state(got)) + " " + HexFormat.of().formatHex(got))
                        + ", xvio " + (mine == null ? "nothing" : CtState.format(state(mine)) + " " + HexFormat.of().formatHex(mine)));
        }
        assertEquals(List.of(), diffs, ovs.appctl("dpctl/dump-conntrack"));
    }

    private static int state(byte[] f) { return (f[2] & 0xff) << 24 | (f[3] & 0xff) << 16 | (f[4] & 0xff) << 8 | (f[5] & 0xff); }

    /** Every frame OVS put out (trimmed to its IP length) after frame f, until the sentinel. */
    private List<byte[]> ovsOutputs(byte[] f) {
        long seq = ++sequence;
        byte[] sentinel = new byte[60];
        for (int i = 0; i < 6; i++) sentinel[i] = (byte) 0xff;
        sentinel[6] = 2;
        sentinel[12] = (byte) (SENTINEL_TYPE >>> 8);
        sentinel[13] = (byte) SENTINEL_TYPE;
        for (int i = 0; i < 8; i++) sentinel[14 + i] = (byte) (seq >>> (56 - 8 * i));
        in.send(f);
        in.send(sentinel);
        List<byte[]> result = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (System.nanoTime() < deadline) {
            for (byte[] got : out.receive()) {
                if (Arrays.equals(got, 12, 22, sentinel, 12, 22)) return result;
                if (Arrays.equals(got, 6, 14, f, 6, 14)) result.add(Arrays.copyOf(got, ipLength(got)));
            }
            LockSupport.parkNanos(200_000);
        }
        throw new AssertionError("the sentinel did not come out\n" + ovs.log());
    }

    private static int ipLength(byte[] f) {
        boolean v6 = (f[12] & 0xff) == 0x86;
        return v6 ? 54 + get16(f, 18) : 14 + get16(f, 16);
    }

    /** Every frame xvio's datapath puts out of port 2 for frame f (one burst). */
    private static List<byte[]> xvioOutputs(io.xvio.datapath.BridgeDatapath dp, byte[] f, long now) {
        io.xvio.packet.PacketBatch b = new io.xvio.packet.PacketBatch();
        MemorySegment.copy(f, 0, b.data, java.lang.foreign.ValueLayout.JAVA_BYTE, b.off[0], f.length);
        b.len[0] = f.length;
        b.count = 1;
        io.xvio.datapath.Outputs out = new io.xvio.datapath.Outputs(4);
        dp.process(0, b, out, 0, now);
        List<byte[]> r = new ArrayList<>();
        for (int k = 0; k < out.touchedCount(); k++) {
            if (out.touchedPort(k) != 1) continue;
            for (int x = 0; x < out.countFor(1); x++) {
                int idx = out.packetsFor(1)[x];
                byte[] g = new byte[b.len[idx]];
                MemorySegment.copy(b.data, java.lang.foreign.ValueLayout.JAVA_BYTE, b.off[idx], g, 0, g.length);
                r.add(g);
            }
        }
        return r;
    }

    /**
     * IP fragments through ct(commit,zone,table=1): the same frames out of OVS (lib/ipf.c) and xvio for each fragment
     * sent: nothing while a datagram is incomplete, all its fragments (in order of offset) with the datagram's
     * ct_state once whole, NAT'd fragments byte for byte, +inv for overlapping and too small fragments.
     */
    @Test
    void fragmentsSameAsOvs() {
        io.xvio.datapath.BridgeDatapath dp = new io.xvio.datapath.BridgeDatapath("br0");
        dp.install(new int[] {1, 2}, FLOWS.stream().map(io.xvio.datapath.FlowParser::parse).toList());
        dp.setLive(new boolean[] {true, true});
        long now = 2_000_000_000_000L;
        long c = ip("10.7.3.1"), d = ip("10.7.3.2"), net = 0xfd07000000000000L;
        List<byte[]> s = new ArrayList<>();
        // a UDP datagram in 3 fragments, last first; its reply, fragmented too, in order; the next one established
        List<byte[]> f1 = Fragmenter.cut(v4(c, d, 17, udp(6000, 53, 4000)), 0x101, 1480);
        s.add(f1.get(2)); s.add(f1.get(0)); s.add(f1.get(1));
        s.addAll(Fragmenter.cut(v4(d, c, 17, udp(53, 6000, 3000)), 0x202, 1480));
        List<byte[]> f3 = Fragmenter.cut(v4(c, d, 17, udp(6000, 53, 2500)), 0x102, 1480);
        s.add(f3.get(1)); s.add(f3.get(0));
        // TCP data in fragments (a first fragment holding the header)
        s.add(v4(c, d, 6, tcp(6100, 80, SYN, 10, 0, 65535, 0, NO)));
        s.add(v4(d, c, 6, tcp(80, 6100, SYN | ACK, 500, 11, 65535, 0, NO)));
        s.addAll(Fragmenter.cut(v4(c, d, 6, tcp(6100, 80, ACK | PSH, 11, 501, 65535, 3000, NO)), 0x103, 1480));
        // IPv6: a datagram in 3 fragments, middle first
        List<byte[]> f6 = Fragmenter.cut(v6(net, 0x31, net, 0x32, 17, udp(7000, 7001, 4000)), 0x10203, 1448);
        s.add(f6.get(1)); s.add(f6.get(2)); s.add(f6.get(0));
        // overlapping, too small (OVS 3.1: non-last fragments under 1200 bytes of IPv4, 1280 of IPv6), a duplicate
        byte[] big = v4(c, d, 17, udp(6200, 53, 6000));
        s.add(Fragmenter.v4Piece(big, 0x104, 0, 1480, true));
        s.add(Fragmenter.v4Piece(big, 0x104, 8, 1488, true));
        s.add(Fragmenter.v4Piece(big, 0x104, 0, 1480, true));
        s.add(Fragmenter.v4Piece(big, 0x105, 0, 1160, true));
        s.add(Fragmenter.v4Piece(big, 0x106, 0, 400, true));
        s.add(Fragmenter.v6Piece(v6(net, 0x31, net, 0x32, 17, udp(7002, 7003, 3000)), 0x7, 0, 1200, true));
        // DNAT (zone 2): every fragment's destination translated, the first one's port and UDP checksum too
        s.addAll(Fragmenter.cut(v4(A, VIP, 17, udp(36000, 80, 3500)), 0x108, 1480));
        // ct(commit) without table, then ct(table=1): held twice, committed by the first
        List<byte[]> f7 = Fragmenter.cut(v4(ip("10.7.4.1"), d, 17, udp(6700, 53, 4000)), 0x109, 1480);
        s.add(f7.get(1)); s.add(f7.get(2)); s.add(f7.get(0));
        s.add(v4(ip("10.7.4.1"), d, 17, udp(6700, 53, 10)));
        List<String> diffs = new ArrayList<>();
        int i = 0, out = 0;
        for (byte[] f : s) {
            List<byte[]> got = ovsOutputs(f.clone());
            List<byte[]> mine = xvioOutputs(dp, f.clone(), now);
            if (!Fragmenter.hex(got).equals(Fragmenter.hex(mine)))
                diffs.add("fragment frame " + i + ": OVS " + Fragmenter.hex(got) + "\n  xvio " + Fragmenter.hex(mine));
            out += got.size();
            i++;
        }
        assertEquals(List.of(), diffs, ovs.appctl("dpctl/dump-conntrack") + "\n" + ovs.appctl("dpctl/ipf-get-status")
                + "\nxvio:\n" + dp.conntrack().get().stats(now).format());
        assertEquals(3 + 3 + 2 + 2 + 3 + 3 + 5 + 3 + 3 + 1, out, "fragments of whole datagrams, the SYNs and the invalid ones came out");
    }
}
