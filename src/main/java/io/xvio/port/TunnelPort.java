package io.xvio.port;

import io.xvio.datapath.tunnel.FlowHeaders;
import io.xvio.datapath.tunnel.GeneveOptionWriter;
import io.xvio.datapath.tunnel.IpAddr;
import io.xvio.datapath.tunnel.PathMtu;
import io.xvio.datapath.tunnel.TooBigAnswers;
import io.xvio.datapath.tunnel.TunnelConfig;
import io.xvio.datapath.tunnel.TunnelDrop;
import io.xvio.datapath.tunnel.TunnelDrops;
import io.xvio.datapath.tunnel.TunnelHeader;
import io.xvio.datapath.tunnel.TunnelResolver;
import io.xvio.packet.Checksum;
import io.xvio.packet.FlowKey;
import io.xvio.packet.PacketBatch;

import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * A VXLAN or Geneve port (issue 16): no queues of its own. What the datapath sends to it is encapsulated here (the
 * datapath's tnl_push, done where the packet leaves, so output:vx0, NORMAL, flood and group buckets all get it) with
 * the port's precomputed outer header and handed to the underlay bridge's uplink in the same burst. What arrives for
 * it is decapsulated by the underlay bridge ({@link io.xvio.datapath.Underlay}) and enters the overlay bridge with
 * in_port = this port.
 *
 * <p>The {@link Egress} (header, uplink, MTU) is resolved by the control thread from the route table and the
 * underlay's neighbour cache and published whole; until it resolves, packets are counted drops with the reason
 * ({@code no route}, {@code no neighbour}) and {@link #status} says why. Per packet: a headroom check, an MTU check
 * (drop counted as TOO_BIG, the message naming both MTUs in {@code show}; an IPv4 packet with DF or an IPv6 packet
 * gets an ICMP "fragmentation needed" / "packet too big" back, which arrives as if the remote endpoint had sent it:
 * {@link TooBigAnswers}), the header copy with lengths, IPv4 id and checksum, UDP source port from a
 * hash of the inner addresses and ports. The frame's offset and length are put back after the uplink's transmit, so
 * the same packet may also go to other ports of the burst. No allocation.
 */
public final class TunnelPort implements Port {
    /** Where encapsulated frames go: the outer header, the uplink port, the underlay's MTU (IP bytes). */
    public record Egress(TunnelHeader header, Port uplink, int mtu, String bridge, TooBigAnswers answers) {
        /** Without ICMP answers to too-big frames. */
        public Egress(TunnelHeader header, Port uplink, int mtu, String bridge) { this(header, uplink, mtu, bridge, null); }
    }

    private final String name;
    private final int ofport;
    private final TunnelConfig config;
    private final PortCounters counters = new PortCounters();
    private final TunnelDrops drops = new TunnelDrops();
    private volatile Egress egress;
    private volatile String why = "resolving";
    /** Geneve: the options a packet's tun_metadata fields become (the overlay bridge's TLV map); NONE for VXLAN. */
    private volatile GeneveOptionWriter options = GeneveOptionWriter.NONE;
    /** Per thread: saved offsets/lengths, the packets handed to the uplink, the IPv4 id counter. */
    private final int[][] savedOff = new int[PortCounters.MAX_THREADS][], savedLen = new int[PortCounters.MAX_THREADS][],
            sendIdx = new int[PortCounters.MAX_THREADS][];
    private final int[] ipIds = new int[PortCounters.MAX_THREADS * 16];
    /** Per thread (a cache line apart): the length of the last frame dropped as too big, for {@code show}; ICMP answers sent. */
    private final int[] lastTooBig = new int[PortCounters.MAX_THREADS * 16];
    private final long[] icmpSent = new long[PortCounters.MAX_THREADS * 8];

    /** BFD control messages received on this port while a session runs on it (the Interface's bfd column). */
    private final io.xvio.datapath.bfd.BfdInbox bfdInbox = new io.xvio.datapath.bfd.BfdInbox();

    public io.xvio.datapath.bfd.BfdInbox bfdInbox() { return bfdInbox; }

    /** remote_ip=flow / key=flow: the headers by (remote, VNI), resolved by the control thread. */
    private final FlowHeaders flowHeaders = new FlowHeaders();
    private final boolean inheritTos, inheritTtl;
    /** The fixed remote (hi, lo) when not remote_ip=flow. */
    private final long remoteHi, remoteLo;

    public TunnelPort(String name, int ofport, TunnelConfig config) {
        this.name = name;
        this.ofport = ofport;
        this.config = config;
        inheritTos = config.tos() == TunnelConfig.INHERIT;
        inheritTtl = config.ttl() == TunnelConfig.INHERIT;
        IpAddr r = config.remoteFromFlow() ? new IpAddr(0, 0) : IpAddr.of(config.remoteIp());
        remoteHi = r.hi();
        remoteLo = r.lo();
    }

    /** The per-flow headers (remote_ip=flow or key=flow ports): values are {@link Egress}, or a {@link TunnelDrop} while unresolvable. */
    public FlowHeaders flowHeaders() { return flowHeaders; }

    /**
     * Whether transmit reads the packet's flow key: remote_ip=flow or key=flow (tun_dst, tun_id), or a Geneve port
     * (tun_metadata options, whose map may change at run time). A fixed VXLAN port reads only the frame.
     */
    public boolean readsFlowKey() {
        return config.remoteFromFlow() || config.keyFromFlow() || config.type() == io.xvio.datapath.tunnel.TunnelType.GENEVE;
    }

    public TunnelConfig config() { return config; }
    public TunnelDrops drops() { return drops; }
    public Egress egress() { return egress; }

    /** Control thread: the resolved way out, or null and why not. */
    public void setEgress(Egress e, String whyNot) {
        egress = e;
        why = e == null ? whyNot : null;
    }

    /** Control thread: the overlay bridge's TLV map changed (add-tlv-map, del-tlv-map). Ignored for VXLAN ports. */
    public void setOptions(GeneveOptionWriter w) {
        options = config.type() == io.xvio.datapath.tunnel.TunnelType.GENEVE && w != null ? w : GeneveOptionWriter.NONE;
    }

    public GeneveOptionWriter options() { return options; }

    @Override public String name() { return name; }
    @Override public String type() { return config.type().name().toLowerCase(); }
    @Override public int ofport() { return ofport; }
    @Override public int rxQueues() { return 0; }
    @Override public int receive(int q, PacketBatch b, int thread) { return 0; }

    /** Counts a decapsulated packet that entered the overlay through this port (called by the underlay's PMD). */
    public void received(int thread, int bytes) {
        counters.add(thread, PortCounters.Counter.RX_PACKETS, 1);
        counters.add(thread, PortCounters.Counter.RX_BYTES, bytes);
    }

    static {
        if (PacketBatch.SLOTS > Long.SIZE) throw new IllegalStateException("transmit's slot mask is one long: at most 64 slots");
    }

    @Override
    public void transmit(int thread, PacketBatch b, int[] which, int n) {
        if (thread < 0 || thread >= PortCounters.MAX_THREADS) return;
        boolean perFlow = config.remoteFromFlow() || config.keyFromFlow();
        Egress fixed = egress;
        if (!perFlow && fixed == null) {
            drops.add(thread, why != null && why.startsWith("no MAC") ? TunnelDrop.NO_NEIGHBOR : TunnelDrop.NO_ROUTE, n);
            return;
        }
        int[] off = savedOff[thread], len = savedLen[thread], idx = sendIdx[thread];
        if (off == null) {
            off = savedOff[thread] = new int[PacketBatch.SLOTS];
            len = savedLen[thread] = new int[PacketBatch.SLOTS];
            idx = sendIdx[thread] = new int[PacketBatch.SLOTS];
        }
        int m = 0;
        long bytes = 0;
        Port uplink = null;
        MemorySegment d = b.data;
        GeneveOptionWriter gw = options;
        boolean withOptions = !gw.isEmpty();
        long gathered = 0;                                           // slots encapsulated and not sent yet (SLOTS = 64)
        for (int k = 0; k < n; k++) {
            int i = which[k];
            Egress e = perFlow ? flowEgress(b.keys[i], thread) : fixed;
            if (e == null) continue;                                 // counted
            // another underlay, or a slot given twice (output:vx0 twice, NORMAL then output:vx0): send what is
            // gathered first, which puts its frames back, so no frame is encapsulated twice
            if (m > 0 && (e.uplink() != uplink || (gathered & 1L << i) != 0)) {
                send(thread, uplink, b, idx, off, len, m, bytes);
                m = 0;
                bytes = 0;
                gathered = 0;
            }
            uplink = e.uplink();
            TunnelHeader h = e.header();
            int hl = h.length();
            int o = b.off[i], l = b.len[i];
            FlowKey fk = b.keys[i];
            int ol = withOptions && fk.extended ? gw.length(fk.w, FlowKey.TUN_METADATA0) : 0;   // tun_metadata set or received
            if (ol > h.optionRoom()) { drops.add(thread, TunnelDrop.OPTIONS_TOO_LONG_TX, 1); continue; }
            if (o % PacketBatch.STRIDE < hl + ol) { drops.add(thread, TunnelDrop.NO_HEADROOM, 1); continue; }
            if (!h.fits(l + ol, e.mtu())) { tooBig(thread, d, o, l, e); continue; }
            off[m] = o;
            len[m] = l;
            int id = ipIds[thread * 16]++;
            int hash = hash(d, o, l);
            long outer = ol == 0 ? h.push(d, o, l, hash, id)
                    : h.push(d, o, l, hash, id, ol, gw.write(fk.w, FlowKey.TUN_METADATA0, d, o - ol));
            b.off[i] = (int) outer;
            b.len[i] = l + hl + ol;
            inherit(d, outer, h.ipv6(), o, l);
            bytes += l;
            idx[m++] = i;
            gathered |= 1L << i;
        }
        if (m > 0) send(thread, uplink, b, idx, off, len, m, bytes);
    }

    /** A frame too big for the underlay: counted, and answered with ICMP when due. */
    private void tooBig(int thread, MemorySegment d, int o, int l, Egress e) {
        drops.add(thread, TunnelDrop.TOO_BIG, 1);
        lastTooBig[thread * 16] = l;
        TooBigAnswers a = e.answers();
        if (a != null && a.offer(thread, d, o, l, PathMtu.innerMtu(e.header(), e.mtu()), e.header())) icmpSent[thread * 8]++;
    }

    /** Hands packets idx[0..m) to uplink, then puts their frames back where they were. */
    private void send(int thread, Port uplink, PacketBatch b, int[] idx, int[] off, int[] len, int m, long bytes) {
        counters.add(thread, PortCounters.Counter.TX_PACKETS, m);
        counters.add(thread, PortCounters.Counter.TX_BYTES, bytes);
        try {
            uplink.transmit(thread, b, idx, m);
        } finally {
            for (int k = 0; k < m; k++) {
                b.off[idx[k]] = off[k];
                b.len[idx[k]] = len[k];
            }
        }
    }

    /**
     * remote_ip=flow / key=flow: the way out for the tunnel fields the flow set (set_field to tun_dst or
     * tun_ipv6_dst, tun_id), or null with the drop counted (no tun_dst set, or not resolved yet: asked for).
     */
    private Egress flowEgress(FlowKey k, int thread) {
        long[] w = k.w;
        boolean set = k.extended;
        long vni = config.keyFromFlow() ? (set ? w[FlowKey.TUN_ID] & 0xffffff : 0) : config.key();
        long hi = remoteHi, lo = remoteLo;
        if (config.remoteFromFlow()) {
            if (!set) { drops.add(thread, TunnelDrop.NO_ROUTE, 1); return null; }
            if (config.ipv6()) {
                hi = w[FlowKey.TUN_IPV6_DST_HI];
                lo = w[FlowKey.TUN_IPV6_DST_LO];
                if ((hi | lo) == 0) { drops.add(thread, TunnelDrop.NO_ROUTE, 1); return null; }
            } else {
                long dst = w[FlowKey.TUN_IPV4] & 0xffffffffL;
                if (dst == 0) { drops.add(thread, TunnelDrop.NO_ROUTE, 1); return null; }
                hi = IpAddr.V4_HI;
                lo = IpAddr.V4_LO_TAG | dst;
            }
        }
        Object e = flowHeaders.lookup(hi, lo, vni);
        if (e instanceof Egress eg) return eg;
        drops.add(thread, e instanceof TunnelDrop r ? r : TunnelDrop.NO_NEIGHBOR, 1);
        return null;
    }

    /**
     * Per packet, what the precomputed header cannot know: the inner IP packet's ECN bits copied out as RFC 6040 says
     * (CE as ECT(0)), and its DSCP (tos=inherit) and TTL (ttl=inherit). The common case, a port without inherit and
     * an inner packet without ECN, reads one byte and writes nothing; else the outer IPv4 header checksum is redone.
     */
    private void inherit(MemorySegment d, long outer, boolean v6, long inner, int len) {
        if (len < 34) return;
        int type = Short.toUnsignedInt(d.get(BE16, inner + 12)), ip = 14;
        if (type == 0x8100 && len >= 38) { type = Short.toUnsignedInt(d.get(BE16, inner + 16)); ip = 18; }
        int tos, ttl;
        if (type == 0x0800) {
            tos = d.get(JAVA_BYTE, inner + ip + 1) & 0xff;
            ttl = d.get(JAVA_BYTE, inner + ip + 8) & 0xff;
        } else if (type == 0x86dd && len >= ip + 40) {
            tos = (d.get(BE32, inner + ip) >>> 20) & 0xff;
            ttl = d.get(JAVA_BYTE, inner + ip + 7) & 0xff;
        } else return;                                               // not IP: the header's tos 0 and ttl stand
        if (!inheritTos && !inheritTtl && (tos & 3) == 0) return;
        long o3 = outer + 14;
        int outTos = TunnelResolver.tos(config.tos(), tos);
        if (v6) {
            int w0 = d.get(BE32, o3);
            d.set(BE32, o3, (w0 & 0xf00fffff) | (outTos << 20));
            if (inheritTtl && ttl > 0) d.set(JAVA_BYTE, o3 + 7, (byte) ttl);
        } else {
            d.set(JAVA_BYTE, o3 + 1, (byte) outTos);
            if (inheritTtl && ttl > 0) d.set(JAVA_BYTE, o3 + 8, (byte) ttl);
            d.set(BE16, o3 + 10, (short) 0);
            d.set(BE16, o3 + 10, (short) ~Checksum.fold(Checksum.sum(d, o3, 20)));
        }
    }

    private static final java.lang.foreign.ValueLayout.OfShort BE16 = java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final java.lang.foreign.ValueLayout.OfInt BE32 = java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    /**
     * The inner flow's hash for the UDP source port (entropy for ECMP and RSS): the Ethernet addresses and, for an
     * untagged IPv4 frame, its addresses and ports, so one flow keeps one source port.
     */
    static int hash(MemorySegment d, long o, int l) {
        long h = l >= 12 ? d.get(JAVA_LONG_UNALIGNED, o) ^ (d.get(JAVA_LONG_UNALIGNED, o + 4) * 31) : l;
        if (l >= 38) h ^= d.get(JAVA_LONG_UNALIGNED, o + 26) * 0x9E3779B97F4A7C15L ^ d.get(JAVA_LONG_UNALIGNED, o + 30);
        h *= 0xC2B2AE3D27D4EB4FL;
        h ^= h >>> 29;
        return (int) (h ^ (h >>> 32));
    }

    @Override public PortCounters counters() { return counters; }

    /** Among {@link #extraCounters}: the ICMP too-big answers sent for frames dropped as too big; not drops themselves. */
    public static final String TOO_BIG_ANSWERS = "icmp_too_big_sent";

    @Override public Map<String, Long> extraCounters() {
        Map<String, Long> m = new LinkedHashMap<>();
        drops.nonZero().forEach(m::put);
        long answers = 0;
        for (int t = 0; t < PortCounters.MAX_THREADS; t++) answers += icmpSent[t * 8];
        if (answers > 0) m.put(TOO_BIG_ANSWERS, answers);
        return m;
    }

    @Override public String status() {
        if (config.remoteFromFlow() || config.keyFromFlow()) return "up";     // resolved per (remote, key) as flows ask
        return egress != null ? "up" : "down (" + why + ")";
    }

    @Override public Map<String, String> details() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("options", config.toString());
        Egress e = egress;
        if (e != null) {
            m.put("underlay", e.bridge() + " via " + e.uplink().name() + ", mtu " + e.mtu() + " (overlay frames up to " + (e.mtu() - e.header().overhead()) + " bytes)");
            m.put("header", e.header().toString());
        }
        GeneveOptionWriter w = options;
        if (!w.isEmpty()) m.put("sends options", w + " (from the flow's tun_metadata, when present)");
        int last = lastTooBigLength();
        if (last > 0 && e != null) m.put("last too big", TunnelDrop.tooBig(last, e.header().overhead(), e.mtu()));
        return m;
    }

    /** The length of the last frame any thread dropped as too big (0: none yet). */
    public int lastTooBigLength() {
        int last = 0;
        for (int t = 0; t < PortCounters.MAX_THREADS; t++) last = Math.max(last, lastTooBig[t * 16]);
        return last;
    }

    @Override public void start() {}

    @Override public void close() {}
}
