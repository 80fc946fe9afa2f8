package io.xvio.datapath.tunnel;

/**
 * An address with a prefix length ("172.31.0.1/24", "fd00::1/64"). len is the family's (0..32 or 0..128); bits()
 * the length in the 128-bit {@link IpAddr} space (IPv4 + 96).
 */
public record Prefix(IpAddr addr, int len) {
    public Prefix {
        int max = addr.isV4() ? 32 : 128;
        if (len < 0 || len > max) throw new TunnelConfigException("prefix length " + len + " is outside 0.." + max);
    }

    /** Parses "ADDR/LEN" (or "ADDR": a host route). */
    public static Prefix parse(Object o, String where) {
        if (!(o instanceof String s)) throw new TunnelConfigException(where + ": " + TunnelConfig.excerpt(o) + " is not an address/prefix-length");
        int slash = s.indexOf('/');
        IpAddr a = IpAddr.parse(slash < 0 ? s : s.substring(0, slash), where);
        int max = a.isV4() ? 32 : 128;
        int len = max;
        if (slash >= 0) {
            String l = s.substring(slash + 1);
            if (!l.matches("[0-9]{1,3}") || Integer.parseInt(l) > max)
                throw new TunnelConfigException(where + ": \"" + TunnelConfig.excerpt(s) + "\": the prefix length must be 0.." + max);
            len = Integer.parseInt(l);
        }
        return new Prefix(a, len);
    }

    public int bits() { return addr.isV4() ? len + 96 : len; }

    /** True if (hi, lo) is inside this prefix (and of the same family). */
    public boolean contains(long hi, long lo) {
        if (addr.isV4() != IpAddr.isV4(hi, lo)) return false;
        int b = bits();
        if (b <= 64) return b == 0 || ((hi ^ addr.hi()) >>> (64 - b)) == 0;
        return hi == addr.hi() && (b == 64 || ((lo ^ addr.lo()) >>> (128 - b)) == 0);
    }

    public boolean contains(IpAddr a) { return contains(a.hi(), a.lo()); }

    /** The network: the address with the host bits zero. */
    public Prefix network() {
        int b = bits();
        long hi = b >= 64 ? addr.hi() : b == 0 ? 0 : addr.hi() & (-1L << (64 - b));
        long lo = b <= 64 ? 0 : b == 128 ? addr.lo() : addr.lo() & (-1L << (128 - b));
        if (addr.isV4()) lo |= IpAddr.V4_LO_TAG;   // keep the ::ffff: tag (covered by bits >= 96)
        return new Prefix(new IpAddr(hi, lo), len);
    }

    @Override
    public String toString() { return addr + "/" + len; }
}
