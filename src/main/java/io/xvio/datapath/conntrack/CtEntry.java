package io.xvio.datapath.conntrack;

/**
 * One connection as dump/flush see it (a snapshot). Tuples as OVS's ct_dpif_tuple: IPv4 addresses in the lo
 * words; for ICMP, sport is the id and type/code are set. timeout is the seconds left.
 */
public record CtEntry(int proto, Tuple orig, Tuple reply, int zone, int mark, long labelHi, long labelLo,
                      String tcpState, long timeout) {

    public record Tuple(boolean v6, long srcHi, long srcLo, long dstHi, long dstLo, int sport, int dport, int icmpType,
                        int icmpCode) {
        void format(StringBuilder b, int proto) {
            b.append("src=").append(Addresses.format(v6, srcHi, srcLo)).append(",dst=").append(Addresses.format(v6, dstHi, dstLo));
            if (proto == 1 || proto == 58) b.append(",id=").append(sport).append(",type=").append(icmpType).append(",code=").append(icmpCode);
            else b.append(",sport=").append(sport).append(",dport=").append(dport);
        }
    }

    /** The line of `ovs-appctl dpctl/dump-conntrack` (with -s: stats adds the timeout; no packet counters kept). */
    public String format(boolean stats) {
        StringBuilder b = new StringBuilder();
        b.append(switch (proto) {
            case 1 -> "icmp";
            case 58 -> "icmpv6";
            case 6 -> "tcp";
            case 17 -> "udp";
            case 132 -> "sctp";
            case 136 -> "udplite";
            case 33 -> "dccp";
            case 2 -> "igmp";
            default -> Integer.toString(proto);
        });
        b.append(",orig=(");
        orig.format(b, proto);
        b.append("),reply=(");
        reply.format(b, proto);
        b.append(')');
        if (zone != 0) b.append(",zone=").append(zone);
        if (stats) b.append(",timeout=").append(timeout);
        if (mark != 0) b.append(",mark=").append(Integer.toUnsignedString(mark));
        if (labelHi != 0 || labelLo != 0) {
            String hex = labelHi != 0 ? Long.toHexString(labelHi) + String.format("%016x", labelLo) : Long.toHexString(labelLo);
            b.append(",labels=0x").append(hex);
        }
        if (tcpState != null) b.append(",protoinfo=(state=").append(tcpState).append(')');
        return b.toString();
    }

    @Override public String toString() { return format(false); }
}
