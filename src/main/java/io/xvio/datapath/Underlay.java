package io.xvio.datapath;

import io.xvio.datapath.tunnel.NeighborAgent;
import io.xvio.datapath.tunnel.TunnelConfig;
import io.xvio.datapath.tunnel.TunnelDecoder;
import io.xvio.datapath.tunnel.TunnelDrop;
import io.xvio.datapath.tunnel.TunnelDrops;
import io.xvio.datapath.tunnel.TunnelMetadata;
import io.xvio.datapath.tunnel.TunnelTlvMap;
import io.xvio.datapath.tunnel.TunnelType;
import io.xvio.datapath.tunnel.IpAddr;
import io.xvio.packet.FlowKey;
import io.xvio.packet.PacketBatch;
import io.xvio.packet.Segmentation;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * The tunnel endpoint of an underlay bridge (one with {@code ip:}), in front of its flow tables: what OVS's
 * userspace tunnelling does when a frame reaches br-phy's LOCAL port. For each received burst, {@link #intercept}
 * <ul>
 * <li>hands ARP and IPv6 neighbour discovery frames to the {@link NeighborAgent} (it learns next hops and answers
 *     for our addresses; the answer goes back out of the input port) and lets them go on through the pipeline;</li>
 * <li>takes the UDP frames to a tunnel port's destination port and one of the endpoint's addresses out of the burst
 *     (others, as another host's tunnel traffic crossing the bridge or the kernel's own when it holds the address, are
 *     switched as any frame) and decapsulates them
 *     ({@link TunnelDecoder}: outer checks, counted drops by reason); the inner frame enters its overlay bridge with
 *     in_port = the tunnel port chosen as OVS's tnl_find does (fixed key, then fixed remote, then local_ip; no port:
 *     {@link TunnelDrop#WRONG_VNI}) and the tun_* key words set from the outer headers. The overlay's outputs go to
 *     its ports, which the PMD thread finds after the underlay's own ports ({@link Ingress#base}).</li>
 * </ul>
 * Immutable, rebuilt by the control thread when ports, addresses or tunnel ports change. Per-thread scratch only; no
 * allocation, no lock per packet.
 */
public final class Underlay {
    /** Counts a decapsulated packet on its tunnel port (the port layer's TunnelPort). */
    public interface Received { void received(int thread, int bytes); }

    /**
     * A tunnel port packets may enter: its options, its overlay bridge, its index and OpenFlow number there, and where
     * that bridge's ports start in the port array of the underlay's receive queues.
     */
    public record Ingress(TunnelConfig config, BridgeDatapath overlay, int portIndex, int ofport, int base, Received counter,
                          TunnelTlvMap tlv, io.xvio.datapath.bfd.BfdInbox bfd) {
        /** Without Geneve option mappings or BFD. */
        public Ingress(TunnelConfig config, BridgeDatapath overlay, int portIndex, int ofport, int base, Received counter) {
            this(config, overlay, portIndex, ofport, base, counter, TunnelTlvMap.EMPTY, null);
        }

        /** Without BFD. */
        public Ingress(TunnelConfig config, BridgeDatapath overlay, int portIndex, int ofport, int base, Received counter, TunnelTlvMap tlv) {
            this(config, overlay, portIndex, ofport, base, counter, tlv, null);
        }
    }

    private static final int THREADS = BridgeDatapath.MAX_THREADS + 2;

    private final NeighborAgent agent;
    private final TunnelDecoder[] decoders;
    private final int[] decoderPorts;
    private final Ingress[] ingress;
    /** Per ingress: VNI or -1 (key=flow), remote (hi, lo) or 0/0 (remote_ip=flow), local (hi, lo) or 0/0. */
    private final long[] key, remoteHi, remoteLo, localHi, localLo;
    private final TunnelDrops drops;
    private final NeighborAgent.Scratch[] scratch = new NeighborAgent.Scratch[THREADS];
    private final TunnelMetadata[] md = new TunnelMetadata[THREADS];

    /**
     * agent: our addresses and neighbour cache; decoders: one per (type, UDP port) of the tunnel ports; ingress: every
     * tunnel port (any overlay bridge); drops: where WRONG_VNI is counted (the decoders count their own reasons).
     */
    public Underlay(NeighborAgent agent, List<TunnelDecoder> decoders, List<Ingress> ingress, TunnelDrops drops) {
        this.agent = agent;
        this.decoders = decoders.toArray(TunnelDecoder[]::new);
        this.decoderPorts = decoders.stream().mapToInt(TunnelDecoder::port).toArray();
        this.ingress = ingress.toArray(Ingress[]::new);
        this.drops = drops;
        int n = this.ingress.length;
        key = new long[n]; remoteHi = new long[n]; remoteLo = new long[n]; localHi = new long[n]; localLo = new long[n];
        for (int x = 0; x < n; x++) {
            TunnelConfig c = this.ingress[x].config();
            key[x] = c.keyFromFlow() ? -1 : c.key();
            if (!c.remoteFromFlow()) { IpAddr a = IpAddr.of(c.remoteIp()); remoteHi[x] = a.hi(); remoteLo[x] = a.lo(); }
            if (c.localIp() != null) { IpAddr a = IpAddr.of(c.localIp()); localHi[x] = a.hi(); localLo[x] = a.lo(); }
        }
    }

    public NeighborAgent agent() { return agent; }
    public List<TunnelDecoder> decoders() { return List.of(decoders); }
    public TunnelDrops drops() { return drops; }

    /**
     * Runs the endpoint over packets 0..b.count of a burst received on port index inPort: answers ARP/ND, decapsulates
     * tunnel frames into their overlays. Afterwards b.count is the number of packets left for the bridge's pipeline
     * (the tunnel frames are moved behind them). patches: the bridge's patch ports (or null), crossed before a chunk
     * of the burst is sent.
     */
    void intercept(int inPort, PacketBatch b, Outputs out, PatchLayout patches, int thread, long now) {
        int ti = thread + 2;
        if (ti < 0 || ti >= THREADS) return;
        MemorySegment d = b.data;
        int n = b.count;
        for (int i = 0; i < n; ) {
            int len = b.len[i];
            long o = b.off[i];
            if (len < 14) { i++; continue; }
            int type = Short.toUnsignedInt(d.get(BE16, o + 12));
            int dport = -1;
            if (type == 0x0800 && len >= 42 && (d.get(JAVA_BYTE, o + 23) & 0xff) == 17) {
                int ihl = (d.get(JAVA_BYTE, o + 14) & 15) * 4;
                if (len >= 14 + ihl + 8) dport = Short.toUnsignedInt(d.get(BE16, o + 14 + ihl + 2));
            } else if (type == 0x86dd && len >= 62) {
                int next = d.get(JAVA_BYTE, o + 20) & 0xff;
                if (next == 17) dport = Short.toUnsignedInt(d.get(BE16, o + 56));
                else if (next == 58) {                       // neighbour solicitation or advertisement only
                    int icmp = d.get(JAVA_BYTE, o + 54) & 0xff;
                    if (icmp == 135 || icmp == 136) neighbor(inPort, b, i, out, ti);
                }
            } else if (type == 0x0806) {
                neighbor(inPort, b, i, out, ti);
            }
            int x;
            if (dport >= 0 && (x = decoder(dport)) >= 0 && decoders[x].addressedHere(d, o, len)) {
                swap(b, i, --n);           // to the end of the burst; the packet now at i is looked at next
                continue;
            }
            i++;
        }
        int received = b.count;
        b.count = n;
        // as the bridge's first pass (BridgeDatapath#process): decapsulated packets whose overlay actions need more copies
        // than are left go out in chunks, each after its patch crossings; a packet's need is the most one made so far
        boolean chunked = out.chunked();
        for (int i = n, need = 0; i < received; i++) {
            if (chunked && i > n && b.copies + need > PacketBatch.BURST) {
                if (patches != null) patches.cross(b, out, thread, now);
                out.sendChunk(b);
            }
            int made = b.copyDemand();
            decapsulate(b, i, out, thread, ti, now);
            need = Math.max(need, b.copyDemand() - made);
        }
    }

    /**
     * A decapsulated frame's offload state: a checksum the sender left to the device inside the inner frame (Linux's
     * local checksum offload: the outer UDP checksum done, the inner TCP/UDP one partial) is still owed, at the same
     * place in the buffer; one in the outer headers went with them, as did the outer frame's GSO state.
     */
    private static void innerOffloads(PacketBatch b, int i) {
        int at = b.csumAt[i];
        boolean owed = (b.vflags[i] & Segmentation.F_NEEDS_CSUM) != 0 && at >= b.off[i] + io.xvio.packet.Ethernet.HEADER
                && at + b.csumOffset[i] + 2 <= b.off[i] + b.len[i];
        b.vflags[i] = owed ? Segmentation.F_NEEDS_CSUM : 0;
        b.gsoType[i] = 0;
    }

    private int decoder(int port) {
        for (int x = 0; x < decoderPorts.length; x++) if (decoderPorts[x] == port) return x;
        return -1;
    }

    /** Lets the agent read an ARP/ND frame; its answer (written into the next copy slot) goes back out of inPort. */
    private void neighbor(int inPort, PacketBatch b, int i, Outputs out, int ti) {
        NeighborAgent.Scratch x = scratch[ti];
        if (x == null) x = scratch[ti] = new NeighborAgent.Scratch();   // once per thread
        if (b.copies == PacketBatch.BURST) return;
        int j = PacketBatch.BURST + b.copies;
        b.off[j] = PacketBatch.frameStart(j);
        int r = agent.receive(b.data, b.off[i], b.len[i], b.data, b.off[j], x);
        if (r <= 0) return;                                           // nothing to answer: the slot stays free
        b.copies++;
        b.len[j] = r;
        b.keys[j].clearExtended();          // no tunnel key: a tx mirror to a key-reading port must not see a stale one
        b.checksumsUnknown(j);
        if (b.offloads) { b.vflags[j] = 0; b.gsoType[j] = 0; }
        out.add(inPort, j);
    }

    private void decapsulate(PacketBatch b, int i, Outputs out, int thread, int ti, long now) {
        TunnelMetadata m = md[ti];
        if (m == null) m = md[ti] = new TunnelMetadata();
        int o = b.off[i], len = b.len[i];
        int dport = Short.toUnsignedInt(b.data.get(BE16, o + 12)) == 0x0800
                ? Short.toUnsignedInt(b.data.get(BE16, o + 14 + (b.data.get(JAVA_BYTE, o + 14) & 15) * 4 + 2))
                : Short.toUnsignedInt(b.data.get(BE16, o + 56));
        int x = decoder(dport);
        TunnelDecoder dec = decoders[x];
        int inner = dec.pop(b.data, o, len, m, thread);
        if (inner < 0) return;                                   // counted by reason
        Ingress in = select(dec.type(), dec.port(), m);
        if (in == null) {
            drops.add(thread, TunnelDrop.WRONG_VNI, 1);
            return;
        }
        b.off[i] = o + inner;
        b.len[i] = m.innerLength;
        if (b.offloads) innerOffloads(b, i);
        io.xvio.datapath.bfd.BfdInbox bfd = in.bfd();
        if (bfd != null && bfd.enabled() && bfd.offer(thread, b.data, b.off[i], b.len[i], m.tunId)) {   // the port's BFD session's
            in.counter().received(thread, b.len[i]);
            return;
        }
        FlowKey k = b.keys[i];
        k.extract(b.data, b.off[i], b.len[i], in.ofport());
        load(k, m);
        if (m.optLen > 0) options(k, m, in.tlv());
        in.counter().received(thread, b.len[i]);
        int base = out.base;
        out.base = in.base();
        try {
            in.overlay().processKeyed(in.portIndex(), b, i, out, thread, now);
        } finally {
            out.base = base;
        }
    }

    /** The tunnel port of a decapsulated packet, OVS's tnl_find order: a fixed key, then a fixed remote, then local_ip. */
    private Ingress select(TunnelType type, int port, TunnelMetadata m) {
        long sHi = m.ipv6 ? m.src6Hi : IpAddr.V4_HI, sLo = m.ipv6 ? m.src6Lo : IpAddr.V4_LO_TAG | (m.src4 & 0xffffffffL);
        long dHi = m.ipv6 ? m.dst6Hi : IpAddr.V4_HI, dLo = m.ipv6 ? m.dst6Lo : IpAddr.V4_LO_TAG | (m.dst4 & 0xffffffffL);
        Ingress best = null;
        int bestRank = -1;
        for (int x = 0; x < ingress.length; x++) {
            TunnelConfig c = ingress[x].config();
            if (c.type() != type || c.dstPort() != port) continue;
            boolean fixedKey = key[x] >= 0, fixedRemote = (remoteHi[x] | remoteLo[x]) != 0, fixedLocal = (localHi[x] | localLo[x]) != 0;
            if (fixedKey && key[x] != m.tunId) continue;
            if (fixedRemote && (remoteHi[x] != sHi || remoteLo[x] != sLo)) continue;
            if (fixedLocal && (localHi[x] != dHi || localLo[x] != dLo)) continue;
            int rank = (fixedKey ? 4 : 0) + (fixedRemote ? 2 : 0) + (fixedLocal ? 1 : 0);
            if (rank > bestRank) { best = ingress[x]; bestRank = rank; }
        }
        return best;
    }

    /** Sets the tun_* words of key k from a decapsulation's metadata (IPv4 or IPv6 outer addresses). */
    public static void load(FlowKey k, TunnelMetadata m) {
        long[] w = k.w;
        w[FlowKey.TUN_ID] = m.tunId;
        if (m.ipv6) {
            w[FlowKey.TUN_IPV6_SRC_HI] = m.src6Hi;
            w[FlowKey.TUN_IPV6_SRC_LO] = m.src6Lo;
            w[FlowKey.TUN_IPV6_DST_HI] = m.dst6Hi;
            w[FlowKey.TUN_IPV6_DST_LO] = m.dst6Lo;
        } else {
            w[FlowKey.TUN_IPV4] = ((m.src4 & 0xffffffffL) << 32) | (m.dst4 & 0xffffffffL);
        }
        w[FlowKey.TUN_MISC] = (m.flags & TunnelMetadata.F_OAM) | ((long) (m.tos & 0xff) << 16) | ((long) (m.ttl & 0xff) << 24)
                | ((long) (m.tpSrc & 0xffff) << 32) | ((long) (m.tpDst & 0xffff) << 48);
        k.extended = true;
    }

    /**
     * The overlay's mapped Geneve options into tun_metadata0..7: each option's data (at most 8 bytes, as the map
     * allows) as a big-endian number.
     */
    static void options(FlowKey k, TunnelMetadata m, TunnelTlvMap tlv) {
        for (int n = 0; n < FlowKey.TUN_METADATA_WORDS; n++) {
            TunnelTlvMap.Mapping map = tlv.get(n);
            if (map == null) continue;
            int at = tlv.find(m.options, m.optLen, n);
            if (at < 0) continue;
            long v = 0;
            for (int b = 0; b < map.len() && b < 8; b++) v = (v << 8) | (m.options[at + b] & 0xff);
            k.w[FlowKey.TUN_METADATA0 + n] = v;
            k.w[FlowKey.TUN_MISC] |= 1L << (FlowKey.TUN_METADATA_PRESENT + n);
        }
    }

    private static void swap(PacketBatch b, int i, int j) {
        if (i == j) return;
        int t = b.off[i]; b.off[i] = b.off[j]; b.off[j] = t;
        t = b.len[i]; b.len[i] = b.len[j]; b.len[j] = t;
        if (b.offloads) {
            t = b.vflags[i]; b.vflags[i] = b.vflags[j]; b.vflags[j] = t;
            t = b.gsoType[i]; b.gsoType[i] = b.gsoType[j]; b.gsoType[j] = t;
            t = b.gsoSize[i]; b.gsoSize[i] = b.gsoSize[j]; b.gsoSize[j] = t;
            t = b.csumOffset[i]; b.csumOffset[i] = b.csumOffset[j]; b.csumOffset[j] = t;
            t = b.csumAt[i]; b.csumAt[i] = b.csumAt[j]; b.csumAt[j] = t;
        }
    }

    private static final java.lang.foreign.ValueLayout.OfShort BE16 = JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
}
