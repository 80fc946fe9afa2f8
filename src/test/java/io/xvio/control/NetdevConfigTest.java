package io.xvio.control;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The tap and afpacket port shapes of the configuration, next to vhost-user ports. */
class NetdevConfigTest {
    private static Config parse(String ports) {
        return Config.parse("bridges:\n  br0:\n    ports:\n" + ports.indent(6), "x.yaml");
    }

    private static String error(String ports) {
        return assertThrows(ConfigException.class, () -> parse(ports)).getMessage();
    }

    @Test
    void tapAndAfpacketPortsParseBesideVhostUserPorts() {
        Config c = parse("""
                vh1: {type: vhostuser, path: /tmp/a.sock, ofport: 1}
                tap0: {type: tap, ofport: 2}
                t1: {type: tap, name: xtap1}
                up0: {type: afpacket, device: veth0, ofport: 7}
                """);
        var ports = c.bridges().get("br0").ports();
        assertEquals("tap", ports.get("tap0").type());
        assertEquals("tap0", ports.get("tap0").device(), "a tap is named after its port unless told");
        assertEquals(2, ports.get("tap0").ofport());
        assertEquals("xtap1", ports.get("t1").device());
        assertEquals(3, ports.get("t1").ofport(), "lowest free ofport");
        assertEquals("afpacket", ports.get("up0").type());
        assertEquals("veth0", ports.get("up0").device());
        assertEquals(7, ports.get("up0").ofport());
        assertNull(ports.get("vh1").device());
        assertEquals("/tmp/a.sock", ports.get("vh1").path());
    }

    @Test
    void badNetdevPortsAreRejectedWithTheirKeyPath() {
        assertTrue(error("up0: {type: afpacket}").contains("bridges.br0.ports.up0: missing \"device\""));
        assertTrue(error("up0: {type: afpacket, device: veth0, path: /x}").contains("bridges.br0.ports.up0: unknown key \"path\" (allowed: type, device, ofport)"));
        assertTrue(error("t: {type: tap, device: x}").contains("unknown key \"device\" (allowed: type, name, ofport)"));
        assertTrue(error("up0: {type: afpacket, device: \"a/b\"}").contains("bridges.br0.ports.up0.device: \"a/b\" is not a valid interface name"));
        assertTrue(error("up0: {type: afpacket, device: abcdefghijklmnop}").contains("is not a valid interface name"));
        assertTrue(error("""
                a: {type: afpacket, device: veth0}
                b: {type: afpacket, device: veth0}
                """).contains("bridges.br0.ports.b.device: interface veth0 is used by another port"));
        assertTrue(error("""
                veth0: {type: tap}
                b: {type: afpacket, device: veth0}
                """).contains("interface veth0 is used by another port"));
        assertTrue(error("""
                a: {type: tap, ofport: 1}
                b: {type: afpacket, device: v, ofport: 1}
                """).contains("bridges.br0.ports.b.ofport: 1 is used by another port of br0"));
        assertTrue(error("x: {type: gre}").contains("unknown port type \"gre\" (supported: vhostuser, tap, afpacket, afxdp, vxlan, geneve, patch)"));
        // a tunnel port's options are checked by TunnelSettings (issue 16)
        assertTrue(error("x: {type: vxlan}").contains("bridges.br0.ports.x: missing \"remote_ip\""), error("x: {type: vxlan}"));
    }

    @Test
    void afxdpPortsTakeADeviceAndAQueueThatDefaultsToZero() {
        Config c = parse("""
                x0: {type: afxdp, device: veth0}
                x1: {type: afxdp, device: eth1, queue: 3, ofport: 9}
                """);
        var ports = c.bridges().get("br0").ports();
        assertEquals("afxdp", ports.get("x0").type());
        assertEquals("veth0", ports.get("x0").device());
        assertEquals(0, ports.get("x0").queue());
        assertEquals(1, ports.get("x0").ofport());
        assertEquals(3, ports.get("x1").queue());
        assertEquals(9, ports.get("x1").ofport());
    }

    @Test
    void badAfxdpPortsAreRejectedWithTheirKeyPath() {
        assertTrue(error("x: {type: afxdp}").contains("bridges.br0.ports.x: missing \"device\""));
        assertTrue(error("x: {type: afxdp, device: v, queues: 2}").contains("bridges.br0.ports.x: unknown key \"queues\" (allowed: type, device, queue, ofport)"));
        assertTrue(error("x: {type: afpacket, device: v, queue: 2}").contains("unknown key \"queue\" (allowed: type, device, ofport)"), "queue is afxdp's only");
        assertTrue(error("x: {type: afxdp, device: v, queue: -1}").contains("bridges.br0.ports.x.queue: -1 is outside 0..4095"));
        assertTrue(error("x: {type: afxdp, device: v, queue: one}").contains("bridges.br0.ports.x.queue must be an integer"));
        assertTrue(error("x: {type: afxdp, device: \"a b\"}").contains("bridges.br0.ports.x.device: \"a b\" is not a valid interface name"));
        assertTrue(error("""
                a: {type: afpacket, device: veth0}
                b: {type: afxdp, device: veth0, queue: 1}
                """).contains("bridges.br0.ports.b.device: interface veth0 is used by another port"));
    }
}
