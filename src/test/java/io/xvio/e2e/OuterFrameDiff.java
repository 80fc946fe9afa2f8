package io.xvio.e2e;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The frame-by-frame differential of two VXLAN encapsulations over IPv4 (OvsVxlanInteropIT): the same inner frames
 * were sent into xvio's and OVS's overlay bridges, whose tunnel ports face each other across one veth, and a packet
 * socket on that veth captured both directions (OVS's side: PACKET_OUTGOING). Each side's outer header must be the
 * other's mirror image (MACs and IP addresses swapped) byte for byte, but for what RFC 6864 and RFC 7348 leave to
 * the sender: the IPv4 id (OVS writes 0 with DF, xvio a counter), hence the IPv4 header checksum (checked valid on
 * both), and the UDP source port (from a hash of the inner flow: checked stable per flow, spread over flows and in
 * each side's range: xvio 49152-65535 as RFC 7348 suggests, OVS 32768-61000, its tnl/egress_port_range default).
 */
final class OuterFrameDiff {
    /** Outer header bytes of a VXLAN frame; a Geneve one with one 4-byte option has 8 more. */
    static final int HDR = 14 + 20 + 8 + 8;
    /** Inner frames the injector sends: this destination MAC marks them. */
    static final String INNER_DST = "020000009999";

    private OuterFrameDiff() {}

    /** Python: captures VXLAN/IPv4 frames on IF for SECS seconds, one line per frame: "pkttype hex". */
    static String capture(String dev, int secs) { return capture(dev, secs, 4789, HDR); }

    /** The same for UDP port dport and outer headers of hdr bytes (Geneve: 6081, 50 + options). */
    static String capture(String dev, int secs, int dport, int hdr) {
        return """
                import socket, time
                s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
                s.bind(('%s', 0)); s.settimeout(0.3)
                print('ready', flush=True)
                end = time.time() + %d
                while time.time() < end:
                    try: b, a = s.recvfrom(65535)
                    except socket.timeout: continue
                    if len(b) > %d and b[12:14] == b'\\x08\\x00' and b[23] == 17 and b[36:38] == (%d).to_bytes(2, 'big') and b[%d:%d].hex() == '%s':
                        print(a[2], b.hex(), flush=True)
                """.formatted(dev, secs, hdr, dport, hdr, hdr + 6, INNER_DST);
    }

    /**
     * Python: sends the same inner frames out of IF: 5 IPv4/UDP flows (sizes 60, 300, 1000; the last flow with ECN
     * CE and DSCP 0x28), an IPv6/UDP frame and a non-IP frame.
     */
    static String inject(String dev) {
        return """
                import socket, struct, time
                s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('%s', 0))
                def csum(b):
                    if len(b) %% 2: b += b'\\0'
                    t = sum(struct.unpack('!%%dH' %% (len(b) // 2), b)); t = (t >> 16) + (t & 0xffff); t += t >> 16
                    return ~t & 0xffff
                dst = bytes.fromhex('%s')
                frames = []
                for flow in range(5):
                    src = bytes.fromhex('0200000088%%02x' %% flow)
                    for size in (60, 300, 1000):
                        pl = bytes((flow * 7 + size + i) & 0xff for i in range(size - 42))
                        tos = 0xa3 if flow == 4 else 0
                        ip = struct.pack('!BBHHHBBH4s4s', 0x45, tos, 28 + len(pl), flow * 100 + size, 0, 33, 17, 0,
                                         bytes([10, 203, 9, 1]), bytes([10, 203, 9, 2 + flow]))
                        ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
                        udp = struct.pack('!HHHH', 1000 + flow, 2000, 8 + len(pl), 0)
                        frames.append(dst + src + b'\\x08\\x00' + ip + udp + pl)
                v6 = bytes([0x60, 0, 0, 0, 0, 16, 17, 64]) + bytes.fromhex('fd00' + '00' * 13 + '01') + bytes.fromhex('fd00' + '00' * 13 + '02')
                frames.append(dst + bytes.fromhex('020000008807') + b'\\x86\\xdd' + v6 + struct.pack('!HHHH', 5, 6, 16, 0) + b'x' * 8)
                frames.append(dst + bytes.fromhex('020000008808') + b'\\x88\\xb5' + b'local experimental' * 3)
                for f in frames:
                    s.send(f); time.sleep(0.02)
                print(len(frames), flush=True)
                """.formatted(dev, INNER_DST);
    }

    /** One captured frame: who sent it (true: OVS) and its bytes. */
    record Frame(boolean ovs, byte[] b, int hdr) {
        Frame(boolean ovs, byte[] b) { this(ovs, b, HDR); }
        String inner() { return HexFormat.of().formatHex(b, hdr, b.length); }
        int sport() { return u16(b, 34); }
        String flow() { return HexFormat.of().formatHex(b, hdr + 6, hdr + 12); }   // the inner source MAC
    }

    static List<Frame> parse(String captured) { return parse(captured, HDR); }

    /** Captured lines of frames with hdr bytes of outer headers. */
    static List<Frame> parse(String captured, int hdr) {
        List<Frame> l = new ArrayList<>();
        for (String line : captured.lines().toList()) {
            String[] f = line.trim().split(" ");
            if (f.length == 2 && f[1].length() > 2 * hdr) l.add(new Frame(f[0].equals("4"), HexFormat.of().parseHex(f[1]), hdr));
        }
        return l;
    }

    /**
     * Compares the captured frames; returns the list of what differs (empty if the encapsulations agree). expected:
     * how many distinct inner frames were injected into each side.
     */
    static List<String> compare(List<Frame> frames, int expected) {
        List<String> bad = new ArrayList<>();
        Map<String, Frame> xvio = new LinkedHashMap<>(), ovs = new LinkedHashMap<>();
        for (Frame f : frames) (f.ovs() ? ovs : xvio).putIfAbsent(f.inner(), f);
        if (xvio.size() != expected) bad.add("xvio sent " + xvio.size() + " of " + expected + " inner frames");
        if (ovs.size() != expected) bad.add("OVS sent " + ovs.size() + " of " + expected + " inner frames");
        for (Map.Entry<String, Frame> e : xvio.entrySet()) {
            Frame o = ovs.get(e.getKey());
            if (o == null) continue;
            byte[] x = mirror(e.getValue().b()), y = o.b().clone();
            for (byte[] h : new byte[][] {x, y}) { h[18] = h[19] = 0; h[24] = h[25] = 0; h[34] = h[35] = 0; }
            for (int k = 0; k < o.hdr(); k++)
                if (x[k] != y[k]) bad.add(String.format("inner %s...: outer byte %d (%s) xvio 0x%02x, OVS 0x%02x", e.getKey().substring(0, 40),
                        k, field(k), x[k] & 0xff, y[k] & 0xff));
            for (Frame f : new Frame[] {e.getValue(), o})
                if (ipSum(f.b()) != 0xffff) bad.add((f.ovs() ? "OVS" : "xvio") + ": bad outer IPv4 checksum");
        }
        for (boolean side : new boolean[] {false, true}) {
            String who = side ? "OVS" : "xvio";
            int lo = side ? 32768 : 49152, hi = side ? 61000 : 65535;
            Map<String, TreeSet<Integer>> byFlow = new LinkedHashMap<>();
            for (Frame f : frames) if (f.ovs() == side) byFlow.computeIfAbsent(f.flow(), k -> new TreeSet<>()).add(f.sport());
            TreeSet<Integer> all = new TreeSet<>();
            byFlow.forEach((flow, ports) -> {
                if (ports.size() != 1) bad.add(who + ": flow " + flow + " used UDP source ports " + ports);
                all.addAll(ports);
            });
            if (!all.isEmpty() && (all.first() < lo || all.last() > hi)) bad.add(who + ": UDP source ports " + all + " outside " + lo + "-" + hi);
            if (byFlow.size() >= 4 && all.size() < 3) bad.add(who + ": " + byFlow.size() + " flows share UDP source ports " + all);
        }
        return bad;
    }

    /** The frame as seen from the other end: Ethernet addresses and IPv4 addresses swapped. */
    static byte[] mirror(byte[] f) {
        byte[] m = f.clone();
        System.arraycopy(f, 0, m, 6, 6);
        System.arraycopy(f, 6, m, 0, 6);
        System.arraycopy(f, 26, m, 30, 4);
        System.arraycopy(f, 30, m, 26, 4);
        return m;
    }

    static String field(int k) {
        if (k < 14) return "Ethernet";
        if (k < 34) return new String[] {"version/IHL", "tos", "total length", "total length", "id", "id", "flags/fragment",
                "flags/fragment", "ttl", "protocol", "checksum", "checksum", "src", "src", "src", "src", "dst", "dst", "dst", "dst"}[k - 14];
        if (k < 42) return new String[] {"UDP sport", "UDP sport", "UDP dport", "UDP dport", "UDP length", "UDP length", "UDP checksum", "UDP checksum"}[k - 34];
        return k < 46 ? "VXLAN flags / Geneve ver, opt_len, O, C, protocol" : k < 50 ? "VNI" : "Geneve options";
    }

    static int ipSum(byte[] f) {
        long s = 0;
        for (int k = 14; k < 34; k += 2) s += u16(f, k);
        while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
        return (int) s;
    }

    static int u16(byte[] b, int at) { return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff); }
}
