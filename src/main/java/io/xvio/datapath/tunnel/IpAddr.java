package io.xvio.datapath.tunnel;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * An IPv4 or IPv6 address as 128 bits (hi, lo), IPv4 mapped to ::ffff:a.b.c.d as OVS's tunnel code keeps them: one
 * key and one comparison for both families, no allocation on lookups.
 */
public record IpAddr(long hi, long lo) {
    public static final long V4_HI = 0L, V4_LO_TAG = 0xffffL << 32;

    public static IpAddr of(InetAddress a) {
        return a instanceof Inet4Address ? v4(TunnelMetadata.v4(a)) : new IpAddr(TunnelMetadata.v6(a, 0), TunnelMetadata.v6(a, 1));
    }

    public static IpAddr v4(int a) { return new IpAddr(V4_HI, V4_LO_TAG | (a & 0xffffffffL)); }

    /** A literal address (no DNS); TunnelConfigException if it is none. */
    public static IpAddr parse(String s, String where) { return of(TunnelConfig.address(s, where)); }

    public static boolean isV4(long hi, long lo) { return hi == V4_HI && (lo >>> 32) == 0xffff; }
    public boolean isV4() { return isV4(hi, lo); }
    public int v4() { return (int) lo; }

    public InetAddress inet() { return isV4() ? TunnelMetadata.address(false, (int) lo, 0, 0) : TunnelMetadata.address(true, 0, hi, lo); }

    /** The usual text: dotted quad, or RFC 5952's compressed IPv6 (fd00::1). */
    @Override
    public String toString() { return text(inet()); }

    public static String text(InetAddress a) {
        if (a instanceof Inet4Address) return a.getHostAddress();
        byte[] b = a.getAddress();
        int[] w = new int[8];
        for (int i = 0; i < 8; i++) w[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        int best = -1, bestLen = 1;   // the longest run of two or more zero words, the first of equals
        for (int i = 0; i < 8; ) {
            if (w[i] != 0) { i++; continue; }
            int j = i;
            while (j < 8 && w[j] == 0) j++;
            if (j - i > bestLen) { best = i; bestLen = j - i; }
            i = j;
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == best) { s.append("::"); i += bestLen - 1; continue; }
            if (s.length() > 0 && s.charAt(s.length() - 1) != ':') s.append(':');
            s.append(Integer.toHexString(w[i]));
        }
        return s.toString();
    }
}
