package io.xvio.datapath.tunnel;

import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class RouteTableTest {
    static UnderlayConfig underlay(String yaml) { return UnderlayConfig.parse(TunnelConfigTest.yaml(yaml), "bridges.br-phy"); }

    static RouteTable table(String yaml) {
        Map<String, UnderlayConfig> m = new LinkedHashMap<>();
        m.put("br-phy", underlay(yaml));
        return RouteTable.of(m);
    }

    static IpAddr ip(String s) { return IpAddr.parse(s, "test"); }

    @Test
    void aLinkLocalGatewayIsOnTheLinkAndTheKernelsRoutesPrintAsCached() {
        // a router's fe80:: address, as a kernel default route learnt from router advertisements has it
        RouteTable t = table("{ip: [172.31.0.1/24, 'fd00::1/64'], routes: [{dst: '::/0', via: 'fe80::1'}]}");
        RouteTable.Route r = t.lookup(ip("2001:db8::1"));
        assertEquals(ip("fe80::1"), r.nextHop(ip("2001:db8::1")));
        assertEquals(ip("fd00::1"), r.src());
        assertTrue(RouteTable.linkLocal(ip("fe80::1")) && RouteTable.linkLocal(ip("febf::1")) && !RouteTable.linkLocal(ip("fec0::1")) && !RouteTable.linkLocal(ip("10.0.0.1")));
        assertTrue(t.text(x -> !x.connected()).contains("Cached: ::/0 dev br-phy GW fe80::1 SRC fd00::1"), t.text(x -> !x.connected()));
        // without an IPv6 address of its own the bridge cannot use it
        assertThrows(TunnelConfigException.class, () -> table("{ip: [172.31.0.1/24], routes: [{dst: '::/0', via: 'fe80::1'}]}"));
    }

    @Test
    void connectedAndDefaultRoutes() {
        RouteTable t = table("{ip: [172.31.0.1/24, 'fd00::1/64'], routes: [{dst: 0.0.0.0/0, via: 172.31.0.254}, {dst: 10.8.0.0/16, via: 172.31.0.9}, {dst: '::/0', via: 'fd00::fe'}]}");
        RouteTable.Route r = t.lookup(ip("172.31.0.2"));
        assertTrue(r.connected());
        assertEquals(ip("172.31.0.2"), r.nextHop(ip("172.31.0.2")));
        assertEquals(ip("172.31.0.1"), r.src());
        assertEquals("br-phy", r.bridge());
        assertEquals(ip("172.31.0.9"), t.lookup(ip("10.8.3.4")).nextHop(ip("10.8.3.4")));
        assertEquals(ip("172.31.0.254"), t.lookup(ip("8.8.8.8")).gateway());
        assertEquals(ip("fd00::fe"), t.lookup(ip("2001:db8::1")).gateway());
        assertTrue(t.lookup(ip("fd00::77")).connected());
        assertEquals(ip("fd00::1"), t.lookup(ip("fd00::77")).src());
        assertEquals("""
                Route Table:
                Connected: 172.31.0.0/24 dev br-phy SRC 172.31.0.1
                User: 10.8.0.0/16 dev br-phy GW 172.31.0.9 SRC 172.31.0.1
                User: 0.0.0.0/0 dev br-phy GW 172.31.0.254 SRC 172.31.0.1
                Connected: fd00::/64 dev br-phy SRC fd00::1
                User: ::/0 dev br-phy GW fd00::fe SRC fd00::1
                """, t.text());
    }

    @Test
    void noRouteIsNull() {
        RouteTable t = table("{ip: 172.31.0.1/24}");
        assertNull(t.lookup(ip("10.0.0.1")));
        assertNull(t.lookup(ip("::ffff:0:1")));   // an IPv6 address is never matched by IPv4 routes, nor the reverse
        assertNull(RouteTable.EMPTY.lookup(ip("1.2.3.4")));
    }

    static String error(String yaml) {
        return assertThrows(TunnelConfigException.class, () -> table(yaml)).getMessage();
    }

    @Test
    void clearErrors() {
        assertEquals("bridges.br-phy.routes: via 10.0.0.254 (to 0.0.0.0/0) is not on a network of bridge br-phy (its ip: [172.31.0.1/24])",
                error("{ip: 172.31.0.1/24, routes: [{dst: 0.0.0.0/0, via: 10.0.0.254}]}"));
        assertEquals("bridges.br-phy.ip: \"172.31.0.1\" must be ADDR/LEN, e.g. 172.31.0.1/24", error("{ip: 172.31.0.1}"));
        assertEquals("bridges.br-phy.ip: \"172.31.0.1/33\": the prefix length must be 0..32", error("{ip: 172.31.0.1/33}"));
        assertEquals("bridges.br-phy.ip: 172.31.0.0/24 is not a host address on its network", error("{ip: 172.31.0.0/24}"));
        assertEquals("bridges.br-phy: routes need the bridge's own address (ip: ADDR/LEN)", error("{routes: []}"));
        assertEquals("bridges.br-phy.routes[0]: unknown key \"gw\" (allowed: dst, via)", error("{ip: 172.31.0.1/24, routes: [{dst: 0.0.0.0/0, gw: 1.1.1.1}]}"));
        assertEquals("bridges.br-phy.routes[0]: dst 0.0.0.0/0 and via fd00::1 are not of the same family",
                error("{ip: 172.31.0.1/24, routes: [{dst: 0.0.0.0/0, via: 'fd00::1'}]}"));
        assertEquals("bridges.br-phy.ip[1]: 172.31.0.1 is listed twice", error("{ip: [172.31.0.1/24, 172.31.0.1/16]}"));
    }

    @Test
    void ipv6Text() {
        assertEquals("fd00::1", ip("fd00::1").toString());
        assertEquals("::", ip("::").toString());
        assertEquals("2001:db8::1:0:0:1", ip("2001:db8:0:0:1:0:0:1").toString());
        assertEquals("2001:db8:0:1:1:1:1:1", ip("2001:db8:0:1:1:1:1:1").toString());
        assertEquals("::ffff:1", ip("::ffff:1").toString());
        assertEquals("1.2.3.4", ip("::ffff:1.2.3.4").toString());
    }

    /** Longest-prefix match agrees with a brute force over random prefixes and addresses (both families). */
    @Property(tries = 300)
    void longestPrefixWins(@ForAll @Size(min = 1, max = 20) List<@IntRange(min = 0, max = 32) Integer> lens, @ForAll long seed, @ForAll boolean v6) {
        java.util.Random r = new java.util.Random(seed);
        // a few networks inside one /8 (v4) or /16 (v6) so that they nest
        List<Prefix> ps = new java.util.ArrayList<>();
        for (int len : lens) {
            IpAddr a = v6 ? new IpAddr(0xfd00_0000_0000_0000L | (r.nextLong() >>> 16 & 0x0000_ffff_0000_0000L) | (r.nextInt(4)), r.nextLong())
                    : IpAddr.v4(0x0a00_0000 | (r.nextInt(4) << 20) | r.nextInt(1 << 20));
            ps.add(new Prefix(a, v6 ? len * 4 : len).network());
        }
        UnderlayConfig u = new UnderlayConfig(List.of(new Prefix(v6 ? IpAddr.parse("fd00::1", "t") : IpAddr.v4(0x0a00_0001), v6 ? 8 : 8)),
                ps.stream().map(p -> new UnderlayConfig.StaticRoute(p, v6 ? IpAddr.parse("fd00::2", "t") : IpAddr.v4(0x0a00_0002))).toList());
        RouteTable t = RouteTable.of(Map.of("br", u));
        for (int i = 0; i < 50; i++) {
            IpAddr a = v6 ? new IpAddr(ps.get(r.nextInt(ps.size())).addr().hi() ^ (r.nextBoolean() ? 0 : r.nextLong() >>> r.nextInt(64)), r.nextLong())
                    : IpAddr.v4(ps.get(r.nextInt(ps.size())).addr().v4() ^ (r.nextBoolean() ? 0 : r.nextInt() >>> r.nextInt(32)));
            int best = -1;
            for (RouteTable.Route x : t.routes()) if (x.prefix().contains(a)) best = Math.max(best, x.prefix().len());
            RouteTable.Route got = t.lookup(a);
            if (best < 0) assertNull(got);
            else assertEquals(best, got.prefix().len(), a.toString());
        }
    }
}
