package io.xvio.control;

import io.xvio.datapath.FlowParser;
import io.xvio.datapath.Outputs;
import io.xvio.datapath.PortVlan;
import io.xvio.datapath.tunnel.TunnelConfig;
import io.xvio.packet.FlowKey;
import io.xvio.packet.PacketBatch;
import io.xvio.port.TunnelPort;
import io.xvio.testing.InertPort;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A mirror that copies a port's transmit to a tunnel port reading the flow key (key=flow): the packets sent to that
 * port get their own keys from then on (the copy leaves with their tunnel key, not one an earlier packet left in the
 * slot), including translations cached before the mirror; once the mirror is gone, the cheap header-free replay
 * returns.
 */
class MirrorsKeyedTest {
    private final Bridge br = new Bridge("br0");
    private final Mirrors mirrors = new Mirrors();

    MirrorsKeyedTest() {
        br.ports.add(new InertPort("vm1") { @Override public int ofport() { return 1; } });
        br.ports.add(new InertPort("vm2") { @Override public int ofport() { return 2; } });
        br.ports.add(new TunnelPort("vx0", 3, TunnelConfig.parse(Map.of("type", "vxlan", "remote_ip", "10.9.0.2", "key", "flow"), "vx0")));
        for (int i = 0; i < 3; i++) br.vlans.add(PortVlan.TRUNK_ALL);
        br.setFlows(List.of(FlowParser.parse("in_port=1,actions=output:2")));
    }

    /** Sends two frames from vm1 (to vm2) three times, every slot's key first as a decapsulated packet left it; whether the last pass's keys stayed stale. */
    private boolean keysStayStale() {
        PacketBatch b = new PacketBatch();
        for (int pass = 0; pass < 3; pass++) {
            b.reset();
            for (int i = 0; i < 2; i++) {
                for (int k = 0; k < 64; k++) b.data.set(JAVA_BYTE, b.off[i] + k, (byte) (k == 12 ? 0x08 : k == 5 ? 2 : 0));
                b.len[i] = 64;
            }
            b.count = 2;
            for (FlowKey k : b.keys) {
                k.w[FlowKey.TUN_ID] = 555;
                k.extended = true;
            }
            Outputs out = new Outputs(8);
            br.datapath.process(0, b, out, 0, System.nanoTime());
            assertEquals(2, out.countFor(1), "vm1's frames go to vm2");
        }
        return b.keys[0].extended && b.keys[1].extended;
    }

    @Test
    void aTxMirrorToAKeyFlowTunnelPortMakesTheMirroredPortsPacketsCarryTheirOwnKey() {
        assertTrue(keysStayStale(), "no mirror: the header-free replay leaves the keys alone (this test can tell)");
        mirrors.add(br, MirrorConfig.fromCommand("m0", List.of("select-dst-port=vm2", "output-port=vx0"), Mirrors.portNames(br)));
        assertFalse(keysStayStale(), "mirrored to vx0 (key=flow): VNI 555 of an earlier packet would go with the copy");
        mirrors.remove(br, "m0");
        assertTrue(keysStayStale(), "the mirror gone: header-free again");

        mirrors.add(br, MirrorConfig.fromCommand("m1", List.of("select-all=true", "output-port=vx0"), Mirrors.portNames(br)));
        assertFalse(keysStayStale(), "select-all selects vm2's transmit too");
        mirrors.remove(br, "m1");
    }

    /** del-mirror on a bridge that never had a mirror (found by ControlCommandProperties: it threw UnsupportedOperationException). */
    @Test
    void deletingAMirrorThatIsNotThereSaysSo() {
        ControlException e = assertThrows(ControlException.class, () -> mirrors.remove(br, "m9"));
        assertEquals("bridge br0 has no mirror m9", e.getMessage());
    }

    @Test
    void aMirrorToAPortThatReadsNoKeyKeepsTheHeaderFreeReplay() {
        mirrors.add(br, MirrorConfig.fromCommand("m0", List.of("select-dst-port=vm2", "output-port=vm1"), Mirrors.portNames(br)));
        assertTrue(keysStayStale());
    }
}
