package io.xvio.control;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** A port's mtu key (OVS's mtu_request): taken by vhostuser and tap ports, range-checked, refused elsewhere with why. */
class MtuConfigTest {
    private static Config parse(String ports) {
        return Config.parse("bridges:\n  br0:\n    ip: 192.0.2.1/24\n    ports:\n" + ports.indent(6), "x.yaml");
    }

    private static String error(String ports) {
        return assertThrows(ConfigException.class, () -> parse(ports)).getMessage();
    }

    @Test
    void vhostUserAndTapPortsTakeAnMtuAndKeepItThroughTheOtherKeys() {
        var ports = parse("""
                vh1: {type: vhostuser, path: /tmp/a.sock, mtu: 1600, queues: 2, offloads: true, pmd-cpu: 0, ingress-policing-rate: 1000}
                vh2: {type: vhostuser, path: /tmp/b.sock}
                t0: {type: tap, mtu: 9000}
                t1: {type: tap}
                lo: {type: vhostuser, path: /tmp/c.sock, mtu: 68}
                """.replace("pmd-cpu: 0, ", "")).bridges().get("br0").ports();
        assertEquals(1600, ports.get("vh1").mtu());
        assertEquals(1000, ports.get("vh1").policing().ingressRateKbps(), "the other keys still apply");
        assertTrue(ports.get("vh1").offloads());
        assertEquals(1, ports.get("vh1").ofport(), "withOfport keeps the mtu");
        assertEquals(0, ports.get("vh2").mtu(), "none given: the type's default");
        assertEquals(9000, ports.get("t0").mtu());
        assertEquals(0, ports.get("t1").mtu());
        assertEquals(68, ports.get("lo").mtu());
        assertEquals(1500, MtuSetting.orDefault(0));
        assertEquals(1600, MtuSetting.orDefault(1600));
    }

    @Test
    void outOfRangeOrNotANumberIsRefusedWithTheKeyPath() {
        assertEquals("x.yaml: bridges.br0.ports.vh1.mtu: 67 is outside 68.." + MtuSetting.MAX,
                error("vh1: {type: vhostuser, path: /tmp/a.sock, mtu: 67}"));
        assertEquals("x.yaml: bridges.br0.ports.vh1.mtu: 65536 is outside 68.." + MtuSetting.MAX,
                error("vh1: {type: vhostuser, path: /tmp/a.sock, mtu: 65536}"));
        assertEquals("x.yaml: bridges.br0.ports.t.mtu must be an integer, not \"big\"", error("t: {type: tap, mtu: big}"));
        assertTrue(error("t: {type: tap, mtu: 1500.5}").contains("t.mtu must be an integer"));
        assertTrue(MtuSetting.MAX + 22 <= io.xvio.packet.PacketBatch.MAX_FRAME, "the largest MTU's frame fits a slot with two VLAN tags");
    }

    @Test
    void portsThatFollowAKernelInterfaceOrHaveNoMtuRefuseItSayingWhy() {
        String af = error("up: {type: afpacket, device: veth0, mtu: 1600}");
        assertTrue(af.startsWith("x.yaml: bridges.br0.ports.up.mtu: an afpacket port takes the MTU of the interface it attaches to"), af);
        assertTrue(af.contains("ip link set DEV mtu N"), af);
        assertTrue(error("up: {type: afxdp, device: veth0, mtu: 1600}").contains("an afxdp port takes the MTU of the interface"));
        assertTrue(error("p: {type: patch, peer: q, mtu: 1600}").contains("p.mtu: a patch port has no MTU of its own"));
        String vx = error("vx: {type: vxlan, remote_ip: 192.0.2.2, mtu: 1600}");
        assertTrue(vx.contains("vx.mtu: a vxlan port has no MTU of its own (the mtu of its underlay bridge's uplink"), vx);
        assertTrue(error("x: {type: gre, mtu: 1600}").contains("unknown port type \"gre\""), "an unknown type is named as such");
    }

    @Test
    void ovsdbMtuRequestIsCheckedTheSameWay() {
        assertEquals(0, MtuSetting.fromRequest(null, "afpacket"), "no mtu_request: nothing to refuse");
        assertEquals(1600, MtuSetting.fromRequest(1600L, "vhostuser"));
        assertEquals(9000, MtuSetting.fromRequest(9000L, "tap"));
        assertEquals("mtu_request 0 is outside 68.." + MtuSetting.MAX,
                assertThrows(IllegalArgumentException.class, () -> MtuSetting.fromRequest(0L, "vhostuser")).getMessage());
        String af = assertThrows(IllegalArgumentException.class, () -> MtuSetting.fromRequest(1600L, "afpacket")).getMessage();
        assertTrue(af.startsWith("mtu_request: an afpacket port takes the MTU of the interface it attaches to"), af);
        assertTrue(af.endsWith("then clear mtu_request"), af);
    }
}
