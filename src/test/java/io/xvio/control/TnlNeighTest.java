package io.xvio.control;

import io.xvio.datapath.PortVlan;
import io.xvio.datapath.tunnel.TunnelConfig;
import io.xvio.datapath.tunnel.UnderlayConfig;
import io.xvio.testing.InertPort;
import io.xvio.port.TunnelPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code xvio tnl neigh set|flush} against the daemon's tunnel control plane: a static neighbour makes a tunnel port
 * whose next hop it is usable at once with that MAC, shows as STATIC (text and JSON), and bad input is refused with
 * a message naming what is wrong.
 */
class TnlNeighTest {
    final Tunnels tunnels = new Tunnels();
    final Map<String, Bridge> bridges = new LinkedHashMap<>();
    final TunnelPort vx0 = new TunnelPort("vx0", 10,
            TunnelConfig.parse(Map.of("type", "vxlan", "remote_ip", "172.31.0.2", "key", "100"), "vx0"));

    TnlNeighTest() {
        Bridge brInt = bridge("br-int");
        brInt.ports.add(vx0);
        brInt.vlans.add(PortVlan.TRUNK_ALL);
        Bridge brPhy = bridge("br-phy");
        brPhy.ports.add(new InertPort("up0") {});                     // a stand-in NIC
        brPhy.vlans.add(PortVlan.TRUNK_ALL);
        bridge("br0");
        tunnels.addUnderlay(brPhy, UnderlayConfig.parse(Map.of("ip", "172.31.0.1/24"), "br-phy"));
        tunnels.rebuild(bridges.values());
    }

    private Bridge bridge(String name) {
        Bridge b = new Bridge(name);
        bridges.put(name, b);
        return b;
    }

    @AfterEach
    void close() { tunnels.close(); }

    private String run(boolean json, String... args) {
        List<String> a = new ArrayList<>(List.of("tnl", "neigh"));
        a.addAll(List.of(args));
        return TnlNeigh.run(a, json, tunnels, bridges);
    }

    private String error(String... args) {
        return assertThrows(ControlException.class, () -> run(false, args)).getMessage();
    }

    @Test
    void aStaticNeighbourResolvesTheTunnelPortAndShowsAsStatic() {
        assertNull(vx0.egress(), "no neighbour yet: " + vx0.status());
        assertEquals("", run(false, "set", "br-phy", "172.31.0.2", "02:31:00:00:00:02"));
        assertNotNull(vx0.egress(), vx0.status());
        assertEquals(0x02_31_00_00_00_02L, vx0.egress().header().spec().dstMac());
        String text = run(false);
        assertTrue(text.lines().anyMatch(l -> l.matches("172\\.31\\.0\\.2 +02:31:00:00:00:02 +permanent +STATIC +br-phy")), text);
        assertTrue(text.lines().findFirst().orElseThrow().matches("IP +MAC +State +Type +Bridge"), text);
        String json = run(true);
        assertTrue(json.contains("\"neighbors\"") && json.contains("\"ip\" : \"172.31.0.2\"") && json.contains("\"mac\" : \"02:31:00:00:00:02\"")
                && json.contains("\"type\" : \"STATIC\"") && json.contains("\"state\" : \"permanent\"") && json.contains("\"bridge\" : \"br-phy\""), json);

        // set again with another MAC: the header follows
        run(false, "set", "br-phy", "172.31.0.2", "2:31:0:0:0:AB");
        assertEquals(0x02_31_00_00_00_abL, vx0.egress().header().spec().dstMac());
    }

    /** An IPv6 next hop on a dual-stack underlay: the same, and the text and JSON show the IPv6 address. */
    @Test
    void anIpv6StaticNeighbourOnADualStackUnderlay() {
        Tunnels t6 = new Tunnels();
        try {
            Map<String, Bridge> b6 = new LinkedHashMap<>();
            Bridge brInt = new Bridge("br-int"), brPhy = new Bridge("br-phy");
            TunnelPort vx6 = new TunnelPort("vx6", 10, TunnelConfig.parse(Map.of("type", "vxlan", "remote_ip", "fd00:31::2", "key", "100"), "vx6"));
            brInt.ports.add(vx6);
            brInt.vlans.add(PortVlan.TRUNK_ALL);
            brPhy.ports.add(new InertPort("up0") {});
            brPhy.vlans.add(PortVlan.TRUNK_ALL);
            b6.put("br-int", brInt);
            b6.put("br-phy", brPhy);
            t6.addUnderlay(brPhy, UnderlayConfig.parse(Map.of("ip", List.of("172.31.0.1/24", "fd00:31::1/64")), "br-phy"));
            t6.rebuild(b6.values());
            assertNull(vx6.egress(), vx6.status());
            TnlNeigh.run(List.of("tnl", "neigh", "set", "br-phy", "fd00:31::2", "02:31:00:00:00:06"), false, t6, b6);
            assertNotNull(vx6.egress(), vx6.status());
            assertEquals(0x02_31_00_00_00_06L, vx6.egress().header().spec().dstMac());
            String text = TnlNeigh.run(List.of("tnl", "neigh"), false, t6, b6);
            assertTrue(text.lines().anyMatch(l -> l.matches("fd00:31::2 +02:31:00:00:00:06 +permanent +STATIC +br-phy")), text);
            assertTrue(TnlNeigh.run(List.of("tnl", "neigh"), true, t6, b6).contains("\"ip\" : \"fd00:31::2\""));
            String own = assertThrows(ControlException.class,
                    () -> TnlNeigh.run(List.of("tnl", "neigh", "set", "br-phy", "fd00:31::1", "02:31:00:00:00:06"), false, t6, b6)).getMessage();
            assertTrue(own.contains("fd00:31::1 is bridge br-phy's own address"), own);
        } finally {
            t6.close();
        }
    }

    @Test
    void flushOneBridgeOrAll() {
        run(false, "set", "br-phy", "172.31.0.2", "02:31:00:00:00:02");
        run(false, "set", "br-phy", "172.31.0.3", "02:31:00:00:00:03");
        assertEquals("", run(false, "flush", "br-phy"));
        assertFalse(run(false).contains("172.31.0."), run(false));
        assertNull(vx0.egress(), "the static neighbour went with the flush: " + vx0.status());
        run(false, "set", "br-phy", "172.31.0.2", "02:31:00:00:00:02");
        assertEquals("", run(false, "flush"));
        assertFalse(run(false).contains("172.31.0.2"), run(false));
    }

    @Test
    void badInputIsRefusedWithAClearMessage() {
        assertTrue(error("set", "br-nope", "172.31.0.2", "02:31:00:00:00:02").contains("no bridge named \"br-nope\" (bridges: br-int, br-phy, br0)"));
        String noIp = error("set", "br0", "172.31.0.2", "02:31:00:00:00:02");
        assertTrue(noIp.contains("bridge br0 has no tunnel endpoint (no ip: in its config)") && noIp.contains("underlay bridges: br-phy"), noIp);
        assertTrue(error("set", "br-phy", "172.31.0.300", "02:31:00:00:00:02").contains("bad IP address \"172.31.0.300\""));
        assertTrue(error("set", "br-phy", "example.com", "02:31:00:00:00:02").contains("bad IP address \"example.com\""));
        assertTrue(error("set", "br-phy", "172.31.0.2", "02:31:00:00:00").contains("bad MAC address \"02:31:00:00:00\""));
        assertTrue(error("set", "br-phy", "172.31.0.2", "02:31:00:00:00:0g").contains("bad MAC address"));
        assertTrue(error("set", "br-phy", "172.31.0.2", "01:00:5e:00:00:01").contains("multicast"));
        assertTrue(error("set", "br-phy", "172.31.0.2", "00:00:00:00:00:00").contains("all zeros"));
        assertTrue(error("set", "br-phy", "224.0.0.1", "02:31:00:00:00:02").contains("multicast address"));
        String v6 = error("set", "br-phy", "fd00:31::2", "02:31:00:00:00:02");
        assertTrue(v6.contains("bridge br-phy has no IPv6 address"), v6);
        assertTrue(error("set", "br-phy", "172.31.0.1", "02:31:00:00:00:02").contains("is bridge br-phy's own address"));
        assertTrue(error("set", "br-phy", "172.31.0.2").contains("needs a bridge, an IP address and a MAC address (got 2 arguments)"));
        assertTrue(error("flush", "br-phy", "br-int").contains("at most one bridge"));
        assertTrue(error("flush", "br0").contains("bridge br0 has no tunnel endpoint"));
        assertTrue(error("frob").contains("unknown subcommand \"frob\""));
        assertTrue(assertThrows(ControlException.class, () -> run(true, "set", "br-phy", "172.31.0.2", "02:31:00:00:00:02"))
                .getMessage().contains("--format json is for 'tnl neigh' (show) only"));
        assertFalse(run(false).contains("172.31.0."), "nothing was set by a refused command\n" + run(false));
    }
}
