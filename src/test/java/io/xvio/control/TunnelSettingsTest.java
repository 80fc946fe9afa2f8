package io.xvio.control;

import io.xvio.datapath.tunnel.TunnelType;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TunnelSettingsTest {
    static TunnelSettings parse(String yaml) {
        Map<?, ?> root = (Map<?, ?>) new Load(LoadSettings.builder().build()).loadFromString(yaml);
        return TunnelSettings.parse((Map<?, ?>) root.get("bridges"), "x.yaml");
    }

    /** The issue's example file. */
    @Test
    void issueExample() {
        TunnelSettings s = parse("""
                bridges:
                  br-int:
                    ports:
                      vm1: {type: vhostuser, path: /tmp/vm1.sock, mode: server, ofport: 1}
                      vx0: {type: vxlan, remote_ip: 172.31.0.2, key: 100, ofport: 10}
                  br-phy:
                    ip: 172.31.0.1/24
                    routes: [{dst: 0.0.0.0/0, via: 172.31.0.254}]
                    ports:
                      up0: {type: afxdp, device: eth1}
                """);
        assertEquals(TunnelType.VXLAN, s.tunnelPorts().get("br-int").get("vx0").type());
        assertEquals(1, s.tunnelPorts().size());
        assertEquals("""
                Route Table:
                Connected: 172.31.0.0/24 dev br-phy SRC 172.31.0.1
                User: 0.0.0.0/0 dev br-phy GW 172.31.0.254 SRC 172.31.0.1
                """, s.routes().text());
        TunnelSettings none = parse("bridges: {br0: {ports: {a: {type: tap}}}}");
        assertTrue(none.routes().routes().isEmpty() && none.underlays().isEmpty() && none.tunnelPorts().isEmpty());
    }

    static String error(String yaml) { return assertThrows(ConfigException.class, () -> parse(yaml)).getMessage(); }

    @Test
    void ipKernelIsAnUnderlayWhoseAddressesAndRoutesComeLater() {
        TunnelSettings s = parse("bridges: {br-int: {ports: {vx0: {type: vxlan, remote_ip: 10.0.0.2, local_ip: 10.0.0.1}}}, br-phy: {ip: kernel, ports: {up0: {type: afpacket, device: eth1}}}}");
        assertTrue(s.underlays().get("br-phy").kernel() && s.underlays().get("br-phy").addresses().isEmpty(), s.underlays().toString());
        assertTrue(s.routes().routes().isEmpty(), "nothing until the kernel has it");
        assertEquals("x.yaml: bridges.br-phy: with ip: kernel the routes are the kernel's (ip route add DST via GW dev BRIDGE); remove routes:",
                error("bridges: {br-phy: {ip: kernel, routes: [{dst: 0.0.0.0/0, via: 10.9.0.1}]}}"));
        assertEquals("x.yaml: bridges.br-phy.ip: kernel: port br-phy has the bridge's name, which its internal interface takes",
                error("bridges: {br-phy: {ip: kernel, ports: {br-phy: {type: tap}}}}"));
        assertTrue(error("bridges: {br-phy-with-a-long-name: {ip: kernel}}").contains("no valid interface name"));
        assertTrue(error("bridges: {br-phy: {ip: [kernel]}}").contains("must be ADDR/LEN"));
    }

    @Test
    void errorsNameFileAndKey() {
        assertEquals("x.yaml: bridges.br-int.ports.vx0.key: 16777216 is outside 0..16777215",
                error("bridges: {br-int: {ports: {vx0: {type: vxlan, remote_ip: 10.0.0.2, key: 16777216}}}, br-phy: {ip: 10.0.0.1/24}}"));
        assertEquals("x.yaml: tunnel port vx0 needs an underlay: a bridge with ip: ADDR/LEN or ip: kernel (the tunnel endpoint) and an uplink port",
                error("bridges: {br-int: {ports: {vx0: {type: vxlan, remote_ip: 10.0.0.2}}}}"));
        assertEquals("x.yaml: port vx0: local_ip 10.0.0.9 is not an address of any bridge (give it in a bridge's ip:)",
                error("bridges: {br-int: {ports: {vx0: {type: vxlan, remote_ip: 10.0.0.2, local_ip: 10.0.0.9}}}, br-phy: {ip: 10.0.0.1/24}}"));
        assertEquals("x.yaml: tunnel ports vx0 and vx1 have the same type, dst_port, key, remote_ip and local_ip: packets could not be told apart",
                error("bridges: {br-int: {ports: {vx0: {type: vxlan, remote_ip: 10.0.0.2}, vx1: {type: vxlan, remote_ip: 10.0.0.2}}}, br-phy: {ip: 10.0.0.1/24}}"));
        assertEquals("x.yaml: bridges.br-phy.routes: via 10.9.0.1 (to 0.0.0.0/0) is not on a network of bridge br-phy (its ip: [10.0.0.1/24])",
                error("bridges: {br-phy: {ip: 10.0.0.1/24, routes: [{dst: 0.0.0.0/0, via: 10.9.0.1}]}}"));
    }
}
