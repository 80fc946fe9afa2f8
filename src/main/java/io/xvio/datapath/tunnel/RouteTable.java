package io.xvio.datapath.tunnel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The underlay's routes (OVS's ovs-router): a connected route for each address a bridge owns ({@code ip:}) and the
 * bridge's {@code routes:}; {@link #lookup} is a longest-prefix match over both families. Immutable: the control
 * thread builds a new table and publishes it through a volatile field; PMD threads (which look up only when they
 * translate a flow into a tnl_push, on a cache miss) read it without locks. Small tables, so a scan in
 * longest-prefix-first order; ties go to the route listed first.
 */
public final class RouteTable {
    /** A route: traffic to prefix leaves through bridge, to gateway (null: on link, the destination itself), from src. */
    public record Route(Prefix prefix, String bridge, IpAddr gateway, IpAddr src, boolean connected) {
        /** The next hop whose MAC address the outer header needs. */
        public IpAddr nextHop(IpAddr dst) { return gateway == null ? dst : gateway; }
    }

    private final Route[] routes;

    private RouteTable(List<Route> l) {
        List<Route> s = new ArrayList<>(l);
        s.sort(Comparator.comparingInt((Route r) -> -r.prefix().bits()).thenComparing(r -> !r.connected()));
        routes = s.toArray(Route[]::new);
    }

    public static final RouteTable EMPTY = new RouteTable(List.of());

    /** The table of every bridge's underlay, in bridge order; checks every route's gateway is on a connected network. */
    public static RouteTable of(Map<String, UnderlayConfig> bridges) {
        List<Route> l = new ArrayList<>();
        for (var e : bridges.entrySet())
            for (Prefix p : e.getValue().addresses()) l.add(new Route(p.network(), e.getKey(), null, p.addr(), true));
        for (var e : bridges.entrySet())
            for (UnderlayConfig.StaticRoute r : e.getValue().routes()) {
                Route via = null;
                boolean onLink = r.via() == null || linkLocal(r.via());
                for (Route c : l)
                    if (c.connected() && c.bridge().equals(e.getKey()) && (onLink ? c.prefix().addr().isV4() == r.dst().addr().isV4() : c.prefix().contains(r.via()))) {
                        via = c;
                        if (onLink) break;                // on link or a link-local gateway: the bridge's first address of the family is the source
                    }
                if (via == null)
                    throw new TunnelConfigException(r.via() == null
                            ? "bridges." + e.getKey() + ".routes: " + r.dst() + " on link needs an " + (r.dst().addr().isV4() ? "IPv4" : "IPv6")
                                    + " address on bridge " + e.getKey() + " (its ip: " + e.getValue().addresses() + ")"
                            : "bridges." + e.getKey() + ".routes: via " + r.via() + " (to " + r.dst()
                                    + ") is not on a network of bridge " + e.getKey() + " (its ip: " + e.getValue().addresses() + ")");
                l.add(new Route(r.dst().network(), e.getKey(), r.via(), via.src(), false));
            }
        return new RouteTable(l);
    }

    /** Whether a is an IPv6 link-local address (fe80::/10): a gateway there is on every IPv6 link of the bridge. */
    public static boolean linkLocal(IpAddr a) { return !a.isV4() && (a.hi() >>> 54) == 0x3fa; }

    /** The longest-prefix route to (hi, lo), or null. No allocation. */
    public Route lookup(long hi, long lo) {
        for (Route r : routes) if (r.prefix().contains(hi, lo)) return r;
        return null;
    }

    public Route lookup(IpAddr a) { return lookup(a.hi(), a.lo()); }

    public List<Route> routes() { return List.of(routes); }

    /** {@code xvio tnl routes}: one line a route, longest prefixes first, as ovs-appctl ovs/route/show prints them. */
    public String text() { return text(r -> false); }

    /** As {@link #text()}; routes that cached says are the kernel's are "Cached:", as OVS's. */
    public String text(java.util.function.Predicate<Route> cached) {
        StringBuilder b = new StringBuilder("Route Table:\n");
        for (Route r : routes) {
            b.append(r.connected() ? "Connected: " : cached.test(r) ? "Cached: " : "User: ").append(r.prefix()).append(" dev ").append(r.bridge());
            if (r.gateway() != null) b.append(" GW ").append(r.gateway());
            b.append(" SRC ").append(r.src()).append('\n');
        }
        return b.toString();
    }
}
