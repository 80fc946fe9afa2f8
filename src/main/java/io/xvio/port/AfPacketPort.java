package io.xvio.port;

import io.xvio.packet.Checksum;
import io.xvio.packet.Ethernet;
import io.xvio.packet.PacketBatch;
import io.xvio.packet.Segmentation;
import io.xvio.packet.VnetHeader;
import io.xvio.sys.Errno;
import io.xvio.sys.Netdev;
import io.xvio.sys.PacketRxRing;
import io.xvio.sys.PacketTxRing;
import io.xvio.sys.PacketVnetSender;
import io.xvio.sys.SysException;
import io.xvio.util.Quiescence;

import java.util.LinkedHashMap;
import java.util.Map;

import static io.xvio.port.PortCounters.Counter.*;

/**
 * A port on an existing Linux interface (a veth, a NIC, a VF) through AF_PACKET, in promiscuous mode: frames
 * arrive through a memory-mapped TPACKET_V3 receive ring and leave through a TPACKET_V3 transmit ring per PMD
 * thread (so transmitting threads share nothing), one {@code sendto} per burst.
 *
 * <p>The interface may be missing at start, go down, or be deleted and created again: the port is then down
 * (with the reason in {@link #status()}), drops what the switch sends it, and attaches again within a second
 * of the interface being back and up, without a restart.
 *
 * <p>The receive socket asks for virtio-net headers, so the kernel says what a local sender left to "hardware":
 * a partial checksum (completed here from the header's csum_start/csum_offset) and TCP segmentation (a 64 KB
 * TSO/GSO frame, or a NIC's GRO aggregate, handed over whole with its gso_size). A plain TCP GSO frame with a
 * partial checksum (what a local TCP sender or a veth peer hands over) is copied whole into one slot with its
 * offload state ({@link VnetHeader#read}), counted as {@code rx_gso_whole}, and travels like a guest's: a guest
 * that negotiated GUEST_TSO4/6 or an uplink gets it whole, other receivers get segments ({@link SoftwareOffload}).
 * Other GSO frames (a tunnel's, UDP, a GRO aggregate without NEEDS_CSUM), and all of them with port key
 * {@code offloads: false}, are cut into MTU-sized segments in software ({@link Segmentation}) straight from the
 * ring into the burst's slots; when the burst is full the rest of the frame waits in the ring for the next call.
 * Segments count as {@code rx_packets}, frames cut as {@code rx_gso_frames}; one that cannot be cut is dropped
 * with its reason ({@code rx_dropped(gso: ...)}). Other frames larger than the port's slots are
 * {@code rx_dropped(frame too big)}. Bursts without GSO frames take the same path as before (the choice is made
 * only behind a pending GSO frame).
 *
 * <p>Transmit offloads: the transmit rings carry a virtio-net header before each frame (PACKET_VNET_HDR), so the
 * port takes partial checksums and TCP GSO frames ({@link #txOffloads}) and the kernel (or the NIC) completes and
 * segments them. A frame without offload state gets a zero header; a small one with a partial checksum goes
 * through the ring with NEEDS_CSUM; a GSO frame (up to 64 KB) leaves whole through a second socket per PMD thread
 * ({@link PacketVnetSender}, which says why not the ring), after the ring is flushed so frames keep their order.
 * If the kernel refuses PACKET_VNET_HDR on transmit, the port falls back to plain rings (logged, and `show`
 * says so) and xvio segments and checksums in software as before.
 */
public final class AfPacketPort extends NetdevPort {
    /** Receive ring: blocks of 128 KiB (a 64 KB GSO frame plus the kernel's headers fits one), 64 of them. */
    static final int RX_BLOCK_SIZE = 1 << 17, RX_BLOCKS = 64;
    /** Transmit ring slots per PMD thread. */
    static final int TX_FRAMES = 256;
    private static final int DROP_TX_FULL = 0, DROP_TX_REJECTED = 1;
    /** Why a port has no offloads when its config turned them off (`show`). */
    static final String OFF_BY_CONFIG = "port key offloads: false: xvio segments and checksums what it sends, and cuts what it receives";
    /** What the port takes with virtio-net headers on transmit. */
    static final int VNET_OFFLOADS = Port.TX_CSUM | Port.TX_TSO4 | Port.TX_TSO6 | Port.TX_ECN;

    /** What the PMDs use while the port is attached; replaced whole. */
    private static final class Link extends Attachment {
        final PacketRxRing rx;
        final PacketTxRing[] tx;
        /** Per PMD thread: the socket GSO frames leave by; null without transmit offloads. */
        final PacketVnetSender[] big;
        final int maxFrame, caps;
        /** Whether plain TCP GSO frames the kernel hands over go on whole (else they are cut here). */
        final boolean rxWhole;
        // receive state of the one PMD polling the port: the GSO frame being cut, checksum offsets of a burst
        final Segmentation gso = new Segmentation();
        final int[] csum = new int[PacketBatch.BURST];

        Link(PacketRxRing rx, PacketTxRing[] tx, PacketVnetSender[] big, Netdev.Info info, int maxFrame, boolean rxWhole) {
            super(info);
            this.rx = rx;
            this.rxWhole = rxWhole;
            this.tx = tx;
            this.big = big;
            this.caps = big == null ? 0 : VNET_OFFLOADS;
            this.maxFrame = maxFrame;
        }
    }

    private final String device;
    /** Port key offloads (default true): false keeps offload state off this port both ways. */
    private final boolean offloads;
    private final ReasonCounters drops = new ReasonCounters("tx_dropped(kernel queue full)", "tx_dropped(rejected by kernel)");
    private volatile boolean rejectLogged;
    /** Why the last attach has no transmit offloads (the kernel refused PACKET_VNET_HDR on transmit), or null. */
    private volatile String noOffloads;
    private final ReasonCounters gsoDrops = new ReasonCounters(gsoLabels());
    private volatile Link link;
    private volatile int txThreads = 1;
    private volatile int attaches;
    // counts of rings already closed, plus the kernel's ring-full drops (supervisor writes, others read)
    private volatile long kernelDrops, closedTooBig, closedRunt;

    public AfPacketPort(String name, int ofport, String device, Quiescence quiescence) {
        this(name, ofport, device, true, quiescence);
    }

    /**
     * offloads false (port key {@code offloads: false}): no virtio-net headers on transmit (xvio segments and
     * checksums what it sends) and GSO frames received are cut here, so no offload state enters or leaves the
     * switch by this port.
     */
    public AfPacketPort(String name, int ofport, String device, boolean offloads, Quiescence quiescence) {
        super(name, ofport, quiescence);
        this.offloads = offloads;
        if (!Netdev.validName(device)) throw new IllegalArgumentException("port " + name + ": not a valid interface name: \"" + device + "\"");
        this.device = device;
    }

    @Override public String type() { return "afpacket"; }

    public String device() { return device; }

    @Override
    public void setTransmitThreads(int threads) { txThreads = Math.max(1, Math.min(threads, PortCounters.MAX_THREADS)); }

    // ------------------------------------------------------------------ hot path

    @Override
    public int receive(int q, PacketBatch b, int thread) {
        Link l = link;
        if (l == null) return 0;
        int[] off = b.off, len = b.len, csum = l.csum;
        for (int i = 0; i < PacketBatch.BURST; i++) off[i] = PacketBatch.frameStart(i);
        PacketRxRing rx = l.rx;
        Segmentation gso = l.gso;
        int n = 0, gsoFrames = 0, whole = 0;
        long bytes = 0;
        while (n < PacketBatch.BURST) {
            if (gso.active()) {
                int k = gso.emit(b.data, off, len, n, PacketBatch.BURST - n);
                for (int i = n; i < n + k; i++) bytes += len[i];
                n += k;
                if (gso.active()) break;                 // the burst is full: the rest of the frame comes next call
                rx.skipPending();
                gsoFrames++;
                continue;
            }
            int m = rx.receive(b.data, off, len, csum, n, PacketBatch.MAX_FRAME, PacketBatch.BURST);
            for (int i = n; i < m; i++) {
                int c = csum[i];
                if (c != 0) Checksum.completePartial(b.data, off[i], len[i], PacketRxRing.csumStart(c), PacketRxRing.csumOffset(c));
                bytes += len[i];
            }
            n = m;
            if (!rx.gsoPending()) break;
            if (l.rxWhole && passWhole(rx, b, n)) {         // plain TCP GSO: on whole, with its offload state
                b.offloads = true;                          // (the arrays are zero while the flag is clear)
                bytes += len[n];
                n++;
                whole++;
                rx.skipPending();
                continue;
            }
            int why = gso.start(rx.memory(), rx.pendingFrame(), rx.pendingLength(), rx.pendingVlanTag(), rx.pendingVnetFlags(),
                    rx.pendingGsoType(), rx.pendingGsoSize(), rx.pendingHdrLen(), rx.pendingCsumStart(), rx.pendingCsumOffset(),
                    PacketBatch.MAX_FRAME);
            if (why != Segmentation.OK) {
                gsoDrops.add(thread, why, 1);
                rx.skipPending();
            }
        }
        b.count = n;
        if (n > 0) {
            counters.add(thread, RX_PACKETS, n);
            counters.add(thread, RX_BYTES, bytes);
        }
        if (gsoFrames > 0) counters.add(thread, RX_GSO_FRAMES, gsoFrames);
        if (whole > 0) counters.add(thread, RX_GSO_WHOLE, whole);
        return n;
    }

    /**
     * Copies the ring's pending GSO frame whole into slot n with its offload state, if it is plain TCP (not a
     * tunnel's inner TCP: those are cut) with a header {@link VnetHeader#read} accepts (a NIC's GRO aggregate
     * without NEEDS_CSUM is not). Returns false, slot n's offload state left zero, if the caller must cut it.
     */
    private static boolean passWhole(PacketRxRing rx, PacketBatch b, int n) {
        int off = b.off[n];
        int len = rx.copyPending(b.data, off, PacketBatch.MAX_FRAME);
        if (len < 0) return false;
        b.len[n] = len;
        if (VnetHeader.read(b, n, off - PacketVnetSender.HEADER, true, true, true) != VnetHeader.OK) return false;
        if (VnetHeader.plainTcp(b, n)) return true;
        b.vflags[n] = 0;
        b.gsoType[n] = 0;
        return false;
    }

    private static String[] gsoLabels() {
        String[] labels = new String[Segmentation.REASONS];
        for (int r = 0; r < labels.length; r++) labels[r] = Segmentation.reasonLabel(r);
        return labels;
    }

    @Override
    public void transmit(int thread, PacketBatch b, int[] which, int n) {
        Link l = link;
        if (l == null || !l.carrier || thread >= l.tx.length) {
            counters.add(thread, TX_DROP_DOWN, n);
            return;
        }
        if (b.offloads && l.big != null) sendOffloaded(l, thread, b, which, n);
        else sendBurst(l.tx[thread], l.maxFrame, thread, b, which, n, drops, DROP_TX_FULL);
    }

    @Override
    public int txOffloads() {
        Link l = link;
        return l == null ? 0 : l.caps;
    }

    /**
     * A burst with offload state: each frame's virtio-net header is written into the headroom before it; GSO
     * frames go whole through the thread's {@link PacketVnetSender} (the ring flushed first, so order holds), the
     * rest through the ring. Counts as {@link #sendBurst} does, plus frames the kernel refused.
     */
    private void sendOffloaded(Link l, int thread, PacketBatch b, int[] which, int n) {
        PacketTxRing tx = l.tx[thread];
        PacketVnetSender big = l.big[thread];
        int max = l.maxFrame;
        int sent = 0, tooBig = 0, full = 0, down = 0;
        long bytes = 0;
        for (int k = 0; k < n; k++) {
            int i = which[k];
            int off = b.off[i], len = b.len[i];
            if (!b.hasOffload(i)) {
                if (len > max) tooBig++;
                else if (tx.queue(b.data, off, len)) { sent++; bytes += len; }
                else full++;
                continue;
            }
            boolean gso = b.gsoType[i] != Segmentation.GSO_NONE;
            if (len > max && Segmentation.wireLength(b, i) > max) { tooBig++; continue; }   // a GSO frame: its segments
            VnetHeader.write(b, i, off - PacketVnetSender.HEADER);
            if (!gso) {
                if (tx.queueWithHeader(b.data, off, len)) { sent++; bytes += len; }
                else full++;
                continue;
            }
            if (tx.needsFlush() && !flushed(tx)) { down = n - k; break; }
            int r = big.send(b.data, off, len);
            if (r == 0) { sent++; bytes += len; }
            else if (tx.busy(-r)) full++;
            else if (r == -Errno.ENXIO || r == -Errno.ENETDOWN) { reportFault(-r); down = n - k; break; }
            else rejected(thread, r);
        }
        if (down == 0 && tx.needsFlush() && !flushed(tx)) {
            down = sent;
            sent = 0;
        }
        if (sent > 0) {
            counters.add(thread, TX_PACKETS, sent);
            counters.add(thread, TX_BYTES, bytes);
        }
        if (down > 0) counters.add(thread, TX_DROP_DOWN, down);
        if (tooBig > 0) counters.add(thread, TX_DROP_TOO_BIG, tooBig);
        if (full > 0) drops.add(thread, DROP_TX_FULL, full);
    }

    /** A GSO frame the kernel refused (-errno r): counted, logged once per port. */
    private void rejected(int thread, int r) {
        drops.add(thread, DROP_TX_REJECTED, 1);
        if (!rejectLogged) {
            rejectLogged = true;
            LOG.warning("port " + name + ": the kernel refused a GSO frame on " + device + ": " + Errno.name(-r) + " ("
                    + Errno.describe(-r) + "); counted as tx_dropped(rejected by kernel), logged once");
        }
    }

    @Override
    public void flushIdle(int thread) {
        Link l = link;
        if (l == null || thread >= l.tx.length) return;
        PacketTxRing tx = l.tx[thread];
        if (tx.needsFlush()) flushed(tx);           // frames already counted as sent: a failure marks the port down
    }

    // ------------------------------------------------------------------ supervisor

    @Override
    protected void check() {
        Link l = link;
        supervise(device, l, () -> kernelDrops += l.rx.takeKernelDrops(), this::attach);
    }

    private void attach(Netdev.Info i) {
        int threads = txThreads;
        PacketRxRing rx = null;
        PacketTxRing[] tx = new PacketTxRing[threads];
        PacketVnetSender[] big = new PacketVnetSender[threads];
        try {
            rx = PacketRxRing.open(device, i.ifindex(), RX_BLOCK_SIZE, RX_BLOCKS, true, true);
            int want = Math.min(PacketBatch.MAX_FRAME, i.mtu() + Ethernet.HEADER + 4);
            if (!offloads) {
                big = null;
                noOffloads = OFF_BY_CONFIG;
                for (int t = 0; t < threads; t++) tx[t] = PacketTxRing.open(device, i.ifindex(), want, TX_FRAMES);
            } else {
                try {
                    for (int t = 0; t < threads; t++) {
                        tx[t] = PacketTxRing.open(device, i.ifindex(), want, TX_FRAMES, true);
                        big[t] = PacketVnetSender.open(device, i.ifindex());
                    }
                    noOffloads = null;
                } catch (SysException e) {
                    close(tx, big);
                    big = null;
                    String why = "no transmit offloads on " + device + " (" + e.getMessage() + "): xvio segments and checksums in software";
                    if (!why.equals(noOffloads)) LOG.warning("port " + name + ": " + why);
                    noOffloads = why;
                    for (int t = 0; t < threads; t++) tx[t] = PacketTxRing.open(device, i.ifindex(), want, TX_FRAMES);
                }
            }
            Link l = new Link(rx, tx, big, i, Math.min(want, tx[0].maxFrame()), offloads);
            fault = 0;
            link = l;
            attaches++;
            if (l.carrier) markUp("attached to " + device + " (ifindex " + i.ifindex() + ", mtu " + i.mtu() + ", mac " + Netdev.formatMac(i.mac()) + "), promiscuous"
                    + (big == null ? ", no transmit offloads" : ", transmit offloads " + describe(l.caps)));
            else markDown("attached to " + device + " but it has no carrier");
        } catch (SysException | IllegalArgumentException e) {
            close(tx, big);
            if (rx != null) rx.close();
            markDown("cannot attach to " + device + ": " + e.getMessage() + " (retrying every second)");
        }
    }

    private static void close(PacketTxRing[] tx, PacketVnetSender[] big) {
        for (int t = 0; t < tx.length; t++) {
            if (tx[t] != null) tx[t].close();
            tx[t] = null;
            if (big != null && big[t] != null) big[t].close();
        }
    }

    /** The names of offload bits caps ({@link Port#TX_CSUM} ...), as `show` lists them. */
    static String describe(int caps) {
        StringBuilder sb = new StringBuilder();
        if ((caps & Port.TX_CSUM) != 0) sb.append(" CSUM");
        if ((caps & Port.TX_TSO4) != 0) sb.append(" TSO4");
        if ((caps & Port.TX_TSO6) != 0) sb.append(" TSO6");
        if ((caps & Port.TX_ECN) != 0) sb.append(" ECN");
        return sb.isEmpty() ? "none" : sb.substring(1);
    }

    @Override
    protected void teardown() {
        Link l = link;
        if (l == null) return;
        link = null;
        if (!quiesce()) return;
        try {
            kernelDrops += l.rx.takeKernelDrops();
        } catch (SysException ignored) {
            // the interface is gone: its last counts with it
        }
        closedTooBig += l.rx.droppedTooBig();
        closedRunt += l.rx.droppedRunt();
        l.rx.close();
        close(l.tx, l.big);
    }

    // ------------------------------------------------------------------ reporting

    @Override
    public String status() { return status(device, link); }

    @Override
    public Map<String, String> details() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("device", device);
        Link l = link;
        if (l != null) {
            putAttachment(m, l);
            m.put("rx_ring", "TPACKET_V3, " + l.rx.blockCount() + " blocks of " + (l.rx.blockSize() >> 10) + " KiB, retire "
                    + PacketRxRing.RETIRE_TOV_MS + " ms, virtio-net headers (" + (l.rxWhole ? "TCP GSO frames passed on whole, others segmented" : "GSO frames segmented") + ")");
            m.put("tx_ring", "TPACKET_V3, " + l.tx[0].frameCount() + " slots of " + l.tx[0].frameSize() + " bytes, one ring per PMD thread (" + l.tx.length + ")"
                    + (l.big == null ? "" : ", virtio-net headers (GSO frames whole through a second socket)"));
            m.put("offloads", l.big == null ? "off (" + noOffloads + ")" : describe(l.caps) + " (on transmit: the kernel or NIC segments and checksums; TCP GSO frames received pass on whole)");
        }
        m.put("attached", attaches + " time(s)");
        String err = lastError();
        if (err != null) m.put("last_error", err);
        String ev = lastEvent();
        if (ev != null) m.put("last_event", ev);
        return m;
    }

    @Override
    public Map<String, Long> extraCounters() {
        Map<String, Long> m = new LinkedHashMap<>();
        Link l = link;
        m.put("rx_dropped(kernel ring full)", kernelDrops);
        m.put("rx_dropped(frame too big)", closedTooBig + (l == null ? 0 : l.rx.droppedTooBig()));
        m.put("rx_dropped(runt)", closedRunt + (l == null ? 0 : l.rx.droppedRunt()));
        gsoDrops.putAll(m);
        drops.putAll(m);
        return m;
    }
}
