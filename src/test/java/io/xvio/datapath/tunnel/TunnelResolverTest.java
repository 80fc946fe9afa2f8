package io.xvio.datapath.tunnel;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TunnelResolverTest {
    final NeighborCache cache = new NeighborCache();
    final NeighborAgent agent = new NeighborAgent(0x02_00_00_00_00_01L, List.of(Prefix.parse("172.31.0.1/24", "t"), Prefix.parse("fd00::1/64", "t")), cache);
    final RouteTable routes = RouteTable.of(Map.of("br-phy", UnderlayConfig.parse(TunnelConfigTest.yaml(
            "{ip: [172.31.0.1/24, 'fd00::1/64'], routes: [{dst: 10.0.0.0/8, via: 172.31.0.254}]}"), "br-phy")));
    final TunnelResolver resolver = new TunnelResolver(b -> b.equals("br-phy") ? agent : null);
    final TunnelMetadata flow = new TunnelMetadata();

    @Test
    void missAsksThenResolvesThroughTheGateway() {
        TunnelConfig c = TunnelConfigTest.parse("{type: vxlan, remote_ip: 10.1.2.3, key: 100}");
        TunnelResolver.Result r = resolver.resolve(c, flow, 0, 64, routes);
        assertEquals(TunnelDrop.NO_NEIGHBOR, r.drop());
        assertEquals("no MAC address for next hop 172.31.0.254 on br-phy yet", r.why());
        List<IpAddr> asked = new java.util.ArrayList<>();
        cache.tick(0, asked::add);
        assertEquals(List.of(IpAddr.parse("172.31.0.254", "t")), asked);
        cache.learn(IpAddr.parse("172.31.0.254", "t"), 0x02_00_00_00_00_feL, 0);
        r = resolver.resolve(c, flow, 0, 64, routes);
        assertEquals("br-phy", r.bridge());
        assertEquals("tnl_push(header(size=50,type=vxlan,eth(dst=02:00:00:00:00:fe,src=02:00:00:00:00:01),ipv4(src=172.31.0.1,"
                + "dst=10.1.2.3,tos=0x0,ttl=64,frag=0x4000),udp(dst=4789,csum=0),vxlan(vni=0x64)))", r.header().toString());
    }

    @Test
    void flowRemoteKeyOptionsAndInherit() {
        cache.learn(IpAddr.parse("fd00::2", "t"), 0x02_00_00_00_00_02L, 0);
        TunnelConfig c = TunnelConfigTest.parse("{type: geneve, remote_ip: flow, key: flow, tos: inherit, ttl: inherit}");
        assertEquals("remote_ip=flow and the flow set no tun_dst", resolver.resolve(c, flow, 0, 64, routes).why());
        flow.ipv6 = true;
        flow.dst6Hi = IpAddr.parse("fd00::2", "t").hi();
        flow.dst6Lo = IpAddr.parse("fd00::2", "t").lo();
        flow.tunId = 0x123456;
        flow.optLen = GeneveOptions.encode(List.of(new GeneveOptions.Option(0x102, 0x80, new byte[]{0, 0, 0, 1})), flow.options);
        TunnelResolver.Result r = resolver.resolve(c, flow, 0xb9, 17, routes);   // DSCP 46, ECN 01
        assertEquals("tnl_push(header(size=78,type=geneve,eth(dst=02:00:00:00:00:02,src=02:00:00:00:00:01),ipv6(src=fd00::1,dst=fd00::2,"
                + "tos=0xb9,ttl=17),udp(dst=6081,csum=0),geneve({class=0x102,type=0x80,len=4,0x00000001},vni=0x123456)))", r.header().toString());
        flow.dst6Hi = 0x2001_0db8_0000_0000L;
        assertEquals("no route to 2001:db8::2", resolver.resolve(c, flow, 0, 64, routes).why());
    }

    @Test
    void ecnFollowsRfc6040() {
        assertEquals(0x20, TunnelResolver.tos(0x20, 0));
        assertEquals(0x22, TunnelResolver.tos(0x20, 0x03));      // CE goes out as ECT(0)
        assertEquals(0x21, TunnelResolver.tos(0x20, 0xb9));
        assertEquals(0xb8, TunnelResolver.tos(TunnelConfig.INHERIT, 0xb8));
        assertEquals(0, TunnelResolver.tos(TunnelConfig.INHERIT, -1));
    }
}
