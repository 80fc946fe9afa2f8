package io.xvio.virtio;

import io.xvio.sys.EventFd;

import java.lang.foreign.MemorySegment;

/**
 * One virtqueue seen from the device side, whatever its layout: {@link SplitVirtqueue} (virtio 1.1 §2.7) or
 * {@link PackedVirtqueue} (§2.8, VIRTIO_F_RING_PACKED). The control thread configures it while it is stopped and
 * calls {@link #start}; one poll-mode thread at a time then calls {@link #popTx} (driver-to-device queue) or
 * {@link #pushRx} (device-to-driver queue). Packets travel as a byte stream [virtio-net header | frame]: the
 * caller's buffer holds the frame at off[i] with at least {@link #headerLength()} writable bytes before it.
 * Every guest address is checked; a driver that breaks the ring contract stops this queue only: {@link #ready()}
 * turns false and {@link #fault()} says why. No exception escapes the hot path.
 */
public interface Virtqueue {
    /** Largest ring either layout accepts. */
    int MAX_SIZE = 32768;

    /** A stopped queue of the layout the negotiated features ask for. */
    static Virtqueue create(long features, int index, String owner) {
        return VirtioFeatures.has(features, VirtioFeatures.F_RING_PACKED) ? new PackedVirtqueue(index, owner) : new SplitVirtqueue(index, owner);
    }

    int index();
    int size();
    boolean ready();
    /** Why the queue stopped itself ("port vhA queue 1: ..."), or null. Cleared by {@link #start}. */
    String fault();
    /**
     * Where the device resumes: the split ring's free-running 16-bit available index, or the packed ring's
     * next descriptor position | (driver ring wrap counter &lt;&lt; 15).
     */
    int lastAvailIndex();
    int headerLength();
    /** What the last {@link #start} changed in the base it was given, for the log; null when it resumed there. */
    default String resumedNote() { return null; }
    /**
     * The ring as the PMD thread last saw it, for `show` (read racily, never from guest memory): indices and the
     * available entries not yet taken (packets waiting on a transmit queue, empty buffers on a receive queue).
     */
    default String ringState() { return ""; }
    long droppedOversize();
    long droppedRunt();
    long droppedRxTooSmall();
    EventFd callFd();
    EventFd kickFd();

    // ---------------------------------------------------------------- control path (queue stopped)

    /** Throws {@link VirtqueueFault} for a size the layout does not allow. */
    void setSize(int num);
    /** SET_VRING_ADDR: descriptor area, driver area (avail), device area (used), as front-end addresses. */
    void setAddresses(long desc, long avail, long used, long logGuestAddr, boolean logAtGuestAddr);
    /** SET_VRING_BASE's value (see {@link #lastAvailIndex}). */
    void setBase(int base);
    /** Replaces the call eventfd, closing the old one (queue stopped). */
    void setCall(EventFd fd);
    /**
     * Replaces the call eventfd of a running queue (the PMD thread reads it once per publish) and returns the old one,
     * which the caller closes only after the PMD threads have quiesced: a signal in flight would otherwise write to
     * whatever reused its number.
     */
    EventFd swapCall(EventFd fd);
    /** Replaces the kick eventfd, closing the old one. */
    void setKick(EventFd fd);
    boolean configuredAddresses();
    /** Maps the rings through memory and makes the queue ready; throws {@link VirtqueueFault} if it cannot. */
    void start(GuestMemory memory, long features);
    /** Stops polling (the caller then waits for the PMD threads to quiesce before reading the base). */
    void stop();
    /** Frees what start took (after quiescence), keeping fds for a restart. */
    void release();

    // ---------------------------------------------------------------- hot path (one PMD thread at a time)

    /**
     * Takes up to max packets the driver made available, copies each frame to buf at off[k] (at most cap bytes),
     * stores its length in len[k], completes the buffers and notifies the driver if it wants that.
     * @return packets copied (oversized and runt buffers are completed and counted, not returned)
     */
    default int popTx(MemorySegment buf, int[] off, int[] len, int cap, int max) { return popTx(buf, off, len, cap, cap, max); }

    /**
     * As {@link #popTx(MemorySegment, int[], int[], int, int)}, but copies at most copyLimit bytes of a frame (copyLimit
     * at most cap): a longer frame still counts as taken, its len[k] its real length, its bytes past copyLimit not
     * copied. For buffers smaller than what the driver may send (a relay's AF_XDP chunks): the caller drops such a
     * frame as too big for where it goes, as it would after a full copy.
     */
    int popTx(MemorySegment buf, int[] off, int[] len, int cap, int copyLimit, int max);

    /**
     * Delivers packets which[0..n) (frames at off[which[k]], len[which[k]]) to the driver's receive buffers.
     * The header bytes before each frame are overwritten. Stops at the first packet that finds no room. The packets
     * tried are which[0..d + {@link #lastTooSmall()}), d of them delivered and the rest dropped as too small; which
     * itself is only read (callers pass shared index arrays), so which[d + lastTooSmall()..n) are the packets not
     * tried, in order: a caller may offer them again.
     * @return packets delivered (d); the caller counts the rest as dropped
     */
    int pushRx(MemorySegment buf, int[] off, int[] len, int[] which, int n);

    /** Packets the last pushRx dropped because the driver's buffers could not hold them (counted by the queue). */
    default int lastTooSmall() { return 0; }

    /** Frame bytes (without the virtio-net header) of the packets the last pushRx delivered. */
    long lastBytes();

    /** Signals the driver unconditionally (after a restart, so it rechecks the ring). */
    void kickDriver();
}
