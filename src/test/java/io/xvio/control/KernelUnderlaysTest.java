package io.xvio.control;

import io.xvio.datapath.tunnel.IpAddr;
import io.xvio.datapath.tunnel.Prefix;
import io.xvio.datapath.tunnel.UnderlayConfig;
import io.xvio.datapath.tunnel.UnderlayConfig.StaticRoute;
import io.xvio.sys.NetlinkMessages;
import io.xvio.sys.NetlinkMessages.Address;
import io.xvio.sys.NetlinkMessages.Route;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.xvio.sys.NetlinkMessages.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A LOCAL tap's underlay from the kernel's addresses and routes ({@link KernelUnderlays#underlayOf}), on hand-made
 * tables: which addresses make the endpoint, which main-table routes out of the interface it keeps and which it
 * leaves (link-local, connected, unreachable gateway, other interface, other table, not unicast, a second route to
 * the same network).
 */
class KernelUnderlaysTest {
    static final int IF = 5, OTHER_IF = 6, IFA_F_PERMANENT = 0x80, RTN_LOCAL = 2, RTN_BROADCAST = 3, RTN_BLACKHOLE = 6,
            RTPROT_KERNEL = 2, RTPROT_BOOT = 3, RT_TABLE_LOCAL = 255;

    final Set<String> skipped = new HashSet<>();

    static byte[] ip(String s) {
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static int family(byte[] a) { return a.length == 4 ? AF_INET : AF_INET6; }

    static Address addr(int ifindex, String ip, int len, int scope, int flags) {
        byte[] a = ip(ip);
        return new Address(ifindex, family(a), a, len, scope, flags);
    }

    static Address addr(String ip, int len) { return addr(IF, ip, len, RT_SCOPE_UNIVERSE, IFA_F_PERMANENT); }

    /** A route: dst "ADDR/LEN" or "default" (no RTA_DST), via null for on link. */
    static Route route(int ifindex, int table, int type, String dst, String via) {
        boolean dflt = dst.equals("default") || dst.equals("default6");
        byte[] d = dflt ? null : ip(dst.substring(0, dst.indexOf('/')));
        int fam = dflt ? (dst.equals("default") ? AF_INET : AF_INET6) : family(d);
        int len = dflt ? 0 : Integer.parseInt(dst.substring(dst.indexOf('/') + 1));
        return new Route(fam, d, len, via == null ? null : ip(via), ifindex, table, type, RTPROT_BOOT,
                via == null ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE, null);
    }

    static Route route(String dst, String via) { return route(IF, RT_TABLE_MAIN, RTN_UNICAST, dst, via); }

    static Prefix p(String s) { return Prefix.parse(s, "test"); }

    static StaticRoute sr(String dst, String via) { return new StaticRoute(p(dst), via == null ? null : IpAddr.parse(via, "test")); }

    UnderlayConfig of(List<Address> as, List<Route> rs) { return KernelUnderlays.underlayOf(IF, "br-phy", as, rs, skipped); }

    // ---- addresses ----

    @Test
    void noAddressesNoUnderlay() {
        assertSame(UnderlayConfig.NONE, of(List.of(), List.of(route("default", "172.31.0.254"))));
        assertFalse(of(List.of(), List.of()).present());
        // addresses only elsewhere, or none usable: none either
        assertSame(UnderlayConfig.NONE, of(List.of(addr(OTHER_IF, "172.31.0.1", 24, RT_SCOPE_UNIVERSE, 0)), List.of(route("10.9.0.0/16", null))));
        assertSame(UnderlayConfig.NONE, of(List.of(addr(IF, "fe80::1", 64, RT_SCOPE_LINK, IFA_F_PERMANENT),
                addr(IF, "172.31.0.1", 24, RT_SCOPE_UNIVERSE, IFA_F_TENTATIVE)), List.of()));
        assertTrue(skipped.isEmpty());
    }

    @Test
    void globalUsableAddressesOfTheInterfaceOnly() {
        UnderlayConfig u = of(List.of(
                addr("172.31.0.1", 24),
                addr(IF, "fe80::2ff:fe00:1", 64, RT_SCOPE_LINK, IFA_F_PERMANENT),              // link-local: scope 253
                addr(IF, "fd00::1", 64, RT_SCOPE_UNIVERSE, IFA_F_PERMANENT),
                addr(IF, "fd00::9", 64, RT_SCOPE_UNIVERSE, IFA_F_TENTATIVE),                  // DAD not done
                addr(IF, "fd00::a", 64, RT_SCOPE_UNIVERSE, IFA_F_TENTATIVE | IFA_F_PERMANENT),
                addr(IF, "fd00::b", 64, RT_SCOPE_UNIVERSE, IFA_F_DADFAILED),                  // DAD failed
                addr(IF, "127.0.0.1", 8, RT_SCOPE_HOST, IFA_F_PERMANENT),                    // host scope
                addr(OTHER_IF, "192.0.2.2", 24, RT_SCOPE_UNIVERSE, IFA_F_PERMANENT),         // another interface
                addr("172.31.0.1", 24),                                                      // listed twice
                addr(IF, "10.0.0.1", 8, RT_SCOPE_UNIVERSE, 0x100 | 0x200)),                  // other flags: fine
                List.of());
        assertTrue(u.present());
        assertEquals(List.of(p("172.31.0.1/24"), p("fd00::1/64"), p("10.0.0.1/8")), u.addresses());
        assertEquals(List.of(), u.routes());
    }

    // ---- routes ----

    @Test
    void connectedAndLinkLocalRoutesAreLeft() {
        UnderlayConfig u = of(List.of(addr("172.31.0.1", 24), addr("fd00::1", 64)), List.of(
                route(IF, RT_TABLE_MAIN, RTN_UNICAST, "172.31.0.0/24", null),              // the address's network
                route("fd00::/64", null),
                route("fe80::/64", null),                                                  // link-local
                route("fe80::/10", null),
                route("10.9.0.0/16", null)));
        assertEquals(List.of(sr("10.9.0.0/16", null)), u.routes());
        assertTrue(skipped.isEmpty());
    }

    @Test
    void defaultRoutesKeptAsAllZeroPrefixes() {
        UnderlayConfig u = of(List.of(addr("172.31.0.1", 24), addr("fd00::1", 64)),
                List.of(route("default", "172.31.0.254"), route("default6", "fd00::fffe")));
        assertEquals(List.of(sr("0.0.0.0/0", "172.31.0.254"), sr("::/0", "fd00::fffe")), u.routes());
        assertTrue(u.routes().getFirst().dst().addr().isV4());
        assertFalse(u.routes().getLast().dst().addr().isV4());
        assertEquals(new UnderlayConfig(List.of(p("172.31.0.1/24"), p("fd00::1/64")), u.routes()), u);
    }

    @Test
    void onLinkRouteWithoutGatewayKeptWithViaNull() {
        UnderlayConfig u = of(List.of(addr("172.31.0.1", 24)), List.of(route("10.9.0.0/16", null)));
        assertEquals(1, u.routes().size());
        assertEquals(p("10.9.0.0/16"), u.routes().getFirst().dst());
        assertNull(u.routes().getFirst().via());
        // an on-link route of a family the interface has no address of: unusable, left
        assertEquals(List.of(), of(List.of(addr("172.31.0.1", 24)), List.of(route("fd01::/64", null))).routes());
    }

    @Test
    void destinationIsTheNetwork() {
        // a route's dst with host bits (as a dump never has, but a Route may): the network
        Route r = new Route(AF_INET, ip("10.9.1.2"), 16, null, IF, RT_TABLE_MAIN, RTN_UNICAST, RTPROT_BOOT, RT_SCOPE_LINK, null);
        assertEquals(List.of(sr("10.9.0.0/16", null)), of(List.of(addr("172.31.0.1", 24)), List.of(r)).routes());
        // and its network, not its address, is compared with the connected one
        Route c = new Route(AF_INET, ip("172.31.0.77"), 24, null, IF, RT_TABLE_MAIN, RTN_UNICAST, RTPROT_KERNEL, RT_SCOPE_LINK, ip("172.31.0.1"));
        assertEquals(List.of(), of(List.of(addr("172.31.0.1", 24)), List.of(c)).routes());
    }

    @Test
    void gatewayOnNoneOfTheNetworksIsSkippedAndLoggedOnce() {
        List<Address> as = List.of(addr("172.31.0.1", 24), addr("fd00::1", 64));
        List<Route> rs = List.of(route("10.8.0.0/16", "192.168.5.1"),                 // an onlink gateway elsewhere
                route("10.9.0.0/16", "172.31.0.254"));
        UnderlayConfig u = of(as, rs);
        assertEquals(List.of(sr("10.9.0.0/16", "172.31.0.254")), u.routes());
        assertEquals(1, skipped.size(), skipped.toString());
        String why = skipped.iterator().next();
        assertTrue(why.contains("br-phy") && why.contains("10.8.0.0/16") && why.contains("192.168.5.1"), why);
        // again: the same answer, still one entry
        assertEquals(u, of(as, rs));
        assertEquals(1, skipped.size(), skipped.toString());
        // an IPv6 gateway that is link-local (a router's, as SLAAC's default route has it): on the link, kept
        assertEquals(List.of(sr("::/0", "fe80::1"), sr("10.9.0.0/16", "172.31.0.254")),
                of(as, List.of(route("default6", "fe80::1"), route("10.9.0.0/16", "172.31.0.254"))).routes());
        assertEquals(1, skipped.size(), skipped.toString());
        // ... but not without a global IPv6 address to send from
        assertEquals(List.of(), of(List.of(addr("172.31.0.1", 24)), List.of(route("default6", "fe80::1"))).routes());
        // a gateway of the other family's network does not count
        assertEquals(List.of(), of(List.of(addr("172.31.0.1", 24)), List.of(route("default6", "fd00::fffe"))).routes());
    }

    @Test
    void routesOfOtherInterfacesTablesOrTypesAreIgnored() {
        List<Address> as = List.of(addr("172.31.0.1", 24));
        UnderlayConfig u = of(as, List.of(
                route(OTHER_IF, RT_TABLE_MAIN, RTN_UNICAST, "10.1.0.0/16", "172.31.0.254"),  // another interface
                route(0, RT_TABLE_MAIN, RTN_UNICAST, "10.2.0.0/16", null),                   // no interface (multipath)
                route(IF, 100, RTN_UNICAST, "10.3.0.0/16", "172.31.0.254"),                   // policy routing's table
                route(IF, RT_TABLE_LOCAL, RTN_LOCAL, "172.31.0.1/32", null),                   // the local table
                route(IF, RT_TABLE_LOCAL, RTN_BROADCAST, "172.31.0.255/32", null),
                route(IF, RT_TABLE_MAIN, RTN_BLACKHOLE, "10.4.0.0/16", null),                 // not unicast
                route(IF, RT_TABLE_MAIN, RTN_UNICAST, "10.5.0.0/16", "172.31.0.254")));
        assertEquals(List.of(sr("10.5.0.0/16", "172.31.0.254")), u.routes());
        assertTrue(skipped.isEmpty(), "ignored routes are not reported: " + skipped);
        // a route of another family than AF_INET/AF_INET6 (RTNL_FAMILY_IPMR 128): ignored
        Route mr = new Route(128, null, 0, null, IF, RT_TABLE_MAIN, RTN_UNICAST, RTPROT_BOOT, 0, null);
        assertEquals(List.of(), of(as, List.of(mr)).routes());
    }

    @Test
    void oneRouteADestinationTheFirstWins() {
        UnderlayConfig u = of(List.of(addr("172.31.0.1", 24), addr("fd00::1", 64)), List.of(
                route("10.9.0.0/16", "172.31.0.254"),
                route("10.9.0.0/16", "172.31.0.253"),            // a higher metric: dumped after
                route("10.9.0.0/16", null),
                route("10.9.0.0/24", "172.31.0.253"),            // another length: another destination
                route("default", "172.31.0.254"),
                route("default", "172.31.0.253"),
                route("fd01::/64", "fd00::fffe"),
                route("fd01::/64", "fd00::fffd")));
        assertEquals(List.of(sr("10.9.0.0/16", "172.31.0.254"), sr("10.9.0.0/24", "172.31.0.253"), sr("0.0.0.0/0", "172.31.0.254"),
                sr("fd01::/64", "fd00::fffe")), u.routes());
    }

    @Test
    void ipv4MappedIpv6AddressesAndRoutesAreLeft() {
        // ::ffff:a.b.c.d is how xvio writes IPv4: an AF_INET6 entry of that form would pass for one
        byte[] mapped = new byte[16];
        mapped[10] = mapped[11] = (byte) 0xff;
        byte[] host = mapped.clone();
        host[12] = 10;
        host[15] = 1;
        List<Address> as = List.of(addr("172.31.0.1", 24), new Address(IF, AF_INET6, host, 128, RT_SCOPE_UNIVERSE, IFA_F_PERMANENT), addr("fd00::1", 64));
        Route toMapped = new Route(AF_INET6, mapped, 96, null, IF, RT_TABLE_MAIN, RTN_UNICAST, RTPROT_BOOT, RT_SCOPE_LINK, null);
        Route viaMapped = new Route(AF_INET6, ip("fd00:9::"), 64, host, IF, RT_TABLE_MAIN, RTN_UNICAST, RTPROT_BOOT, RT_SCOPE_UNIVERSE, null);
        UnderlayConfig u = of(as, List.of(toMapped, viaMapped, route("10.9.0.0/16", "172.31.0.254")));
        assertEquals(List.of(p("172.31.0.1/24"), p("fd00::1/64")), u.addresses());
        assertEquals(List.of(sr("10.9.0.0/16", "172.31.0.254")), u.routes());
    }

    @Test
    void aRealisticTable() {
        // as `ip addr; ip route show table all` shows for br-phy with 172.31.0.1/24 and fd00::1/64 (and its link-local)
        List<Address> as = List.of(addr(1, "127.0.0.1", 8, RT_SCOPE_HOST, IFA_F_PERMANENT), addr(1, "::1", 128, RT_SCOPE_HOST, IFA_F_PERMANENT),
                addr("172.31.0.1", 24), addr(IF, "fd00::1", 64, RT_SCOPE_UNIVERSE, IFA_F_PERMANENT),
                addr(IF, "fe80::cc:1", 64, RT_SCOPE_LINK, IFA_F_PERMANENT),
                addr(OTHER_IF, "192.0.2.2", 24, RT_SCOPE_UNIVERSE, IFA_F_PERMANENT));
        List<Route> rs = new ArrayList<>(List.of(
                route(OTHER_IF, RT_TABLE_MAIN, RTN_UNICAST, "default", "192.0.2.1"),
                route(OTHER_IF, RT_TABLE_MAIN, RTN_UNICAST, "192.0.2.0/24", null),
                route("172.31.0.0/24", null),
                route("10.20.0.0/16", "172.31.0.254"),
                route(IF, RT_TABLE_LOCAL, RTN_LOCAL, "172.31.0.1/32", null),
                route(IF, RT_TABLE_LOCAL, RTN_BROADCAST, "172.31.0.255/32", null),
                route(1, RT_TABLE_LOCAL, RTN_LOCAL, "127.0.0.0/8", null),
                route("fd00::/64", null),
                route("fe80::/64", null),
                route(IF, RT_TABLE_LOCAL, RTN_LOCAL, "fd00::1/128", null),
                route(IF, RT_TABLE_LOCAL, 5, "ff00::/8", null)));
        UnderlayConfig u = of(as, rs);
        assertEquals(new UnderlayConfig(List.of(p("172.31.0.1/24"), p("fd00::1/64")), List.of(sr("10.20.0.0/16", "172.31.0.254"))), u);
        assertTrue(skipped.isEmpty(), skipped.toString());
        // the other interface's view: its own address and default route
        UnderlayConfig o = KernelUnderlays.underlayOf(OTHER_IF, "br-ext", as, rs, skipped);
        assertEquals(new UnderlayConfig(List.of(p("192.0.2.2/24")), List.of(sr("0.0.0.0/0", "192.0.2.1"))), o);
    }
}
