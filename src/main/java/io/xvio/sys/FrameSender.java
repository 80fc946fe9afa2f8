package io.xvio.sys;

import java.lang.foreign.MemorySegment;

/**
 * A kernel transmit ring that frames are queued into and then handed over with one system call: the AF_PACKET
 * TX ring ({@link PacketTxRing}) and the AF_XDP socket ({@link XdpSocket}). One thread at a time; no allocation.
 */
public interface FrameSender {
    /** Copies buf[off, off+len) into the ring; false, copying nothing, when the ring is full. */
    boolean queue(MemorySegment buf, long off, int len);

    /** Whether {@link #flush} has work (frames queued, or left by a flush the kernel was too busy for). */
    boolean needsFlush();

    /** Has the kernel send what is queued: 0, or -errno (see {@link #busy}). */
    int flush();

    /**
     * {@link #flush}, or, for a sender whose one system call can take several bursts, keeps the queued frames back
     * (returning 0) until enough wait; {@link #heldSince} then is not 0, and a later flush sends them.
     */
    default int flushOrHold() { return flush(); }

    /** When frames were first kept back by {@link #flushOrHold} (System.nanoTime()), 0 if none are. */
    default long heldSince() { return 0; }

    /**
     * Whether errno from {@link #flush} only means the kernel had no room now: the frames stay queued and go with
     * the next flush. Anything else (ENXIO: interface gone, ENETDOWN: down) means the interface is unusable.
     */
    default boolean busy(int errno) {
        return errno == Errno.EAGAIN || errno == 105 /* ENOBUFS */ || errno == Errno.EINTR;
    }
}
