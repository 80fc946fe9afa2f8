package io.xvio.control;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The classic libpcap file format (what `tcpdump -w` writes and `tcpdump -r`, tshark and Wireshark read): a
 * 24-byte file header (magic, version 2.4, snaplen, LINKTYPE_ETHERNET), then per frame a 16-byte record header
 * (seconds, micro- or nanoseconds, captured length, original length) and the captured bytes. Little-endian, as
 * written on this machine; the magic tells readers the byte order and the time unit (0xa1b2c3d4: microseconds,
 * 0xa1b23c4d: nanoseconds).
 */
final class PcapWriter {
    static final int MAGIC_MICRO = 0xa1b2c3d4, MAGIC_NANO = 0xa1b23c4d;
    static final int LINKTYPE_ETHERNET = 1;
    static final int FILE_HEADER = 24, RECORD_HEADER = 16;

    private final ByteArrayOutputStream out;
    private final boolean nano;
    private final ByteBuffer head = ByteBuffer.allocate(RECORD_HEADER).order(ByteOrder.LITTLE_ENDIAN);
    private byte[] scratch = new byte[2048];

    /** Writes the file header for frames cut to snaplen, with nanosecond (nano) or microsecond time stamps. */
    PcapWriter(ByteArrayOutputStream out, int snaplen, boolean nano) {
        this.out = out;
        this.nano = nano;
        ByteBuffer h = ByteBuffer.allocate(FILE_HEADER).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(nano ? MAGIC_NANO : MAGIC_MICRO).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                .putInt(snaplen).putInt(LINKTYPE_ETHERNET);
        out.writeBytes(h.array());
    }

    /** One frame: capLen bytes at off in data, origLen its length on the wire, epochNanos when (ns since 1970). */
    void frame(MemorySegment data, long off, int capLen, int origLen, long epochNanos) {
        if (capLen < 0 || capLen > origLen) throw new IllegalArgumentException("captured length " + capLen + " for a frame of " + origLen);
        long sec = Math.floorDiv(epochNanos, 1_000_000_000L);
        long frac = Math.floorMod(epochNanos, 1_000_000_000L);
        head.clear();
        head.putInt((int) sec).putInt((int) (nano ? frac : frac / 1000)).putInt(capLen).putInt(origLen);
        out.writeBytes(head.array());
        if (scratch.length < capLen) scratch = new byte[Math.max(capLen, scratch.length * 2)];
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, off, scratch, 0, capLen);
        out.write(scratch, 0, capLen);
    }
}
