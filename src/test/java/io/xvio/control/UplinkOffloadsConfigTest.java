package io.xvio.control;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Key offloads on tap and afpacket ports (issue 19): on unless a port says {@code offloads: false}, which survives
 * the rest of the port's keys (pmd-cpu, policing, mtu, an ofport given later); refused on afxdp ports, which carry
 * no offload state, and refused when not a boolean.
 */
class UplinkOffloadsConfigTest {
    @Test
    void uplinkOffloadsAreOnUnlessAPortTurnsThemOff() {
        Config c = Config.parse("""
                bridges:
                  br0:
                    ports:
                      t1: {type: tap}
                      t2: {type: tap, name: xt2, offloads: false, mtu: 1600, ingress-policing-rate: 1000}
                      p1: {type: afpacket, device: veth1}
                      p2: {type: afpacket, device: veth2, offloads: false}
                      p3: {type: afpacket, device: veth3, offloads: true}
                """, "x.yaml");
        var ports = c.bridges().get("br0").ports();
        assertFalse(ports.get("t1").uplinkOffloadsOff());
        assertTrue(ports.get("t2").uplinkOffloadsOff());
        assertEquals(1600, ports.get("t2").mtu());
        assertFalse(ports.get("p1").uplinkOffloadsOff());
        assertTrue(ports.get("p2").uplinkOffloadsOff());
        assertFalse(ports.get("p3").uplinkOffloadsOff());
        assertTrue(ports.get("p2").ofport() > 0, "an ofport assigned afterwards keeps the key");
    }

    @Test
    void badValuesAndAfXdpPortsAreRefusedWithTheReason() {
        assertTrue(error("bridges:\n  br0:\n    ports:\n      p: {type: afpacket, device: v1, offloads: maybe}\n")
                .contains("bridges.br0.ports.p.offloads must be true or false"));
        assertTrue(error("bridges:\n  br0:\n    ports:\n      x: {type: afxdp, device: v1, offloads: false}\n")
                .contains("an afxdp port carries no offload state"));
    }

    private static String error(String yaml) {
        return assertThrows(ConfigException.class, () -> Config.parse(yaml, "bad.yaml")).getMessage();
    }
}
