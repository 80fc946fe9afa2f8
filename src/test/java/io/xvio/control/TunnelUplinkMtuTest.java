package io.xvio.control;

import io.xvio.datapath.PortVlan;
import io.xvio.datapath.tunnel.TunnelConfig;
import io.xvio.datapath.tunnel.UnderlayConfig;
import io.xvio.port.Port;
import io.xvio.port.TunnelPort;
import io.xvio.port.VhostUserPort;
import io.xvio.util.Quiescence;
import io.xvio.vhost.VhostUserEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A tunnel whose underlay uplink is a vhost-user port (bench/tunnel.sh's vxlan-vhost): its egress MTU is that
 * port's mtu, so with mtu 1600 a 1500-byte inner IP packet (1514-byte frame + 50 bytes of VXLAN) goes out, and
 * without one it is too big for the 1500 the port assumes.
 */
class TunnelUplinkMtuTest {
    @TempDir Path dir;
    private final Tunnels tunnels = new Tunnels();
    private final Map<String, Bridge> bridges = new LinkedHashMap<>();

    @AfterEach
    void close() { tunnels.close(); }

    private TunnelPort rig(int uplinkMtu) {
        TunnelPort vx0 = new TunnelPort("vx0", 10, TunnelConfig.parse(Map.of("type", "vxlan", "remote_ip", "172.31.0.2", "key", "100"), "vx0"));
        Bridge brInt = new Bridge("br-int"), brPhy = new Bridge("br-phy");
        bridges.put("br-int", brInt);
        bridges.put("br-phy", brPhy);
        brInt.ports.add(vx0);
        brInt.vlans.add(PortVlan.TRUNK_ALL);
        Port up = new VhostUserPort("up0", 1, dir.resolve("up0.sock").toString(), VhostUserEndpoint.Mode.SERVER, 1,
                true, false, false, uplinkMtu, Quiescence.NONE, null);
        brPhy.ports.add(up);
        brPhy.vlans.add(PortVlan.TRUNK_ALL);
        tunnels.addUnderlay(brPhy, UnderlayConfig.parse(Map.of("ip", "172.31.0.1/24"), "br-phy"));
        tunnels.rebuild(bridges.values());
        TnlNeigh.run(List.of("tnl", "neigh", "set", "br-phy", "172.31.0.2", "02:31:00:00:00:02"), false, tunnels, bridges);
        assertNotNull(vx0.egress(), vx0.status());
        return vx0;
    }

    @Test
    void aVhostUserUplinkWithMtu1600CarriesFullSizeInnerFrames() {
        TunnelPort vx0 = rig(1600);
        assertEquals(1600, vx0.egress().mtu());
        assertTrue(vx0.egress().header().fits(1514, vx0.egress().mtu()), "a 1514-byte inner frame + 36 bytes of outer IP/UDP/VXLAN = 1550 <= 1600");
        assertFalse(vx0.egress().header().fits(1565, vx0.egress().mtu()), "a 1565-byte inner frame is one over");
        String underlay = vx0.details().get("underlay");
        assertTrue(underlay.contains("via up0, mtu 1600 (overlay frames up to 1564 bytes)"), underlay);
    }

    @Test
    void withoutAnMtuTheUplinkIs1500AndFullSizeInnerFramesAreTooBig() {
        TunnelPort vx0 = rig(0);
        assertEquals(1500, vx0.egress().mtu());
        assertFalse(vx0.egress().header().fits(1514, vx0.egress().mtu()));
        assertTrue(vx0.egress().header().fits(1464, vx0.egress().mtu()), "bench/tunnel.sh's old largest frame");
    }
}
