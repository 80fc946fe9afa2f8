package io.xvio.vhost;

import io.xvio.sys.EventFd;
import io.xvio.sys.Fd;
import io.xvio.sys.Mmap;
import io.xvio.sys.UnixSocket;
import io.xvio.util.Quiescence;
import io.xvio.virtio.*;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

import static io.xvio.virtio.VirtioFeatures.*;

/**
 * The virtio-net device state behind one vhost-user connection: negotiated features, the memory table and the
 * virtqueues. {@link #handle} applies one front-end message (on the connection thread); poll-mode threads only
 * read {@link #queue}s that are ready. Anything malformed throws {@link ProtocolError} and the caller closes
 * the connection.
 */
public final class VhostUserDevice {
    private static final Logger LOG = Logger.getLogger("xvio.vhost");

    /**
     * GUEST_ANNOUNCE (with CTRL_VQ and STATUS, which QEMU handles itself): after a migration the guest announces
     * its own addresses (gratuitous ARP, IPv6 NA, through every VLAN device), and QEMU then sends no SEND_RARP;
     * guests that do not take it get the RARP (see {@link DeviceListener#announce}). DPDK's vhost offers it too.
     */
    public static final long OFFERED_FEATURES = bit(F_VERSION_1) | bit(NET_F_MRG_RXBUF) | bit(RING_F_INDIRECT_DESC)
            | bit(RING_F_EVENT_IDX) | bit(F_ANY_LAYOUT) | bit(NET_F_MQ) | bit(NET_F_MTU) | bit(NET_F_STATUS)
            | bit(NET_F_CTRL_VQ) | bit(NET_F_GUEST_ANNOUNCE) | bit(F_RING_PACKED) | bit(F_IN_ORDER) | bit(ProtocolFeatures.F_PROTOCOL_FEATURES) | bit(ProtocolFeatures.F_LOG_ALL);
    public static final long OFFERED_PROTOCOL = bit(ProtocolFeatures.MQ) | bit(ProtocolFeatures.LOG_SHMFD)
            | bit(ProtocolFeatures.RARP) | bit(ProtocolFeatures.REPLY_ACK) | bit(ProtocolFeatures.MTU)
            | bit(ProtocolFeatures.STATUS);
    public static final int MAX_REGIONS = 8;

    private final String name;
    private final int maxPairs;
    private final Quiescence quiescence;
    private final DeviceListener listener;
    private final long offeredFeatures;
    /** Replaced whole (copy on write) when the ring layout changes: PMD threads read it without locks. */
    private volatile Virtqueue[] queues;
    private final boolean[] enabled, kicked, sized, addressed, running;
    /** Per queue, from SET_VRING_ADDR: VHOST_VRING_F_LOG and log_guest_addr (where its used ring is logged). */
    private final boolean[] ringLogFlag;
    private final long[] ringLogAddr;

    private long features;
    private boolean featuresSet;
    private long protocolFeatures;
    private GuestMemory memory;
    /** The dirty log (SET_LOG_BASE): the bitmap, and the whole page-aligned mapping it lies in (for munmap). */
    private MemorySegment logMapping, logWhole;
    private boolean awaitingLogReported;
    private int mtu;
    private int status;
    private volatile boolean connected;

    public VhostUserDevice(String name, int maxQueuePairs, boolean mergeable, Quiescence quiescence, DeviceListener listener) {
        this(name, maxQueuePairs, mergeable, true, quiescence, listener);
    }

    /** packed: offer VIRTIO_F_RING_PACKED (per port, off by default in the config: see README). */
    public VhostUserDevice(String name, int maxQueuePairs, boolean mergeable, boolean packed, Quiescence quiescence, DeviceListener listener) {
        this(name, maxQueuePairs, mergeable, packed, false, quiescence, listener);
    }

    /**
     * offloads: offer checksum and TCP segmentation offloads both ways ({@link VirtioFeatures#OFFLOADS}: CSUM,
     * GUEST_CSUM, HOST/GUEST_TSO4/6, HOST/GUEST_ECN). Not CTRL_GUEST_OFFLOADS: QEMU answers the control queue
     * itself and offers it to the guest whatever the back-end says.
     */
    public VhostUserDevice(String name, int maxQueuePairs, boolean mergeable, boolean packed, boolean offloads,
                           Quiescence quiescence, DeviceListener listener) {
        this.name = name;
        this.maxPairs = maxQueuePairs;
        this.quiescence = quiescence;
        this.listener = listener;
        long offered = mergeable ? OFFERED_FEATURES : OFFERED_FEATURES & ~bit(NET_F_MRG_RXBUF);
        if (offloads) offered |= VirtioFeatures.OFFLOADS;
        this.offeredFeatures = packed ? offered : offered & ~bit(F_RING_PACKED);
        int n = 2 * maxQueuePairs;
        Virtqueue[] qs = new Virtqueue[n];
        for (int i = 0; i < n; i++) qs[i] = new SplitVirtqueue(i, "port " + name + " queue " + i);
        queues = qs;
        enabled = new boolean[n];
        kicked = new boolean[n];
        sized = new boolean[n];
        addressed = new boolean[n];
        running = new boolean[n];
        ringLogFlag = new boolean[n];
        ringLogAddr = new long[n];
    }

    public String name() { return name; }
    public int maxQueuePairs() { return maxPairs; }
    public int queueCount() { return queues.length; }
    public Virtqueue queue(int i) { return queues[i]; }
    public long features() { return features; }
    public long protocolFeatures() { return protocolFeatures; }
    public int mtu() { return mtu; }
    public boolean connected() { return connected; }
    public boolean logging() { return memory != null && memory.log() != null && has(features, ProtocolFeatures.F_LOG_ALL); }

    private boolean logAll() { return has(features, ProtocolFeatures.F_LOG_ALL); }

    /**
     * LOG_ALL is on but no dirty log is mapped. QEMU does this when it (re)starts the device during a migration
     * (SET_FEATURES with LOG_ALL comes before SET_LOG_BASE): queues then wait for the log, since what they wrote
     * meanwhile would be missing from it and the guest would arrive at the destination without it.
     */
    private boolean awaitingLog() { return logAll() && logMapping == null; }

    void connectedNow() { connected = true; }

    /** Applies one message and sends its reply, if any, on s. */
    public void handle(Message m, UnixSocket s) {
        int expectedFds = switch (m.request) {
            case Request.SET_MEM_TABLE, Request.SET_LOG_BASE, Request.SET_LOG_FD -> -1;   // checked by the handler
            case Request.SET_VRING_KICK, Request.SET_VRING_CALL, Request.SET_VRING_ERR -> -1;
            default -> 0;
        };
        if (expectedFds == 0 && m.fds.length != 0) {
            m.closeFds();
            throw new ProtocolError(Request.name(m.request) + " carried " + m.fds.length + " file descriptor(s), expected none");
        }
        boolean ok;
        try {
            ok = dispatch(m, s);
        } finally {
            m.closeFds();
        }
        if (m.needReply() && has(protocolFeatures, ProtocolFeatures.REPLY_ACK) && !repliesAnyway(m.request)) {
            reply(s, m.request, Message.u64(ok ? 0 : 1));
        }
    }

    private static boolean repliesAnyway(int r) {
        return r == Request.GET_FEATURES || r == Request.GET_PROTOCOL_FEATURES || r == Request.GET_VRING_BASE
                || r == Request.GET_QUEUE_NUM || r == Request.GET_STATUS || r == Request.SET_LOG_BASE;
    }

    private boolean dispatch(Message m, UnixSocket s) {
        ByteBuffer p = m.payload;
        switch (m.request) {
            case Request.GET_FEATURES -> reply(s, m.request, Message.u64(offeredFeatures));
            case Request.SET_FEATURES -> setFeatures(u64(m));
            case Request.SET_OWNER -> { }
            case Request.RESET_OWNER, Request.RESET_DEVICE -> resetQueues();
            case Request.GET_PROTOCOL_FEATURES -> reply(s, m.request, Message.u64(OFFERED_PROTOCOL));
            case Request.SET_PROTOCOL_FEATURES -> {
                long f = u64(m);
                if ((f & ~OFFERED_PROTOCOL) != 0)
                    throw new ProtocolError("SET_PROTOCOL_FEATURES asks for unoffered bits " + ProtocolFeatures.describe(f & ~OFFERED_PROTOCOL));
                protocolFeatures = f;
                LOG.info(() -> "port " + name + ": protocol features " + ProtocolFeatures.describe(f));
            }
            case Request.GET_QUEUE_NUM -> reply(s, m.request, Message.u64(maxPairs));
            case Request.SET_MEM_TABLE -> setMemTable(m);
            case Request.SET_LOG_BASE -> setLogBase(m, s);
            case Request.SET_LOG_FD -> { /* legacy: accepted and closed */ }
            case Request.SET_VRING_NUM -> {
                int i = stateIndex(m);
                int num = p.getInt(4);
                stopQueue(i);
                try {
                    queues[i].setSize(num);
                } catch (VirtqueueFault f) {
                    throw new ProtocolError(f.getMessage());
                }
                sized[i] = true;
                if (logAll()) checkLogCovers(Request.name(m.request));
            }
            case Request.SET_VRING_ADDR -> {
                expectSize(m, 40);
                int i = checkIndex(m, p.getInt(0));
                int flags = p.getInt(4);
                long desc = p.getLong(8), used = p.getLong(16), avail = p.getLong(24), log = p.getLong(32);
                stopQueue(i);
                queues[i].setAddresses(desc, avail, used, log, (flags & 1) != 0);
                addressed[i] = true;
                ringLogFlag[i] = (flags & 1) != 0;     // VHOST_VRING_F_LOG: log the used ring at log_guest_addr
                ringLogAddr[i] = log;
                if (logAll()) checkLogCovers(Request.name(m.request));
                maybeStart(i);
            }
            case Request.SET_VRING_BASE -> {
                int i = stateIndex(m);
                int base = p.getInt(4);
                // packed rings: bits 0-15 avail position | wrap << 15, bits 16-31 the used ones (ignored: equal here)
                if (!(queues[i] instanceof PackedVirtqueue) && (base < 0 || base > 0xffff)) throw new ProtocolError("SET_VRING_BASE " + base + " for queue " + i + " is not a 16-bit index");
                stopQueue(i);
                queues[i].setBase(base);
            }
            case Request.GET_VRING_BASE -> {
                int i = stateIndex(m);
                stopQueue(i);
                kicked[i] = false;
                int base = queues[i] instanceof PackedVirtqueue pq ? pq.vringBase() : queues[i].lastAvailIndex();
                queues[i].setKick(null);
                queues[i].setCall(null);
                reply(s, m.request, Message.state(i, base));
                LOG.fine(() -> "port " + name + ": queue " + i + " stopped at index " + base);
                // The device stopped (QEMU's vhost_dev_stop frees its log): a restart during migration sends a new
                // one, and until it does the queues must not run on this one, whose bits nobody reads any more.
                if (logMapping != null && noQueueRunning()) dropLog("device stopped");
            }
            case Request.SET_VRING_KICK, Request.SET_VRING_CALL, Request.SET_VRING_ERR -> vringFd(m);
            case Request.SET_VRING_ENABLE -> {
                int i = stateIndex(m);
                int on = p.getInt(4);
                if (on != 0 && on != 1) throw new ProtocolError("SET_VRING_ENABLE " + on + " for queue " + i + " is neither 0 nor 1");
                enabled[i] = on == 1;
                if (on == 0) stopQueue(i); else maybeStart(i);
                listener.queuesChanged();
            }
            case Request.SEND_RARP -> {
                expectSize(m, 8);
                byte[] mac = new byte[6];
                p.get(0, mac);
                LOG.info(() -> "port " + name + ": front-end announces " + mac(mac));
                listener.announce(mac);
            }
            case Request.NET_SET_MTU -> {
                long v = u64(m);
                if (v < 68 || v > 65535) throw new ProtocolError("NET_SET_MTU " + v + " is outside 68..65535");
                mtu = (int) v;
                LOG.info(() -> "port " + name + ": MTU " + v);
            }
            case Request.SET_STATUS -> {
                long v = u64(m);
                if (v < 0 || v > 0xff) throw new ProtocolError("SET_STATUS " + v + " is not an 8-bit status");
                status = (int) v;
                if (v == 0) resetQueues();
            }
            case Request.GET_STATUS -> reply(s, m.request, Message.u64(status));
            case Request.SET_VRING_ENDIAN -> { return false; }   // legacy cross-endian: not supported
            default -> {
                if (m.request <= 0 || m.request > Request.MAX)
                    throw new ProtocolError("unknown request code " + m.request);
                // a known request whose feature was never offered
                throw new ProtocolError(Request.name(m.request) + " is not supported (its feature was not offered)");
            }
        }
        return true;
    }

    private void setFeatures(long f) {
        if ((f & ~offeredFeatures) != 0)
            throw new ProtocolError("SET_FEATURES asks for unoffered bits " + describe(f & ~offeredFeatures));
        boolean first = !featuresSet;
        long old = features;
        boolean wasLogAll = logAll();
        features = f;
        featuresSet = true;
        if (first || (old & ~bit(ProtocolFeatures.F_LOG_ALL)) != (f & ~bit(ProtocolFeatures.F_LOG_ALL))) {
            LOG.info(() -> "port " + name + ": features " + describe(f));
            boolean protocol = has(f, ProtocolFeatures.F_PROTOCOL_FEATURES);
            relayout(f);
            // without PROTOCOL_FEATURES rings are enabled from the start (vhost-user.rst, "Ring states")
            for (int i = 0; i < queues.length; i++) {
                if (running[i]) { stopQueue(i); maybeStartAfter(i); }
                else if (!protocol) enabled[i] = true;
            }
        }
        boolean logAll = has(f, ProtocolFeatures.F_LOG_ALL);
        if (logAll && !wasLogAll) {
            if (logMapping != null) {
                checkLogCovers("SET_FEATURES with LOG_ALL");
                LOG.info(() -> "port " + name + ": dirty-page logging on");
            } else {
                // no log yet: hold the queues until SET_LOG_BASE (see awaitingLog)
                for (int i = 0; i < queues.length; i++) stopQueue(i);
                reportAwaitingLog();
            }
        }
        applyLog();
        if (wasLogAll && !logAll) {
            // migration finished or was cancelled: QEMU frees the log (vhost_log_put); the next one comes with SET_LOG_BASE
            dropLog("logging off");
        }
    }

    /** Gives the memory table the dirty log when LOG_ALL is on and a log is mapped, else none; then waits for the PMDs. */
    private void applyLog() {
        if (memory == null) return;
        DirtyLog want = logAll() && logMapping != null ? new DirtyLog(logMapping) : null;
        DirtyLog cur = memory.log();
        if (want == null && cur == null || want != null && cur != null && cur.bitmap() == want.bitmap()) return;
        memory.setLog(want);
        // a burst that began before the switch ends before we reply: the front-end counts on the log from then on
        quiescence.await();
    }

    private void dropLog(String why) {
        if (logMapping == null) return;
        if (memory != null) memory.setLog(null);
        quiescence.await();
        unmapQuietly(logWhole);
        logMapping = logWhole = null;
        LOG.info(() -> "port " + name + ": dirty log released (" + why + ")");
    }

    private boolean noQueueRunning() {
        for (boolean r : running) if (r) return false;
        return true;
    }

    private void reportAwaitingLog() {
        if (awaitingLogReported) return;
        awaitingLogReported = true;
        LOG.info(() -> "port " + name + ": LOG_ALL without a dirty log: queues wait for SET_LOG_BASE");
    }

    /**
     * The log must cover every page xvio may mark: all of guest memory, and each logged used ring at its
     * log_guest_addr (vhost-user.rst, "Migration"). Throws ProtocolError (the connection closes) if it does not.
     */
    private void checkLogCovers(String when) { checkLogCovers(when, memory); }

    private void checkLogCovers(String when, GuestMemory mem) {
        if (logMapping == null) return;
        long pages = (logMapping.byteSize() >>> 3) << 6;     // whole 64-bit words only: bits are set a word at a time
        String have = "the dirty log of " + logMapping.byteSize() + " bytes covers " + pages + " pages ("
                + ((pages << DirtyLog.PAGE_SHIFT) >> 20) + " MiB)";
        if (mem != null) {
            for (MemoryRegion r : mem.regions()) {
                long last = (r.gpa() + r.size() - 1) >>> DirtyLog.PAGE_SHIFT;
                if (Long.compareUnsigned(last, pages) >= 0)
                    throw new ProtocolError(when + ": " + have + ", but guest memory reaches 0x" + Long.toHexString(r.gpa() + r.size())
                            + " (needs " + ((last / 64 + 1) * 8) + " bytes)");
            }
        }
        for (int i = 0; i < queues.length; i++) {
            if (!ringLogFlag[i] || !addressed[i]) continue;
            int size = sized[i] ? queues[i].size() : 0;
            long len = queues[i] instanceof PackedVirtqueue ? 4 : 6L + 8L * size;
            long last = (ringLogAddr[i] + len - 1) >>> DirtyLog.PAGE_SHIFT;
            if (Long.compareUnsigned(last, pages) >= 0)
                throw new ProtocolError(when + ": " + have + ", but queue " + i + " logs its used ring at 0x" + Long.toHexString(ringLogAddr[i]));
        }
    }

    private void maybeStartAfter(int i) { maybeStart(i); }

    /**
     * Makes every queue the layout features ask for (split, or packed with RING_PACKED). A queue that changes
     * layout is stopped and rebuilt: it keeps its call/kick fds and size (if the new layout allows it); its base
     * restarts at the layout's initial state (packed: position 0, wrap counter 1) and its ring addresses must be
     * given again, as front-ends do after SET_FEATURES.
     */
    private void relayout(long f) {
        boolean packed = has(f, F_RING_PACKED);
        Virtqueue[] qs = queues.clone();
        boolean changed = false;
        for (int i = 0; i < qs.length; i++) {
            if ((qs[i] instanceof PackedVirtqueue) == packed) continue;
            stopQueue(i);
            Virtqueue old = qs[i], q = Virtqueue.create(f, i, "port " + name + " queue " + i);
            q.setCall(old.callFd());
            q.setKick(old.kickFd());
            try {
                if (sized[i]) q.setSize(old.size());
            } catch (VirtqueueFault e) {
                sized[i] = false;
            }
            addressed[i] = false;
            qs[i] = q;
            changed = true;
        }
        if (!changed) return;
        queues = qs;
        LOG.fine(() -> "port " + name + ": " + (packed ? "packed" : "split") + " rings");
        listener.queuesChanged();
    }

    private void vringFd(Message m) {
        long v = u64(m);
        int i = checkIndex(m, (int) (v & 0xff));
        boolean noFd = (v & 0x100) != 0;
        if ((v & ~0x1ffL) != 0) throw new ProtocolError(Request.name(m.request) + " payload 0x" + Long.toHexString(v) + " sets reserved bits");
        int want = noFd ? 0 : 1;
        if (m.fds.length != want)
            throw new ProtocolError(Request.name(m.request) + " for queue " + i + " carried " + m.fds.length + " fds, expected " + want);
        EventFd fd = null;
        if (!noFd) {
            int raw = m.fds[0];
            m.fds[0] = -1;
            try {
                fd = EventFd.adopt(raw);
            } catch (IllegalArgumentException e) {
                throw new ProtocolError(Request.name(m.request) + " for queue " + i + ": " + e.getMessage());
            }
        }
        switch (m.request) {
            case Request.SET_VRING_KICK -> {
                stopQueue(i);
                queues[i].setKick(fd);
                kicked[i] = true;      // a ring starts on its kick fd, or in polling mode without one
                maybeStart(i);
            }
            case Request.SET_VRING_CALL -> {
                if (!running[i]) {
                    queues[i].setCall(fd);
                    break;
                }
                // QEMU sends the call fd after the kick, so the ring already runs: swap it, close the old one only
                // once no PMD thread can be signalling it, then signal the new one. What the queue completed with no
                // call fd (after GET_VRING_BASE) or with the masked notifier QEMU sends first was never announced;
                // with EVENT_IDX the driver's used_event lies behind it and no later completion would cross it.
                EventFd old = queues[i].swapCall(fd);
                quiescence.await();
                if (old != null && old != fd) old.close();
                queues[i].kickDriver();
            }
            default -> { if (fd != null) fd.close(); }
        }
    }

    private void maybeStart(int i) {
        if (running[i] || !enabled[i] || !kicked[i] || !sized[i] || !addressed[i] || memory == null) return;
        if (awaitingLog()) { reportAwaitingLog(); return; }
        try {
            queues[i].start(memory, features);
        } catch (VirtqueueFault f) {
            throw new ProtocolError(f.getMessage());
        }
        running[i] = true;
        String note = queues[i].resumedNote();
        if (note != null) LOG.info(() -> "port " + name + ": queue " + i + ": " + note);
        LOG.fine(() -> "port " + name + ": queue " + i + " started, size " + queues[i].size());
        listener.queuesChanged();
    }

    private void stopQueue(int i) {
        if (!running[i]) return;
        queues[i].stop();
        quiescence.await();
        queues[i].release();
        running[i] = false;
        listener.queuesChanged();
    }

    private void resetQueues() {
        for (int i = 0; i < queues.length; i++) {
            stopQueue(i);
            kicked[i] = false;
            enabled[i] = !has(features, ProtocolFeatures.F_PROTOCOL_FEATURES) && featuresSet;
        }
    }

    private void setMemTable(Message m) {
        ByteBuffer p = m.payload;
        if (m.size() < 8) throw new ProtocolError("SET_MEM_TABLE payload of " + m.size() + " bytes is shorter than its 8-byte header");
        int n = p.getInt(0);
        if (n < 1 || n > MAX_REGIONS) throw new ProtocolError("SET_MEM_TABLE with " + Integer.toUnsignedString(n) + " regions (1.." + MAX_REGIONS + " allowed)");
        if (m.size() < 8 + 32 * n) throw new ProtocolError("SET_MEM_TABLE payload of " + m.size() + " bytes is too short for " + n + " regions");
        if (m.fds.length != n) throw new ProtocolError("SET_MEM_TABLE with " + n + " regions carried " + m.fds.length + " fds");
        List<MemoryRegion> regions = new ArrayList<>();
        try {
            for (int r = 0; r < n; r++) {
                int o = 8 + 32 * r;
                long gpa = p.getLong(o), size = p.getLong(o + 8), uva = p.getLong(o + 16), off = p.getLong(o + 24);
                String what = "SET_MEM_TABLE region " + r + " (gpa 0x" + Long.toHexString(gpa) + ", size 0x" + Long.toHexString(size) + ")";
                if (size <= 0) throw new ProtocolError(what + ": size must be positive");
                if (Long.compareUnsigned(gpa + size - 1, gpa) < 0 || Long.compareUnsigned(uva + size - 1, uva) < 0)
                    throw new ProtocolError(what + ": wraps around the address space");
                if (off < 0) throw new ProtocolError(what + ": negative mmap offset");
                long fileSize = Fd.regularFileSize(m.fds[r]);
                if (fileSize >= 0 && Long.compareUnsigned(off + size, fileSize) > 0)
                    throw new ProtocolError(what + ": offset 0x" + Long.toHexString(off) + " + size exceeds the " + fileSize + "-byte file behind its fd");
                long aligned = off & ~4095L, delta = off - aligned;
                MemorySegment map = Mmap.mapShared(m.fds[r], size + delta, aligned);
                MemoryRegion region = new MemoryRegion(gpa, size, uva, off, map, map.asSlice(delta, size));
                for (MemoryRegion other : regions) {
                    if (other.overlaps(region)) {
                        Mmap.unmap(map);
                        throw new ProtocolError(what + ": overlaps another region");
                    }
                }
                regions.add(region);
            }
        } catch (RuntimeException e) {
            for (MemoryRegion r : regions) Mmap.unmap(r.mapping());
            if (e instanceof ProtocolError) throw e;
            throw new ProtocolError("SET_MEM_TABLE: " + e.getMessage());
        }
        if (logAll() && logMapping != null) {
            // QEMU grows the log before it sends a larger table (vhost_commit): a table beyond the log is a bug
            try {
                checkLogCovers("SET_MEM_TABLE while logging", new GuestMemory(regions));
            } catch (ProtocolError e) {
                for (MemoryRegion r : regions) unmapQuietly(r.mapping());
                throw e;
            }
        }
        // swap: stop running queues, wait for the PMDs to let go of the old table, restart on the new one
        boolean[] wasRunning = running.clone();
        for (int i = 0; i < queues.length; i++) if (running[i]) queues[i].stop();
        quiescence.await();
        for (int i = 0; i < queues.length; i++) if (running[i]) { queues[i].release(); running[i] = false; }
        GuestMemory old = memory;
        memory = new GuestMemory(regions);
        if (logMapping != null && has(features, ProtocolFeatures.F_LOG_ALL)) memory.setLog(new DirtyLog(logMapping));
        if (old != null) unmapAll(old);
        long total = regions.stream().mapToLong(MemoryRegion::size).sum();
        LOG.info(() -> "port " + name + ": memory table with " + n + " region(s), " + (total >> 20) + " MiB");
        for (int i = 0; i < queues.length; i++) if (wasRunning[i]) maybeStart(i);
    }

    /**
     * VHOST_USER_SET_LOG_BASE with LOG_SHMFD: the dirty bitmap is {size} bytes at {offset} in the fd that comes
     * with the message. Replies with an empty SET_LOG_BASE once the new log is in use (QEMU waits for it, then
     * syncs and frees the old log). The log must cover guest memory and the logged used rings.
     */
    private void setLogBase(Message m, UnixSocket s) {
        expectSize(m, 16);
        if (!has(protocolFeatures, ProtocolFeatures.LOG_SHMFD))
            throw new ProtocolError("SET_LOG_BASE without LOG_SHMFD negotiated (xvio takes the dirty log only as shared memory)");
        if (m.fds.length != 1) throw new ProtocolError("SET_LOG_BASE carried " + m.fds.length + " fds, expected 1 (the log's shared memory)");
        long size = m.payload.getLong(0), off = m.payload.getLong(8);
        if (size <= 0 || off < 0 || off + size < 0) throw new ProtocolError("SET_LOG_BASE with size " + size + " and offset " + off);
        if ((off & 7) != 0) throw new ProtocolError("SET_LOG_BASE offset " + off + " is not 8-byte aligned");
        if (size < 8) throw new ProtocolError("SET_LOG_BASE size " + size + " is smaller than one 64-bit word of the bitmap");
        long fileSize = Fd.regularFileSize(m.fds[0]);
        if (fileSize >= 0 && off + size > fileSize) throw new ProtocolError("SET_LOG_BASE: offset + size exceeds the " + fileSize + "-byte file");
        long aligned = off & ~4095L, delta = off - aligned;
        MemorySegment whole;
        try {
            whole = Mmap.mapShared(m.fds[0], size + delta, aligned);
        } catch (RuntimeException e) {
            throw new ProtocolError("SET_LOG_BASE: cannot map the log: " + e.getMessage());
        }
        MemorySegment map = whole.asSlice(delta, size);
        MemorySegment oldMap = logMapping, oldWhole = logWhole;
        logMapping = map;
        logWhole = whole;
        try {
            checkLogCovers("SET_LOG_BASE");
        } catch (ProtocolError e) {
            logMapping = oldMap;
            logWhole = oldWhole;
            unmapQuietly(whole);
            throw e;
        }
        applyLog();                        // waits for the PMDs: none marks the old log after this
        if (oldWhole != null) unmapQuietly(oldWhole);
        awaitingLogReported = false;
        LOG.info(() -> "port " + name + ": dirty log of " + size + " bytes" + (logAll() ? " (logging on)" : ""));
        reply(s, m.request, new byte[0]);
        for (int i = 0; i < queues.length; i++) maybeStart(i);   // queues held for the log (awaitingLog) start now
    }

    /** Stops every queue and unmaps everything: the connection went away. */
    public void disconnect() {
        connected = false;
        for (int i = 0; i < queues.length; i++) if (running[i]) queues[i].stop();
        quiescence.await();
        for (int i = 0; i < queues.length; i++) {
            queues[i].release();
            queues[i].setKick(null);
            queues[i].setCall(null);
            running[i] = kicked[i] = sized[i] = addressed[i] = enabled[i] = false;
            queues[i].setBase(0);
        }
        relayout(0);
        if (memory != null) unmapAll(memory);
        memory = null;
        if (logWhole != null) unmapQuietly(logWhole);
        logMapping = logWhole = null;
        awaitingLogReported = false;
        java.util.Arrays.fill(ringLogFlag, false);
        features = 0;
        featuresSet = false;
        protocolFeatures = 0;
        status = 0;
        listener.queuesChanged();
    }

    private static void unmapAll(GuestMemory mem) {
        for (MemoryRegion r : mem.regions()) unmapQuietly(r.mapping());
    }

    private static void unmapQuietly(MemorySegment seg) {
        try {
            Mmap.unmap(seg);
        } catch (RuntimeException e) {
            LOG.warning("munmap failed: " + e.getMessage());
        }
    }

    private int stateIndex(Message m) {
        expectSize(m, 8);
        return checkIndex(m, m.payload.getInt(0));
    }

    private int checkIndex(Message m, int i) {
        if (i < 0 || i >= queues.length)
            throw new ProtocolError(Request.name(m.request) + " names queue " + Integer.toUnsignedString(i) + " but the device has " + queues.length + " queues");
        return i;
    }

    private static long u64(Message m) {
        expectSize(m, 8);
        return m.payload.getLong(0);
    }

    private static void expectSize(Message m, int size) {
        if (m.size() != size)
            throw new ProtocolError(Request.name(m.request) + " payload is " + m.size() + " bytes, expected " + size);
    }

    private static void reply(UnixSocket s, int request, byte[] payload) {
        s.send(Message.encode(request, Message.VERSION | Message.FLAG_REPLY, payload));
    }

    public static String mac(byte[] mac) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 6; i++) sb.append(i == 0 ? "" : ":").append(String.format("%02x", mac[i] & 0xff));
        return sb.toString();
    }
}
