package io.xvio.datapath.tunnel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A bridge's underlay: the tunnel endpoint addresses it owns and its static routes, from its YAML map:
 * <pre>
 *   br-phy:
 *     ip: 172.31.0.1/24                 # or a list: [172.31.0.1/24, "fd00::1/64"]
 *     routes: [{dst: 0.0.0.0/0, via: 172.31.0.254}]
 * </pre>
 */
public record UnderlayConfig(List<Prefix> addresses, List<StaticRoute> routes, boolean kernel) {
    /** A route to dst through gateway via; via null: dst is on the bridge's link (tnl routes add without a gateway). */
    public record StaticRoute(Prefix dst, IpAddr via) {}

    public static final UnderlayConfig NONE = new UnderlayConfig(List.of(), List.of());
    /**
     * {@code ip: kernel}: the bridge gets an internal interface named after it (its LOCAL port, a tap), and its
     * endpoint addresses and routes are what the kernel has on that interface, as with OVS ({@code ip addr add ... dev
     * BRIDGE}, DHCP, {@code ip route}); none in the file.
     */
    public static final UnderlayConfig KERNEL = new UnderlayConfig(List.of(), List.of(), true);

    public UnderlayConfig {
        addresses = List.copyOf(addresses);
        routes = List.copyOf(routes);
    }

    public UnderlayConfig(List<Prefix> addresses, List<StaticRoute> routes) { this(addresses, routes, false); }

    /** Whether the file gives endpoint addresses ({@code ip: kernel} gives none: see {@link #kernel}). */
    public boolean present() { return !addresses.isEmpty(); }

    /** Parses "ip" and "routes" of a bridge's map (other keys are the bridge's own); where names the bridge. */
    public static UnderlayConfig parse(Map<String, ?> bridge, String where) {
        Object ip = bridge.get("ip");
        Object rs = bridge.get("routes");
        if (ip == null && rs == null) return NONE;
        if (ip == null) throw new TunnelConfigException(where + ": routes need the bridge's own address (ip: ADDR/LEN)");
        if ("kernel".equals(ip)) {
            if (rs != null) throw new TunnelConfigException(where + ": with ip: kernel the routes are the kernel's (ip route add DST via GW dev BRIDGE); remove routes:");
            return KERNEL;
        }
        List<Prefix> addrs = new ArrayList<>();
        List<?> ips = ip instanceof List<?> l ? l : List.of(ip);
        if (ips.isEmpty()) throw new TunnelConfigException(where + ".ip: an empty list (give ADDR/LEN, e.g. 172.31.0.1/24)");
        for (int i = 0; i < ips.size(); i++) {
            String w = where + ".ip" + (ip instanceof List ? "[" + i + "]" : "");
            if (!(ips.get(i) instanceof String s) || s.indexOf('/') < 0)
                throw new TunnelConfigException(w + ": \"" + TunnelConfig.excerpt(ips.get(i)) + "\" must be ADDR/LEN, e.g. 172.31.0.1/24");
            Prefix p = Prefix.parse(s, w);
            if (p.addr().inet().isMulticastAddress() || p.addr().inet().isAnyLocalAddress() || p.network().addr().equals(p.addr()) && p.len() < (p.addr().isV4() ? 31 : 127))
                throw new TunnelConfigException(w + ": " + p + " is not a host address on its network");
            for (Prefix q : addrs) if (q.addr().equals(p.addr())) throw new TunnelConfigException(w + ": " + p.addr() + " is listed twice");
            addrs.add(p);
        }
        List<StaticRoute> routes = new ArrayList<>();
        if (rs != null) {
            if (!(rs instanceof List<?> l)) throw new TunnelConfigException(where + ".routes must be a list of {dst: ADDR/LEN, via: ADDR}");
            for (int i = 0; i < l.size(); i++) {
                String w = where + ".routes[" + i + "]";
                if (!(l.get(i) instanceof Map<?, ?> m)) throw new TunnelConfigException(w + " must be a mapping {dst: ADDR/LEN, via: ADDR}");
                for (Object k : m.keySet())
                    if (!"dst".equals(k) && !"via".equals(k)) throw new TunnelConfigException(w + ": unknown key \"" + TunnelConfig.excerpt(k) + "\" (allowed: dst, via)");
                if (m.get("dst") == null || m.get("via") == null) throw new TunnelConfigException(w + ": needs dst and via");
                Prefix dst = Prefix.parse(m.get("dst"), w + ".dst");
                IpAddr via = IpAddr.of(TunnelConfig.address(m.get("via"), w + ".via"));
                if (dst.addr().isV4() != via.isV4()) throw new TunnelConfigException(w + ": dst " + dst + " and via " + via + " are not of the same family");
                routes.add(new StaticRoute(dst, via));
            }
        }
        return new UnderlayConfig(addrs, routes);
    }
}
