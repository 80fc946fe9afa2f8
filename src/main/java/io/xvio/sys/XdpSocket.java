package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.*;

/**
 * An AF_XDP socket in copy mode on one queue of an interface, with its own UMEM: an anonymous page-aligned
 * mapping of fixed-size chunks, the first {@code rxFrames} lent to the kernel through the fill ring for receiving,
 * the rest kept by the sender for the tx ring and returned through the completion ring. Layouts from
 * {@code /usr/include/linux/if_xdp.h}.
 *
 * <p>Frames only arrive if an XDP program redirects them into this socket ({@link XdpRedirect}). {@link #receive}
 * is one thread's hot path; {@link #queue}/{@link #flush} another's (or the same): no allocation, {@code -errno}
 * instead of exceptions. The socket must not be {@linkplain #close closed} while a thread is in them.
 */
public final class XdpSocket implements FrameSender, AutoCloseable {
    static final int AF_XDP = 44, SOCK_RAW = 3, SOL_XDP = 283;
    static final int XDP_MMAP_OFFSETS = 1, XDP_RX_RING = 2, XDP_TX_RING = 3, XDP_UMEM_REG = 4, XDP_UMEM_FILL_RING = 5,
            XDP_UMEM_COMPLETION_RING = 6, XDP_STATISTICS = 7, XDP_MAX_TX_SKB_BUDGET = 9;
    /** Descriptors one sendto sends in copy mode: the kernel's TX_BATCH_SIZE, unless XDP_MAX_TX_SKB_BUDGET (Linux 6.17+) raised it. */
    public static final int KERNEL_TX_BATCH = 32;
    /** The budget xvio asks for (at most the tx ring's size). */
    static final int TX_BUDGET = 256;
    /**
     * With a larger budget, {@link #flushOrHold} keeps frames on the tx ring until this many wait (five bursts):
     * one system call then sends them all instead of one per burst. A sendto costs ~1.8 us here (a KVM guest with
     * page-table isolation): 56 ns a frame at 32 per call, 11 at 160 (XskSendCpuTime: 96 saves 38 ns, 160 50, 224 50).
     */
    public static final int KICK_AT = 160;
    /**
     * ... or until this many bytes wait: three bursts of 1,500-byte frames (96 frames, 56 -> 19 ns of sendto a
     * frame), not five, so that the frames the kernel copies are still in the cache (held without a byte limit,
     * 1,500-byte frames were slower, session 22). bench/loopback vxlan, 1,500 bytes, 2026-12-05: 32 KiB (a sendto per
     * burst) 1.61 Mpps, 64 KiB 1.76, 128 KiB 1.79 (busy 602.6 / 559.2 / 545.5 ns a frame).
     */
    public static final int KICK_BYTES = 128 * 1024;
    /** sockaddr_xdp.sxdp_flags */
    static final int XDP_COPY = 1 << 1, XDP_USE_NEED_WAKEUP = 1 << 3;
    /** mmap offsets of the four rings on the socket's fd. */
    static final long XDP_PGOFF_RX_RING = 0, XDP_PGOFF_TX_RING = 0x80000000L, XDP_UMEM_PGOFF_FILL_RING = 0x100000000L,
            XDP_UMEM_PGOFF_COMPLETION_RING = 0x180000000L;
    /** The kernel keeps this much of every chunk in front of a received frame (copy mode), so a frame is at most chunk - 256. */
    public static final int XDP_PACKET_HEADROOM = 256;
    /** struct xdp_umem_reg: u64 addr @0, u64 len @8, u32 chunk_size @16, u32 headroom @20, u32 flags @24, u32 tx_metadata_len @28 (6.8+; padding before). */
    static final int UMEM_REG_SIZE = 32;
    /** struct xdp_mmap_offsets: struct xdp_ring_offset {u64 producer, consumer, desc, flags} rx @0, tx @32, fr @64, cr @96. */
    static final int MMAP_OFFSETS_SIZE = 128, RING_OFFSET_SIZE = 32;
    /** struct sockaddr_xdp: u16 family @0, u16 flags @2, u32 ifindex @4, u32 queue_id @8, u32 shared_umem_fd @12. */
    static final int SOCKADDR_XDP_SIZE = 16;
    /** struct xdp_desc: u64 addr @0, u32 len @8, u32 options @12. Fill and completion entries are u64 addresses. */
    static final int DESC_SIZE = 16, ADDR_SIZE = 8;
    /** struct xdp_statistics: six u64: rx_dropped, rx_invalid_descs, tx_invalid_descs, rx_ring_full, rx_fill_ring_empty_descs, tx_ring_empty_descs. */
    static final int STATS_SIZE = 48;
    static final int MSG_DONTWAIT = 0x40;

    private final int fd;
    private final String device;
    private final int queueId, chunkSize, rxFrames, txFrames, txBudget;
    private final boolean needWakeup;
    private final MemorySegment umem;
    private final MemorySegment[] maps;
    private final XskRing fill, comp, rx, tx;
    // errno capture areas: the receiving thread's wake-up and the sender's kick may run at once on two PMD threads
    private final MemorySegment rxCapture = Arena.ofAuto().allocate(Math.max(64, NetNative.CAPTURE_SIZE), 64),
            txCapture = Arena.ofAuto().allocate(Math.max(64, NetNative.CAPTURE_SIZE), 64);
    private volatile boolean closed;

    // receiver state (one thread)
    private long droppedTooBig, droppedRunt;
    // sender state (one thread at a time)
    private final long[] freeTx;
    private int freeCount, queued;
    private boolean kick;
    private long heldSince;               // System.nanoTime() (| 1) when flushOrHold first kept frames back; 0: none
    private int unsentBytes;               // bytes queued since the last kick

    private XdpSocket(int fd, String device, int queueId, int chunkSize, int rxFrames, int txFrames, int txBudget, boolean needWakeup,
                      MemorySegment umem, MemorySegment[] maps, XskRing fill, XskRing comp, XskRing rx, XskRing tx) {
        this.fd = fd;
        this.device = device;
        this.queueId = queueId;
        this.chunkSize = chunkSize;
        this.rxFrames = rxFrames;
        this.txFrames = txFrames;
        this.txBudget = txBudget;
        this.needWakeup = needWakeup;
        this.umem = umem;
        this.maps = maps;
        this.fill = fill;
        this.comp = comp;
        this.rx = rx;
        this.tx = tx;
        this.freeTx = new long[txFrames];
        for (int i = 0; i < txFrames; i++) freeTx[freeCount++] = (long) (rxFrames + i) * chunkSize;
    }

    /**
     * Opens a socket on queue queueId of interface ifindex (device in messages): UMEM of rxFrames + txFrames chunks of
     * chunkSize bytes (powers of two; chunkSize 2048 or 4096), rings of rxFrames (fill, rx) and txFrames (tx,
     * completion) entries, every receive chunk handed to the kernel. Each failing step is named in the exception.
     */
    public static XdpSocket open(String device, int ifindex, int queueId, int chunkSize, int rxFrames, int txFrames) {
        if ((chunkSize != 2048 && chunkSize != 4096) || Integer.bitCount(rxFrames) != 1 || Integer.bitCount(txFrames) != 1)
            throw new IllegalArgumentException("chunk " + chunkSize + ", frames " + rxFrames + "/" + txFrames + ": powers of two, chunk 2048 or 4096");
        String what = "AF_XDP socket on " + device + " queue " + queueId;
        int fd = socket(what);
        MemorySegment umem = null;
        MemorySegment[] maps = new MemorySegment[4];
        try (Arena a = Arena.ofConfined()) {
            umem = Mmap.mapAnonymousHuge((long) chunkSize * (rxFrames + txFrames));
            MemorySegment reg = a.allocate(UMEM_REG_SIZE, 8);
            reg.set(JAVA_LONG, 0, umem.address());
            reg.set(JAVA_LONG, 8, umem.byteSize());
            reg.set(JAVA_INT, 16, chunkSize);
            TPacket.setsockopt(fd, SOL_XDP, XDP_UMEM_REG, "XDP_UMEM_REG (" + (rxFrames + txFrames) + " x " + chunkSize + " bytes)", reg, what);
            TPacket.setInt(fd, SOL_XDP, XDP_UMEM_FILL_RING, "XDP_UMEM_FILL_RING", rxFrames, what);
            TPacket.setInt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, "XDP_UMEM_COMPLETION_RING", txFrames, what);
            TPacket.setInt(fd, SOL_XDP, XDP_RX_RING, "XDP_RX_RING", rxFrames, what);
            TPacket.setInt(fd, SOL_XDP, XDP_TX_RING, "XDP_TX_RING", txFrames, what);
            int budget = txBudget(fd, Math.min(TX_BUDGET, txFrames), what);
            MemorySegment off = offsets(a, fd, what);
            XskRing rx = ring(fd, maps, 0, off, 0, XDP_PGOFF_RX_RING, rxFrames, DESC_SIZE);
            XskRing tx = ring(fd, maps, 1, off, 1, XDP_PGOFF_TX_RING, txFrames, DESC_SIZE);
            XskRing fill = ring(fd, maps, 2, off, 2, XDP_UMEM_PGOFF_FILL_RING, rxFrames, ADDR_SIZE);
            XskRing comp = ring(fd, maps, 3, off, 3, XDP_UMEM_PGOFF_COMPLETION_RING, txFrames, ADDR_SIZE);
            for (int i = 0; i < rxFrames; i++) fill.memory().set(JAVA_LONG, fill.producerEntry(i), (long) i * chunkSize);
            fill.submit(rxFrames);
            boolean wakeup = true;
            try {
                bind(a, fd, ifindex, queueId, XDP_COPY | XDP_USE_NEED_WAKEUP, what);
            } catch (SysException e) {
                if (e.errno() != Errno.EINVAL) throw e;
                wakeup = false;                        // before Linux 5.4: no need_wakeup, kick on every send
                bind(a, fd, ifindex, queueId, XDP_COPY, what);
            }
            return new XdpSocket(fd, device, queueId, chunkSize, rxFrames, txFrames, budget, wakeup, umem, maps, fill, comp, rx, tx);
        } catch (RuntimeException e) {
            Fd.closeQuietly(fd);
            for (MemorySegment m : maps) if (m != null) Mmap.unmap(m);
            if (umem != null) Mmap.unmap(umem);
            throw e;
        }
    }

    /** Asks the kernel to send up to want descriptors per sendto; the kernel's own 32 where it has no such option (before 6.17). */
    private static int txBudget(int fd, int want, String what) {
        if (want <= KERNEL_TX_BATCH) return KERNEL_TX_BATCH;
        try {
            TPacket.setInt(fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, "XDP_MAX_TX_SKB_BUDGET", want, what);
            return want;
        } catch (SysException e) {
            return KERNEL_TX_BATCH;             // ENOPROTOOPT: an older kernel
        }
    }

    private static int socket(String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            int fd = (int) Native.SOCKET.invokeExact(cap, AF_XDP, SOCK_RAW | UnixSocket.SOCK_CLOEXEC, 0);
            if (fd < 0) throw new SysException("socket(AF_XDP) for " + what, Native.errno(cap));
            return fd;
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static MemorySegment offsets(Arena a, int fd, String what) {
        MemorySegment off = a.allocate(MMAP_OFFSETS_SIZE, 8);
        MemorySegment len = a.allocate(JAVA_INT);
        len.set(JAVA_INT, 0, MMAP_OFFSETS_SIZE);
        MemorySegment cap = a.allocate(Native.CAPTURE);
        try {
            int rc = (int) NetNative.GETSOCKOPT.invokeExact(cap, fd, SOL_XDP, XDP_MMAP_OFFSETS, off, len);
            if (rc < 0) throw new SysException("getsockopt(XDP_MMAP_OFFSETS) on " + what, NetNative.errno(cap));
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        // before Linux 5.4 the offsets had no flags member (96 bytes): not supported, need_wakeup needs them
        if (len.get(JAVA_INT, 0) != MMAP_OFFSETS_SIZE)
            throw new SysException("getsockopt(XDP_MMAP_OFFSETS) on " + what + " returned " + len.get(JAVA_INT, 0) + " bytes, not " + MMAP_OFFSETS_SIZE, Errno.EOPNOTSUPP);
        return off;
    }

    /** Maps ring k (offsets entry which) at pgoff and wraps it. */
    private static XskRing ring(int fd, MemorySegment[] maps, int k, MemorySegment off, int which, long pgoff, int entries, int entrySize) {
        long base = (long) which * RING_OFFSET_SIZE;
        long producer = off.get(JAVA_LONG, base), consumer = off.get(JAVA_LONG, base + 8), desc = off.get(JAVA_LONG, base + 16),
                flags = off.get(JAVA_LONG, base + 24);
        maps[k] = Mmap.mapShared(fd, desc + (long) entries * entrySize, pgoff);
        return new XskRing(maps[k], producer, consumer, flags, desc, entries, entrySize);
    }

    private static void bind(Arena a, int fd, int ifindex, int queueId, int flags, String what) {
        MemorySegment cap = a.allocate(Native.CAPTURE);
        MemorySegment sxdp = a.allocate(SOCKADDR_XDP_SIZE, 4);
        sxdp.set(JAVA_SHORT, 0, (short) AF_XDP);
        sxdp.set(JAVA_SHORT, 2, (short) flags);
        sxdp.set(JAVA_INT, 4, ifindex);
        sxdp.set(JAVA_INT, 8, queueId);
        try {
            int rc = (int) Native.BIND.invokeExact(cap, fd, sxdp, SOCKADDR_XDP_SIZE);
            String mode = "XDP_COPY" + ((flags & XDP_USE_NEED_WAKEUP) != 0 ? "|XDP_USE_NEED_WAKEUP" : "");
            if (rc < 0) throw new SysException("bind(" + mode + ", ifindex " + ifindex + ", queue " + queueId + ") of " + what, Native.errno(cap));
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public int fd() { return fd; }
    public String device() { return device; }
    public int queueId() { return queueId; }
    public int chunkSize() { return chunkSize; }
    public int rxFrames() { return rxFrames; }
    public int txFrames() { return txFrames; }
    public boolean usesNeedWakeup() { return needWakeup; }
    /** Descriptors one sendto sends: {@link #KERNEL_TX_BATCH}, or more where the kernel took XDP_MAX_TX_SKB_BUDGET. */
    public int txBudget() { return txBudget; }
    /** The longest frame the kernel delivers into a chunk (and that {@link #queue} accepts). */
    public int maxFrame() { return chunkSize - XDP_PACKET_HEADROOM; }
    /** Frames longer than the caller's capacity; read racily. */
    public long droppedTooBig() { return droppedTooBig; }
    /** Frames shorter than an Ethernet header; read racily. */
    public long droppedRunt() { return droppedRunt; }

    // ------------------------------------------------------------------ receive (one thread)

    /**
     * Copies up to max received frames into buf: frame i at offset off[i] (set by the caller), at most capacity
     * bytes, its length in len[i]; gives each chunk straight back to the kernel through the fill ring. Returns the
     * number of frames. When nothing arrived and the kernel asks for it (need_wakeup on the fill ring), wakes it.
     */
    public int receive(MemorySegment buf, int[] off, int[] len, int capacity, int max) {
        int n = rx.peek(max);
        if (n == 0) {
            if (needWakeup && fill.needsWakeup()) wakeRx();
            return 0;
        }
        n = fill.reserve(n);                 // never short: fill and rx together hold at most rxFrames entries
        MemorySegment r = rx.memory(), f = fill.memory(), u = umem;
        long chunkMask = ~((long) chunkSize - 1);
        int out = 0;
        for (int i = 0; i < n; i++) {
            long d = rx.consumerEntry(i);
            long addr = r.get(JAVA_LONG, d);
            int l = r.get(JAVA_INT, d + 8);
            if (l > capacity) droppedTooBig++;
            else if (l < 14) droppedRunt++;
            else {
                MemorySegment.copy(u, addr, buf, off[out], l);
                len[out++] = l;
            }
            f.set(JAVA_LONG, fill.producerEntry(i), addr & chunkMask);
        }
        fill.submit(n);
        rx.release(n);
        return out;
    }

    private void wakeRx() {
        try {
            long rc = (long) NetNative.RECVFROM_AT.invokeExact(rxCapture, fd, 0L, 0L, MSG_DONTWAIT, 0L, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    // ------------------------------------------------------------------ send (one thread at a time)

    /**
     * Copies buf[off, off+len) into a free chunk and puts it on the tx ring (published by the next {@link #flush}).
     * Returns false, copying nothing, when every transmit chunk is still in flight. len must be at most
     * {@link #maxFrame()}.
     */
    public boolean queue(MemorySegment buf, long off, int len) {
        // the kernel skips a zero-length descriptor without completing it: its chunk would never come back
        if (len < 1 || len > chunkSize) throw new IndexOutOfBoundsException("frame length " + len);
        if (freeCount == 0) reap();
        if (freeCount == 0 || tx.reserve(queued + 1) <= queued) {
            kick = true;
            return false;
        }
        long addr = freeTx[freeCount - 1];
        MemorySegment.copy(buf, off, umem, addr, len);
        freeCount--;                               // taken only once the copy succeeded
        putOnRing(addr, len);
        return true;
    }

    /** The next tx ring descriptor (reserved by the caller): len bytes at UMEM offset addr; published by the next flush. */
    private void putOnRing(long addr, int len) {
        MemorySegment t = tx.memory();
        long d = tx.producerEntry(queued);
        t.set(JAVA_LONG, d, addr);
        t.set(JAVA_INT, d + 8, len);
        t.set(JAVA_INT, d + 12, 0);
        queued++;
        unsentBytes += len;
    }

    /**
     * Lends up to max free transmit chunks, each with a tx ring slot, for the caller to write frames into in place
     * (a relay copies guest frames straight into them: one copy instead of two): their UMEM offsets go to
     * chunks[0..n). Every chunk lent goes back before the sender lets go of the socket: with {@link #queueLent}
     * (sent) or {@link #giveBack} (unused). Returns n, 0 when every chunk is in flight.
     */
    public int lend(int max, long[] chunks) {
        if (freeCount < max) reap();
        int n = Math.min(max, freeCount);
        n = Math.max(0, Math.min(n, tx.reserve(queued + n) - queued));
        if (n == 0) {
            kick = true;                           // the kernel has frames to send before chunks come back
            return 0;
        }
        for (int i = 0; i < n; i++) chunks[i] = freeTx[--freeCount];
        return n;
    }

    /**
     * Puts a frame the caller wrote into a lent chunk on the tx ring: len bytes at UMEM offset addr, inside the
     * chunk (1 <= len, addr + len at most the chunk's end).
     */
    public void queueLent(long addr, int len) {
        if (len < 1 || (addr & (chunkSize - 1)) + len > chunkSize) throw new IndexOutOfBoundsException("frame of " + len + " bytes at chunk offset " + (addr & (chunkSize - 1)));
        putOnRing(addr, len);
    }

    /** Returns a lent chunk (any offset inside it) unused. */
    public void giveBack(long addr) { freeTx[freeCount++] = addr & -(long) chunkSize; }

    /** The UMEM: where lent chunks are ({@link #lend}). */
    public MemorySegment umem() { return umem; }

    /**
     * Like {@link #flush}, but where one sendto sends more than a burst (txBudget >= KICK_AT) and fewer than
     * {@link #KICK_AT} frames and {@link #KICK_BYTES} bytes wait, puts the queued frames on the tx ring without the
     * system call and returns 0: they go with a later flush, with the frames of the next bursts. {@link #heldSince}
     * tells since when frames wait; the caller bounds that ({@code port.HeldTx}).
     */
    @Override
    public int flushOrHold() {
        if (txBudget >= KICK_AT) {
            if (queued > 0) {
                tx.submit(queued);
                queued = 0;
                kick = true;
            }
            if (kick && tx.pending() < KICK_AT && unsentBytes < KICK_BYTES) {
                if (heldSince == 0) heldSince = System.nanoTime() | 1;
                return 0;
            }
        }
        return flush();
    }

    /** When frames were first held back by {@link #flushOrHold} (System.nanoTime()), 0 when none are. */
    @Override
    public long heldSince() { return heldSince; }

    /** Whether {@link #flush} has work: frames queued, or frames an earlier flush could not get the kernel to send. */
    public boolean needsFlush() { return queued > 0 || kick; }

    /** EBUSY too: copy mode answers it while the device queue is stopped. */
    @Override
    public boolean busy(int errno) {
        return errno == Errno.EBUSY || FrameSender.super.busy(errno);
    }

    /**
     * Publishes the queued frames and, if the kernel needs it (always in copy mode), kicks it with
     * {@code sendto(MSG_DONTWAIT)}; then takes back the chunks of frames that left. Returns 0, or -errno:
     * -ENXIO when the interface is gone, -ENETDOWN when it is down, -EAGAIN/-EBUSY/-ENOBUFS when the kernel could
     * not send everything now (the rest goes with the next flush).
     */
    @Override
    public int flush() {
        if (queued > 0) {
            tx.submit(queued);
            queued = 0;
            kick = true;
        }
        if (!kick) return 0;
        kick = false;
        heldSince = 0;
        unsentBytes = 0;
        int rc = 0;
        // copy mode sends at most txBudget descriptors per call: a few calls drain a ring behind a burst
        for (int k = 0; k < 4; k++) {
            if (needWakeup && !tx.needsWakeup()) break;
            rc = wakeTx();
            if (rc < 0 && !busy(-rc)) break;
            if (tx.pending() == 0) { rc = 0; break; }
        }
        reap();
        if (tx.pending() > 0) kick = true;
        return rc;
    }

    private int wakeTx() {
        try {
            long rc = (long) NetNative.SENDTO_AT.invokeExact(txCapture, fd, 0L, 0L, MSG_DONTWAIT, 0L, 0);
            return rc < 0 ? -NetNative.errno(txCapture) : 0;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Takes the chunks of sent frames back from the completion ring. */
    private int reap() {
        int n = comp.peek(txFrames);
        if (n == 0) return 0;
        MemorySegment c = comp.memory();
        long chunk = -(long) chunkSize;           // a lent chunk's frame may start inside it (queueLent)
        for (int i = 0; i < n; i++) freeTx[freeCount++] = c.get(JAVA_LONG, comp.consumerEntry(i)) & chunk;
        comp.release(n);
        return n;
    }

    /** Transmit chunks not in flight (sender thread's view; read racily by others). */
    public int freeTxFrames() { return freeCount; }

    /** The sender takes back the chunks of frames the kernel sent since it last looked; returns {@link #freeTxFrames}. */
    public int reclaimTxFrames() {
        reap();
        return freeCount;
    }

    // ------------------------------------------------------------------ control path

    /** The kernel's counters (XDP_STATISTICS), cumulative since the socket was bound. */
    public record Stats(long rxDropped, long rxInvalid, long txInvalid, long rxRingFull, long fillRingEmpty, long txRingEmpty) {}

    public Stats stats() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment st = a.allocate(STATS_SIZE, 8);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, STATS_SIZE);
            int rc = (int) NetNative.GETSOCKOPT.invokeExact(cap, fd, SOL_XDP, XDP_STATISTICS, st, len);
            if (rc < 0) throw new SysException("getsockopt(XDP_STATISTICS) on AF_XDP socket on " + device, NetNative.errno(cap));
            return new Stats(st.get(JAVA_LONG, 0), st.get(JAVA_LONG, 8), st.get(JAVA_LONG, 16), st.get(JAVA_LONG, 24),
                    len.get(JAVA_INT, 0) >= 48 ? st.get(JAVA_LONG, 32) : 0, len.get(JAVA_INT, 0) >= 48 ? st.get(JAVA_LONG, 40) : 0);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Closes the socket (which takes it out of any XSKMAP) and unmaps rings and UMEM. No thread may be in it. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Fd.closeQuietly(fd);
        for (MemorySegment m : maps) Mmap.unmap(m);
        Mmap.unmap(umem);
    }
}
