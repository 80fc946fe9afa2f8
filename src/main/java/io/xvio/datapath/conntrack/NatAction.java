package io.xvio.datapath.conntrack;

/**
 * The nat part of a ct() action, parsed once when the flow is added (immutable, shared by every PMD thread).
 * {@link #APPLY} is a plain "nat": translate packets of connections committed with NAT, create none. Otherwise
 * src= or dst= with an address range (IPv4 in the lo words, IPv6 in hi/lo) and an optional port range
 * (minPort 0: ports are kept, except that SNAT picks an ephemeral port when the original one collides), and the
 * flags random (pick the first candidate at random), hash (the default: by a hash of the tuple) and persistent
 * (the hash leaves out the ports, so one client keeps one NAT address).
 */
public final class NatAction {
    public enum Kind { APPLY, SRC, DST }

    public static final NatAction APPLY = new NatAction(Kind.APPLY, false, 0, 0, 0, 0, 0, 0, false, false);

    public final Kind kind;
    public final boolean v6, random, persistent;
    public final long minHi, minLo, maxHi, maxLo;
    public final int minPort, maxPort;

    public NatAction(Kind kind, boolean v6, long minHi, long minLo, long maxHi, long maxLo, int minPort, int maxPort,
                     boolean random, boolean persistent) {
        if (kind != Kind.APPLY) {
            if (Long.compareUnsigned(minHi, maxHi) > 0 || (minHi == maxHi && Long.compareUnsigned(minLo, maxLo) > 0))
                throw new IllegalArgumentException("nat: address range minimum above maximum");
            if (!v6 && (minHi != 0 || maxHi != 0 || (minLo >>> 32) != 0 || (maxLo >>> 32) != 0))
                throw new IllegalArgumentException("nat: IPv4 address out of range");
            if (minPort < 0 || maxPort > 65535 || minPort > maxPort || (minPort == 0 && maxPort != 0))
                throw new IllegalArgumentException("nat: bad port range " + minPort + "-" + maxPort);
        }
        this.kind = kind;
        this.v6 = v6;
        this.minHi = minHi;
        this.minLo = minLo;
        this.maxHi = maxHi;
        this.maxLo = maxLo;
        this.minPort = minPort;
        this.maxPort = maxPort;
        this.random = random;
        this.persistent = persistent;
    }

    /** nat(src=MIN-MAX:PMIN-PMAX) or nat(dst=...) for IPv4 (ports 0 for none). */
    public static NatAction ipv4(Kind kind, long min, long max, int minPort, int maxPort, boolean random, boolean persistent) {
        return new NatAction(kind, false, 0, min, 0, max, minPort, maxPort, random, persistent);
    }

    @Override public boolean equals(Object o) {
        return o instanceof NatAction n && n.kind == kind && n.v6 == v6 && n.random == random && n.persistent == persistent
                && n.minHi == minHi && n.minLo == minLo && n.maxHi == maxHi && n.maxLo == maxLo && n.minPort == minPort && n.maxPort == maxPort;
    }

    @Override public int hashCode() {
        return java.util.Objects.hash(kind, v6, random, persistent, minHi, minLo, maxHi, maxLo, minPort, maxPort);
    }

    /** Number of addresses in the range, capped at 2^62. */
    long addressCount() {
        if (minHi != maxHi) return 1L << 62;
        long d = maxLo - minLo;
        return d < 0 || d >= (1L << 62) ? 1L << 62 : d + 1;
    }
}
