package io.xvio.datapath.conntrack;

/** ICMP and ICMPv6 types as conntrack sees them: query/response pairs, which open connections, errors. */
final class Icmp {
    private Icmp() {}

    /** The response type of a query and vice versa (echo, timestamp, information; ICMPv6 echo), or -1. */
    static int reverseType(int type, boolean v6) {
        if (v6) return type == 128 ? 129 : type == 129 ? 128 : -1;
        return switch (type) {
            case 8 -> 0;
            case 0 -> 8;
            case 13 -> 14;
            case 14 -> 13;
            case 15 -> 16;
            case 16 -> 15;
            default -> -1;
        };
    }

    /** Queries open connections (OVS's icmp4_valid_new / icmp6_valid_new). */
    static boolean opensConnection(int type, boolean v6) {
        return v6 ? type == 128 : type == 8 || type == 13 || type == 15;
    }

    /** Errors quoting the packet that caused them: unreachable, source quench, redirect, time exceeded, parameter problem; ICMPv6 1-4. */
    static boolean isError(int type, boolean v6) {
        return v6 ? type >= 1 && type <= 4 : type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    }
}
