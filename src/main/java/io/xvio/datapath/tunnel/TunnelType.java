package io.xvio.datapath.tunnel;

/** The UDP tunnel encapsulations xvio speaks, with their IANA destination ports and fixed header sizes. */
public enum TunnelType {
    /** RFC 7348: 8-byte header, flags (I bit) and a 24-bit VNI. */
    VXLAN("vxlan", 4789, 8),
    /** RFC 8926: 8-byte base header plus up to 252 bytes of option TLVs. */
    GENEVE("geneve", 6081, 8);

    public final String label;
    public final int defaultPort;
    /** Bytes of the tunnel header after the UDP header, without Geneve options. */
    public final int baseLength;

    TunnelType(String label, int defaultPort, int baseLength) {
        this.label = label;
        this.defaultPort = defaultPort;
        this.baseLength = baseLength;
    }

    /** The type named s ("vxlan", "geneve"), or null. */
    public static TunnelType of(String s) {
        for (TunnelType t : values()) if (t.label.equals(s)) return t;
        return null;
    }
}
