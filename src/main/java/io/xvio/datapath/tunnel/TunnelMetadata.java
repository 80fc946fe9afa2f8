package io.xvio.datapath.tunnel;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * What decapsulation learns of a packet's outer headers (OVS's {@code struct flow_tnl}): the fields a flow matches as
 * tun_id, tun_src, tun_dst, tun_flags, tun_tos, tun_ttl, tun_tp_src/dst and tun_metadata0..63 (the Geneve options,
 * kept in wire form and mapped by {@link TunnelTlvMap}). One preallocated instance per packet slot, overwritten by
 * {@link TunnelDecoder#pop}: no allocation per packet. Addresses: IPv4 in {@code src4/dst4}; IPv6 as two longs each.
 */
public final class TunnelMetadata {
    /** tun_flags bits, OVS's values (FLOW_TNL_F_*); only OAM is matchable by flows, as in OVS. */
    public static final int F_OAM = 1, F_DONT_FRAGMENT = 2, F_CSUM = 4, F_KEY = 8;
    public static final int MAX_OPTIONS = 252;

    public long tunId;
    public boolean ipv6;
    public int src4, dst4;
    public long src6Hi, src6Lo, dst6Hi, dst6Lo;
    public int tos, ttl, flags, tpSrc, tpDst;
    /** Geneve options as on the wire (TLVs), optLen bytes (a multiple of 4, at most 252). */
    public final byte[] options = new byte[MAX_OPTIONS];
    public int optLen;
    /** Where the inner frame starts, relative to the outer frame, and its length; set by a successful pop. */
    public int innerOffset, innerLength;
    /** Why the last pop failed, or null. */
    public TunnelDrop drop;

    public void clear() {
        tunId = 0;
        ipv6 = false;
        src4 = dst4 = 0;
        src6Hi = src6Lo = dst6Hi = dst6Lo = 0;
        tos = ttl = flags = tpSrc = tpDst = 0;
        optLen = 0;
        innerOffset = innerLength = 0;
        drop = null;
    }

    public void copyFrom(TunnelMetadata o) {
        tunId = o.tunId; ipv6 = o.ipv6; src4 = o.src4; dst4 = o.dst4;
        src6Hi = o.src6Hi; src6Lo = o.src6Lo; dst6Hi = o.dst6Hi; dst6Lo = o.dst6Lo;
        tos = o.tos; ttl = o.ttl; flags = o.flags; tpSrc = o.tpSrc; tpDst = o.tpDst;
        System.arraycopy(o.options, 0, options, 0, o.optLen);
        optLen = o.optLen; innerOffset = o.innerOffset; innerLength = o.innerLength; drop = o.drop;
    }

    /** tun_src as an address (control plane and tests; allocates). */
    public InetAddress source() { return address(ipv6, src4, src6Hi, src6Lo); }
    public InetAddress destination() { return address(ipv6, dst4, dst6Hi, dst6Lo); }

    static InetAddress address(boolean v6, int v4, long hi, long lo) {
        byte[] b = new byte[v6 ? 16 : 4];
        if (v6) for (int i = 0; i < 8; i++) { b[i] = (byte) (hi >>> (56 - 8 * i)); b[8 + i] = (byte) (lo >>> (56 - 8 * i)); }
        else for (int i = 0; i < 4; i++) b[i] = (byte) (v4 >>> (24 - 8 * i));
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static int v4(InetAddress a) {
        byte[] b = ((Inet4Address) a).getAddress();
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    static long v6(InetAddress a, int half) {
        byte[] b = ((Inet6Address) a).getAddress();
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (b[half * 8 + i] & 0xff);
        return v;
    }

    /** OVS's tun_flags text for the matchable bits ("+oam" or "-oam"); the others are internal. */
    public String flagsText() { return (flags & F_OAM) != 0 ? "+oam" : "-oam"; }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("tun_id=0x").append(Long.toHexString(tunId))
                .append(",tun_src=").append(IpAddr.text(source())).append(",tun_dst=").append(IpAddr.text(destination()))
                .append(",tun_tos=").append(tos).append(",tun_ttl=").append(ttl).append(",tun_tp_src=").append(tpSrc)
                .append(",tun_tp_dst=").append(tpDst).append(",tun_flags=").append(flagsText());
        if (optLen > 0) {
            b.append(",geneve(");
            GeneveOptions.format(options, optLen, b);
            b.append(')');
        }
        return b.toString();
    }
}
