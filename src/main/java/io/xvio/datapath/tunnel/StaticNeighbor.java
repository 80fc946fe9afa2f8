package io.xvio.datapath.tunnel;

/**
 * A neighbour set by hand ({@code xvio tnl neigh set BRIDGE IP MAC}, OVS's {@code tnl/neigh/set}): a next hop's
 * unicast MAC address. {@link #parse} checks the text as an operator types it and says what is wrong; the bridge's
 * own checks (an underlay bridge, an address family it has) are the control plane's.
 */
public record StaticNeighbor(IpAddr ip, long mac) {
    /**
     * Parses IP (an IPv4 address in four dotted decimals or an IPv6 literal, no host name) and MAC (six groups of one or two hex digits separated by
     * ':', as OVS's eth_addr_from_string). Refused: the unspecified address, multicast and the IPv4 broadcast
     * address (no neighbour has them), the all-zero MAC and group (multicast) MACs.
     */
    public static StaticNeighbor parse(String ip, String mac) {
        if (ip == null) throw new TunnelConfigException("tnl neigh set needs a bridge, an IP address and a MAC address");
        IpAddr a;
        try {
            // four dotted decimals for IPv4: InetAddress.ofLiteral also takes "1.2.3" (= 1.2.0.3), which is a typo here
            if (ip.indexOf(':') < 0 && !ip.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) throw new TunnelConfigException(ip);
            a = IpAddr.parse(ip, "IP address");
        } catch (TunnelConfigException e) {
            throw new TunnelConfigException("bad IP address \"" + TunnelConfig.excerpt(ip) + "\": not an IPv4 or IPv6 address");
        }
        String why = unusable(a);
        if (why != null) throw new TunnelConfigException("bad IP address \"" + a + "\": " + why);
        if (mac == null) throw new TunnelConfigException("tnl neigh set needs a MAC address after the IP address");
        long m = mac(mac);
        if (m < 0) throw new TunnelConfigException("bad MAC address \"" + TunnelConfig.excerpt(mac) + "\": not xx:xx:xx:xx:xx:xx");
        if (m == 0) throw new TunnelConfigException("bad MAC address \"" + mac + "\": all zeros");
        if ((m & (1L << 40)) != 0) throw new TunnelConfigException("bad MAC address \"" + mac + "\": a multicast (group) address, not a neighbour's");
        return new StaticNeighbor(a, m);
    }

    private static String unusable(IpAddr a) {
        if (a.isV4()) {
            int v = a.v4();
            if (v == 0) return "the unspecified address";
            if (v == -1) return "the broadcast address";
            if ((v >>> 28) == 0xe) return "a multicast address";
            return null;
        }
        if (a.hi() == 0 && a.lo() == 0) return "the unspecified address";
        if ((a.hi() >>> 56) == 0xff) return "a multicast address";
        return null;
    }

    /** xx:xx:xx:xx:xx:xx (one or two hex digits a group) as 48 bits, or -1. */
    static long mac(String s) {
        long v = 0;
        int groups = 0, digits = 0, b = 0;
        for (int i = 0; i <= s.length(); i++) {
            char c = i < s.length() ? s.charAt(i) : ':';
            if (c == ':') {
                if (digits == 0 || ++groups > 6) return -1;
                v = (v << 8) | b;
                digits = 0;
                b = 0;
                continue;
            }
            int d = c < 128 ? Character.digit(c, 16) : -1;      // ASCII only: Character.digit takes other scripts' digits
            if (d < 0 || ++digits > 2) return -1;
            b = (b << 4) | d;
        }
        return groups == 6 ? v : -1;
    }
}
