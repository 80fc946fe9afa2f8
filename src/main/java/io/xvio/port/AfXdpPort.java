package io.xvio.port;

import io.xvio.packet.Ethernet;
import io.xvio.packet.PacketBatch;
import io.xvio.packet.VnetHeader;
import io.xvio.sys.Errno;
import io.xvio.sys.Netdev;
import io.xvio.sys.Promiscuity;
import io.xvio.sys.SysException;
import io.xvio.sys.XdpRedirect;
import io.xvio.sys.XdpSocket;
import io.xvio.util.Quiescence;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.xvio.port.PortCounters.Counter.*;

/**
 * A port on one queue of an existing Linux interface through an AF_XDP socket in copy mode: xvio attaches its own
 * XDP program (through a BPF link, so it goes away with xvio) that redirects the queue's frames into the socket,
 * and sends through the socket's tx ring. The interface is held in promiscuous mode while attached.
 *
 * <p>Like {@link AfPacketPort}, a missing, down or deleted interface makes the port down with the reason, and it
 * attaches again within a second of the interface being back and up. If AF_XDP cannot be set up at all, the
 * reason names the failing step (and the verifier's words for a refused program) and points to {@code afpacket}.
 *
 * <p>One socket has one tx ring, and sockets on one queue would share a completion ring: so the port has one
 * transmitter at a time. A PMD thread takes the ring with one compare-and-set per burst; a burst that finds it
 * taken by another PMD thread is dropped and counted as {@code tx_dropped(tx ring busy)} (never waited for). With
 * one PMD thread (or one thread sending to this port) that never happens.
 *
 * <p>AF_XDP carries no checksum state: a local sender on the link that leaves TCP/UDP checksums to offload
 * (CHECKSUM_PARTIAL, e.g. a veth peer's own stack) must have it off ({@code ethtool -K PEER tx off}).
 */
public final class AfXdpPort extends NetdevPort {
    /** UMEM chunks for receiving (fill and rx rings) and for sending (tx and completion rings). */
    static final int RX_FRAMES = 2048, TX_FRAMES = 1024;
    private static final int DROP_TX_FULL = 0, DROP_TX_BUSY = 1;
    private static final VarHandle TX_OWNER;

    static {
        try {
            TX_OWNER = MethodHandles.lookup().findVarHandle(AfXdpPort.class, "txOwner", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** What the PMDs use while the port is attached; replaced whole. */
    private static final class Link extends Attachment {
        final XdpSocket xsk;
        final XdpRedirect prog;
        final Promiscuity promisc;
        final int maxFrame;
        /** The transmit chunks lent to a relay ({@link #relayFrom}), as a batch; used by the tx ring's owner only. */
        final PacketBatch lentView;
        final long[] lent = new long[PacketBatch.BURST];

        Link(XdpSocket xsk, XdpRedirect prog, Promiscuity promisc, Netdev.Info info, int maxFrame) {
            super(info);
            this.xsk = xsk;
            this.lentView = new PacketBatch(xsk.umem());
            this.prog = prog;
            this.promisc = promisc;
            this.maxFrame = maxFrame;
        }
    }

    private final String device;
    private final int queue;
    private final ReasonCounters drops = new ReasonCounters("tx_dropped(kernel queue full)", "tx_dropped(tx ring busy)");
    private volatile Link link;
    /** The PMD thread transmitting now, or -1. */
    @SuppressWarnings("unused") private volatile int txOwner = -1;
    private volatile int txThreads = 1;
    private volatile int attaches;
    // counts of sockets already closed plus the live socket's (supervisor writes, others read)
    private volatile long closedRingFull, closedKernelOther, closedTooBig, closedRunt;
    private volatile XdpSocket.Stats liveStats;

    public AfXdpPort(String name, int ofport, String device, int queue, Quiescence quiescence) {
        super(name, ofport, quiescence);
        if (!Netdev.validName(device)) throw new IllegalArgumentException("port " + name + ": not a valid interface name: \"" + device + "\"");
        if (queue < 0) throw new IllegalArgumentException("port " + name + ": queue must be >= 0: " + queue);
        this.device = device;
        this.queue = queue;
    }

    @Override public String type() { return "afxdp"; }

    public String device() { return device; }

    public int queue() { return queue; }

    @Override
    public void setTransmitThreads(int threads) { txThreads = Math.max(1, Math.min(threads, PortCounters.MAX_THREADS)); }

    // ------------------------------------------------------------------ hot path

    @Override
    public int receive(int q, PacketBatch b, int thread) {
        Link l = link;
        if (l == null) return 0;
        int[] off = b.off;
        for (int i = 0; i < PacketBatch.BURST; i++) off[i] = PacketBatch.frameStart(i);
        int n = l.xsk.receive(b.data, off, b.len, PacketBatch.MAX_FRAME, PacketBatch.BURST);
        b.count = n;
        if (n > 0) {
            long bytes = 0;
            for (int i = 0; i < n; i++) bytes += b.len[i];
            counters.add(thread, RX_PACKETS, n);
            counters.add(thread, RX_BYTES, bytes);
        }
        return n;
    }

    @Override
    public void transmit(int thread, PacketBatch b, int[] which, int n) {
        Link l = link;
        if (l == null || !l.carrier) {
            counters.add(thread, TX_DROP_DOWN, n);
            return;
        }
        if (!TX_OWNER.compareAndSet(this, -1, thread)) {
            drops.add(thread, DROP_TX_BUSY, n);
            return;
        }
        try {
            sendBurst(l.xsk, l.maxFrame, thread, b, which, n, drops, DROP_TX_FULL);
        } finally {
            TX_OWNER.setRelease(this, -1);
        }
    }

    /**
     * A relay from a vhost-user queue (a guest's frames to this VF): the frames are copied from guest memory straight
     * into transmit chunks of the UMEM ({@link XdpSocket#lend}) and put on the tx ring there, instead of into the PMD
     * thread's batch and from there into chunks. Counted as {@link #transmit} counts (too big, port down, ring
     * full). -1 (nothing taken) when the relay needs the full path: a capture or mirror on either side, ingress
     * policing, a guest that sends GSO frames ({@link VhostUserPort#receiveInto}), the port down or its ring taken.
     */
    @Override
    public int relayFrom(Port src, int q, int thread) {
        Link l = link;
        if (!(src instanceof VhostUserPort guest) || l == null || !l.carrier) return -1;
        PortCounters sc = guest.counters();
        if (sc.taps.rx != null || counters.taps.tx != null || sc.policing.ingress != null) return -1;
        if (!TX_OWNER.compareAndSet(this, -1, thread)) return -1;
        XdpSocket x = l.xsk;
        PacketBatch v = l.lentView;
        int lent = 0, n = 0, done = 0;
        try {
            lent = x.lend(PacketBatch.BURST, l.lent);
            if (lent == 0) return -1;               // every chunk in flight: transmit counts them as ring full
            for (int i = 0; i < lent; i++) v.off[i] = (int) l.lent[i] + XdpSocket.XDP_PACKET_HEADROOM;   // room for the virtio-net header
            n = guest.receiveInto(q, v, lent, x.maxFrame(), thread);
            if (n < 0) return -1;
            int sent = 0, big = 0, completed = 0, maxFrame = l.maxFrame;
            long bytes = 0;
            for (; done < n; done++) {
                int len = v.len[done];
                if (len > maxFrame) {
                    big++;
                    x.giveBack(v.off[done]);
                    continue;
                }
                if (v.hasOffload(done) && (v.vflags[done] & VnetHeader.F_NEEDS_CSUM) != 0 && VnetHeader.complete(v.data, v.off[done], len, v.csumAt[done], v.csumOffset[done])) completed++;
                x.queueLent(v.off[done], len);
                sent++;
                bytes += len;
            }
            if (completed > 0) counters.add(thread, TX_CSUM_COMPLETED, completed);
            burstQueued(x, thread, sent, bytes, big, 0, drops, DROP_TX_FULL);
            return n;
        } finally {
            for (int i = done; i < lent; i++) x.giveBack(v.off[i]);   // unused (or, after a fault, unsent)
            v.clearOffloads();
            TX_OWNER.setRelease(this, -1);
        }
    }

    /** Transmit chunks not in flight once the kernel's completions are taken back (tests; called as the sender). */
    int freeTxChunks() {
        Link l = link;
        return l == null ? 0 : l.xsk.reclaimTxFrames();
    }

    @Override
    public void flushIdle(int thread) {
        Link l = link;
        if (l == null || !l.xsk.needsFlush()) return;
        if (!TX_OWNER.compareAndSet(this, -1, thread)) return;   // someone is transmitting: they flush
        try {
            flushed(l.xsk);                         // frames already counted as sent: a failure marks the port down
        } finally {
            TX_OWNER.setRelease(this, -1);
        }
    }

    @Override
    public boolean flushHeld(int thread, long now) {
        Link l = link;
        if (l == null) return false;
        long since = l.xsk.heldSince();             // read outside the tx ownership: a hint; flushIdle sends under it
        if (since == 0) return false;
        if (now - since < HeldTx.maxHoldNanos()) return true;
        flushIdle(thread);                          // another thread sending now keeps them: look again next loop
        return l.xsk.heldSince() != 0;
    }

    // ------------------------------------------------------------------ supervisor

    /** An attachment torn down while a PMD thread did not answer: its XDP program would block any new one. */
    private Link leaked;

    @Override
    protected void check() {
        if (leaked != null) {
            if (!quiesce()) {
                markDown("the previous attachment to " + device + " may still be used by a PMD thread that does not respond; "
                        + "not re-attaching until it can be closed");
                return;
            }
            release(leaked);
            leaked = null;
        }
        Link l = link;
        supervise(device, l, () -> liveStats = l.xsk.stats(), this::attach);
    }

    private void attach(Netdev.Info i) {
        int want = i.mtu() + Ethernet.HEADER + 4;        // room for one VLAN tag
        int chunk = want <= 2048 - XdpSocket.XDP_PACKET_HEADROOM ? 2048 : want <= 4096 - XdpSocket.XDP_PACKET_HEADROOM ? 4096 : 0;
        if (chunk == 0) {
            markDown("cannot use AF_XDP on " + device + ": MTU " + i.mtu() + " does not fit a 4 KiB UMEM chunk (copy mode without "
                    + "multi-buffer takes frames up to " + (4096 - XdpSocket.XDP_PACKET_HEADROOM) + " bytes); use `type: afpacket` for this interface");
            return;
        }
        XdpSocket xsk = null;
        XdpRedirect prog = null;
        Promiscuity promisc = null;
        try {
            xsk = XdpSocket.open(device, i.ifindex(), queue, chunk, RX_FRAMES, TX_FRAMES);
            prog = XdpRedirect.attach(device, i.ifindex(), queue, xsk.fd(), false);
            promisc = Promiscuity.hold(device, i.ifindex());
            Link l = new Link(xsk, prog, promisc, i, Math.min(want, xsk.maxFrame()));
            fault = 0;
            liveStats = null;
            link = l;
            attaches++;
            String how = "AF_XDP copy mode, queue " + queue + ", XDP " + (prog.mode() == XdpRedirect.Mode.NATIVE ? "native" : "generic") + " mode";
            if (l.carrier) markUp("attached to " + device + " (ifindex " + i.ifindex() + ", mtu " + i.mtu() + ", mac " + Netdev.formatMac(i.mac()) + "), " + how + ", promiscuous");
            else markDown("attached to " + device + " but it has no carrier");
            if (txThreads > 1)
                LOG.info("port " + name + ": " + txThreads + " PMD threads share one AF_XDP tx ring; a burst that finds it in use is dropped (tx_dropped(tx ring busy))");
        } catch (RuntimeException e) {
            if (promisc != null) promisc.close();
            if (prog != null) prog.close();
            if (xsk != null) xsk.close();
            markDown("cannot set up AF_XDP on " + device + " queue " + queue + ": " + e.getMessage() + hint(e)
                    + "; retrying every second (`type: afpacket` works on any interface)");
        }
    }

    /** What a failed setup step most likely means. */
    private String hint(RuntimeException e) {
        if (!(e instanceof SysException s)) return "";
        String call = s.call();
        return switch (s.errno()) {
            case Errno.EPERM, Errno.EACCES -> " (AF_XDP and BPF need root: CAP_NET_ADMIN, CAP_BPF, CAP_NET_RAW)";
            case Errno.EINVAL -> call.startsWith("bind(") ? " (does " + device + " have queue " + queue + "? `ethtool -l " + device + "`)" : "";
            case Errno.EBUSY, Errno.EEXIST -> call.startsWith("bind(") ? " (another AF_XDP socket uses queue " + queue + " of " + device + ")"
                    : call.contains("LINK_CREATE") ? " (another XDP program is attached to " + device + ": `ip link show " + device + "`)" : "";
            case 97 /* EAFNOSUPPORT */ -> " (the kernel has no AF_XDP: CONFIG_XDP_SOCKETS)";
            default -> "";
        };
    }

    @Override
    protected void teardown() {
        Link l = link;
        if (l == null) return;
        link = null;
        if (!quiesce()) {
            leaked = l;                             // closed by a later check(), once the PMDs are seen to have left it
            return;
        }
        release(l);
    }

    /** Folds l's counts into the closed totals and closes it (no PMD may still use it). */
    private void release(Link l) {
        XdpSocket.Stats st = null;
        try {
            st = l.xsk.stats();
        } catch (SysException ignored) {
            st = liveStats;                         // the interface is gone: the last counts seen
        }
        if (st != null) {
            closedRingFull += st.rxRingFull() + st.fillRingEmpty();
            closedKernelOther += st.rxDropped() + st.rxInvalid();
        }
        liveStats = null;
        closedTooBig += l.xsk.droppedTooBig();
        closedRunt += l.xsk.droppedRunt();
        l.prog.close();                              // detach first: no frame is redirected to a closing socket
        l.promisc.close();
        l.xsk.close();
    }

    // ------------------------------------------------------------------ reporting

    @Override
    public String status() { return status(device, link); }

    @Override
    public Map<String, String> details() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("device", device);
        m.put("queue", Integer.toString(queue));
        Link l = link;
        if (l != null) {
            putAttachment(m, l);
            m.put("xdp", (l.prog.mode() == XdpRedirect.Mode.NATIVE ? "native" : "generic") + " mode, redirect to XSKMAP through a BPF link");
            XdpSocket x = l.xsk;
            m.put("umem", (x.rxFrames() + x.txFrames()) + " chunks of " + x.chunkSize() + " bytes, copy mode" + (x.usesNeedWakeup() ? ", need_wakeup" : ""));
            m.put("rings", "fill/rx " + x.rxFrames() + ", tx/completion " + x.txFrames() + "; one tx ring shared by " + txThreads + " PMD thread(s)");
            m.put("tx_batch", x.txBudget() >= XdpSocket.KICK_AT && HeldTx.maxHoldNanos() == 0
                    ? "up to " + x.txBudget() + " frames per sendto (XDP_MAX_TX_SKB_BUDGET); every burst sent at once (tx-flush-interval: 0)"
                    : x.txBudget() >= XdpSocket.KICK_AT
                    ? "up to " + x.txBudget() + " frames per sendto (XDP_MAX_TX_SKB_BUDGET); frames wait until " + XdpSocket.KICK_AT
                      + " or " + XdpSocket.KICK_BYTES / 1024 + " KiB are queued, at most " + HeldTx.maxHoldNanos() / 1000 + " us (tx-flush-interval), or the PMD thread idles"
                    : x.txBudget() + " frames per sendto (the kernel has no XDP_MAX_TX_SKB_BUDGET: Linux < 6.17); every burst sent at once");
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
        XdpSocket.Stats st = liveStats;
        m.put("rx_dropped(kernel ring full)", closedRingFull + (st == null ? 0 : st.rxRingFull() + st.fillRingEmpty()));
        m.put("rx_dropped(kernel, too big or invalid)", closedKernelOther + (st == null ? 0 : st.rxDropped() + st.rxInvalid()));
        m.put("rx_dropped(frame too big)", closedTooBig + (l == null ? 0 : l.xsk.droppedTooBig()));
        m.put("rx_dropped(runt)", closedRunt + (l == null ? 0 : l.xsk.droppedRunt()));
        drops.putAll(m);
        return m;
    }
}
