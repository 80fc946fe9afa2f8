package io.xvio.control.ovsdb;

import io.xvio.control.Config;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** OVS interface types as xvio ports, the errors OVSDB rows get, and pmd-cpu-mask. */
class InterfaceConfigTest {
    static final Path DIR = Path.of("/var/run/openvswitch");

    @Test
    void eachOvsTypeBecomesAnXvioPort() {
        Config.PortConfig s = InterfaceConfig.toPort("vhu1", "dpdkvhostuser", Map.of(), 3, DIR);
        assertEquals(List.of("vhostuser", "server", "/var/run/openvswitch/vhu1", 3), List.of(s.type(), s.mode(), s.path(), s.ofport()));
        Config.PortConfig c = InterfaceConfig.toPort("vhu2", "dpdkvhostuserclient", Map.of("vhost-server-path", "/tmp/q.sock", "n_rxq", "2"), 4, DIR);
        assertEquals(List.of("vhostuser", "client", "/tmp/q.sock", 2), List.of(c.type(), c.mode(), c.path(), c.queues()));
        assertTrue(s.offloads() && c.offloads(), "vhost-user ports offer offloads unless userspace-tso-enable=false");
        assertEquals("afpacket", InterfaceConfig.toPort("eth1", "", Map.of(), 1, DIR).type());
        assertEquals("afpacket", InterfaceConfig.toPort("eth1", "system", Map.of(), 1, DIR).type());
        assertEquals("eth1", InterfaceConfig.toPort("eth1", "afxdp", Map.of(), 1, DIR).device());
        assertEquals("tap", InterfaceConfig.toPort("br0", "internal", Map.of(), 65534, DIR).type());
        assertEquals("tap", InterfaceConfig.toPort("tap9", "tap", Map.of(), 2, DIR).type());
    }

    @Test
    void userspaceTsoEnableFalseTurnsTheVhostUserPortsOffloadsOff() {
        // OVS's smap_get_bool(..., false): only "true" (any case) enables; xvio's default (unset) is on
        assertTrue(UserspaceTso.offloads(null));
        assertTrue(UserspaceTso.offloads("true"));
        assertTrue(UserspaceTso.offloads("TRUE"));
        assertFalse(UserspaceTso.offloads("false"));
        assertFalse(UserspaceTso.offloads("False"));
        assertFalse(UserspaceTso.offloads("yes"));
        assertNull(UserspaceTso.describe(null));
        assertTrue(UserspaceTso.describe("yes").contains("read as false, as OVS does"), UserspaceTso.describe("yes"));
        assertTrue(UserspaceTso.changed(null, "false").contains("needs a restart"));
        for (String type : List.of("dpdkvhostuser", "dpdkvhostuserclient")) {
            Config.PortConfig off = InterfaceConfig.toPort("vhu3", type, Map.of("vhost-server-path", "/tmp/q.sock"), 1, DIR, false);
            Config.PortConfig on = InterfaceConfig.toPort("vhu3", type, Map.of("vhost-server-path", "/tmp/q.sock"), 1, DIR, true);
            assertEquals(List.of(false, true), List.of(off.offloads(), on.offloads()), type);
        }
    }

    @Test
    void aPatchInterfaceNeedsOnePeerNotItself() {
        Config.PortConfig p = InterfaceConfig.toPort("patch-a", "patch", Map.of("peer", "patch-b"), 5, DIR);
        assertEquals(List.of("patch", "patch-b", 5), List.of(p.type(), p.peer(), p.ofport()));
        // netdev-vport.c's set_patch_config texts, which OVS writes into the Interface's error column
        assertEquals("p: patch type requires valid 'peer' argument",
                assertThrows(IllegalArgumentException.class, () -> InterfaceConfig.toPort("p", "patch", Map.of(), 1, DIR)).getMessage());
        assertEquals("p: patch type takes only a 'peer' argument",
                assertThrows(IllegalArgumentException.class, () -> InterfaceConfig.toPort("p", "patch", Map.of("peer", "q", "x", "1"), 1, DIR)).getMessage());
        assertEquals("p: patch peer must not be self",
                assertThrows(IllegalArgumentException.class, () -> InterfaceConfig.toPort("p", "patch", Map.of("peer", "p"), 1, DIR)).getMessage());
    }

    @Test
    void rowsXvioCannotServeSayWhy() {
        assertEquals("interface type \"stt\" is not supported by xvio (supported: " + InterfaceConfig.TYPES + ")",
                assertThrows(IllegalArgumentException.class, () -> InterfaceConfig.toPort("p", "stt", Map.of(), 1, DIR)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> InterfaceConfig.toPort("v", "dpdkvhostuserclient", Map.of(), 1, DIR))
                .getMessage().contains("needs options:vhost-server-path"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> InterfaceConfig.toPort("averyveryverylongname", "system", Map.of(), 1, DIR))
                .getMessage().contains("is not a valid Linux interface name"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> InterfaceConfig.toPort("v", "dpdkvhostuser", Map.of(), 1, Path.of("/" + "d".repeat(120))))
                .getMessage().contains("longer than 107 bytes"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> InterfaceConfig.toPort("x", "afxdp", Map.of("n_rxq", "4"), 1, DIR))
                .getMessage().contains("n_rxq=4 is not supported"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> InterfaceConfig.toPort("x", "afxdp", Map.of("xdp-mode", "zerocopy"), 1, DIR))
                .getMessage().contains("xdp-mode=zerocopy is not one of best-effort, native-with-zerocopy, native, generic"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> InterfaceConfig.toPort("x", "afxdp", Map.of("xdp-mode", "NATIVE-with-zerocopy"), 1, DIR))
                .getMessage().contains("xvio's AF_XDP sockets are copy mode"));
    }

    @Test
    void afxdpOptionsAsOvsReadsThem() {
        for (String mode : List.of("best-effort", "Best-Effort", "native", "generic"))
            assertEquals("afxdp", InterfaceConfig.toPort("x", "afxdp", Map.of("xdp-mode", mode), 1, DIR).type(), mode);
        assertEquals(List.of(), AfxdpOptions.notHonoured(Map.of("xdp-mode", "best-effort", "use-need-wakeup", "true")));
        assertEquals(List.of(), AfxdpOptions.notHonoured(Map.of("use-need-wakeup", "no")), "OVS reads anything but false as true");
        assertEquals(1, AfxdpOptions.notHonoured(Map.of("xdp-mode", "native")).size());
        assertEquals(2, AfxdpOptions.notHonoured(Map.of("xdp-mode", "generic", "use-need-wakeup", "FALSE")).size());
    }

    @Test
    void pmdCpuMasks() {
        assertEquals(List.of(1), PmdCpuMask.parse("0x2"));
        assertEquals(List.of(1, 2), PmdCpuMask.parse("6"));
        assertEquals(List.of(0, 8), PmdCpuMask.parse("0x101"));
        assertThrows(IllegalArgumentException.class, () -> PmdCpuMask.parse("0x0"));
        assertThrows(IllegalArgumentException.class, () -> PmdCpuMask.parse("cpu1"));
    }
}
