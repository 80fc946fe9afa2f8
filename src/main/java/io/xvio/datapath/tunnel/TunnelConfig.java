package io.xvio.datapath.tunnel;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A tunnel port's options, as OVS's {@code ovs-vsctl set interface vx0 type=vxlan options:...} takes them
 * (ovs-vswitchd.conf.db(5) "Tunnel Options"), parsed from the port's YAML map:
 * <pre>
 *   vx0: {type: vxlan, remote_ip: 172.31.0.2, key: 100, ofport: 10}
 *   gnv0: {type: geneve, remote_ip: flow, key: flow, local_ip: fd00::1, csum: true, tos: inherit, ttl: 32}
 * </pre>
 * {@code remoteIp} null means {@code remote_ip: flow} (the destination comes from the flow's {@code set_field:..->tun_dst});
 * {@code key} {@link #KEY_FLOW} means {@code key: flow}; {@code tos}/{@code ttl} {@link #INHERIT} copy the inner
 * packet's. Defaults as OVS: key 0, dst_port the type's IANA port, csum false over IPv4 and true over IPv6, tos 0,
 * ttl 64, df_default true.
 * Unlike OVS, which logs a bad option and goes on, every bad option is an error here.
 */
public record TunnelConfig(TunnelType type, InetAddress remoteIp, InetAddress localIp, long key, int dstPort,
                           boolean csum, int tos, int ttl, boolean dfDefault) {
    public static final long KEY_FLOW = -1;
    public static final int INHERIT = -1;
    public static final int DEFAULT_TTL = 64;
    /** Keys of a port map that are not tunnel options but the port layer's (checked by its parser). */
    private static final Set<String> PORT_KEYS = Set.of("ofport", "tag", "trunks", "pmd-cpu");
    private static final List<String> OPTIONS = List.of("type", "remote_ip", "local_ip", "key", "dst_port", "csum", "tos",
            "ttl", "df_default");

    public TunnelConfig {
        if (type == null) throw new TunnelConfigException("a tunnel needs a type (vxlan or geneve)");
        if (key != KEY_FLOW && (key < 0 || key > 0xffffff)) throw new TunnelConfigException("key " + key + " is outside 0..16777215 (24 bits)");
        if (dstPort < 1 || dstPort > 65535) throw new TunnelConfigException("dst_port " + dstPort + " is outside 1..65535");
        if (tos != INHERIT && (tos < 0 || tos > 255 || (tos & 3) != 0))
            throw new TunnelConfigException("tos " + tos + " must be a DSCP value (0..252, a multiple of 4: the ECN bits are the packet's) or inherit");
        if (ttl != INHERIT && (ttl < 1 || ttl > 255)) throw new TunnelConfigException("ttl " + ttl + " is outside 1..255");
        if (remoteIp != null && localIp != null && remoteIp.getClass() != localIp.getClass())
            throw new TunnelConfigException("remote_ip " + IpAddr.text(remoteIp) + " and local_ip " + IpAddr.text(localIp)
                    + " are not of the same family (both IPv4 or both IPv6)");
    }

    /** The defaults for a type, to a fixed remote. */
    public static TunnelConfig of(TunnelType type, InetAddress remote, long key) {
        return new TunnelConfig(type, remote, null, key, type.defaultPort, false, 0, DEFAULT_TTL, true);
    }

    public boolean remoteFromFlow() { return remoteIp == null; }
    public boolean keyFromFlow() { return key == KEY_FLOW; }
    /** True if the underlay is IPv6 (known only when an address is configured: remote_ip=flow takes the flow's). */
    public boolean ipv6() { return remoteIp instanceof Inet6Address || localIp instanceof Inet6Address; }

    /**
     * Parses a port's map (the YAML mapping, or an add-port's key=value pairs as strings). Numbers and booleans may be
     * YAML scalars or strings, as OVS takes them all as strings. "where" prefixes every error
     * ("bridges.br-int.ports.vx0"). Keys of the port layer (ofport, tag, trunks) are left to its parser.
     */
    public static TunnelConfig parse(Map<String, ?> m, String where) {
        for (String k : m.keySet())
            if (!OPTIONS.contains(k) && !PORT_KEYS.contains(k))
                throw new TunnelConfigException(where + ": unknown tunnel option \"" + excerpt(k) + "\" (allowed: " + String.join(", ", OPTIONS) + ")");
        Object t = m.get("type");
        TunnelType type = t instanceof String s ? TunnelType.of(s) : null;
        if (type == null) throw new TunnelConfigException(where + ".type: \"" + excerpt(t) + "\" is not a tunnel type (vxlan or geneve)");
        Object r = m.get("remote_ip");
        if (r == null) throw new TunnelConfigException(where + ": missing \"remote_ip\" (an IPv4 or IPv6 address, or flow)");
        InetAddress remote = "flow".equals(r) ? null : address(r, where + ".remote_ip");
        if (remote != null && (remote.isMulticastAddress() || remote.isAnyLocalAddress()))
            throw new TunnelConfigException(where + ".remote_ip: " + IpAddr.text(remote) + " is not a unicast address");
        InetAddress local = m.containsKey("local_ip") ? address(m.get("local_ip"), where + ".local_ip") : null;
        if (local != null && (local.isMulticastAddress() || local.isAnyLocalAddress()))
            throw new TunnelConfigException(where + ".local_ip: " + IpAddr.text(local) + " is not a unicast address");
        long key = 0;
        if (m.containsKey("key")) key = "flow".equals(m.get("key")) ? KEY_FLOW : number(m.get("key"), where + ".key", 0, 0xffffff);
        int port = m.containsKey("dst_port") ? (int) number(m.get("dst_port"), where + ".dst_port", 1, 65535) : type.defaultPort;
        // OVS's default (NETDEV_TNL_CSUM_DEFAULT): UDP checksums over an IPv6 underlay, none over IPv4 (Linux drops
        // zero-checksum UDP tunnel packets over IPv6 unless told udp6zerocsumrx)
        boolean v6 = remote instanceof java.net.Inet6Address || local instanceof java.net.Inet6Address;
        boolean csum = m.containsKey("csum") ? bool(m.get("csum"), where + ".csum") : v6;
        int tos = 0;
        if (m.containsKey("tos")) {
            tos = "inherit".equals(m.get("tos")) ? INHERIT : (int) number(m.get("tos"), where + ".tos", 0, 255);
            if (tos != INHERIT && (tos & 3) != 0)
                throw new TunnelConfigException(where + ".tos: " + tos + " sets ECN bits; give a DSCP value (a multiple of 4) or inherit");
        }
        int ttl = m.containsKey("ttl") ? ("inherit".equals(m.get("ttl")) ? INHERIT : (int) number(m.get("ttl"), where + ".ttl", 1, 255)) : DEFAULT_TTL;
        boolean df = !m.containsKey("df_default") || bool(m.get("df_default"), where + ".df_default");
        try {
            return new TunnelConfig(type, remote, local, key, port, csum, tos, ttl, df);
        } catch (TunnelConfigException e) {
            throw new TunnelConfigException(where + ": " + e.getMessage());
        }
    }

    /** A literal IPv4 or IPv6 address (never a host name: no DNS lookup). */
    static InetAddress address(Object o, String where) {
        if (!(o instanceof String s) || s.isBlank()) throw new TunnelConfigException(where + ": \"" + excerpt(o) + "\" is not an IP address");
        try {
            InetAddress a = InetAddress.ofLiteral(s.trim());
            if (!(a instanceof Inet4Address) && !(a instanceof Inet6Address)) throw new IllegalArgumentException();
            return a;
        } catch (IllegalArgumentException e) {
            throw new TunnelConfigException(where + ": \"" + excerpt(s) + "\" is not an IPv4 or IPv6 address");
        }
    }

    static long number(Object o, String where, long min, long max) {
        long v;
        if (o instanceof Integer || o instanceof Long) v = ((Number) o).longValue();
        else if (o instanceof String s) {
            try {
                v = s.startsWith("0x") || s.startsWith("0X") ? Long.parseLong(s.substring(2), 16) : Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw new TunnelConfigException(where + ": \"" + excerpt(s) + "\" is not a number");
            }
        } else throw new TunnelConfigException(where + ": " + excerpt(o) + " is not a number");
        if (v < min || v > max) throw new TunnelConfigException(where + ": " + v + " is outside " + min + ".." + max);
        return v;
    }

    static boolean bool(Object o, String where) {
        if (o instanceof Boolean b) return b;
        if ("true".equals(o)) return true;
        if ("false".equals(o)) return false;
        throw new TunnelConfigException(where + " must be true or false, not \"" + excerpt(o) + "\"");
    }

    static String excerpt(Object o) {
        String s = String.valueOf(o);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 60; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return s.length() > 60 ? b + "..." : b.toString();
    }

    /** The options as OVS's {@code ovs-vsctl list interface} shows them (only what differs from the defaults). */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("{type=").append(type.label).append(", remote_ip=")
                .append(remoteIp == null ? "flow" : IpAddr.text(remoteIp));
        if (localIp != null) b.append(", local_ip=").append(IpAddr.text(localIp));
        if (key != 0) b.append(", key=").append(key == KEY_FLOW ? "flow" : Long.toString(key));
        if (dstPort != type.defaultPort) b.append(", dst_port=").append(dstPort);
        if (csum != ipv6()) b.append(", csum=").append(csum);      // the default: on over IPv6 only
        if (tos != 0) b.append(", tos=").append(tos == INHERIT ? "inherit" : Integer.toString(tos));
        if (ttl != DEFAULT_TTL) b.append(", ttl=").append(ttl == INHERIT ? "inherit" : Integer.toString(ttl));
        if (!dfDefault) b.append(", df_default=false");
        return b.append('}').toString();
    }
}
