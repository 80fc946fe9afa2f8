package io.xvio.datapath.tunnel;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TunnelPortsTest {
    static TunnelPorts.Entry port(int n, String yaml) { return new TunnelPorts.Entry(n, "t" + n, TunnelConfigTest.parse(yaml)); }

    static TunnelMetadata md(long vni, String src) {
        TunnelMetadata m = new TunnelMetadata();
        m.tunId = vni;
        m.src4 = IpAddr.parse(src, "t").v4();
        m.dst4 = IpAddr.parse("172.31.0.1", "t").v4();
        return m;
    }

    @Test
    void mostSpecificPortWins() {
        TunnelPorts p = new TunnelPorts(List.of(
                port(1, "{type: vxlan, remote_ip: flow, key: flow}"),
                port(2, "{type: vxlan, remote_ip: 172.31.0.2, key: 100}"),
                port(3, "{type: vxlan, remote_ip: flow, key: 100}"),
                port(4, "{type: vxlan, remote_ip: 172.31.0.3, key: flow}"),
                port(5, "{type: geneve, remote_ip: 172.31.0.2, key: 100}"),
                port(6, "{type: vxlan, remote_ip: 172.31.0.2, key: 200, local_ip: 172.31.0.9}")));
        assertEquals(2, p.select(TunnelType.VXLAN, 4789, md(100, "172.31.0.2")).ofport());
        assertEquals(3, p.select(TunnelType.VXLAN, 4789, md(100, "172.31.0.7")).ofport());
        assertEquals(3, p.select(TunnelType.VXLAN, 4789, md(100, "172.31.0.3")).ofport());   // a fixed key first, as OVS
        assertEquals(4, p.select(TunnelType.VXLAN, 4789, md(300, "172.31.0.3")).ofport());
        assertEquals(1, p.select(TunnelType.VXLAN, 4789, md(5, "172.31.0.7")).ofport());
        assertEquals(5, p.select(TunnelType.GENEVE, 6081, md(100, "172.31.0.2")).ofport());
        assertNull(p.select(TunnelType.GENEVE, 6081, md(101, "172.31.0.2")));
        assertEquals(1, p.select(TunnelType.VXLAN, 4789, md(200, "172.31.0.2")).ofport());   // 6 wants local 172.31.0.9
        assertEquals(2, p.endpoints().size());
    }

    @Test
    void indistinguishablePortsAreRefused() {
        assertEquals("tunnel ports t1 and t2 have the same type, dst_port, key, remote_ip and local_ip: packets could not be told apart",
                assertThrows(TunnelConfigException.class, () -> new TunnelPorts(List.of(port(1, "{type: vxlan, remote_ip: 10.0.0.2, key: 7}"),
                        port(2, "{type: vxlan, remote_ip: 10.0.0.2, key: 7, csum: true}")))).getMessage());
    }
}
