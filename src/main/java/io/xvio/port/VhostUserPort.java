package io.xvio.port;

import io.xvio.packet.PacketBatch;
import io.xvio.packet.Segmentation;
import io.xvio.packet.VnetHeader;
import io.xvio.util.Quiescence;
import io.xvio.vhost.DeviceListener;
import io.xvio.vhost.ProtocolFeatures;
import io.xvio.vhost.VhostUserDevice;
import io.xvio.vhost.VhostUserEndpoint;
import io.xvio.virtio.Virtqueue;
import io.xvio.virtio.VirtioFeatures;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.Consumer;
import java.util.logging.Logger;

import static io.xvio.port.PortCounters.Counter.*;

/**
 * A port served over vhost-user: the guest's transmit queues (odd virtqueues) are this port's receive queues,
 * its receive queues (even virtqueues) take what the switch sends to it. Frames are copied once each way.
 */
public final class VhostUserPort implements Port {
    private static final Logger LOG = Logger.getLogger("xvio.port");
    private final String name;
    private final int ofport;
    private final VhostUserDevice device;
    private final VhostUserEndpoint endpoint;
    private final PortCounters counters = new PortCounters();
    private final AtomicIntegerArray txLocks;
    private volatile boolean sharedTx;
    /** A MAC the front-end asked us to announce (SEND_RARP), until the PMD polling receive queue 0 injects it. */
    private volatile byte[] announce;
    private final boolean offloads;
    /** Frames whose virtio-net header was refused (VnetHeader reason - 1). */
    private final ReasonCounters headerDrops = new ReasonCounters(VnetHeader.reasonLabel(VnetHeader.BAD_CSUM),
            VnetHeader.reasonLabel(VnetHeader.BAD_GSO));
    private volatile boolean headerDropLogged;
    /**
     * The configured MTU (key mtu, OVS's mtu_request), 0 if none; its largest frame is MTU + Ethernet + two VLAN tags
     * ({@link #maxFrame}). Changed at run time by {@link #setMtu}; PMD threads read it once per burst.
     */
    private volatile int mtu;
    /** Per PMD thread: the packets of a burst that fit the largest frame (only used with an mtu). */
    private final int[][] fit = new int[PortCounters.MAX_THREADS][];

    public VhostUserPort(String name, int ofport, String path, VhostUserEndpoint.Mode mode, int queuePairs,
                         boolean mergeable, boolean packed, Quiescence quiescence, Consumer<byte[]> onAnnounce) {
        this(name, ofport, path, mode, queuePairs, mergeable, packed, false, quiescence, onAnnounce);
    }

    /** offloads: offer checksum and TSO offloads to the guest (the config's {@code offloads}, default true). */
    public VhostUserPort(String name, int ofport, String path, VhostUserEndpoint.Mode mode, int queuePairs,
                         boolean mergeable, boolean packed, boolean offloads, Quiescence quiescence, Consumer<byte[]> onAnnounce) {
        this(name, ofport, path, mode, queuePairs, mergeable, packed, offloads, 0, quiescence, onAnnounce);
    }

    /**
     * mtu (0: none, any frame up to {@link PacketBatch#MAX_FRAME} both ways and 1500 for a tunnel over it): the
     * largest IP packet the port carries. Frames from the guest longer than MTU + 22 (Ethernet and two VLAN tags)
     * are dropped as rx_dropped(frame too big) unless the guest negotiated HOST_TSO (its GSO frames are larger);
     * frames to the guest longer than that, unless GSO, as tx_dropped(frame too big). The guest learns the MTU from
     * its front-end (QEMU's host_mtu, which QEMU also sends here as NET_SET_MTU: shown as "front-end mtu").
     */
    public VhostUserPort(String name, int ofport, String path, VhostUserEndpoint.Mode mode, int queuePairs,
                         boolean mergeable, boolean packed, boolean offloads, int mtu, Quiescence quiescence, Consumer<byte[]> onAnnounce) {
        this.mtu = mtu == 0 ? 0 : Port.checkMtu(name, mtu);
        this.name = name;
        this.offloads = offloads;
        this.ofport = ofport;
        DeviceListener listener = new DeviceListener() {
            @Override public void announce(byte[] mac) {
                VhostUserPort.this.announce = mac.clone();
                if (onAnnounce != null) onAnnounce.accept(mac);
            }
        };
        this.device = new VhostUserDevice(name, queuePairs, mergeable, packed, offloads, quiescence, listener);
        this.endpoint = new VhostUserEndpoint(path, mode, device);
        this.txLocks = new AtomicIntegerArray(queuePairs);
    }

    @Override public String name() { return name; }
    @Override public String type() { return "vhostuser"; }
    @Override public int ofport() { return ofport; }
    @Override public int rxQueues() { return device.maxQueuePairs(); }
    @Override public PortCounters counters() { return counters; }
    public VhostUserDevice device() { return device; }

    /** The configured MTU, else 1500 (OVS-DPDK's default; what a tunnel over this port assumes). */
    @Override public int mtu() { int m = mtu; return m == 0 ? 1500 : m; }

    /** The largest frame an MTU of m lets through either way (MTU + Ethernet + two VLAN tags; m 0: any). */
    private static int maxFrame(int m) { return m == 0 ? PacketBatch.MAX_FRAME : m + 22; }

    /**
     * A new MTU for the running port (OVSDB's mtu_request changed), in force from the next burst, as OVS-DPDK changes
     * a vhost port's without disconnecting its guest (the guest learns an MTU only from its own front-end's host_mtu).
     */
    public void setMtu(int m) {
        mtu = Port.checkMtu(name, m);
    }

    @Override
    public void setTransmitThreads(int threads) { sharedTx = threads > 1; }

    @Override
    public boolean rxQueueLive(int q) { return q == 0 && announce != null || device.queue(2 * q + 1).ready(); }

    @Override
    public int receive(int q, PacketBatch b, int thread) {
        if (q == 0 && announce != null) return injectRarp(b, thread);
        Virtqueue vq = device.queue(2 * q + 1);
        if (!vq.ready()) return 0;
        long f = device.features();
        int max = VirtioFeatures.has(f, VirtioFeatures.NET_F_HOST_TSO4) || VirtioFeatures.has(f, VirtioFeatures.NET_F_HOST_TSO6)
                ? PacketBatch.MAX_FRAME : maxFrame(mtu);
        return popped(vq, vq.popTx(b.data, b.off, b.len, max, PacketBatch.BURST), b, f, thread);
    }

    /**
     * {@link #receive}, into buffers the caller lends (b's data and off[0..n) are the caller's: a relay's AF_XDP
     * chunks), copying at most copyLimit bytes of a frame: a longer one keeps its real length in len (the caller
     * drops it as too big for where it goes, as after a full copy). Off[0..n) stay a permutation of what the
     * caller lent. Returns -1, taking nothing, when this queue's frames need the full path: the guest may send GSO
     * frames (HOST_TSO: they are cut up after receive), or a MAC announcement waits to be injected.
     */
    public int receiveInto(int q, PacketBatch b, int n, int copyLimit, int thread) {
        if (q == 0 && announce != null) return -1;
        long f = device.features();
        if (VirtioFeatures.has(f, VirtioFeatures.NET_F_HOST_TSO4) || VirtioFeatures.has(f, VirtioFeatures.NET_F_HOST_TSO6)) return -1;
        Virtqueue vq = device.queue(2 * q + 1);
        if (!vq.ready()) return 0;
        int max = maxFrame(mtu);
        return popped(vq, vq.popTx(b.data, b.off, b.len, max, Math.min(copyLimit, max), n), b, f, thread);
    }

    /** After popTx took n frames into b: their virtio-net headers (with CSUM), the count, the counters. */
    private int popped(Virtqueue vq, int n, PacketBatch b, long f, int thread) {
        if (n > 0 && VirtioFeatures.has(f, VirtioFeatures.NET_F_CSUM)) n = readHeaders(b, n, vq.headerLength(), f, thread);
        b.count = n;
        if (n > 0) {
            long bytes = 0;
            for (int i = 0; i < n; i++) bytes += b.len[i];
            counters.add(thread, RX_PACKETS, n);
            counters.add(thread, RX_BYTES, bytes);
        }
        return n;
    }

    /**
     * The guest negotiated CSUM (and maybe HOST_TSO): each frame's virtio-net header, still in the headroom
     * before it, gives its offload state ({@link VnetHeader#read}). Frames with a header the guest had no right to
     * send are dropped and counted (logged once per port); the rest move up to keep the burst dense.
     */
    private int readHeaders(PacketBatch b, int n, int hdrLen, long f, int thread) {
        boolean tso4 = VirtioFeatures.has(f, VirtioFeatures.NET_F_HOST_TSO4), tso6 = VirtioFeatures.has(f, VirtioFeatures.NET_F_HOST_TSO6);
        boolean ecn = VirtioFeatures.has(f, VirtioFeatures.NET_F_HOST_ECN);
        int kept = 0;
        boolean any = false;
        for (int i = 0; i < n; i++) {
            if (kept != i) {         // a swap: the dropped frame's buffer stays in off[] (a lent chunk goes back)
                int o = b.off[kept];
                b.off[kept] = b.off[i];
                b.off[i] = o;
                b.len[kept] = b.len[i];
            }
            int why = VnetHeader.read(b, kept, b.off[kept] - hdrLen, tso4, tso6, ecn);
            if (why != VnetHeader.OK) {
                headerDrops.add(thread, why - 1, 1);
                if (!headerDropLogged) {
                    headerDropLogged = true;
                    LOG.warning("port " + name + ": dropping frames with a bad virtio-net header: " + VnetHeader.reasonLabel(why)
                            + " (counted in stats; logged once)");
                }
                continue;
            }
            any |= (b.vflags[kept] | b.gsoType[kept]) != 0;
            kept++;
        }
        if (any) b.offloads = true;
        return kept;
    }

    /**
     * After a live migration QEMU asks the back-end to "broadcast a fake RARP" for the guest (VHOST_USER_SEND_RARP,
     * sent when the guest did not negotiate GUEST_ANNOUNCE). Like DPDK's vhost library, xvio makes it a frame the
     * guest sent on this port: the bridge learns the MAC here at once (in the port's VLAN, on the PMD thread that
     * owns the MAC table) and floods it, so switches beyond the uplinks learn it too.
     */
    private int injectRarp(PacketBatch b, int thread) {
        byte[] mac = announce;
        announce = null;
        if (mac == null) return 0;
        MemorySegment d = b.data;
        long o = b.off[0];
        d.asSlice(o, RARP_LEN).fill((byte) 0);
        for (int i = 0; i < 6; i++) {
            d.set(ValueLayout.JAVA_BYTE, o + i, (byte) 0xff);          // broadcast
            d.set(ValueLayout.JAVA_BYTE, o + 6 + i, mac[i]);           // from the guest
            d.set(ValueLayout.JAVA_BYTE, o + 22 + i, mac[i]);          // sender hardware address
            d.set(ValueLayout.JAVA_BYTE, o + 32 + i, mac[i]);          // target hardware address
        }
        short[] fixed = {(short) 0x8035, 1, 0x0800, 0x0604, 3};      // RARP: ethernet/IPv4, hlen 6 plen 4, reverse request
        for (int i = 0; i < fixed.length; i++) d.set(BE_SHORT, o + 12 + 2L * i, fixed[i]);
        b.len[0] = RARP_LEN;
        b.count = 1;
        counters.add(thread, RX_PACKETS, 1);
        counters.add(thread, RX_BYTES, RARP_LEN);
        return 1;
    }

    private static final int RARP_LEN = 60;
    private static final ValueLayout.OfShort BE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    @Override
    public void transmit(int thread, PacketBatch b, int[] which, int n) {
        int mtuNow = mtu;
        if (mtuNow != 0) {
            int[] keep = fit[thread];
            if (keep == null) keep = fit[thread] = new int[PacketBatch.SLOTS];   // once per thread
            int m = 0, maxFrame = maxFrame(mtuNow);
            for (int k = 0; k < n; k++) {
                int i = which[k];
                if (Segmentation.wireLength(b, i) <= maxFrame) keep[m++] = i;     // a GSO frame: its segments
            }
            if (m < n) {
                counters.add(thread, TX_DROP_TOO_BIG, n - m);
                which = keep;
                n = m;
                if (n == 0) return;
            }
        }
        int pairs = device.maxQueuePairs();
        Virtqueue vq = null;
        int pair = -1;
        for (int k = 0; k < pairs; k++) {
            int p = (thread + k) % pairs;
            Virtqueue cand = device.queue(2 * p);
            if (cand.ready()) { vq = cand; pair = p; break; }
        }
        if (vq == null) { counters.add(thread, TX_DROP_DOWN, n); return; }
        if (VirtioFeatures.rxHeaderFromCaller(device.features())) {
            int h = vq.headerLength();
            for (int k = 0; k < n; k++) {
                int i = which[k];
                VnetHeader.write(b, i, b.off[i] - h);
            }
        }
        boolean lock = sharedTx;
        if (lock) while (!txLocks.compareAndSet(pair, 0, 1)) Thread.onSpinWait();
        int taken;
        try {
            taken = deliver(vq, b, which, n, thread);
        } finally {
            if (lock) txLocks.set(pair, 0);
        }
        if (taken < n) counters.add(thread, TX_DROP_NO_BUFFER, n - taken);
    }

    /**
     * Puts packets which[0..n) into the guest's receive queue vq, counting what it delivered, and returns how many
     * it took: delivered plus those dropped as larger than the guest's buffer (which the queue counts itself).
     * Like OVS-DPDK's vhost transmit, when the ring runs out part way the rest is offered again at once, up to
     * {@link #txRetriesMax()} times while each attempt delivers something: the guest runs beside us and may be
     * refilling the ring just then, and a dropped 64 KB TCP frame costs the sender some 45 segments again.
     */
    int deliver(Virtqueue vq, PacketBatch b, int[] which, int n, int thread) {
        int sent = 0, taken = 0, retries = 0, max = 0;
        long bytes = 0;
        int[] w = which;
        int m = n;
        for (; vq.ready(); retries++) {
            int s = vq.pushRx(b.data, b.off, b.len, w, m), tried = s + vq.lastTooSmall();
            bytes += vq.lastBytes();
            sent += s;
            taken += tried;
            int left = m - tried;
            if (left == 0 || s == 0) break;
            if (retries == 0) max = txRetriesMax;          // read once, when a retry is first due (as OVS)
            if (retries == max) break;
            int[] r = retryScratch[thread];
            if (r == null) r = retryScratch[thread] = new int[PacketBatch.SLOTS];   // once per thread
            System.arraycopy(w, tried, r, 0, left);       // the packets not tried, in order (pushRx's contract)
            w = r;
            m = left;
        }
        if (sent > 0) {
            counters.add(thread, TX_PACKETS, sent);
            counters.add(thread, TX_BYTES, bytes);
        }
        if (retries > 0) counters.add(thread, TX_RETRIES, retries);
        return taken;
    }

    /** OVS-DPDK's default and limits for a vhost-user port's tx retries (its Interface options:tx-retries-max). */
    public static final int TX_RETRIES_DEFAULT = 8, TX_RETRIES_LIMIT = 32;
    private volatile int txRetriesMax = TX_RETRIES_DEFAULT;

    /** The most times a burst is offered again to a guest ring that ran out (0..32, default 8). */
    public int txRetriesMax() { return txRetriesMax; }

    /** A tx-retries-max setting's text as a number in 0..32, or -1 if it is not one (set-port and OVSDB read it so). */
    public static int parseTxRetriesMax(String v) {
        return v.matches("\\d{1,2}") && Integer.parseInt(v) <= TX_RETRIES_LIMIT ? Integer.parseInt(v) : -1;
    }

    /** Sets {@link #txRetriesMax()}, in force from the next burst; outside 0..32 throws IllegalArgumentException. */
    public void txRetriesMax(int n) {
        if (n < 0 || n > TX_RETRIES_LIMIT) throw new IllegalArgumentException("tx-retries-max " + n + " is outside 0.." + TX_RETRIES_LIMIT);
        txRetriesMax = n;
    }
    /** Per PMD thread: the packets a retry offers again. */
    private final int[][] retryScratch = new int[PortCounters.MAX_THREADS][];

    /** What the guest negotiated to receive (GUEST_CSUM, GUEST_TSO4/6, GUEST_ECN), as {@link Port#txOffloads} bits. */
    @Override
    public int txOffloads() {
        long f = device.features();
        if (!VirtioFeatures.has(f, VirtioFeatures.NET_F_GUEST_CSUM)) return 0;
        int c = TX_CSUM;
        if (VirtioFeatures.has(f, VirtioFeatures.NET_F_GUEST_TSO4)) c |= TX_TSO4;
        if (VirtioFeatures.has(f, VirtioFeatures.NET_F_GUEST_TSO6)) c |= TX_TSO6;
        if (VirtioFeatures.has(f, VirtioFeatures.NET_F_GUEST_ECN)) c |= TX_ECN;
        return c;
    }

    @Override
    public Map<String, Long> extraCounters() {
        long oversize = 0, runt = 0, small = 0;
        for (int i = 0; i < device.queueCount(); i++) {
            Virtqueue q = device.queue(i);
            oversize += q.droppedOversize();
            runt += q.droppedRunt();
            small += q.droppedRxTooSmall();
        }
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("rx_dropped(frame too big)", oversize);
        m.put("rx_dropped(runt)", runt);
        m.put("tx_dropped(guest buffer too small)", small);
        if (offloads) headerDrops.putAll(m);
        return m;
    }

    @Override
    public String status() {
        if (!device.connected()) return endpoint.mode() == VhostUserEndpoint.Mode.SERVER ? "down (waiting for a front-end)" : "down (connecting)";
        int ready = 0;
        for (int i = 0; i < device.queueCount(); i++) if (device.queue(i).ready()) ready++;
        return ready == 0 ? "down (front-end connected, no queue running)" : "up";
    }

    @Override
    public Map<String, String> details() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("path", endpoint.path());
        m.put("mode", endpoint.mode().name().toLowerCase());
        m.put("connections", Long.toString(endpoint.connections()));
        if (device.connected()) {
            m.put("features", VirtioFeatures.describe(device.features()));
            m.put("protocol_features", ProtocolFeatures.describe(device.protocolFeatures()));
            long off = device.features() & VirtioFeatures.OFFLOADS;
            m.put("offloads", !offloads ? "off (not offered: port key offloads: false)" : off == 0 ? "none negotiated" : VirtioFeatures.describe(off));
            StringBuilder qs = new StringBuilder();
            Map<String, String> states = new LinkedHashMap<>();
            for (int i = 0; i < device.queueCount(); i++) {
                Virtqueue q = device.queue(i);
                if (!q.ready()) continue;
                qs.append(qs.isEmpty() ? "" : " ").append(i).append("(size ").append(q.size()).append(')');
                String st = q.ringState();
                if (!st.isEmpty()) states.put("queue " + i + (i % 2 == 0 ? " (to guest)" : " (from guest)"), st);
            }
            m.put("running_queues", qs.isEmpty() ? "none" : qs.toString());
            m.putAll(states);
            int fe = device.mtu();
            if (fe > 0) m.put("front-end mtu", fe + (fe <= mtu() ? "" : mtu == 0 ? " (over the 1500 a tunnel over this port assumes: set the port's mtu to match)"
                    : " (over the port's mtu " + mtu + ": frames over " + (mtu + 22) + " bytes are dropped)"));
        }
        m.put("mtu", Integer.toString(mtu()));
        if (txRetriesMax != TX_RETRIES_DEFAULT) m.put("tx-retries-max", Integer.toString(txRetriesMax));
        String err = endpoint.lastError();
        if (err != null) m.put("last_error", err);
        return m;
    }

    @Override
    public void start() { endpoint.start(); }

    @Override
    public void close() { endpoint.close(); }
}
