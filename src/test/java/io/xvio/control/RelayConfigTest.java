package io.xvio.control;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** relays: and pmd-auto-lb: in the config file and in add-relay's arguments. */
class RelayConfigTest {
    private static String error(String yaml) {
        return assertThrows(ConfigException.class, () -> Config.parse(yaml, "x.yaml")).getMessage();
    }

    @Test
    void aRelayOnlyConfigParses() {
        Config c = Config.parse("""
                relays:
                  vm1: {vhost: {path: /tmp/vm1.sock, mode: server, queues: 2}, vf: {device: eth1v0, type: afxdp, queue: 3}}
                  vm2: {vhost: {path: /tmp/vm2.sock}, vf: {device: eth2, type: afpacket}}
                """, "x.yaml");
        assertTrue(c.bridges().isEmpty());
        RelayConfig r = c.relays().get("vm1");
        assertEquals("/tmp/vm1.sock", r.vhost().path());
        assertEquals(2, r.vhost().queues());
        assertEquals("afxdp", r.vf().type());
        assertEquals("eth1v0", r.vf().device());
        assertEquals(3, r.vf().queue());
        assertEquals(-1, r.vmToVf());
        assertEquals(1, c.relays().get("vm2").vhost().queues(), "one queue pair unless told");
        assertEquals(AutoLbConfig.DEFAULT, c.autoLb());
    }

    @Test
    void badRelaysAreRejectedWithTheirKeyPath() {
        assertTrue(error("relays:\n  vm1: {vhost: {path: /tmp/a.sock}}\n").contains("relays.vm1: missing \"vf\""));
        assertTrue(error("relays:\n  vm1: {vhost: {path: /tmp/a.sock}, vf: {type: afxdp}}\n").contains("relays.vm1.vf: missing \"device\""));
        assertTrue(error("relays:\n  vm1: {vhost: {path: /tmp/a.sock}, vf: {device: e1, type: tap}}\n").contains("relays.vm1.vf.type: \"tap\" is not a VF port type"));
        assertTrue(error("relays:\n  vm1: {vhost: {path: /tmp/a.sock}, vf: {device: e1, type: afpacket, queue: 1}}\n").contains("unknown key \"queue\""));
        assertTrue(error("relays:\n  vm1: {vhost: {path: /tmp/a.sock}, vf: {device: e1, type: afpacket}, cpus: {vm-to-vf: 7}}\n")
                .contains("relays.vm1.cpus.vm-to-vf: CPU 7 is not available to PMD threads"));
        assertTrue(error("relays:\n  vm1: {vhost: {path: /tmp/a.sock}, vf: {device: e1, type: afpacket}, cpus: {up: 0}}\n").contains("unknown key \"up\""));
        assertTrue(error("relays:\n  vm1: {vhost: {path: /tmp/a.sock}, vf: {device: e1, type: afpacket}}\n  vm2: {vhost: {path: /tmp/a.sock}, vf: {device: e2, type: afpacket}}\n")
                .contains("relays.vm2.vhost.path: /tmp/a.sock is used by another port or relay"));
    }

    @Test
    void aRelayNameOrInterfaceTakenByABridgePortIsRefused() {
        String br = "bridges:\n  br0:\n    ports:\n      vm1: {type: afpacket, device: e9}\n";
        assertTrue(error(br + "relays:\n  vm1: {vhost: {path: /tmp/a.sock}, vf: {device: e1, type: afpacket}}\n").contains("relays.vm1: the name is a bridge port's"));
        assertTrue(error(br + "relays:\n  r1: {vhost: {path: /tmp/a.sock}, vf: {device: e9, type: afxdp}}\n").contains("interface e9 is used by another port or relay"));
    }

    @Test
    void pinsMustBePmdCpus() {
        Config c = Config.parse("pmd-cpus: [0]\nrelays:\n  vm1: {vhost: {path: /tmp/a.sock}, vf: {device: e1, type: afpacket}, cpus: {vm-to-vf: 0, vf-to-vm: 0}}\n", "x.yaml");
        assertEquals(0, c.relays().get("vm1").vmToVf());
        assertEquals(0, c.relays().get("vm1").vfToVm());
    }

    @Test
    void autoLbSettings() {
        String b = "bridges:\n  br0: {}\n";
        assertEquals(new AutoLbConfig(true, 2, 10), Config.parse(b + "pmd-auto-lb: {interval: 2, improvement-threshold: 10}\n", "x").autoLb());
        assertFalse(Config.parse(b + "pmd-auto-lb: false\n", "x").autoLb().enabled());
        assertTrue(error(b + "pmd-auto-lb: {interval: 0}\n").contains("pmd-auto-lb.interval (seconds): 0 is outside 1..3600"));
        assertTrue(error(b + "pmd-auto-lb: {improvement-threshold: 101}\n").contains("outside 0..100"));
        assertTrue(error(b + "pmd-auto-lb: yes please\n").contains("pmd-auto-lb must be true, false or a mapping"));
    }

    @Test
    void addRelayTakesKeyValueWordsOrOneMapping() {
        RelayConfig a = RelayConfig.fromCommand("vm1", List.of("vhost.path=/tmp/x.sock", "vhost.queues=2", "vf.device=eth1", "vf.type=afxdp"), List.of());
        RelayConfig b = RelayConfig.fromCommand("vm1", List.of("{\"vhost\": {\"path\": \"/tmp/x.sock\", \"queues\": 2}, \"vf\": {\"device\": \"eth1\", \"type\": \"afxdp\"}}"), List.of());
        RelayConfig c = RelayConfig.fromCommand("vm1", List.of("{vhost: {path: /tmp/x.sock, queues: 2}, vf: {device: eth1, type: afxdp}}"), List.of());
        assertEquals(a, b);
        assertEquals(a, c);
        assertTrue(assertThrows(ConfigException.class, () -> RelayConfig.fromCommand("vm1", List.of("path=/tmp/x"), List.of())).getMessage()
                .contains("keys are SECTION.KEY"));
        assertTrue(assertThrows(ConfigException.class, () -> RelayConfig.fromCommand("vm1", List.of("vhost.path=/x", "vf.device=e", "vf.type=afxdp", "cpus.vm-to-vf=3"), List.of(0, 1)))
                .getMessage().contains("CPU 3 is not available to PMD threads (pmd-cpus: 0-1)"));
    }

    @Test
    void aBridgePortCanBePinnedToAPmdCpu() {
        Config c = Config.parse("pmd-cpus: [0]\nbridges:\n  br0:\n    ports:\n      v1: {type: vhostuser, path: /tmp/a.sock, pmd-cpu: 0}\n"
                + "      u1: {type: afpacket, device: e1, pmd-cpu: 0}\n      v2: {type: vhostuser, path: /tmp/b.sock}\n", "x.yaml");
        assertEquals(0, c.bridges().get("br0").ports().get("v1").pmdCpu());
        assertEquals(0, c.bridges().get("br0").ports().get("u1").pmdCpu());
        assertEquals(-1, c.bridges().get("br0").ports().get("v2").pmdCpu());
        assertEquals(3, c.bridges().get("br0").ports().get("v2").ofport(), "the pin survives the ofport numbering");
        assertEquals(0, c.bridges().get("br0").ports().get("u1").pmdCpu());
        assertTrue(error("bridges:\n  br0:\n    ports:\n      v1: {type: vhostuser, path: /tmp/a.sock, pmd-cpu: 0}\n")
                .contains("bridges.br0.ports.v1.pmd-cpu: CPU 0 is not available to PMD threads (pmd-cpus: none"));
    }
}
