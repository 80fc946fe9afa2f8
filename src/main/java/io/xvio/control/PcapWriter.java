package io.xvio.control;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The classic libpcap file format (what `tcpdump -w` writes and `tcpdump -r`, tshark and Wireshark read): a
 * 24-byte file header (magic, version 2.4, snaplen, LINKTYPE_ETHERNET), then per frame a 16-byte record header
 * (seconds, micro- or nanoseconds, captured length, original length) and the captured bytes, cut to snaplen.
 * Little-endian, as written on this machine; the magic tells readers the byte order and the time unit
 * (0xa1b2c3d4: microseconds, 0xa1b23c4d: nanoseconds).
 *
 * <p>Records are built in one off-heap buffer, preallocated ({@link #BUFFER} bytes, or one whole record if snaplen
 * is larger), and handed to the {@link Output} when the next record would not fit and on {@link #flush}: nothing
 * is allocated per frame. The file header is the buffer's first bytes (out sees it with the first flush).
 */
final class PcapWriter {
    static final int MAGIC_MICRO = 0xa1b2c3d4, MAGIC_NANO = 0xa1b23c4d;
    static final int LINKTYPE_ETHERNET = 1;
    static final int FILE_HEADER = 24, RECORD_HEADER = 16;
    /** The buffer's usual size: one write(2) per 256 KiB of pcap. */
    static final int BUFFER = 256 << 10;
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Takes buffered pcap bytes: all of buf[0, len), or throws. */
    @FunctionalInterface
    interface Output {
        void write(MemorySegment buf, long len);
    }

    private final Output out;
    private final MemorySegment buf;
    private final int snaplen;
    private final boolean nano;
    private long pos;

    /** Starts a file of frames cut to snaplen, with nanosecond (nano) or microsecond time stamps. */
    PcapWriter(Output out, int snaplen, boolean nano) {
        if (snaplen < 1) throw new IllegalArgumentException("snaplen must be at least 1: " + snaplen);
        this.out = out;
        this.snaplen = snaplen;
        this.nano = nano;
        this.buf = Arena.ofAuto().allocate(Math.max(BUFFER, RECORD_HEADER + snaplen), 8);
        buf.set(LE_INT, 0, nano ? MAGIC_NANO : MAGIC_MICRO);
        buf.set(LE_SHORT, 4, (short) 2);
        buf.set(LE_SHORT, 6, (short) 4);
        buf.set(LE_INT, 8, 0);                      // thiszone
        buf.set(LE_INT, 12, 0);                     // sigfigs
        buf.set(LE_INT, 16, snaplen);
        buf.set(LE_INT, 20, LINKTYPE_ETHERNET);
        pos = FILE_HEADER;
    }

    /**
     * One frame: capLen bytes at off in data (of a frame origLen long on the wire) at epochNanos (ns since 1970);
     * at most snaplen of them are kept.
     */
    void frame(MemorySegment data, long off, int capLen, int origLen, long epochNanos) {
        if (capLen < 0 || capLen > origLen) throw new IllegalArgumentException("captured length " + capLen + " for a frame of " + origLen);
        int cap = Math.min(capLen, snaplen);
        if (pos + RECORD_HEADER + cap > buf.byteSize()) flush();
        long sec = Math.floorDiv(epochNanos, 1_000_000_000L);
        long frac = Math.floorMod(epochNanos, 1_000_000_000L);
        buf.set(LE_INT, pos, (int) sec);
        buf.set(LE_INT, pos + 4, (int) (nano ? frac : frac / 1000));
        buf.set(LE_INT, pos + 8, cap);
        buf.set(LE_INT, pos + 12, origLen);
        MemorySegment.copy(data, off, buf, pos + RECORD_HEADER, cap);
        pos += RECORD_HEADER + cap;
    }

    /** Hands what is buffered to the output. */
    void flush() {
        if (pos == 0) return;
        long n = pos;
        pos = 0;                // taken even if out fails: a failed output is not written again
        out.write(buf, n);
    }

    /** Bytes waiting for the next flush. */
    long buffered() { return pos; }
}
