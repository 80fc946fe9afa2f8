package io.xvio.datapath.tunnel;

/**
 * Why a tunnel port dropped a packet. Decapsulation reasons name what was wrong with the outer headers; every one
 * is a counted drop, never an exception.
 */
public enum TunnelDrop {
    // decapsulation
    TRUNCATED("decap: truncated outer header"),
    NOT_IP("decap: outer frame is not IPv4 or IPv6"),
    BAD_IP_HEADER("decap: bad outer IP version or header length"),
    BAD_IP_LENGTH("decap: outer IP length does not fit the frame"),
    IP_FRAGMENT("decap: outer IP fragment"),
    BAD_IP_CHECKSUM("decap: bad outer IPv4 header checksum"),
    NOT_UDP("decap: outer IP protocol is not UDP"),
    WRONG_DESTINATION("decap: outer destination is not a local tunnel endpoint"),
    BAD_UDP_LENGTH("decap: bad outer UDP length"),
    BAD_UDP_CHECKSUM("decap: bad outer UDP checksum"),
    WRONG_PORT("decap: wrong UDP destination port"),
    VXLAN_FLAGS("decap: VXLAN I flag not set"),
    WRONG_VNI("decap: VNI of no tunnel port"),
    GENEVE_VERSION("decap: unknown Geneve version"),
    GENEVE_PROTOCOL("decap: Geneve protocol is not Ethernet (0x6558)"),
    OPTIONS_TOO_LONG("decap: Geneve options longer than the packet"),
    BAD_OPTION_LENGTH("decap: Geneve option longer than the options"),
    UNKNOWN_CRITICAL_OPTION("decap: unknown critical Geneve option"),
    INNER_TOO_SHORT("decap: inner frame shorter than an Ethernet header"),
    // encapsulation
    NO_ROUTE("encap: no route to the remote endpoint"),
    NO_NEIGHBOR("encap: next hop's MAC address not resolved yet"),
    TOO_BIG("encap: too big for the underlay MTU after encapsulation"),
    NO_HEADROOM("encap: no headroom for the outer headers"),
    OPTIONS_TOO_LONG_TX("encap: Geneve options over 252 bytes");

    public final String label;

    TunnelDrop(String label) { this.label = label; }

    /** The label of a {@link #TOO_BIG} drop with both MTUs, e.g. for a log line or {@code show}. */
    public static String tooBig(int frameLength, int overhead, int underlayMtu) {
        return "encap: frame of " + frameLength + " bytes + " + overhead + " bytes of outer headers is over the underlay MTU "
                + underlayMtu + " (the overlay MTU must be at most " + (underlayMtu - overhead) + " bytes of frame, "
                + (underlayMtu - overhead - 14) + " of IP)";
    }
}
