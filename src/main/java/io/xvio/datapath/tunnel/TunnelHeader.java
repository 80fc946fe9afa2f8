package io.xvio.datapath.tunnel;

import io.xvio.packet.Checksum;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet6Address;

/**
 * A precomputed outer header (Ethernet, IPv4 or IPv6, UDP, VXLAN or Geneve with its options): what OVS's
 * {@code tnl_push} action carries. Built once on the control path per (tunnel port, next hop, flow's tunnel fields);
 * per packet {@link #push} copies it in front of the inner frame and writes only the lengths, the IPv4 id and header
 * checksum, the IPv6 flow label and the UDP source port (both from the inner flow's hash: entropy for ECMP and RSS),
 * and the UDP checksum if asked for. No allocation, no lock: one instance may be pushed by every PMD thread at once.
 */
public final class TunnelHeader {
    public static final int ETH = 14, IP4 = 20, IP6 = 40, UDP = 8;
    /** The UDP source port range, RFC 7348 §5's recommendation (IANA's dynamic ports). */
    public static final int SPORT_MIN = 49152, SPORT_RANGE = 16384;
    public static final int ETH_TEB = 0x6558;

    /**
     * What a header says. MACs are 48-bit values (00:11:.. as 0x0011..); src and dst are both IPv4 or both IPv6;
     * tos and ttl are resolved (inherit is the caller's, from the inner packet, on translation); options in wire form
     * (Geneve only, a multiple of 4, at most 252 bytes).
     */
    public record Spec(TunnelType type, long srcMac, long dstMac, java.net.InetAddress src, java.net.InetAddress dst,
                       int dstPort, long vni, int tos, int ttl, boolean df, boolean csum, boolean oam, byte[] options) {
        public Spec {
            if (src.getClass() != dst.getClass()) throw new IllegalArgumentException("outer source and destination must both be IPv4 or IPv6");
            if (vni < 0 || vni > 0xffffff) throw new IllegalArgumentException("VNI " + vni + " is over 24 bits");
            if (tos < 0 || tos > 255 || ttl < 1 || ttl > 255) throw new IllegalArgumentException("tos " + tos + " / ttl " + ttl + " out of range");
            if (options == null) options = new byte[0];
            if (options.length % 4 != 0 || options.length > TunnelMetadata.MAX_OPTIONS)
                throw new IllegalArgumentException("Geneve options of " + options.length + " bytes: a multiple of 4, at most 252");
            if (type == TunnelType.VXLAN && (options.length > 0 || oam))
                throw new IllegalArgumentException("VXLAN has no options and no OAM bit");
            options = options.clone();
        }
    }

    private final MemorySegment template;
    private final int length, l4;
    private final boolean ipv6, csum;
    /** IPv4: ones'-complement sum of the header with total length, id and checksum zero. */
    private final long ipSum;
    /** IPv6: the first word without the flow label. */
    private final int v6Word0;
    /** The pseudo-header's addresses and protocol, summed (the lengths are per packet). */
    private final long pseudoSum;
    private final Spec spec;

    public TunnelHeader(Spec s) {
        this.spec = s;
        ipv6 = s.src() instanceof Inet6Address;
        csum = s.csum();
        int ipLen = ipv6 ? IP6 : IP4;
        l4 = ETH + ipLen;
        length = l4 + UDP + s.type().baseLength + s.options().length;
        template = Arena.ofAuto().allocate(length, 8);
        MemorySegment t = template;
        Be.putMac(t, 0, s.dstMac());
        Be.putMac(t, 6, s.srcMac());
        Be.put16(t, 12, ipv6 ? 0x86dd : 0x0800);
        if (ipv6) {
            v6Word0 = 0x6000_0000 | (s.tos() << 20);
            Be.put32(t, ETH, v6Word0);
            Be.put8(t, ETH + 6, Checksum.PROTO_UDP);
            Be.put8(t, ETH + 7, s.ttl());
            byte[] a = s.src().getAddress(), b = s.dst().getAddress();
            MemorySegment.copy(MemorySegment.ofArray(a), 0, t, ETH + 8, 16);
            MemorySegment.copy(MemorySegment.ofArray(b), 0, t, ETH + 24, 16);
            ipSum = 0;
            pseudoSum = Checksum.sum(t, ETH + 8, 32) + Checksum.PROTO_UDP;
        } else {
            v6Word0 = 0;
            Be.put8(t, ETH, 0x45);
            Be.put8(t, ETH + 1, s.tos());
            Be.put16(t, ETH + 6, s.df() ? 0x4000 : 0);
            Be.put8(t, ETH + 8, s.ttl());
            Be.put8(t, ETH + 9, Checksum.PROTO_UDP);
            Be.put32(t, ETH + 12, TunnelMetadata.v4(s.src()));
            Be.put32(t, ETH + 16, TunnelMetadata.v4(s.dst()));
            ipSum = Checksum.sum(t, ETH, IP4);
            pseudoSum = Checksum.sum(t, ETH + 12, 8) + Checksum.PROTO_UDP;
        }
        Be.put16(t, l4 + 2, s.dstPort());
        int th = l4 + UDP;
        if (s.type() == TunnelType.VXLAN) {
            Be.put32(t, th, 0x0800_0000);
            Be.put32(t, th + 4, s.vni() << 8);
        } else {
            boolean critical = false;
            byte[] o = s.options();
            for (int at = 0; at + 4 <= o.length; at += 4 + (o[at + 3] & 0x1f) * 4) critical |= (o[at + 2] & GeneveOptions.CRITICAL) != 0;
            Be.put8(t, th, o.length / 4);
            Be.put8(t, th + 1, (s.oam() ? 0x80 : 0) | (critical ? 0x40 : 0));
            Be.put16(t, th + 2, ETH_TEB);
            Be.put32(t, th + 4, s.vni() << 8);
            MemorySegment.copy(MemorySegment.ofArray(o), 0, t, th + 8, o.length);
        }
    }

    public Spec spec() { return spec; }
    /** Bytes pushed in front of the inner frame. */
    public int length() { return length; }
    /** What the header adds to the underlay's IP packet over the inner frame: length() - 14. */
    public int overhead() { return length - ETH; }
    public boolean ipv6() { return ipv6; }
    /** Bytes of Geneve options a packet may add to this header's own (252 minus those; 0 for VXLAN). */
    public int optionRoom() { return spec.type() == TunnelType.GENEVE ? TunnelMetadata.MAX_OPTIONS - spec.options().length : 0; }

    /** True if an inner frame of innerLen bytes, encapsulated, fits an underlay of this MTU (IP packet size). */
    public boolean fits(int innerLen, int underlayMtu) { return innerLen + length - ETH <= underlayMtu; }

    /** The UDP source port for an inner flow hash (spread over 49152..65535). */
    public static int sourcePort(int hash) {
        return SPORT_MIN + (int) (((hash & 0xffffffffL) * SPORT_RANGE) >>> 32);
    }

    /**
     * Writes the header in front of the inner frame s[innerOff, innerOff+innerLen) and returns where the outer frame
     * starts (innerOff - length()); its length is innerLen + length(). The caller checks headroom (innerOff >=
     * length() from the slot start) and the MTU ({@link #fits}) first. hash is the inner flow's (5-tuple) hash; ipId
     * the IPv4 identification (a per-thread counter).
     */
    public long push(MemorySegment s, long innerOff, int innerLen, int hash, int ipId) {
        return push(s, innerOff, innerLen, hash, ipId, 0, false);
    }

    /**
     * {@link #push} for a Geneve header with optLen more bytes of options, which the caller has already written at
     * s[innerOff - optLen, innerOff) ({@link GeneveOptionWriter}): the header goes in front of them, its opt_len
     * counts them, its C bit is set if critical, and the lengths and checksums cover them. Returns where the outer
     * frame starts (innerOff - optLen - length()); its length is innerLen + optLen + length(). The caller checks that
     * the template's options and optLen together fit 252 bytes ({@link #optionRoom}).
     */
    public long push(MemorySegment s, long innerOff, int innerLen, int hash, int ipId, int optLen, boolean critical) {
        if (optLen > 0) {
            innerOff -= optLen;
            innerLen += optLen;
        }
        long o = innerOff - length;
        MemorySegment.copy(template, 0, s, o, length);
        if (optLen > 0) {
            long g = o + l4 + UDP;
            Be.put8(s, g, Be.u8(s, g) + optLen / 4);
            if (critical) Be.put8(s, g + 1, Be.u8(s, g + 1) | 0x40);
        }
        int udpLen = innerLen + length - l4;
        if (ipv6) {
            Be.put32(s, o + ETH, v6Word0 | (hash & 0xfffff));
            Be.put16(s, o + ETH + 4, udpLen);
        } else {
            int total = udpLen + IP4;
            Be.put16(s, o + ETH + 2, total);
            Be.put16(s, o + ETH + 4, ipId);
            Be.put16(s, o + ETH + 10, ~Checksum.fold(ipSum + total + (ipId & 0xffff)) & 0xffff);
        }
        long u = o + l4;
        Be.put16(s, u, sourcePort(hash));
        Be.put16(s, u + 4, udpLen);
        if (csum) {
            // the checksum field is 0 in the template; the pseudo-header counts the UDP length once more
            int c = ~Checksum.fold(pseudoSum + udpLen + Checksum.sum(s, u, udpLen)) & 0xffff;
            Be.put16(s, u + 6, c == 0 ? 0xffff : c);
        }
        return o;
    }

    @Override
    public String toString() {
        Spec s = spec;
        StringBuilder b = new StringBuilder("tnl_push(header(size=").append(length).append(",type=").append(s.type().label)
                .append(",eth(dst=").append(mac(s.dstMac())).append(",src=").append(mac(s.srcMac())).append("),")
                .append(ipv6 ? "ipv6(" : "ipv4(").append("src=").append(IpAddr.text(s.src())).append(",dst=").append(IpAddr.text(s.dst()))
                .append(",tos=0x").append(Integer.toHexString(s.tos())).append(",ttl=").append(s.ttl())
                .append(ipv6 ? "" : s.df() ? ",frag=0x4000" : ",frag=0").append("),udp(dst=").append(s.dstPort())
                .append(",csum=").append(s.csum() ? "0xffff" : "0").append("),").append(s.type() == TunnelType.VXLAN ? "vxlan(" : "geneve(");
        if (s.oam()) b.append("oam,");
        if (s.options().length > 0) {
            GeneveOptions.format(s.options(), s.options().length, b);
            b.append(',');
        }
        return b.append("vni=0x").append(Long.toHexString(s.vni())).append(")))").toString();
    }

    static String mac(long m) {
        return String.format("%02x:%02x:%02x:%02x:%02x:%02x", (m >>> 40) & 0xff, (m >>> 32) & 0xff, (m >>> 24) & 0xff,
                (m >>> 16) & 0xff, (m >>> 8) & 0xff, m & 0xff);
    }
}
