package io.xvio.control;

import io.xvio.datapath.tunnel.IpAddr;
import io.xvio.datapath.tunnel.Prefix;
import io.xvio.datapath.tunnel.RouteTable;
import io.xvio.datapath.tunnel.UnderlayConfig;
import io.xvio.sys.NetlinkMessages;
import io.xvio.sys.NetlinkMessages.Address;
import io.xvio.sys.NetlinkMessages.Route;
import io.xvio.sys.Rtnetlink;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Tunnel endpoints from the kernel, as OVS's userspace tunnelling has them: a bridge's LOCAL port is a kernel
 * interface (an internal port: a tap named after the bridge), the operator gives it addresses and routes with
 * {@code ip addr}/{@code ip route}, and the bridge is then a tunnel endpoint with those addresses, its route table
 * the kernel's main-table unicast routes through that interface (OVS's ovs-router "Cached" routes). {@link #refresh}
 * reads the kernel's tables again when a netlink monitor says they changed; {@link #underlayOf} is one interface's
 * share. Control thread only.
 */
final class KernelUnderlays implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.tunnel");

    private Rtnetlink monitor;
    /** A change was reported (or nothing read yet) and the tables were not read since. */
    private boolean dirty;
    /** When the tables were last read (System.nanoTime; 0: never). */
    private long lastRead;
    static final long MIN_INTERVAL_NS = 1_000_000_000L;
    private List<Address> addresses = List.of();
    private List<Route> routes = List.of();
    /** Routes already reported as unusable (logged once each). */
    private final java.util.Set<String> skipped = new java.util.HashSet<>();

    /**
     * Reads the kernel's addresses and routes if they may have changed since the last read (the first call always
     * reads; it opens the monitor first, so no change falls between). True if they were read.
     */
    boolean refresh() {
        if (monitor == null) {
            monitor = Rtnetlink.monitor();
            dirty = true;
        }
        if (monitor.changed()) dirty = true;
        long now = System.nanoTime();
        // a host whose tables churn (a routing daemon's) is read at most once a second, not on every tick
        if (!dirty || lastRead != 0 && now - lastRead < MIN_INTERVAL_NS) return false;
        lastRead = now;
        List<Address> a = Rtnetlink.addresses();        // a failure leaves it dirty: read again next time
        List<Route> r = new ArrayList<>();
        for (Route x : Rtnetlink.routes())               // only what underlayOf may take is kept
            if (x.table() == NetlinkMessages.RT_TABLE_MAIN && x.type() == NetlinkMessages.RTN_UNICAST && x.oif() != 0) r.add(x);
        addresses = a;
        routes = r;
        dirty = false;
        return true;
    }

    /**
     * The underlay of the interface with index ifindex: its global addresses (duplicate address detection done), and
     * the main table's unicast routes out of it other than its own networks' (those come from the addresses), each
     * with a gateway on one of its networks or on link. Empty (not {@link UnderlayConfig#present}) without addresses.
     */
    UnderlayConfig underlayOf(int ifindex, String bridge) {
        return underlayOf(ifindex, bridge, addresses, routes, skipped);
    }

    static UnderlayConfig underlayOf(int ifindex, String bridge, List<Address> addresses, List<Route> routes, java.util.Set<String> skipped) {
        List<Prefix> own = new ArrayList<>();
        for (Address a : addresses) {
            if (a.ifindex() != ifindex || a.scope() != NetlinkMessages.RT_SCOPE_UNIVERSE) continue;
            if ((a.flags() & (NetlinkMessages.IFA_F_TENTATIVE | NetlinkMessages.IFA_F_DADFAILED)) != 0) continue;
            IpAddr ip = ip(a.family(), a.addr());
            if (ip == null || own.stream().anyMatch(p -> p.addr().equals(ip))) continue;
            own.add(new Prefix(ip, a.prefixLen()));
        }
        if (own.isEmpty()) return UnderlayConfig.NONE;
        List<UnderlayConfig.StaticRoute> rs = new ArrayList<>();
        for (Route r : routes) {
            if (r.oif() != ifindex || r.table() != NetlinkMessages.RT_TABLE_MAIN || r.type() != NetlinkMessages.RTN_UNICAST) continue;
            if (r.family() != NetlinkMessages.AF_INET && r.family() != NetlinkMessages.AF_INET6) continue;
            IpAddr d = r.dst() == null ? (r.family() == NetlinkMessages.AF_INET ? IpAddr.v4(0) : new IpAddr(0, 0)) : ip(r.family(), r.dst());
            if (d == null) continue;
            Prefix dst = new Prefix(d, r.dstLen()).network();
            if (!d.isV4() && RouteTable.linkLocal(d)) continue;                  // fe80::/10: the link's own
            IpAddr via = r.gateway() == null ? null : ip(r.family(), r.gateway());
            if (r.gateway() != null && via == null) continue;
            if (own.stream().anyMatch(p -> p.network().equals(dst))) continue;     // a connected network: from the address
            boolean linkLocalVia = via != null && RouteTable.linkLocal(via) && own.stream().anyMatch(p -> !p.addr().isV4());   // a router's fe80:: (SLAAC's default route)
            if (via != null && !linkLocalVia && own.stream().noneMatch(p -> p.addr().isV4() == via.isV4() && p.contains(via))) {
                String why = bridge + ": kernel route " + dst + " via " + via + " not used: the gateway is on none of " + own;
                if (skipped.size() >= 1024) skipped.clear();              // a churning table: logged again, never unbounded
                if (skipped.add(why)) LOG.info(why);
                continue;
            }
            if (via == null && own.stream().noneMatch(p -> p.addr().isV4() == dst.addr().isV4())) continue;
            if (rs.stream().anyMatch(x -> x.dst().equals(dst))) continue;         // one route a network: the first (lowest metric)
            rs.add(new UnderlayConfig.StaticRoute(dst, via));
        }
        return new UnderlayConfig(own, rs);
    }

    /** The address of family AF_INET (4 bytes) or AF_INET6 (16, not IPv4-mapped: xvio writes IPv4 that way), else null. */
    private static IpAddr ip(int family, byte[] a) {
        try {
            if (family == NetlinkMessages.AF_INET && a.length == 4) return IpAddr.of(InetAddress.getByAddress(a));
            if (family != NetlinkMessages.AF_INET6 || a.length != 16) return null;
            IpAddr ip = IpAddr.of(InetAddress.getByAddress(a));
            return ip.isV4() ? null : ip;
        } catch (UnknownHostException e) {
            return null;
        }
    }

    @Override
    public void close() {
        if (monitor != null) monitor.close();
        monitor = null;
    }
}
