package io.xvio.virtio;

import io.xvio.sys.EventFd;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.*;

/**
 * A packed virtqueue (virtio 1.1 §2.8, VIRTIO_F_RING_PACKED) seen from the device side; see {@link Virtqueue}
 * for the threading and buffer contract, which is the same as {@link SplitVirtqueue}'s.
 *
 * <p>One ring of 16-byte descriptors {addr u64, len u32, id u16, flags u16} is shared both ways. A descriptor
 * is available when its AVAIL flag equals the driver ring wrap counter the device expects at that position and
 * its USED flag does not; a chain is consecutive descriptors linked by NEXT, its buffer id in the last one. The
 * device completes buffers in the order it takes them, so the used descriptor of a buffer overwrites the first
 * descriptor of its chain (AVAIL = USED = the device wrap counter) and the used position always equals the next
 * available position: one position and one wrap counter describe the whole queue state, which is what
 * SET/GET_VRING_BASE carry (position | wrap &lt;&lt; 15).
 *
 * <p>The used descriptors of one call are gathered and written out together, the first one's flags last (with
 * release ordering), so the driver never sees part of a burst or of a multi-buffer (mergeable) packet; a packet
 * that does not fit leaves no trace in the ring. The device event suppression area is set to DISABLE (we poll);
 * the driver event suppression area decides interrupts (ENABLE, DISABLE, or with EVENT_IDX a descriptor
 * position and wrap counter).
 *
 * <p>Hostile rings (chains running past the ring, continuation descriptors that are not available, buffer ids
 * out of range, addresses outside guest memory, indirect tables that are malformed or nested, buffers of the
 * wrong direction) fault the queue: buffers completed before the bad one are published, the bad one is not,
 * and {@link #lastAvailIndex()} stays on it.
 */
public final class PackedVirtqueue implements Virtqueue {
    static final int DESC_F_NEXT = 1, DESC_F_WRITE = 2, DESC_F_INDIRECT = 4, DESC_F_AVAIL = 1 << 7, DESC_F_USED = 1 << 15;
    static final int EVENT_F_ENABLE = 0, EVENT_F_DISABLE = 1, EVENT_F_DESC = 2;

    private final int index;
    private final String owner;          // "port vhA queue 3", for fault messages

    // set by the control thread while stopped
    private int size;
    private long descUva, availUva, usedUva, logGuestAddr;
    private boolean logUsedAtGuestAddr;
    private int nextAvail;               // ring position the device looks at next (== next used position)
    private int wrap = 1;                // the driver ring wrap counter expected there (== device wrap counter)
    /** Volatile: SET_VRING_CALL swaps it while the queue runs (QEMU sends it after the kick). */
    private volatile EventFd call;
    private EventFd kick;
    private boolean eventIdx, indirect, mergeable, inOrder;
    private int hdrLen = 12;
    private boolean headerFromCaller;   // GUEST_CSUM: the port wrote each frame's offload fields
    private int txSkip;                 // header bytes of a transmitted frame the planned copies leave unread
    private GuestMemory mem;
    private MemorySegment ring, driverEvent, deviceEvent;
    private long ringGpa = -1;

    // used descriptors gathered during one call, written by publish()
    private int[] pendPos = new int[0], pendId = new int[0], pendLen = new int[0], pendFlags = new int[0];
    private int pending;
    // results of the last chain walk
    private int chainDescs, chainId;
    private long numBuffersLo, numBuffersHi;

    // single-writer state, read by others for stats
    private volatile boolean ready;
    private volatile String fault;
    private long droppedOversize, droppedRunt, droppedRxTooSmall;

    public PackedVirtqueue(int index, String owner) {
        this.index = index;
        this.owner = owner;
    }

    @Override public int index() { return index; }
    @Override public int size() { return size; }
    @Override public boolean ready() { return ready; }
    @Override public String fault() { return fault; }
    @Override public String ringState() { return ready ? "next=" + nextAvail + " wrap=" + wrap : "stopped"; }
    @Override public int lastAvailIndex() { return nextAvail | wrap << 15; }
    @Override public int headerLength() { return hdrLen; }
    @Override public long droppedOversize() { return droppedOversize; }
    @Override public long droppedRunt() { return droppedRunt; }
    @Override public long droppedRxTooSmall() { return droppedRxTooSmall; }
    @Override public EventFd callFd() { return call; }
    @Override public EventFd kickFd() { return kick; }

    /**
     * GET_VRING_BASE's value for a packed ring (vhost-user.rst, "vring descriptor indices for packed
     * virtqueues"): the available position and wrap counter in bits 0-15, the used ones in bits 16-31. They are
     * equal here: every buffer taken was completed.
     */
    public int vringBase() {
        int a = lastAvailIndex();
        return a | a << 16;
    }

    // ---------------------------------------------------------------- control path

    @Override
    public void setSize(int num) {
        if (num <= 0 || num > MAX_SIZE)
            throw new VirtqueueFault(owner + ": queue size " + num + " is not between 1 and " + MAX_SIZE);
        size = num;
    }

    /** desc: the descriptor ring; avail: the driver event suppression area; used: the device event suppression area. */
    @Override
    public void setAddresses(long desc, long avail, long used, long logGuestAddr, boolean logAtGuestAddr) {
        this.descUva = desc;
        this.availUva = avail;
        this.usedUva = used;
        this.logGuestAddr = logGuestAddr;
        this.logUsedAtGuestAddr = logAtGuestAddr;
    }

    /** Bits 0-14: next available position; bit 15: its wrap counter. The used half (bits 16-31) is the same here. */
    @Override
    public void setBase(int base) {
        nextAvail = base & 0x7fff;
        wrap = (base >>> 15) & 1;
    }

    @Override
    public void setCall(EventFd fd) {
        EventFd old = swapCall(fd);
        if (old != null && old != fd) old.close();
    }

    public EventFd swapCall(EventFd fd) {
        EventFd old = call;
        call = fd;
        return old;
    }

    @Override
    public void setKick(EventFd fd) {
        EventFd old = kick;
        kick = fd;
        if (old != null && old != fd) old.close();
    }

    @Override
    public boolean configuredAddresses() { return descUva != 0 || availUva != 0 || usedUva != 0; }

    @Override
    public void start(GuestMemory memory, long features) {
        if (memory == null) throw new VirtqueueFault(owner + ": started before any memory table");
        if (size == 0) throw new VirtqueueFault(owner + ": started without a queue size");
        if (nextAvail >= size)
            throw new VirtqueueFault(owner + ": ring base position " + nextAvail + " is outside the ring of " + size + " descriptors");
        this.mem = memory;
        this.eventIdx = VirtioFeatures.has(features, VirtioFeatures.RING_F_EVENT_IDX);
        this.indirect = VirtioFeatures.has(features, VirtioFeatures.RING_F_INDIRECT_DESC);
        this.mergeable = VirtioFeatures.has(features, VirtioFeatures.NET_F_MRG_RXBUF);
        this.inOrder = VirtioFeatures.has(features, VirtioFeatures.F_IN_ORDER);
        this.hdrLen = VirtioFeatures.netHeaderLength(features);
        this.headerFromCaller = VirtioFeatures.rxHeaderFromCaller(features);
        this.txSkip = VirtioFeatures.txHeaderSkipped(features, hdrLen);
        ring = ring(descUva, 16L * size, 16, "descriptor ring");
        driverEvent = ring(availUva, 4, 4, "driver event suppression area");
        deviceEvent = ring(usedUva, 4, 4, "device event suppression area");
        ringGpa = memory.uvaToGpa(descUva);
        long deviceEventGpa = logUsedAtGuestAddr ? logGuestAddr : memory.uvaToGpa(usedUva);
        // we poll: ask the driver for no available-buffer notifications
        try {
            deviceEvent.set(JAVA_SHORT_UNALIGNED, 2, (short) EVENT_F_DISABLE);
        } catch (InternalError e) {
            throw new VirtqueueFault(owner + ": device event suppression area at 0x" + Long.toHexString(usedUva) + " is not backed by memory (" + e.getMessage() + ")");
        }
        memory.logWrite(deviceEventGpa + 2, 2);
        if (pendPos.length < size) {
            pendPos = new int[size];
            pendId = new int[size];
            pendLen = new int[size];
            pendFlags = new int[size];
        }
        pending = 0;
        fault = null;
        ready = true;
    }

    private MemorySegment ring(long uva, long len, int align, String what) {
        if ((uva & (align - 1)) != 0)
            throw new VirtqueueFault(owner + ": " + what + " at 0x" + Long.toHexString(uva) + " is not " + align + "-byte aligned");
        MemorySegment s = mem.sliceUva(uva, len);
        if (s == null)
            throw new VirtqueueFault(owner + ": " + what + " at 0x" + Long.toHexString(uva) + " (" + len + " bytes) is outside guest memory");
        return s;
    }

    @Override
    public void stop() { ready = false; }

    @Override
    public void release() {
        ready = false;
        mem = null;
        ring = driverEvent = deviceEvent = null;
        pending = 0;
    }

    // ---------------------------------------------------------------- hot path

    private void broke(String why) {
        ready = false;
        fault = owner + ": " + why;
    }

    /**
     * SIGBUS: guest memory under the queue is gone (the front-end truncated its memory file). The JVM raises
     * that asynchronously, at a later safepoint poll, so which frame of the call it hit cannot be told: the
     * call's frames are all dropped (none of them may be half copied, or stale bytes would be forwarded) and
     * nothing more is published. The queue stops; the thread lives on.
     */
    private void memoryGone(InternalError e) {
        pending = 0;
        broke("guest memory under the queue is gone (" + e.getMessage() + "); this burst is dropped");
    }

    private static boolean available(int flags, int w) {
        return ((flags >>> 7) & 1) == w && ((flags >>> 15) & 1) != w;
    }

    /** The flags of the descriptor at pos, read with acquire ordering: what they expose is read after them. */
    private static int flagsAcquire(MemorySegment r, int pos) {
        int f = Short.toUnsignedInt(r.get(JAVA_SHORT_UNALIGNED, 16L * pos + 14));
        VarHandle.acquireFence();
        return f;
    }

    @Override
    public int popTx(MemorySegment buf, int[] off, int[] len, int cap, int copyLimit, int max) {
        try {
            return popTxUnguarded(buf, off, len, cap, Math.min(copyLimit, cap), max);
        } catch (VirtqueueFault | IndexOutOfBoundsException e) {
            broke(e.getMessage());
            pending = 0;
            return 0;
        } catch (InternalError e) {
            memoryGone(e);
            return 0;
        }
    }

    private int popTxUnguarded(MemorySegment buf, int[] off, int[] len, int cap, int copyLimit, int max) {
        MemorySegment r = ring;
        if (r == null || max <= 0) return 0;
        int startPos = nextAvail;
        if (!available(flagsAcquire(r, startPos), wrap)) return 0;
        pending = 0;
        int out = 0, taken = 0;
        try {
            out = taken = copyPlannedTx(buf, off, len, planTx(r, max, copyLimit));
            int pos = nextAvail, w = wrap, descs = taken;
            while (taken < max && descs < size) {
                int flags = flagsAcquire(r, pos);
                if (!available(flags, w)) break;
                long total = readChain(r, pos, w, flags, size - descs, buf, off[out] - hdrLen, copyLimit + hdrLen);
                addUsed(pos, chainId, 0, w);
                descs += chainDescs;
                pos += chainDescs;
                if (pos >= size) { pos -= size; w ^= 1; }
                nextAvail = pos;
                wrap = w;
                taken++;
                if (total < hdrLen + 14) droppedRunt++;
                else if (total - hdrLen > cap) droppedOversize++;
                else len[out++] = (int) (total - hdrLen);
            }
        } catch (VirtqueueFault | IndexOutOfBoundsException e) {
            broke(e.getMessage());
        }
        publish(startPos, true);
        return out;
    }

    /**
     * Reads the chain whose first descriptor (at head, expected wrap counter w, flags already read) is available
     * into dst at dstOff (up to limit bytes). Sets chainDescs and chainId. Returns the chain's total length.
     */
    private long readChain(MemorySegment r, int head, int w, int flags, int budget, MemorySegment dst, long dstOff, long limit) {
        GuestMemory m = mem;
        int p = head, pw = w, n = 0;
        long total = 0;
        while (true) {
            long d = 16L * p;
            if (n > 0) {
                if (n == budget) throw new VirtqueueFault(tooLong(head, budget));
                flags = Short.toUnsignedInt(r.get(JAVA_SHORT_UNALIGNED, d + 14));
                if (!available(flags, pw)) throw new VirtqueueFault(notAvailable(p, head, flags, pw));
            }
            n++;
            long addr = r.get(JAVA_LONG_UNALIGNED, d);
            long dlen = Integer.toUnsignedLong(r.get(JAVA_INT_UNALIGNED, d + 8));
            if ((flags & DESC_F_INDIRECT) != 0) {
                int reg = indirectTable(addr, dlen, n, flags);
                MemorySegment t = m.view(reg);
                long tb = addr - m.gpaBase(reg);
                int entries = (int) (dlen >>> 4);
                for (int k = 0; k < entries; k++) {
                    long e = tb + 16L * k;
                    int f = t.get(JAVA_SHORT_UNALIGNED, e + 14);
                    if ((f & DESC_F_INDIRECT) != 0) throw new VirtqueueFault("nested indirect descriptor");
                    if ((f & DESC_F_WRITE) != 0) throw new VirtqueueFault("device-writable descriptor in a transmit chain");
                    long a = t.get(JAVA_LONG_UNALIGNED, e);
                    long l = Integer.toUnsignedLong(t.get(JAVA_INT_UNALIGNED, e + 8));
                    if (total < limit) m.copyOut(a, dst, dstOff + total, (int) Math.min(l, limit - total));
                    total += l;
                }
            } else {
                if ((flags & DESC_F_WRITE) != 0) throw new VirtqueueFault("device-writable descriptor in a transmit chain");
                if (total < limit) m.copyOut(addr, dst, dstOff + total, (int) Math.min(dlen, limit - total));
                total += dlen;
            }
            if ((flags & DESC_F_NEXT) == 0) {
                endChain(r, d, head, n);
                return total;
            }
            if (++p == size) { p = 0; pw ^= 1; }
        }
    }

    /** Checks an INDIRECT descriptor (the n-th of its chain); returns the guest memory region of its table. */
    private int indirectTable(long addr, long dlen, int n, int flags) {
        if (!indirect) throw new VirtqueueFault("indirect descriptor without INDIRECT_DESC");
        if (n > 1 || (flags & DESC_F_NEXT) != 0) throw new VirtqueueFault("indirect descriptor chained with NEXT");
        if (dlen == 0 || (dlen & 15) != 0 || dlen > 16L * MAX_SIZE)
            throw new VirtqueueFault("indirect table length " + dlen + " is not a multiple of 16 up to " + 16 * MAX_SIZE);
        int reg = mem.regionOf(addr, dlen);
        if (reg < 0) throw new VirtqueueFault("indirect table at 0x" + Long.toHexString(addr) + " is outside guest memory");
        return reg;
    }

    private void endChain(MemorySegment r, long lastDesc, int head, int n) {
        int id = Short.toUnsignedInt(r.get(JAVA_SHORT_UNALIGNED, lastDesc + 12));
        if (id >= size) throw new VirtqueueFault("buffer id " + id + " of the chain at " + head + " is out of ring size " + size);
        chainDescs = n;
        chainId = id;
    }

    private String tooLong(int head, int budget) {
        return "descriptor chain at " + head + " is longer than the " + budget + " descriptor(s) the ring has left (size " + size + ")";
    }

    private static String notAvailable(int p, int head, int flags, int w) {
        return "descriptor " + p + " continuing the chain at " + head + " is not available (flags 0x" + Integer.toHexString(flags)
                + ", wrap counter " + w + ")";
    }

    @Override
    public int pushRx(MemorySegment buf, int[] off, int[] len, int[] which, int n) {
        lastTooSmall = 0;
        lastBytes = 0;
        try {
            return pushRxUnguarded(buf, off, len, which, n);
        } catch (VirtqueueFault | IndexOutOfBoundsException e) {
            broke(e.getMessage());
            pending = 0;
            return 0;
        } catch (InternalError e) {
            memoryGone(e);
            return 0;
        }
    }

    private int lastTooSmall;
    private long lastBytes;

    @Override
    public long lastBytes() { return lastBytes; }

    /** Packets the last {@link #pushRx} dropped because the driver's buffer could not hold them. */
    @Override
    public int lastTooSmall() { return lastTooSmall; }

    private int pushRxUnguarded(MemorySegment buf, int[] off, int[] len, int[] which, int n) {
        MemorySegment r = ring;
        if (r == null || n <= 0) return 0;
        int startPos = nextAvail;
        int pos = nextAvail, w = wrap;
        int descs = 0, delivered = 0, committed = 0;
        long bytes = 0;
        pending = 0;
        try {
            int planned = copyPlanned(buf, off, len, which, planSingleBuffers(r, buf, off, len, which, n));
            for (int k = 0; k < planned; k++) bytes += len[which[k]];
            committed = pending;
            delivered = descs = planned;
            pos = nextAvail;
            w = wrap;
            for (int k = planned; k < n; k++) {
                int p = which[k];
                long start = off[p] - hdrLen;
                int need = hdrLen + len[p];
                writeHeader(buf, start);    // num_buffers patched below when a frame spans several buffers
                if (!mergeable) {
                    if (descs >= size) break;
                    int flags = flagsAcquire(r, pos);
                    if (!available(flags, w)) break;
                    long wrote = writeChain(r, pos, w, flags, size - descs, buf, start, need, false);
                    if (wrote < need) { droppedRxTooSmall++; lastTooSmall++; continue; }   // buffer left for the next frame
                    addUsed(pos, chainId, need, w);
                    descs += chainDescs;
                    pos += chainDescs;
                    if (pos >= size) { pos -= size; w ^= 1; }
                } else {
                    int pos0 = pos, w0 = w, descs0 = descs;
                    int written = 0, nbuf = 0;
                    numBuffersLo = numBuffersHi = -1;
                    while (written < need && descs < size) {
                        int flags = flagsAcquire(r, pos);
                        if (!available(flags, w)) break;
                        int wr = (int) writeChain(r, pos, w, flags, size - descs, buf, start + written, need - written, nbuf == 0);
                        addUsed(pos, chainId, wr, w);
                        descs += chainDescs;
                        pos += chainDescs;
                        if (pos >= size) { pos -= size; w ^= 1; }
                        written += wr;
                        nbuf++;
                    }
                    if (written < need) {             // out of buffers: forget this frame's buffers, nothing was published
                        pos = pos0;
                        w = w0;
                        descs = descs0;
                        pending = committed;
                        break;
                    }
                    if (nbuf > 1) patchNumBuffers(nbuf);
                }
                committed = pending;
                nextAvail = pos;
                wrap = w;
                delivered++;
                bytes += len[p];
            }
        } catch (VirtqueueFault | IndexOutOfBoundsException e) {
            pending = committed;                       // a frame half-written when the fault hit is not published
            broke(e.getMessage());
        }
        publish(startPos, false);
        lastBytes = bytes;
        return delivered;
    }

    /**
     * Writes up to need bytes of src into the device-writable chain at head (walking the whole chain, to learn
     * its length and buffer id). Returns bytes written; with first set, records where stream bytes 10 and 11
     * (num_buffers) landed.
     */
    private long writeChain(MemorySegment r, int head, int w, int flags, int budget, MemorySegment src, long srcOff, int need, boolean first) {
        GuestMemory m = mem;
        int p = head, pw = w, n = 0;
        long pos = 0;
        while (true) {
            long d = 16L * p;
            if (n > 0) {
                if (n == budget) throw new VirtqueueFault(tooLong(head, budget));
                flags = Short.toUnsignedInt(r.get(JAVA_SHORT_UNALIGNED, d + 14));
                if (!available(flags, pw)) throw new VirtqueueFault(notAvailable(p, head, flags, pw));
            }
            n++;
            long addr = r.get(JAVA_LONG_UNALIGNED, d);
            long dlen = Integer.toUnsignedLong(r.get(JAVA_INT_UNALIGNED, d + 8));
            if ((flags & DESC_F_INDIRECT) != 0) {
                int reg = indirectTable(addr, dlen, n, flags);
                MemorySegment t = m.view(reg);
                long tb = addr - m.gpaBase(reg);
                int entries = (int) (dlen >>> 4);
                for (int k = 0; k < entries; k++) {
                    long e = tb + 16L * k;
                    int f = t.get(JAVA_SHORT_UNALIGNED, e + 14);
                    if ((f & DESC_F_INDIRECT) != 0) throw new VirtqueueFault("nested indirect descriptor");
                    if ((f & DESC_F_WRITE) == 0) throw new VirtqueueFault("device-readable descriptor in a receive chain");
                    long a = t.get(JAVA_LONG_UNALIGNED, e);
                    long l = Integer.toUnsignedLong(t.get(JAVA_INT_UNALIGNED, e + 8));
                    pos += put(src, srcOff, pos, need, a, l, first);
                }
            } else {
                if ((flags & DESC_F_WRITE) == 0) throw new VirtqueueFault("device-readable descriptor in a receive chain");
                pos += put(src, srcOff, pos, need, addr, dlen, first);
            }
            if ((flags & DESC_F_NEXT) == 0) {
                endChain(r, d, head, n);
                return pos;
            }
            if (++p == size) { p = 0; pw ^= 1; }
        }
    }

    /** Copies stream bytes [pos, pos+n) (n = what fits in dlen, up to need) to guest address addr; returns n. */
    private long put(MemorySegment src, long srcOff, long pos, int need, long addr, long dlen, boolean first) {
        if (pos >= need) return 0;
        long n = Math.min(dlen, need - pos);
        if (n == 0) return 0;
        if (first) {
            if (pos <= 10 && 10 < pos + n) numBuffersLo = addr + (10 - pos);
            if (pos <= 11 && 11 < pos + n) numBuffersHi = addr + (11 - pos);
        }
        mem.copyIn(src, srcOff + pos, addr, (int) n);
        return n;
    }

    /** Writes num_buffers into the header of the frame's first buffer (its two bytes may lie in two descriptors). */
    private void patchNumBuffers(int nbuf) {
        long lo = numBuffersLo, hi = numBuffersHi;
        if (lo < 0 || hi < 0 || hdrLen < 12) throw new VirtqueueFault("receive buffer too small for the virtio-net header");
        mem.putByte(lo, (byte) nbuf);              // little-endian num_buffers, whose two
        mem.putByte(hi, (byte) (nbuf >>> 8));      // bytes may sit in different descriptors
    }

    private void addUsed(int pos, int id, int written, int w) {
        int i = pending++;
        pendPos[i] = pos;
        pendId[i] = id;
        pendLen[i] = written;
        pendFlags[i] = (w != 0 ? DESC_F_AVAIL | DESC_F_USED : 0) | (written > 0 ? DESC_F_WRITE : 0);
    }

    /**
     * Writes the gathered used descriptors (the first one's flags last, with release ordering: the driver sees the
     * whole batch at once) and signals the driver if its event suppression area asks for it. startPos is where
     * the call began; nextAvail/wrap are where the queue now stands. With IN_ORDER, transmit completions (which
     * carry no length) are written as one used descriptor holding the last buffer's id (virtio spec, packed
     * virtqueues, "In-order use of descriptors"): the driver frees every buffer up to that one, and the device
     * writes one ring line instead of one per four buffers. Receive completions carry their lengths and are
     * always written one by one.
     */
    private void publish(int startPos, boolean transmit) {
        int k = pending;
        if (k == 0) return;
        pending = 0;
        MemorySegment r = ring;
        GuestMemory m = mem;
        if (r == null || m == null) return;
        if (transmit && inOrder) {
            long d = 16L * pendPos[0];
            r.set(JAVA_INT_UNALIGNED, d + 8, 0);
            r.set(JAVA_SHORT_UNALIGNED, d + 12, (short) pendId[k - 1]);
            VarHandle.releaseFence();
            r.set(JAVA_SHORT_UNALIGNED, d + 14, (short) pendFlags[0]);
            if (m.log() != null) m.logWrite(ringGpa + d, 16);
        } else {
            // every later descriptor's len, id and flags in one 8-byte store (the driver reads none of them before
            // it sees the first one's flags): a third of the stores, so the ring lines' ownership requests overlap more
            for (int i = k - 1; i > 0; i--) {
                long v = Integer.toUnsignedLong(pendLen[i]) | (long) (pendId[i] & 0xffff) << 32 | (long) (pendFlags[i] & 0xffff) << 48;
                r.set(JAVA_LONG_UNALIGNED, 16L * pendPos[i] + 8, v);
            }
            long d0 = 16L * pendPos[0];
            r.set(JAVA_INT_UNALIGNED, d0 + 8, pendLen[0]);
            r.set(JAVA_SHORT_UNALIGNED, d0 + 12, (short) pendId[0]);
            VarHandle.releaseFence();
            r.set(JAVA_SHORT_UNALIGNED, d0 + 14, (short) pendFlags[0]);
            // dirty-log the used descriptors after writing them (a bit set before could be cleared before the write lands)
            if (m.log() != null) for (int i = 0; i < k; i++) m.logWrite(ringGpa + 16L * pendPos[i], 16);
        }
        EventFd c = call;
        if (c == null) return;
        VarHandle.fullFence();  // order our used descriptors before reading the driver's event suppression
        MemorySegment ev = driverEvent;
        int evFlags = ev.get(JAVA_SHORT_UNALIGNED, 2) & 3;
        boolean notify;
        if (evFlags == EVENT_F_DISABLE) {
            notify = false;
        } else if (evFlags == EVENT_F_DESC && eventIdx) {
            int offWrap = Short.toUnsignedInt(ev.get(JAVA_SHORT_UNALIGNED, 0));
            int now = nextAvail, old = startPos;
            if (now <= old) old -= size;               // we went round the ring: old counts from the previous lap
            int off = offWrap & 0x7fff;
            if ((offWrap >>> 15) != wrap) off -= size; // the event is on the previous lap
            notify = ((now - off - 1) & 0xffff) < ((now - old) & 0xffff);
        } else {
            notify = true;                             // ENABLE (and DESC without EVENT_IDX, or the reserved value)
        }
        if (notify) c.signal();
    }

    // ---------------------------------------------------------------- fast paths

    // the plan: per packet, the ring position, buffer id, memory region, offset, guest address and length of its
    // one descriptor
    private static final int PLAN = 64;
    private final int[] planPos = new int[PLAN], planId = new int[PLAN], planRegion = new int[PLAN], planLen = new int[PLAN];
    private final long[] planOff = new long[PLAN], planGpa = new long[PLAN];

    /** Keeps the loads in {@link #planTx} from being optimised away. */
    @SuppressWarnings("unused") private long warmSink;

    /**
     * The transmit fast path, first half: for the leading available buffers that are one device-readable
     * descriptor (no chain, no indirect table) inside one memory region, holding a frame of acceptable size
     * (what DPDK and Linux send), records position, id, region, offset and length, and loads one byte of each
     * frame's first and last cache lines: the loads of the whole burst overlap (Java has no prefetch), so the
     * copies that follow hit the cache. Stops at the first buffer that needs anything else; the general path
     * takes it from there. Does not move nextAvail.
     */
    private int planTx(MemorySegment r, int max, int cap) {
        GuestMemory m = mem;
        int pos = nextAvail;
        int n = leadingSingles(r, Math.min(Math.min(max, PLAN), size), 0);
        long sink = 0;
        int k = 0;
        for (; k < n; k++) {
            long d = 16L * pos;
            long addr = r.get(JAVA_LONG_UNALIGNED, d);
            long dlen = Integer.toUnsignedLong(r.get(JAVA_INT_UNALIGNED, d + 8));
            int id = Short.toUnsignedInt(r.get(JAVA_SHORT_UNALIGNED, d + 12));
            if (id >= size || dlen < hdrLen + 14 || dlen > cap + hdrLen) break;
            int reg = m.regionOf(addr, dlen);
            if (reg < 0) break;
            MemorySegment v = m.view(reg);
            long o = addr - m.gpaBase(reg);
            sink += v.get(JAVA_BYTE, o + txSkip) + v.get(JAVA_BYTE, o + txSkip + Math.min(dlen - txSkip, 128) - 1);
            planPos[k] = pos;
            planId[k] = id;
            planRegion[k] = reg;
            planOff[k] = o;
            planLen[k] = (int) dlen;
            if (++pos == size) pos = 0;
        }
        warmSink = sink;
        return k;
    }

    /**
     * How many of the (up to lim) descriptors from nextAvail on are available and single (no NEXT, no INDIRECT),
     * with WRITE equal to write. Reads only their flags, in a tight loop of independent loads, so the ring lines
     * the driver wrote come over together instead of one at a time; then one acquire fence orders every later
     * read of those descriptors after their flags.
     */
    private int leadingSingles(MemorySegment r, int lim, int write) {
        int pos = nextAvail, w = wrap, n = 0;
        for (; n < lim; n++) {
            int f = Short.toUnsignedInt(r.get(JAVA_SHORT_UNALIGNED, 16L * pos + 14));
            if (!available(f, w) || (f & (DESC_F_NEXT | DESC_F_INDIRECT | DESC_F_WRITE)) != write) break;
            if (++pos == size) { pos = 0; w ^= 1; }
        }
        VarHandle.acquireFence();
        return n;
    }

    /** Second half: the planned copies back to back (frames to buf at off[k], lengths to len[k]), then their used descriptors. */
    private int copyPlannedTx(MemorySegment buf, int[] off, int[] len, int planned) {
        if (planned == 0) return 0;
        GuestMemory m = mem;
        int h = hdrLen, s = txSkip;      // without CSUM the header is not read: its bytes in buf stay as they were
        for (int k = 0; k < planned; k++) {
            int total = planLen[k];
            SmallCopy.copy(m.view(planRegion[k]), planOff[k] + s, buf, off[k] - h + s, total - s);
            len[k] = total - h;
        }
        advanceOverPlan(planned, null, null);
        return planned;
    }

    /**
     * The receive fast path, first half: for the leading packets whose next available buffer is one device-
     * writable descriptor inside one memory region and large enough for the whole packet, records where each
     * goes and writes its virtio-net header into buf. Stops at the first packet that needs anything else.
     * Does not move nextAvail.
     */
    private int planSingleBuffers(MemorySegment r, MemorySegment buf, int[] off, int[] len, int[] which, int max) {
        GuestMemory m = mem;
        int pos = nextAvail;
        int n = leadingSingles(r, Math.min(Math.min(max, PLAN), size), DESC_F_WRITE);
        int k = 0;
        for (; k < n; k++) {
            int p = which[k];
            int need = hdrLen + len[p];
            long d = 16L * pos;
            long addr = r.get(JAVA_LONG_UNALIGNED, d);
            long dlen = Integer.toUnsignedLong(r.get(JAVA_INT_UNALIGNED, d + 8));
            int id = Short.toUnsignedInt(r.get(JAVA_SHORT_UNALIGNED, d + 12));
            if (id >= size || dlen < need) break;
            int reg = m.regionOf(addr, need);
            if (reg < 0) break;
            planPos[k] = pos;
            planId[k] = id;
            planRegion[k] = reg;
            planOff[k] = addr - m.gpaBase(reg);
            planGpa[k] = addr;
            writeHeader(buf, off[p] - hdrLen);
            if (++pos == size) pos = 0;
        }
        return k;
    }

    /** Second half: the planned copies back to back (their store misses overlap), then their used descriptors. */
    private int copyPlanned(MemorySegment buf, int[] off, int[] len, int[] which, int planned) {
        if (planned == 0) return 0;
        GuestMemory m = mem;
        for (int k = 0; k < planned; k++) {
            int p = which[k];
            m.copyIn(planRegion[k], planOff[k], buf, off[p] - hdrLen, hdrLen + len[p], planGpa[k]);
        }
        advanceOverPlan(planned, len, which);
        return planned;
    }

    /**
     * Records the planned buffers as used (written: header + len[which[k]] on receive, nothing on transmit, where
     * which is null) and moves nextAvail past them.
     */
    private void advanceOverPlan(int planned, int[] len, int[] which) {
        int w = wrap;
        for (int k = 0; k < planned; k++) {
            int pos = planPos[k];
            if (k > 0 && pos == 0) w ^= 1;
            addUsed(pos, planId[k], which == null ? 0 : hdrLen + len[which[k]], w);
        }
        int next = planPos[planned - 1] + 1;
        if (next == size) { next = 0; w ^= 1; }
        nextAvail = next;
        wrap = w;
    }

    private void writeHeader(MemorySegment buf, long start) { VirtioFeatures.writeRxHeader(buf, start, hdrLen, headerFromCaller); }

    @Override
    public void kickDriver() {
        EventFd c = call;
        if (c != null) c.signal();
    }
}
