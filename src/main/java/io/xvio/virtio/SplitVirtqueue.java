package io.xvio.virtio;

import io.xvio.sys.EventFd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.*;

/**
 * A split virtqueue (virtio 1.1 §2.7) seen from the device side. The control thread configures it and calls
 * {@link #start}; one poll-mode thread at a time then calls {@link #popTx} (driver-to-device queue) or
 * {@link #pushRx} (device-to-driver queue). Packets travel as a byte stream [virtio-net header | frame]: the
 * caller's buffer holds the frame at off[i] with at least {@link #headerLength()} writable bytes before it.
 * Every guest address is checked; a fault stops this queue only (see {@link #fault()}).
 */
public final class SplitVirtqueue implements Virtqueue {
    private static final VarHandle SHORT_AT = JAVA_SHORT.varHandle();
    private static final int DESC_F_NEXT = 1, DESC_F_WRITE = 2, DESC_F_INDIRECT = 4;
    private static final int USED_F_NO_NOTIFY = 1, AVAIL_F_NO_INTERRUPT = 1;
    public static final int MAX_SIZE = 32768;

    private final int index;
    private final String owner;          // "port vhA queue 3", for fault messages

    // set by the control thread while stopped
    private int size, mask;
    private long descUva, availUva, usedUva, logGuestAddr;
    private boolean logUsedAtGuestAddr;
    private int lastAvail, usedIdx;
    private int seenAvail;               // the driver's available index at the last poll (for show)
    private String resumed;              // what the last start() adjusted, for the log (null: nothing)
    /** Volatile: SET_VRING_CALL swaps it while the queue runs (QEMU sends it after the kick). */
    private volatile EventFd call;
    private EventFd kick;
    private boolean eventIdx, indirect, mergeable;
    private int hdrLen = 12;
    private boolean headerFromCaller;   // GUEST_CSUM: the port wrote each frame's offload fields
    private int txSkip;                 // header bytes of a transmitted frame the planned copies leave unread
    private GuestMemory mem;
    private MemorySegment desc, avail, used;
    private long usedGpa = -1;
    private final MemorySegment scratch = Arena.ofAuto().allocate(16, 8);

    // single-writer state, read by others for stats
    private volatile boolean ready;
    private volatile String fault;
    private long droppedOversize, droppedRunt, droppedRxTooSmall;

    public SplitVirtqueue(int index, String owner) {
        this.index = index;
        this.owner = owner;
    }

    public int index() { return index; }
    public int size() { return size; }
    public boolean ready() { return ready; }
    public String fault() { return fault; }
    public int lastAvailIndex() { return lastAvail; }
    @Override public String resumedNote() { return resumed; }

    @Override
    public String ringState() {
        // from what the PMD thread recorded: the control thread must not touch guest memory, which may be
        // unmapped or truncated under it
        if (!ready) return "stopped";
        int seen = seenAvail, last = lastAvail;
        return "avail_idx=" + seen + " last_avail=" + last + " used_idx=" + usedIdx + " outstanding=" + ((seen - last) & 0xffff);
    }
    public int headerLength() { return hdrLen; }
    public long droppedOversize() { return droppedOversize; }
    public long droppedRunt() { return droppedRunt; }
    public long droppedRxTooSmall() { return droppedRxTooSmall; }
    public EventFd callFd() { return call; }
    public EventFd kickFd() { return kick; }

    // ---------------------------------------------------------------- control path

    public void setSize(int num) {
        if (num <= 0 || num > MAX_SIZE || Integer.bitCount(num) != 1)
            throw new VirtqueueFault(owner + ": queue size " + num + " is not a power of two between 1 and " + MAX_SIZE);
        size = num;
        mask = num - 1;
    }

    public void setAddresses(long desc, long avail, long used, long logGuestAddr, boolean logAtGuestAddr) {
        this.descUva = desc;
        this.availUva = avail;
        this.usedUva = used;
        this.logGuestAddr = logGuestAddr;
        this.logUsedAtGuestAddr = logAtGuestAddr;
    }

    public void setBase(int base) {
        lastAvail = base & 0xffff;
        usedIdx = base & 0xffff;
    }

    public void setCall(EventFd fd) {
        EventFd old = swapCall(fd);
        if (old != null && old != fd) old.close();
    }

    public EventFd swapCall(EventFd fd) {
        EventFd old = call;
        call = fd;
        return old;
    }

    public void setKick(EventFd fd) {
        EventFd old = kick;
        kick = fd;
        if (old != null && old != fd) old.close();
    }

    public boolean configuredAddresses() { return descUva != 0 || availUva != 0 || usedUva != 0; }

    /**
     * Maps the rings through mem and makes the queue ready. Throws {@link VirtqueueFault} if a ring lies outside
     * guest memory, is misaligned, or the size was never set.
     */
    public void start(GuestMemory memory, long features) {
        if (memory == null) throw new VirtqueueFault(owner + ": started before any memory table");
        if (size == 0) throw new VirtqueueFault(owner + ": started without a queue size");
        this.mem = memory;
        this.eventIdx = VirtioFeatures.has(features, VirtioFeatures.RING_F_EVENT_IDX);
        this.indirect = VirtioFeatures.has(features, VirtioFeatures.RING_F_INDIRECT_DESC);
        this.mergeable = VirtioFeatures.has(features, VirtioFeatures.NET_F_MRG_RXBUF);
        this.hdrLen = VirtioFeatures.netHeaderLength(features);
        this.headerFromCaller = VirtioFeatures.rxHeaderFromCaller(features);
        this.txSkip = VirtioFeatures.txHeaderSkipped(features, hdrLen);
        desc = ring(descUva, 16L * size, 16, "descriptor table");
        avail = ring(availUva, 6L + 2L * size, 2, "available ring");
        used = ring(usedUva, 6L + 8L * size, 4, "used ring");
        usedGpa = logUsedAtGuestAddr ? logGuestAddr : memory.uvaToGpa(usedUva);
        // we poll: ask the driver not to kick (it ignores this with EVENT_IDX, and then kicks rarely)
        if (!eventIdx) {
            try {
                used.set(JAVA_SHORT, 0, (short) USED_F_NO_NOTIFY);
            } catch (InternalError e) {
                throw new VirtqueueFault(owner + ": used ring at 0x" + Long.toHexString(usedUva) + " is not backed by memory (" + e.getMessage() + ")");
            }
            mem.logWrite(usedGpa, 2);
        }
        // A front-end that reconnects without its ring state gives base 0 for a ring it kept using (DPDK's virtio-user
        // in server mode does: it resets only its own side); the used ring still holds the index the last device
        // left there. Resume at it, as DPDK's vhost library does (a frame in flight then may be sent again or lost),
        // instead of seeing the available index jump and stopping the queue. A fresh ring has 0 in both. Any other
        // base is the front-end's own record (QEMU gives the stopped device's index, or the used index after a
        // back-end went away) and is taken as it is.
        int deviceUsed;
        try {
            deviceUsed = Short.toUnsignedInt((short) SHORT_AT.getAcquire(used, 2L));
        } catch (InternalError e) {
            throw new VirtqueueFault(owner + ": used ring at 0x" + Long.toHexString(usedUva) + " is not backed by memory (" + e.getMessage() + ")");
        }
        resumed = null;
        if (lastAvail == 0 && deviceUsed != 0) {
            resumed = "base " + lastAvail + " differs from the used ring's index " + deviceUsed + " (a front-end reconnecting without its ring state): resumed at " + deviceUsed;
            lastAvail = deviceUsed;
        }
        // everything before the base was completed: our used index resumes there
        usedIdx = lastAvail;
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

    /** Stops polling (the caller then waits for the PMD threads to quiesce before reading the base). */
    public void stop() { ready = false; }

    /** Frees what start took (after quiescence), keeping fds for a restart. */
    public void release() {
        ready = false;
        mem = null;
        desc = avail = used = null;
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
        broke("guest memory under the queue is gone (" + e.getMessage() + "); this burst is dropped");
    }

    /**
     * Takes up to max packets the driver made available, copies each frame to buf at off[k] (at most cap bytes),
     * stores its length in len[k], completes the chains and notifies the driver if it wants that.
     * @return packets copied (oversized and runt chains are completed and counted, not returned)
     */
    public int popTx(MemorySegment buf, int[] off, int[] len, int cap, int copyLimit, int max) {
        try {
            return popTxUnguarded(buf, off, len, cap, Math.min(copyLimit, cap), max);
        } catch (VirtqueueFault | IndexOutOfBoundsException e) {
            broke(e.getMessage());
            return 0;
        } catch (InternalError e) {
            memoryGone(e);
            return 0;
        }
    }

    private int popTxUnguarded(MemorySegment buf, int[] off, int[] len, int cap, int copyLimit, int max) {
        MemorySegment av = avail;
        int availIdx = Short.toUnsignedInt((short) SHORT_AT.getAcquire(av, 2L));
        seenAvail = availIdx;
        int pending = (availIdx - lastAvail) & 0xffff;
        if (pending == 0) return 0;
        if (pending > size) {
            broke("available index jumped from " + lastAvail + " to " + availIdx + " (ring size " + size + ")");
            return 0;
        }
        int n = Math.min(pending, max);
        int out = 0, done = 0;
        int oldUsed = usedIdx;
        try {
            done = out = planTx(n, copyLimit);
            copyPlannedTx(buf, off, len, done);
            for (; done < n; done++) {
                int head = Short.toUnsignedInt(av.get(JAVA_SHORT, 4L + 2L * ((lastAvail + done) & mask)));
                if (head >= size) throw new VirtqueueFault("descriptor head " + head + " out of ring size " + size);
                long total = readChain(head, buf, off[out] - hdrLen, copyLimit + hdrLen);
                usedElem(usedIdx + done, head, 0);
                if (total < hdrLen + 14) droppedRunt++;
                else if (total - hdrLen > cap) droppedOversize++;
                else len[out++] = (int) (total - hdrLen);
            }
        } catch (VirtqueueFault | IndexOutOfBoundsException e) {
            broke(e.getMessage());
        }
        lastAvail = (lastAvail + done) & 0xffff;
        usedIdx = (usedIdx + done) & 0xffff;
        publish(oldUsed, done);
        return out;
    }

    /** Reads a chain into dst at dstOff (up to limit bytes). Returns the chain's total length. */
    private long readChain(int head, MemorySegment dst, long dstOff, long limit) {
        MemorySegment t = desc;
        long tbase = 0;
        int tsize = size;
        boolean inIndirect = false;
        int idx = head, seen = 0;
        long total = 0;
        GuestMemory m = mem;
        while (true) {
            if (++seen > tsize) throw new VirtqueueFault("descriptor chain from head " + head + " loops or is longer than its table (" + tsize + ")");
            long d = tbase + 16L * idx;
            long addr = t.get(JAVA_LONG_UNALIGNED, d);
            long dlen = Integer.toUnsignedLong(t.get(JAVA_INT_UNALIGNED, d + 8));
            int flags = t.get(JAVA_SHORT_UNALIGNED, d + 12);
            int next = Short.toUnsignedInt(t.get(JAVA_SHORT_UNALIGNED, d + 14));
            if ((flags & DESC_F_INDIRECT) != 0) {
                if (inIndirect || !indirect) throw new VirtqueueFault(inIndirect ? "nested indirect descriptor" : "indirect descriptor without INDIRECT_DESC");
                if (dlen == 0 || (dlen & 15) != 0 || dlen > 16L * MAX_SIZE) throw new VirtqueueFault("indirect table length " + dlen + " is not a multiple of 16");
                int r = m.regionOf(addr, dlen);
                if (r < 0) throw new VirtqueueFault("indirect table at 0x" + Long.toHexString(addr) + " is outside guest memory");
                t = m.view(r);
                tbase = addr - m.gpaBase(r);
                tsize = (int) (dlen >>> 4);
                inIndirect = true;
                idx = 0;
                seen = 0;
                continue;
            }
            if ((flags & DESC_F_WRITE) != 0) throw new VirtqueueFault("device-writable descriptor in a transmit chain");
            if (total < limit) {
                long n = Math.min(dlen, limit - total);
                m.copyOut(addr, dst, dstOff + total, (int) n);
            }
            total += dlen;
            if ((flags & DESC_F_NEXT) == 0) return total;
            if (next >= tsize) throw new VirtqueueFault("descriptor next index " + next + " out of table size " + tsize);
            idx = next;
        }
    }

    /**
     * Delivers packets which[0..n) (frames at off[which[k]], len[which[k]]) to the driver's receive buffers.
     * The header bytes before each frame are overwritten. Stops at the first packet that finds no room. Reads
     * which, never writes it ({@link Virtqueue#pushRx}'s contract).
     * @return packets delivered; the caller counts the rest as dropped
     */
    public int pushRx(MemorySegment buf, int[] off, int[] len, int[] which, int n) {
        lastTooSmall = 0;
        lastBytes = 0;
        try {
            return pushRxUnguarded(buf, off, len, which, n);
        } catch (VirtqueueFault | IndexOutOfBoundsException e) {
            broke(e.getMessage());
            return 0;
        } catch (InternalError e) {
            memoryGone(e);
            return 0;
        }
    }

    private int lastTooSmall;
    private long lastBytes;

    /** Packets the last {@link #pushRx} dropped because the driver's buffer could not hold them. */
    public int lastTooSmall() { return lastTooSmall; }

    @Override
    public long lastBytes() { return lastBytes; }

    private int pushRxUnguarded(MemorySegment buf, int[] off, int[] len, int[] which, int n) {
        MemorySegment av = avail;
        int availIdx = Short.toUnsignedInt((short) SHORT_AT.getAcquire(av, 2L));
        seenAvail = availIdx;
        int free = (availIdx - lastAvail) & 0xffff;
        if (free == 0) return 0;
        if (free > size) {
            broke("available index jumped from " + lastAvail + " to " + availIdx + " (ring size " + size + ")");
            return 0;
        }
        int oldUsed = usedIdx, entries = 0, delivered = 0;
        long bytes = 0;
        try {
            int planned = planSingleBuffers(buf, off, len, which, Math.min(n, free));
            copyPlanned(buf, off, len, which, planned);
            for (int k = 0; k < planned; k++) bytes += len[which[k]];
            entries = delivered = planned;
            lastAvail = (lastAvail + planned) & 0xffff;
            free -= planned;
            for (int k = planned; k < n; k++) {
                int p = which[k];
                long start = off[p] - hdrLen;
                int need = hdrLen + len[p];
                writeHeader(buf, start);    // num_buffers patched below when a frame spans several buffers
                if (!mergeable) {
                    if (free == 0) break;
                    int head = headAt(lastAvail);
                    long w = writeChain(head, buf, start, need, true);
                    if (w < 0) { droppedRxTooSmall++; lastTooSmall++; continue; }
                    usedElem(usedIdx + entries, head, need);
                    entries++;
                    lastAvail = (lastAvail + 1) & 0xffff;
                    free--;
                } else {
                    int pos = 0, nbuf = 0;
                    numBuffersGpa = numBuffersHiGpa = -1;
                    while (pos < need && nbuf < free) {
                        int head = headAt(lastAvail + nbuf);
                        int w = (int) writeChain(head, buf, start + pos, need - pos, nbuf == 0);
                        usedElem(usedIdx + entries + nbuf, head, w);
                        pos += w;
                        nbuf++;
                    }
                    if (pos < need) {               // out of buffers: nothing visible (index not published), but the
                        logUsedElems(usedIdx + entries, nbuf);   // entries written are in guest memory: log them too
                        break;
                    }
                    if (nbuf > 1) {
                        if (numBuffersGpa < 0 || numBuffersHiGpa < 0) throw new VirtqueueFault("receive buffer too small for the virtio-net header");
                        mem.putByte(numBuffersGpa, (byte) nbuf);           // little-endian num_buffers, whose two
                        mem.putByte(numBuffersHiGpa, (byte) (nbuf >>> 8)); // bytes may sit in different descriptors
                    }
                    entries += nbuf;
                    lastAvail = (lastAvail + nbuf) & 0xffff;
                    free -= nbuf;
                }
                delivered++;
                bytes += len[p];
            }
        } catch (VirtqueueFault | IndexOutOfBoundsException e) {
            broke(e.getMessage());
        }
        usedIdx = (usedIdx + entries) & 0xffff;
        publish(oldUsed, entries);
        lastBytes = bytes;
        return delivered;
    }

    private long numBuffersGpa, numBuffersHiGpa;

    // the fast paths' plan: per packet, the head, region, offset (and guest address or length) of its one buffer
    private static final int PLAN = 64;
    private final int[] planHead = new int[PLAN], planRegion = new int[PLAN], planLen = new int[PLAN];
    private final long[] planOff = new long[PLAN], planGpa = new long[PLAN];

    /**
     * The receive fast path, first half: for the leading packets whose next available buffer is one device-
     * writable descriptor (no chain, no indirect table) inside one memory region and large enough for the whole
     * packet (what DPDK and Linux post for small frames), records where each goes and writes its virtio-net
     * header into buf. Stops at the first packet that needs anything else; the general path takes it from there.
     */
    private int planSingleBuffers(MemorySegment buf, int[] off, int[] len, int[] which, int max) {
        MemorySegment t = desc;
        GuestMemory m = mem;
        int k = 0;
        for (int lim = Math.min(max, PLAN); k < lim; k++) {
            int p = which[k];
            int need = hdrLen + len[p];
            int head = rawHeadAt(lastAvail + k);
            if (head >= size) break;             // the general path reports it, after delivering what came before
            long d = 16L * head;
            long addr = t.get(JAVA_LONG_UNALIGNED, d);
            long dlen = Integer.toUnsignedLong(t.get(JAVA_INT_UNALIGNED, d + 8));
            int flags = t.get(JAVA_SHORT_UNALIGNED, d + 12);
            if ((flags & (DESC_F_NEXT | DESC_F_INDIRECT | DESC_F_WRITE)) != DESC_F_WRITE || dlen < need) break;
            int r = m.regionOf(addr, need);
            if (r < 0) break;
            planHead[k] = head;
            planRegion[k] = r;
            planOff[k] = addr - m.gpaBase(r);
            planGpa[k] = addr;
            writeHeader(buf, off[p] - hdrLen);
        }
        return k;
    }

    /**
     * Second half: the planned copies back to back, then their used elements. Together in one tight loop, the
     * copies' store misses (the driver's core owns those lines) overlap instead of each waiting on the last,
     * as in DPDK's batched small copies.
     */
    private void copyPlanned(MemorySegment buf, int[] off, int[] len, int[] which, int planned) {
        GuestMemory m = mem;
        for (int k = 0; k < planned; k++) {
            int p = which[k];
            m.copyIn(planRegion[k], planOff[k], buf, off[p] - hdrLen, hdrLen + len[p], planGpa[k]);
        }
        for (int k = 0; k < planned; k++) usedElem(usedIdx + k, planHead[k], hdrLen + len[which[k]]);
    }

    /** Keeps the loads in {@link #planTx} from being optimised away. */
    @SuppressWarnings("unused") private long warmSink;

    /**
     * The transmit fast path, first half: for the leading chains that are one device-readable descriptor inside
     * one memory region, holding a frame of acceptable size (what DPDK and Linux send), records head, region,
     * offset and length; then, in a second loop, loads one byte of each planned frame's first and last cache
     * lines (the header's only when it is read: {@link VirtioFeatures#txHeaderSkipped}). Those loads overlap (the
     * driver wrote descriptors and frames on another core; Java has no prefetch instruction, a tight loop of
     * independent loads is the next best thing), so the copies that follow hit the cache; in their own loop, more
     * of them are in flight at once than between the descriptor checks (1-2.5 ns less per packet). Stops at the
     * first chain that needs anything else; the general path takes it from there.
     */
    private int planTx(int n, int cap) {
        MemorySegment t = desc;
        GuestMemory m = mem;
        int k = 0;
        for (int lim = Math.min(n, PLAN); k < lim; k++) {
            int head = rawHeadAt(lastAvail + k);
            if (head >= size) break;
            long d = 16L * head;
            long addr = t.get(JAVA_LONG_UNALIGNED, d);
            long dlen = Integer.toUnsignedLong(t.get(JAVA_INT_UNALIGNED, d + 8));
            int flags = t.get(JAVA_SHORT_UNALIGNED, d + 12);
            if ((flags & (DESC_F_NEXT | DESC_F_INDIRECT | DESC_F_WRITE)) != 0 || dlen < hdrLen + 14 || dlen > cap + hdrLen) break;
            int r = m.regionOf(addr, dlen);
            if (r < 0) break;
            planHead[k] = head;
            planRegion[k] = r;
            planOff[k] = addr - m.gpaBase(r);
            planLen[k] = (int) dlen;
        }
        long sink = 0;
        int s = txSkip;
        for (int j = 0; j < k; j++) {
            MemorySegment v = m.view(planRegion[j]);
            long o = planOff[j] + s;
            sink += v.get(JAVA_BYTE, o) + v.get(JAVA_BYTE, o + Math.min(planLen[j] - s, 128) - 1);
        }
        warmSink = sink;
        return k;
    }

    /** Second half: the planned copies (frames to buf at off[k], lengths to len[k]), then their used elements. */
    private void copyPlannedTx(MemorySegment buf, int[] off, int[] len, int planned) {
        GuestMemory m = mem;
        int h = hdrLen, s = txSkip;      // without CSUM the header is not read: its bytes in buf stay as they were
        for (int k = 0; k < planned; k++) {
            int total = planLen[k];
            SmallCopy.copy(m.view(planRegion[k]), planOff[k] + s, buf, off[k] - h + s, total - s);
            len[k] = total - h;
        }
        for (int k = 0; k < planned; k++) usedElem(usedIdx + k, planHead[k], 0);
    }

    private void writeHeader(MemorySegment buf, long start) { VirtioFeatures.writeRxHeader(buf, start, hdrLen, headerFromCaller); }

    /** The head the driver put at availPos of the available ring, unchecked. */
    private int rawHeadAt(int availPos) {
        return Short.toUnsignedInt(avail.get(JAVA_SHORT, 4L + 2L * (availPos & mask)));
    }

    private int headAt(int availPos) {
        int head = rawHeadAt(availPos);
        if (head >= size) throw new VirtqueueFault("descriptor head " + head + " out of ring size " + size);
        return head;
    }

    /**
     * Dirty-logs n used-ring entries from pos that were written but will not be published: a migration must copy
     * the ring as it is in memory (the destination's memory equals the source's), not only as the driver sees it.
     */
    private void logUsedElems(int pos, int n) {
        GuestMemory m = mem;
        if (m.log() == null) return;
        for (int j = 0; j < n; j++) m.logWrite(usedGpa + 4 + 8L * ((pos + j) & mask), 8);
    }

    /** One 8-byte store (id, len; little-endian like the ring) instead of two: fewer store-queue entries. */
    private void usedElem(int pos, int head, int written) {
        long slot = 4L + 8L * (pos & mask);
        used.set(JAVA_LONG_UNALIGNED, slot, (head & 0xffffffffL) | ((long) written << 32));
    }

    /**
     * Writes up to need bytes of src into the device-writable chain at head. With whole=true (no mergeable
     * buffers) the chain must hold everything: returns -1 if it cannot. Otherwise returns bytes written.
     * Records where num_buffers (stream bytes 10-11) landed when first is set.
     */
    private long writeChain(int head, MemorySegment src, long srcOff, int need, boolean first) {
        MemorySegment t = desc;
        long tbase = 0;
        int tsize = size;
        boolean inIndirect = false;
        int idx = head, seen = 0;
        long pos = 0;
        GuestMemory m = mem;
        while (true) {
            if (++seen > tsize) throw new VirtqueueFault("descriptor chain from head " + head + " loops or is longer than its table (" + tsize + ")");
            long d = tbase + 16L * idx;
            long addr = t.get(JAVA_LONG_UNALIGNED, d);
            long dlen = Integer.toUnsignedLong(t.get(JAVA_INT_UNALIGNED, d + 8));
            int flags = t.get(JAVA_SHORT_UNALIGNED, d + 12);
            int next = Short.toUnsignedInt(t.get(JAVA_SHORT_UNALIGNED, d + 14));
            if ((flags & DESC_F_INDIRECT) != 0) {
                if (inIndirect || !indirect) throw new VirtqueueFault(inIndirect ? "nested indirect descriptor" : "indirect descriptor without INDIRECT_DESC");
                if (dlen == 0 || (dlen & 15) != 0 || dlen > 16L * MAX_SIZE) throw new VirtqueueFault("indirect table length " + dlen + " is not a multiple of 16");
                int r = m.regionOf(addr, dlen);
                if (r < 0) throw new VirtqueueFault("indirect table at 0x" + Long.toHexString(addr) + " is outside guest memory");
                t = m.view(r);
                tbase = addr - m.gpaBase(r);
                tsize = (int) (dlen >>> 4);
                inIndirect = true;
                idx = 0;
                seen = 0;
                continue;
            }
            if ((flags & DESC_F_WRITE) == 0) throw new VirtqueueFault("device-readable descriptor in a receive chain");
            if (pos < need) {
                long n = Math.min(dlen, need - pos);
                if (first && pos <= 10 && pos + n > 10) numBuffersGpa = addr + (10 - pos);
                if (first && pos <= 11 && pos + n > 11) numBuffersHiGpa = addr + (11 - pos);
                m.copyIn(src, srcOff + pos, addr, (int) n);
                pos += n;
            }
            if ((flags & DESC_F_NEXT) == 0 || pos >= need) {
                if (pos < need && !mergeable) return -1;
                return pos;
            }
            if (next >= tsize) throw new VirtqueueFault("descriptor next index " + next + " out of table size " + tsize);
            idx = next;
        }
    }

    /** Publishes the used index and signals the driver if it asked for it (event index or flags). */
    private void publish(int oldUsed, int added) {
        if (added == 0) return;
        MemorySegment u = used;
        if (u == null) return;
        GuestMemory m = mem;
        SHORT_AT.setRelease(u, 2L, (short) usedIdx);
        // dirty-log the used ring after writing it (vhost-user.rst, "Migration"): a bit set before the write could be
        // read and cleared by the front-end, the page copied, and then the write land unlogged
        if (m.log() != null) {
            for (int i = 0; i < added; i++) m.logWrite(usedGpa + 4 + 8L * ((oldUsed + i) & mask), 8);
            m.logWrite(usedGpa + 2, 2);
        }
        EventFd c = call;
        if (c == null) return;
        VarHandle.fullFence();  // order our used-index store before reading the driver's event/flags
        boolean notify;
        if (eventIdx) {
            int usedEvent = Short.toUnsignedInt(avail.get(JAVA_SHORT, 4L + 2L * size));
            notify = ((usedIdx - usedEvent - 1) & 0xffff) < ((usedIdx - oldUsed) & 0xffff);
        } else {
            notify = (avail.get(JAVA_SHORT, 0L) & AVAIL_F_NO_INTERRUPT) == 0;
        }
        if (notify) c.signal();
    }

    /** Signals the driver unconditionally (after a restart, so it rechecks the ring). */
    public void kickDriver() {
        EventFd c = call;
        if (c != null) c.signal();
    }
}
