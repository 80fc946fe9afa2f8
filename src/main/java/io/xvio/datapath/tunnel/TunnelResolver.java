package io.xvio.datapath.tunnel;

import java.util.function.Function;

/**
 * What translating an output to a tunnel port does (OVS's native_tunnel_output in ofproto-dpif-xlate): take the
 * remote from the port or the flow (remote_ip=flow), the key likewise, tos/ttl inherited from the inner packet if
 * asked, route the remote through the {@link RouteTable}, find the next hop's MAC in the out bridge's
 * {@link NeighborCache} (asking for it on a miss), and build the {@link TunnelHeader} a tnl_push action carries.
 * Runs on a cache miss (slow path): it allocates the header; nothing here runs per packet.
 */
public final class TunnelResolver {
    /** A tnl_push to build: the header and the underlay bridge it leaves through; or why not (header null). */
    public record Result(TunnelHeader header, String bridge, TunnelDrop drop, String why) {
        static Result no(TunnelDrop d, String why) { return new Result(null, null, d, why); }
    }

    private final Function<String, NeighborAgent> agents;

    /** agents: the underlay bridges' agents by bridge name (null for a bridge without ip:). */
    public TunnelResolver(Function<String, NeighborAgent> agents) { this.agents = agents; }

    /**
     * The outer tos: the port's DSCP or the inner's (inherit), with the inner packet's ECN bits copied out as RFC 6040
     * says for encapsulation, CE sent as ECT(0) (so does OVS).
     */
    public static int tos(int cfgTos, int innerTos) {
        int inner = innerTos < 0 ? 0 : innerTos & 0xff;
        int dscp = cfgTos == TunnelConfig.INHERIT ? inner & 0xfc : cfgTos;
        int ecn = inner & 3;
        return dscp | (ecn == 3 ? 2 : ecn);
    }

    /**
     * Resolves one output to a tunnel port. flow: the packet's tunnel fields as set by set_field (tun_dst, tun_id,
     * tun_metadata options; used when the port says flow), innerTos/innerTtl: the inner IP's (for inherit; -1 if
     * not IP: then tos 0 and ttl 64, as OVS).
     */
    public Result resolve(TunnelConfig cfg, TunnelMetadata flow, int innerTos, int innerTtl, RouteTable routes) {
        IpAddr dst;
        if (cfg.remoteFromFlow()) {
            dst = flow.ipv6 ? new IpAddr(flow.dst6Hi, flow.dst6Lo) : IpAddr.v4(flow.dst4);
            if (flow.ipv6 ? (flow.dst6Hi | flow.dst6Lo) == 0 : flow.dst4 == 0)
                return Result.no(TunnelDrop.NO_ROUTE, "remote_ip=flow and the flow set no tun_dst");
        } else dst = IpAddr.of(cfg.remoteIp());
        RouteTable.Route r = routes.lookup(dst);
        if (r == null) return Result.no(TunnelDrop.NO_ROUTE, "no route to " + dst);
        NeighborAgent agent = agents.apply(r.bridge());
        if (agent == null) return Result.no(TunnelDrop.NO_ROUTE, "route to " + dst + " leaves through " + r.bridge() + ", which has no ip:");
        IpAddr hop = r.nextHop(dst);
        long mac = agent.cache().lookup(hop);
        if (mac < 0) {
            agent.cache().miss(hop.hi(), hop.lo());
            return Result.no(TunnelDrop.NO_NEIGHBOR, "no MAC address for next hop " + hop + " on " + r.bridge() + " yet");
        }
        IpAddr src = cfg.localIp() != null ? IpAddr.of(cfg.localIp()) : r.src();
        long vni = cfg.keyFromFlow() ? flow.tunId & 0xffffff : cfg.key();
        int tos = tos(cfg.tos(), innerTos);
        int ttl = cfg.ttl() == TunnelConfig.INHERIT ? (innerTtl <= 0 ? TunnelConfig.DEFAULT_TTL : innerTtl) : cfg.ttl();
        byte[] opts = cfg.type() == TunnelType.GENEVE ? java.util.Arrays.copyOf(flow.options, flow.optLen) : null;
        boolean oam = cfg.type() == TunnelType.GENEVE && (flow.flags & TunnelMetadata.F_OAM) != 0;
        TunnelHeader h = new TunnelHeader(new TunnelHeader.Spec(cfg.type(), agent.mac(), mac, src.inet(), dst.inet(), cfg.dstPort(),
                vni, tos, ttl, cfg.dfDefault(), cfg.csum(), oam, opts));
        return new Result(h, r.bridge(), null, null);
    }
}
