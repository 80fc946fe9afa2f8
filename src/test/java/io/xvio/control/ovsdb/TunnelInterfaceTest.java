package io.xvio.control.ovsdb;

import io.xvio.control.Config;
import io.xvio.datapath.tunnel.TunnelConfig;
import io.xvio.datapath.tunnel.TunnelType;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Interface rows of type vxlan and geneve (issue 18 x issue 16): OVS's tunnel options become the tunnel port's
 * options as in the YAML file, including what OVN (remote_ip, key=flow, csum) and the OpenStack OVS agent
 * (in_key/out_key=flow, local_ip, df_default, egress_pkt_mark=0) write; what xvio cannot honour is the row's error.
 */
class TunnelInterfaceTest {
    static final Path DIR = Path.of("/var/run/openvswitch");

    static TunnelConfig tunnel(String name, String type, Map<String, String> options) {
        Config.PortConfig pc = InterfaceConfig.toPort(name, type, options, 7, DIR);
        assertEquals(type, pc.type());
        assertEquals(7, pc.ofport());
        assertNull(pc.device());
        return pc.tunnel();
    }

    static String error(String type, Map<String, String> options) {
        return assertThrows(IllegalArgumentException.class, () -> InterfaceConfig.toPort("t", type, options, 1, DIR)).getMessage();
    }

    @Test
    void vxlanAndGeneveRowsBecomeTunnelPorts() throws Exception {
        TunnelConfig vx = tunnel("vx0", "vxlan", Map.of("remote_ip", "172.31.0.2", "key", "100", "dst_port", "4790", "csum", "true",
                "tos", "inherit", "ttl", "32", "df_default", "false"));
        assertEquals(new TunnelConfig(TunnelType.VXLAN, InetAddress.getByName("172.31.0.2"), null, 100, 4790, true,
                TunnelConfig.INHERIT, 32, false), vx);
        TunnelConfig plain = tunnel("vx1", "vxlan", Map.of("remote_ip", "172.31.0.3"));
        assertEquals(TunnelConfig.of(TunnelType.VXLAN, InetAddress.getByName("172.31.0.3"), 0), plain, "OVS's defaults");
        // OVN's chassis tunnels
        TunnelConfig ovn = tunnel("ovn-chass-0", "geneve", Map.of("remote_ip", "172.31.0.4", "key", "flow", "csum", "true"));
        assertEquals(TunnelType.GENEVE, ovn.type());
        assertEquals(6081, ovn.dstPort());
        assertTrue(ovn.keyFromFlow() && ovn.csum());
        // the OpenStack OVS agent's
        TunnelConfig neutron = tunnel("vxlan-ac1f0005", "vxlan", Map.of("remote_ip", "172.31.0.5", "local_ip", "172.31.0.1",
                "in_key", "flow", "out_key", "flow", "df_default", "true", "egress_pkt_mark", "0"));
        assertTrue(neutron.keyFromFlow());
        assertEquals(InetAddress.getByName("172.31.0.1"), neutron.localIp());
        assertEquals(200, tunnel("g", "geneve", Map.of("remote_ip", "flow", "in_key", "200", "out_key", "200")).key());
        assertTrue(InterfaceConfig.TYPES.contains("vxlan") && InterfaceConfig.TYPES.contains("geneve"));
    }

    @Test
    void optionsXvioCannotHonourAreTheRowsError() {
        assertEquals("vxlan: options: missing \"remote_ip\" (an IPv4 or IPv6 address, or flow)", error("vxlan", Map.of("key", "5")));
        assertEquals("vxlan: options.key: 16777216 is outside 0..16777215", error("vxlan", Map.of("remote_ip", "1.2.3.4", "key", "16777216")));
        assertTrue(error("geneve", Map.of("remote_ip", "1.2.3.4", "remote_name", "x")).contains("unknown tunnel option \"remote_name\""));
        assertEquals("vxlan: options:ofport is not a tunnel option", error("vxlan", Map.of("remote_ip", "1.2.3.4", "ofport", "3")));
        assertTrue(error("vxlan", Map.of("remote_ip", "1.2.3.4", "in_key", "flow", "out_key", "5")).contains("in_key=flow and out_key=5 differ"));
        assertTrue(error("vxlan", Map.of("remote_ip", "1.2.3.4", "in_key", "flow")).contains("in_key=flow and out_key=null differ"));
        assertTrue(error("vxlan", Map.of("remote_ip", "1.2.3.4", "key", "1", "in_key", "1", "out_key", "1")).contains("give one or the other"));
        assertTrue(error("vxlan", Map.of("remote_ip", "1.2.3.4", "egress_pkt_mark", "7")).contains("egress_pkt_mark=7 is not supported"));
        assertTrue(error("geneve", Map.of("remote_ip", "224.0.0.1")).contains("is not a unicast address"));
    }
}
