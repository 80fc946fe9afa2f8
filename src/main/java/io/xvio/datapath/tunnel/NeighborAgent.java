package io.xvio.datapath.tunnel;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The tunnel endpoint's presence on its underlay bridge: answers ARP requests and neighbour solicitations for the
 * bridge's own addresses where no kernel stack holds them (config-file addresses; where the kernel has them on the
 * bridge's LOCAL interface, it answers, as with OVS, and the agent only listens), snoops ARP and ND into the bridge's
 * {@link NeighborCache}, and writes the requests the cache asks for. {@link #receive} runs on a PMD thread for
 * the ARP and ICMPv6 ND frames that arrive on the underlay bridge: no lock, no allocation (a {@link Scratch} per
 * thread). Immutable.
 */
public final class NeighborAgent {
    /** Per-thread parse space. */
    public static final class Scratch {
        final Arp.Packet arp = new Arp.Packet();
        final Ndp.Packet nd = new Ndp.Packet();
    }

    private final long mac;
    private final Prefix[] addresses;
    private final NeighborCache cache;
    private final boolean answers;

    public NeighborAgent(long mac, List<Prefix> addresses, NeighborCache cache) {
        this(mac, addresses, cache, true);
    }

    /** answers false: the kernel answers for these addresses; the agent learns and asks only. */
    public NeighborAgent(long mac, List<Prefix> addresses, NeighborCache cache, boolean answers) {
        this.mac = mac;
        this.addresses = addresses.toArray(Prefix[]::new);
        this.cache = cache;
        this.answers = answers;
    }

    public long mac() { return mac; }
    public NeighborCache cache() { return cache; }

    private boolean ours(long hi, long lo) {
        for (Prefix p : addresses) if (p.addr().hi() == hi && p.addr().lo() == lo) return true;
        return false;
    }

    /**
     * Handles a frame s[off, off+len) received on the underlay bridge. If it is an ARP request or a neighbour
     * solicitation for one of our addresses, writes the reply at out[outOff] and returns its length (the caller sends
     * it out of the port it came in on); otherwise returns 0. What it teaches about neighbours goes to the cache.
     */
    public int receive(MemorySegment s, long off, int len, MemorySegment out, long outOff, Scratch x) {
        if (len >= 14 && Be.u16(s, off + 12) == 0x0806) {
            Arp.Packet a = x.arp;
            if (!Arp.parse(s, off, len, a)) return 0;
            long sHi = IpAddr.V4_HI, sLo = IpAddr.V4_LO_TAG | (a.spa & 0xffffffffL);
            boolean forUs = ours(IpAddr.V4_HI, IpAddr.V4_LO_TAG | (a.tpa & 0xffffffffL));
            // replies teach; so do requests to us, and gratuitous ARP about a neighbour we know (never our own address:
            // the kernel's own ARP passes here too when it holds them)
            if (a.spa != 0 && !ours(sHi, sLo) && (a.op == Arp.REPLY || forUs || cache.lookup(sHi, sLo) >= 0)) cache.snooped(sHi, sLo, a.sha);
            if (answers && a.op == Arp.REQUEST && forUs && a.spa != a.tpa) return Arp.reply(out, outOff, mac, a.tpa, a.sha, a.spa);
            return 0;
        }
        if (len >= 14 && Be.u16(s, off + 12) == 0x86dd) {
            Ndp.Packet n = x.nd;
            if (!Ndp.parse(s, off, len, n)) return 0;
            if (n.type == Ndp.ADVERT) {
                if (n.lladdr >= 0 && !ours(n.targetHi, n.targetLo)) cache.snooped(n.targetHi, n.targetLo, n.lladdr);
                return 0;
            }
            if (!ours(n.targetHi, n.targetLo)) return 0;
            boolean unspecified = n.srcHi == 0 && n.srcLo == 0;   // duplicate address detection: not ours to answer here
            if (unspecified) return 0;
            if (n.lladdr >= 0) cache.snooped(n.srcHi, n.srcLo, n.lladdr);
            if (!answers) return 0;
            long to = n.lladdr >= 0 ? n.lladdr : n.srcMac;
            return Ndp.advertise(out, outOff, mac, n.targetHi, n.targetLo, to, n.srcHi, n.srcLo);
        }
        return 0;
    }

    /** Control thread: writes the request for target (ARP or NS, from our address on its network); 0 if we have none. */
    public int request(IpAddr target, MemorySegment out, long off) {
        Prefix from = null;
        for (Prefix p : addresses)
            if (p.addr().isV4() == target.isV4() && (from == null || p.contains(target))) from = p;
        if (from == null) return 0;
        return target.isV4() ? Arp.request(out, off, mac, from.addr().v4(), target.v4()) : Ndp.solicit(out, off, mac, from.addr(), target);
    }
}
