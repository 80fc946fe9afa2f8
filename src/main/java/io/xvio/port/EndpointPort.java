package io.xvio.port;

import io.xvio.packet.PacketBatch;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tunnel endpoint of an underlay bridge (a bridge with {@code ip:}), as OVS's LOCAL port of br-phy: ofport
 * 65534, named after the bridge, for a bridge whose endpoint addresses come from the config file ({@code ip:}). What
 * the control thread sends through it ({@link LocalInjection}: ARP requests and neighbour solicitations for next
 * hops, the tunnel ports' ICMP answers to too-big frames) the PMD thread polling this port's queue receives into the
 * bridge's pipeline (in_port LOCAL), where NORMAL or a flow sends it out of the uplink. Frames the bridge sends to it
 * (replies to our address, which the underlay has already read) end here, counted. Its extra counters are the
 * underlay's decapsulation drops by reason.
 */
public final class EndpointPort implements Port {
    public static final int OFPP_LOCAL = 0xfffe;
    private final String name;
    private final long mac;
    private final PortCounters counters = new PortCounters();
    private final io.xvio.datapath.tunnel.TunnelDrops decapDrops;
    private final LocalInjection injection = new LocalInjection();

    /** decapDrops: the underlay's decapsulation drops by reason, shown as this port's extra counters. */
    public EndpointPort(String name, long mac, io.xvio.datapath.tunnel.TunnelDrops decapDrops) {
        this.name = name;
        this.mac = mac;
        this.decapDrops = decapDrops;
    }

    public long mac() { return mac; }

    /** What enters the bridge through this port. */
    public LocalInjection injection() { return injection; }

    @Override public String name() { return name; }
    @Override public String type() { return "internal"; }
    @Override public int ofport() { return OFPP_LOCAL; }
    @Override public int rxQueues() { return 1; }

    @Override
    public int receive(int q, PacketBatch b, int thread) {
        int n = injection.drain(b);
        if (n == 0) return 0;
        long bytes = 0;
        for (int i = 0; i < n; i++) bytes += b.len[i];
        counters.add(thread, PortCounters.Counter.RX_PACKETS, n);
        counters.add(thread, PortCounters.Counter.RX_BYTES, bytes);
        return n;
    }

    @Override
    public void transmit(int thread, PacketBatch b, int[] which, int n) {
        long bytes = 0;
        for (int k = 0; k < n; k++) bytes += b.len[which[k]];
        counters.add(thread, PortCounters.Counter.TX_PACKETS, n);
        counters.add(thread, PortCounters.Counter.TX_BYTES, bytes);
    }

    @Override public PortCounters counters() { return counters; }
    @Override public Map<String, Long> extraCounters() { return decapDrops.nonZero(); }
    @Override public String status() { return "up"; }

    @Override public Map<String, String> details() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("endpoint", "tunnel endpoint of bridge " + name + ", MAC " + io.xvio.sys.Netdev.formatMac(mac));
        return m;
    }

    @Override public void start() {}
    @Override public void close() {}
}
