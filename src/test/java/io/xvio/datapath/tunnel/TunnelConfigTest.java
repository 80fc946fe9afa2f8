package io.xvio.datapath.tunnel;

import net.jqwik.api.*;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TunnelConfigTest {
    @SuppressWarnings("unchecked")
    static Map<String, Object> yaml(String s) {
        return (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromString(s);
    }

    static TunnelConfig parse(String s) { return TunnelConfig.parse(yaml(s), "vx0"); }

    static String error(String s) {
        return assertThrows(TunnelConfigException.class, () -> parse(s)).getMessage();
    }

    @Test
    void vxlanWithOvsDefaults() {
        TunnelConfig c = parse("{type: vxlan, remote_ip: 172.31.0.2, key: 100, ofport: 10}");
        assertEquals(TunnelType.VXLAN, c.type());
        assertEquals(InetAddress.ofLiteral("172.31.0.2"), c.remoteIp());
        assertNull(c.localIp());
        assertEquals(100, c.key());
        assertEquals(4789, c.dstPort());
        assertFalse(c.csum());
        assertEquals(0, c.tos());
        assertEquals(64, c.ttl());
        assertTrue(c.dfDefault());
        assertFalse(c.ipv6());
        assertEquals("{type=vxlan, remote_ip=172.31.0.2, key=100}", c.toString());
    }

    @Test
    void genevePv6FlowAndInherit() {
        TunnelConfig c = parse("{type: geneve, remote_ip: flow, local_ip: 'fd00::1', key: flow, csum: true, tos: inherit, ttl: inherit, df_default: false, dst_port: 6082}");
        assertEquals(TunnelType.GENEVE, c.type());
        assertTrue(c.remoteFromFlow());
        assertTrue(c.keyFromFlow());
        assertInstanceOf(Inet6Address.class, c.localIp());
        assertTrue(c.ipv6());
        assertEquals(6082, c.dstPort());
        assertTrue(c.csum());
        assertEquals(TunnelConfig.INHERIT, c.tos());
        assertEquals(TunnelConfig.INHERIT, c.ttl());
        assertFalse(c.dfDefault());
        // csum=true is the default over IPv6 (OVS's NETDEV_TNL_CSUM_DEFAULT): not shown; csum=false is
        assertEquals("{type=geneve, remote_ip=flow, local_ip=fd00::1, key=flow, dst_port=6082, tos=inherit, ttl=inherit, df_default=false}", c.toString());
        assertEquals(6081, parse("{type: geneve, remote_ip: '2001:db8::2'}").dstPort());
        assertTrue(parse("{type: geneve, remote_ip: '2001:db8::2'}").csum(), "UDP checksums by default over IPv6");
        assertFalse(parse("{type: geneve, remote_ip: 192.0.2.2}").csum(), "none by default over IPv4");
        assertEquals("{type=vxlan, remote_ip=2001:db8::2, csum=false}", parse("{type: vxlan, remote_ip: '2001:db8::2', csum: false}").toString());
    }

    @Test
    void stringsAsOvsTakesThem() {
        TunnelConfig c = parse("{type: vxlan, remote_ip: 10.0.0.2, key: '0x10', tos: '8', ttl: '5', csum: 'true', dst_port: '8472'}");
        assertEquals(16, c.key());
        assertEquals(8, c.tos());
        assertEquals(5, c.ttl());
        assertTrue(c.csum());
        assertEquals(8472, c.dstPort());
    }

    @Test
    void clearErrors() {
        assertEquals("vx0.type: \"gre\" is not a tunnel type (vxlan or geneve)", error("{type: gre, remote_ip: 10.0.0.2}"));
        assertEquals("vx0: missing \"remote_ip\" (an IPv4 or IPv6 address, or flow)", error("{type: vxlan}"));
        assertEquals("vx0.remote_ip: \"example.com\" is not an IPv4 or IPv6 address", error("{type: vxlan, remote_ip: example.com}"));
        assertEquals("vx0.remote_ip: \"10.0.0.256\" is not an IPv4 or IPv6 address", error("{type: vxlan, remote_ip: 10.0.0.256}"));
        assertEquals("vx0.remote_ip: 239.1.1.1 is not a unicast address", error("{type: vxlan, remote_ip: 239.1.1.1}"));
        assertEquals("vx0.key: 16777216 is outside 0..16777215", error("{type: vxlan, remote_ip: 10.0.0.2, key: 16777216}"));
        assertEquals("vx0.key: \"abc\" is not a number", error("{type: vxlan, remote_ip: 10.0.0.2, key: abc}"));
        assertEquals("vx0.dst_port: 0 is outside 1..65535", error("{type: vxlan, remote_ip: 10.0.0.2, dst_port: 0}"));
        assertEquals("vx0.tos: 3 sets ECN bits; give a DSCP value (a multiple of 4) or inherit", error("{type: vxlan, remote_ip: 10.0.0.2, tos: 3}"));
        assertEquals("vx0.ttl: 0 is outside 1..255", error("{type: vxlan, remote_ip: 10.0.0.2, ttl: 0}"));
        assertEquals("vx0.csum must be true or false, not \"yes please\"", error("{type: vxlan, remote_ip: 10.0.0.2, csum: yes please}"));
        assertEquals("vx0: remote_ip 10.0.0.2 and local_ip fd00::1 are not of the same family (both IPv4 or both IPv6)",
                error("{type: vxlan, remote_ip: 10.0.0.2, local_ip: 'fd00::1'}"));
        assertTrue(error("{type: vxlan, remote_ip: 10.0.0.2, in_key: 5}").startsWith("vx0: unknown tunnel option \"in_key\" (allowed: type, remote_ip"));
    }

    @Provide
    Arbitrary<Object> values() {
        return Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(20), Arbitraries.integers(), Arbitraries.longs(),
                Arbitraries.of(true, false), Arbitraries.of("flow", "inherit", "vxlan", "geneve", "10.1.2.3", "::1", "fe80::1", "0x20", "-1"),
                Arbitraries.just(Map.of("a", 1)));
    }

    /** Any map of any values: a TunnelConfig or a TunnelConfigException naming the port, nothing else. */
    @Property(tries = 2000)
    void anyMapParsesOrFailsClearly(@ForAll("values") Object type, @ForAll("values") Object remote, @ForAll("values") Object key,
                                   @ForAll("values") Object tos, @ForAll("values") Object ttl, @ForAll("values") Object other,
                                   @ForAll @From("keys") String otherKey) {
        Map<String, Object> m = new HashMap<>();
        m.put("type", type);
        m.put("remote_ip", remote);
        m.put("key", key);
        m.put("tos", tos);
        m.put("ttl", ttl);
        m.put(otherKey, other);
        try {
            TunnelConfig c = TunnelConfig.parse(m, "p");
            assertTrue(c.key() == TunnelConfig.KEY_FLOW || c.key() <= 0xffffff);
        } catch (TunnelConfigException e) {
            assertTrue(e.getMessage().startsWith("p"), e.getMessage());
        }
    }

    @Provide
    Arbitrary<String> keys() {
        return Arbitraries.of("local_ip", "dst_port", "csum", "df_default", "ofport", "bogus", "type");
    }

    /** What parses, printed and parsed again (as OVS's string options), is the same configuration. */
    @Property(tries = 500)
    void toStringRoundTrips(@ForAll boolean geneve, @ForAll boolean v6, @ForAll("keyValues") long key,
                            @ForAll @net.jqwik.api.constraints.IntRange(min = 1, max = 65535) int port, @ForAll boolean csum,
                            @ForAll @net.jqwik.api.constraints.IntRange(min = -1, max = 63) int dscp,
                            @ForAll @net.jqwik.api.constraints.IntRange(min = -1, max = 255) int ttl, @ForAll boolean df, @ForAll boolean flowRemote) {
        if (ttl == 0) ttl = 1;
        TunnelConfig c = new TunnelConfig(geneve ? TunnelType.GENEVE : TunnelType.VXLAN,
                flowRemote ? null : InetAddress.ofLiteral(v6 ? "2001:db8::7" : "192.0.2.7"),
                InetAddress.ofLiteral(v6 ? "2001:db8::1" : "192.0.2.1"), key, port, csum, dscp < 0 ? -1 : dscp << 2, ttl, df);
        String s = c.toString();
        Map<String, Object> m = new HashMap<>();
        for (String kv : s.substring(1, s.length() - 1).split(", ")) {
            int eq = kv.indexOf('=');
            m.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        assertEquals(c, TunnelConfig.parse(m, "p"));
    }

    @Provide
    Arbitrary<Long> keyValues() {
        return Arbitraries.oneOf(Arbitraries.longs().between(0, 0xffffff), Arbitraries.just(TunnelConfig.KEY_FLOW));
    }
}
