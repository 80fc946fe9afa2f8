package io.xvio.datapath.tunnel;

import java.util.ArrayList;
import java.util.List;

/**
 * Which tunnel port a decapsulated packet belongs to (OVS's tnl_port_receive): several ports share one UDP endpoint
 * (type, dst_port) and are told apart by the packet's VNI and outer addresses. In OVS's order (tnl_find): a port with
 * a fixed key before key=flow, then a fixed remote before remote_ip=flow, then a set local_ip before none; a port's
 * key, remote_ip and local_ip, where fixed, must be the packet's VNI, outer source and outer destination. Runs when a packet's flow is translated after
 * tnl_pop (the megaflow then matches the tunnel fields), not per packet. Immutable; rebuilt when ports change.
 */
public final class TunnelPorts {
    /** A tunnel port: its OpenFlow port number and options. */
    public record Entry(int ofport, String name, TunnelConfig config) {}

    private final List<Entry> ports;

    public TunnelPorts(List<Entry> ports) {
        List<Entry> l = new ArrayList<>(ports);
        for (int i = 0; i < l.size(); i++)
            for (int j = 0; j < i; j++) {
                TunnelConfig a = l.get(i).config(), b = l.get(j).config();
                if (a.type() == b.type() && a.dstPort() == b.dstPort() && a.key() == b.key() && java.util.Objects.equals(a.remoteIp(), b.remoteIp())
                        && java.util.Objects.equals(a.localIp(), b.localIp()))
                    throw new TunnelConfigException("tunnel ports " + l.get(j).name() + " and " + l.get(i).name()
                            + " have the same type, dst_port, key, remote_ip and local_ip: packets could not be told apart");
            }
        this.ports = List.copyOf(l);
    }

    public List<Entry> ports() { return ports; }

    /** The (type, dst_port) endpoints to decapsulate on: one {@link TunnelDecoder} each. */
    public List<TunnelConfig> endpoints() {
        List<TunnelConfig> l = new ArrayList<>();
        for (Entry e : ports)
            if (l.stream().noneMatch(c -> c.type() == e.config().type() && c.dstPort() == e.config().dstPort())) l.add(e.config());
        return l;
    }

    /** The port for a packet decapsulated on (type, port) with md, or null ({@link TunnelDrop#WRONG_VNI}). */
    public Entry select(TunnelType type, int port, TunnelMetadata md) {
        Entry best = null;
        int bestRank = -1;
        IpAddr src = md.ipv6 ? new IpAddr(md.src6Hi, md.src6Lo) : IpAddr.v4(md.src4);
        IpAddr dst = md.ipv6 ? new IpAddr(md.dst6Hi, md.dst6Lo) : IpAddr.v4(md.dst4);
        for (Entry e : ports) {
            TunnelConfig c = e.config();
            if (c.type() != type || c.dstPort() != port) continue;
            if (!c.keyFromFlow() && c.key() != md.tunId) continue;
            if (!c.remoteFromFlow() && !IpAddr.of(c.remoteIp()).equals(src)) continue;
            if (c.localIp() != null && !IpAddr.of(c.localIp()).equals(dst)) continue;
            int rank = (c.keyFromFlow() ? 0 : 4) + (c.remoteFromFlow() ? 0 : 2) + (c.localIp() == null ? 0 : 1);
            if (rank > bestRank) { best = e; bestRank = rank; }
        }
        return best;
    }
}
