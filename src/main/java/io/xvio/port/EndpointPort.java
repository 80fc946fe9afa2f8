package io.xvio.port;

import io.xvio.datapath.tunnel.TooBigAnswers;
import io.xvio.packet.PacketBatch;

import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * The tunnel endpoint of an underlay bridge (a bridge with {@code ip:}), as OVS's LOCAL port of br-phy: ofport
 * 65534, named after the bridge. The control thread sends through it (ARP requests and neighbour solicitations for
 * next hops): it queues the frame and the PMD thread polling this port's queue receives it into the bridge's
 * pipeline (in_port LOCAL), where NORMAL or a flow sends it out of the uplink. Frames the bridge sends to it
 * (replies to our address, which the underlay has already read) end here, counted. Its extra counters are the
 * underlay's decapsulation drops by reason. Its queue also brings the ICMP answers of the underlay's tunnel ports to
 * frames too big for it ({@link TooBigAnswers}), encapsulated as from the remote: the underlay decapsulates them.
 */
public final class EndpointPort implements Port {
    public static final int OFPP_LOCAL = 0xfffe;
    private static final int MAX_QUEUED = 256;

    private final String name;
    private final long mac;
    private final PortCounters counters = new PortCounters();
    private final ConcurrentLinkedQueue<byte[]> outbox = new ConcurrentLinkedQueue<>();
    private final io.xvio.datapath.tunnel.TunnelDrops decapDrops;
    private final TooBigAnswers answers = new TooBigAnswers(PortCounters.MAX_THREADS);

    /** decapDrops: the underlay's decapsulation drops by reason, shown as this port's extra counters. */
    public EndpointPort(String name, long mac, io.xvio.datapath.tunnel.TunnelDrops decapDrops) {
        this.name = name;
        this.mac = mac;
        this.decapDrops = decapDrops;
    }

    public long mac() { return mac; }

    /** Where this underlay's tunnel ports put their ICMP answers to too-big frames. */
    public TooBigAnswers answers() { return answers; }

    /** Control thread: queues frame to enter the bridge from this port; false if too many wait already. */
    public boolean send(byte[] frame) {
        if (outbox.size() >= MAX_QUEUED) return false;
        return outbox.offer(frame);
    }

    @Override public String name() { return name; }
    @Override public String type() { return "internal"; }
    @Override public int ofport() { return OFPP_LOCAL; }
    @Override public int rxQueues() { return 1; }

    @Override
    public int receive(int q, PacketBatch b, int thread) {
        int n = answers.drain(b);
        if (n == 0 && outbox.isEmpty()) return 0;
        long bytes = 0;
        for (int i = 0; i < n; i++) bytes += b.len[i];
        byte[] f;
        while (n < PacketBatch.BURST && (f = outbox.poll()) != null) {   // control-plane frames: rare, may allocate
            int len = Math.min(f.length, PacketBatch.MAX_FRAME);
            MemorySegment.copy(f, 0, b.data, JAVA_BYTE, b.off[n], len);
            b.len[n++] = len;
            bytes += len;
        }
        b.count = n;
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
