package io.xvio.control;

import io.xvio.datapath.PortVlan;
import io.xvio.datapath.tunnel.TunnelConfig;
import io.xvio.datapath.tunnel.UnderlayConfig;
import io.xvio.port.PatchPort;
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
 * {@code xvio tnl routes add|del} against the daemon's tunnel control plane: a route added at run time makes a tunnel
 * port to a remote network usable at once (through its gateway, or on link), a replacement moves it, a delete takes
 * it down again; the text and JSON show it; bad input is refused with a message naming what is wrong.
 */
class TnlRoutesTest {
    final Tunnels tunnels = new Tunnels();
    final Map<String, Bridge> bridges = new LinkedHashMap<>();
    final TunnelPort vx0 = new TunnelPort("vx0", 10,
            TunnelConfig.parse(Map.of("type", "vxlan", "remote_ip", "10.9.0.2", "key", "100"), "vx0"));

    TnlRoutesTest() {
        Bridge brInt = bridge("br-int");
        brInt.ports.add(vx0);
        brInt.vlans.add(PortVlan.TRUNK_ALL);
        Bridge brPhy = bridge("br-phy");
        // OVN's localnet patch to br-int, added before the NIC: never the tunnels' way out
        brPhy.ports.add(new PatchPort("patch-provnet-to-br-int", 2, "nobody"));
        brPhy.vlans.add(PortVlan.TRUNK_ALL);
        brPhy.ports.add(new InertPort("up0") {});                     // a stand-in NIC
        brPhy.vlans.add(PortVlan.TRUNK_ALL);
        bridge("br0");
        tunnels.addUnderlay(brPhy, UnderlayConfig.parse(Map.of("ip", List.of("172.31.0.1/24", "fd00:31::1/64"),
                "routes", List.of(Map.of("dst", "10.8.0.0/16", "via", "172.31.0.253"))), "br-phy"));
        tunnels.rebuild(bridges.values());
        neigh("172.31.0.254", "02:31:00:00:00:fe");
        neigh("172.31.0.253", "02:31:00:00:00:fd");
        neigh("10.9.0.2", "02:09:00:00:00:02");
    }

    private Bridge bridge(String name) {
        Bridge b = new Bridge(name);
        bridges.put(name, b);
        return b;
    }

    private void neigh(String ip, String mac) {
        TnlNeigh.run(List.of("tnl", "neigh", "set", "br-phy", ip, mac), false, tunnels, bridges);
    }

    @AfterEach
    void close() { tunnels.close(); }

    private String run(boolean json, String... args) {
        List<String> a = new ArrayList<>(List.of("tnl", "routes"));
        a.addAll(List.of(args));
        return TnlRoutes.run(a, json, tunnels, bridges);
    }

    private String error(String... args) {
        return assertThrows(ControlException.class, () -> run(false, args)).getMessage();
    }

    @Test
    void anAddedRouteBringsATunnelPortUpThroughItsGatewayAndADeleteTakesItDown() {
        assertNull(vx0.egress());
        assertTrue(vx0.status().contains("no route to 10.9.0.2"), vx0.status());

        assertEquals("", run(false, "add", "10.9.0.0/16", "br-phy", "172.31.0.254"));
        assertNotNull(vx0.egress(), vx0.status());
        assertEquals("up0", vx0.egress().uplink().name(), "out of the NIC, not the patch port before it");
        assertEquals(0x02_31_00_00_00_feL, vx0.egress().header().spec().dstMac(), "the gateway's MAC");
        String text = run(false);
        assertTrue(text.lines().anyMatch(l -> l.equals("User: 10.9.0.0/16 dev br-phy GW 172.31.0.254 SRC 172.31.0.1")), text);
        String json = run(true);
        assertTrue(json.contains("\"prefix\" : \"10.9.0.0/16\"") && json.contains("\"type\" : \"added\"") && json.contains("\"type\" : \"config\"")
                && json.contains("\"type\" : \"connected\"") && json.contains("\"gateway\" : \"172.31.0.254\""), json);

        // the same network again through another gateway replaces it, and the header follows
        run(false, "add", "10.9.1.7/16", "br-phy", "172.31.0.253");
        assertEquals(0x02_31_00_00_00_fdL, vx0.egress().header().spec().dstMac());
        assertEquals(1, run(false).lines().filter(l -> l.contains("10.9.0.0/16")).count(), run(false));

        // on link: the next hop is the remote itself
        run(false, "add", "10.9.0.0/16", "br-phy");
        assertEquals(0x02_09_00_00_00_02L, vx0.egress().header().spec().dstMac());
        assertTrue(run(false).lines().anyMatch(l -> l.equals("User: 10.9.0.0/16 dev br-phy SRC 172.31.0.1")), run(false));

        assertEquals("", run(false, "del", "10.9.0.0/16"));
        assertNull(vx0.egress());
        assertTrue(vx0.status().contains("no route to 10.9.0.2"), vx0.status());
        assertFalse(run(false).contains("10.9.0.0/16"), run(false));
    }

    @Test
    void anIpv6RouteAndALongerPrefixWins() {
        run(false, "add", "fd00:99::/32", "br-phy", "fd00:31::fe");
        assertTrue(run(false).lines().anyMatch(l -> l.equals("User: fd00:99::/32 dev br-phy GW fd00:31::fe SRC fd00:31::1")), run(false));
        run(false, "add", "10.0.0.0/8", "br-phy", "172.31.0.253");
        run(false, "add", "10.9.0.0/24", "br-phy", "172.31.0.254");
        assertEquals(0x02_31_00_00_00_feL, vx0.egress().header().spec().dstMac(), "the /24 beats the /8");
        run(false, "del", "10.9.0.0/24");
        assertEquals(0x02_31_00_00_00_fdL, vx0.egress().header().spec().dstMac(), "then the /8");
    }

    @Test
    void routesOfADeletedUnderlayBridgeGoWithIt() {
        run(false, "add", "10.9.0.0/16", "br-phy", "172.31.0.254");
        bridges.remove("br-phy");
        tunnels.rebuild(bridges.values());
        assertFalse(tunnels.routesText().contains("10.9.0.0"), tunnels.routesText());
    }

    @Test
    void badInputIsRefusedWithAMessage() {
        assertTrue(error("add", "10.9.0.0/16", "br0", "172.31.0.254").contains("bridge br0 has no tunnel endpoint"), error("add", "10.9.0.0/16", "br0"));
        assertTrue(error("add", "10.9.0.0/16", "nope").contains("no bridge named \"nope\""));
        assertTrue(error("add", "10.9.0.0/16", "br-phy", "192.168.1.1").contains("gateway 192.168.1.1 is not on a network of bridge br-phy"),
                error("add", "10.9.0.0/16", "br-phy", "192.168.1.1"));
        assertTrue(error("add", "10.9.0.0/16", "br-phy", "fd00:31::fe").contains("not of the same family"));
        assertTrue(error("add", "10.9.0.0/16", "br-phy", "172.31.0.1").contains("172.31.0.1 is bridge br-phy's own address"),
                error("add", "10.9.0.0/16", "br-phy", "172.31.0.1"));
        assertTrue(error("add", "10.9.0.0", "br-phy").contains("needs a prefix length"));
        assertTrue(error("add", "10.9.0.300/16", "br-phy").contains("10.9.0.300"), error("add", "10.9.0.300/16", "br-phy"));
        assertTrue(error("add", "10.9.0.0/40", "br-phy").contains("40"), error("add", "10.9.0.0/40", "br-phy"));
        assertTrue(error("add", "10.9.0.0/16", "br-phy", "host.example").contains("host.example"));
        assertTrue(error("add", "172.31.0.0/24", "br-phy", "172.31.0.254").contains("own network"));
        assertTrue(error("add", "10.8.0.0/16", "br-phy", "172.31.0.254").contains("config (routes:)"));
        assertTrue(error("add", "10.9.0.0/16").contains("needs a destination network and a bridge"));
        assertTrue(error("add", "10.9.0.0/16", "br-phy", "172.31.0.254", "x").contains("needs a destination network and a bridge"));
        assertTrue(error("del", "10.9.0.0/16").contains("no route to 10.9.0.0/16"));
        assertTrue(error("del", "10.8.0.0/16").contains("remove it there and restart"));
        assertTrue(error("del", "172.31.0.0/24").contains("connected route"));
        assertTrue(error("del").contains("one destination network"));
        assertTrue(error("flush").contains("unknown subcommand"));
        assertTrue(assertThrows(ControlException.class, () -> run(true, "add", "10.9.0.0/16", "br-phy")).getMessage().contains("--format json"));
        // nothing refused changed the table: the two connected routes and the config's one
        assertEquals(3, run(false).lines().filter(l -> l.startsWith("Connected:") || l.startsWith("User:")).count(), run(false));
        assertNull(vx0.egress());
    }
}
