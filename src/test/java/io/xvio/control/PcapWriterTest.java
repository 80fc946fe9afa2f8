package io.xvio.control;

import io.xvio.sys.OutputFd;
import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The pcap file format as libpcap reads it (pcap-savefile(5)): file header, record headers, time units, snaplen;
 * records buffered and written in whole buffers, the bytes exactly those of one record after another; and nothing
 * allocated per frame when writing to a descriptor.
 */
class PcapWriterTest {
    /** Collects what the writer hands out, and the size of each write. */
    static final class Collector implements PcapWriter.Output {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<Long> writes = new ArrayList<>();

        @Override
        public void write(MemorySegment buf, long len) {
            writes.add(len);
            bytes.writeBytes(buf.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void fileHeaderIsClassicPcapForEthernet() {
        Collector out = new Collector();
        new PcapWriter(out, 1500, false).flush();
        ByteBuffer h = ByteBuffer.wrap(out.bytes.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(24, h.remaining());
        assertEquals(0xa1b2c3d4, h.getInt());
        assertEquals(2, h.getShort());
        assertEquals(4, h.getShort());
        assertEquals(0, h.getInt());
        assertEquals(0, h.getInt());
        assertEquals(1500, h.getInt());
        assertEquals(1, h.getInt(), "LINKTYPE_ETHERNET");
        Collector nano = new Collector();
        new PcapWriter(nano, 65535, true).flush();
        assertEquals(0xa1b23c4d, ByteBuffer.wrap(nano.bytes.toByteArray()).order(ByteOrder.LITTLE_ENDIAN).getInt());
    }

    @Property(tries = 300)
    void aRecordCarriesItsTimeLengthsAndBytes(@ForAll @IntRange(min = 0, max = 3000) int cap, @ForAll @IntRange(min = 0, max = 70000) int extra,
                                              @ForAll @LongRange(min = 0, max = 4_000_000_000_000_000_000L) long epochNanos, @ForAll boolean nano) {
        byte[] frame = new byte[cap + 5];
        for (int i = 0; i < frame.length; i++) frame[i] = (byte) (i * 7 + cap);
        Collector out = new Collector();
        PcapWriter w = new PcapWriter(out, 262144, nano);
        w.frame(MemorySegment.ofArray(frame), 5, cap, cap + extra, epochNanos);
        w.flush();
        ByteBuffer b = ByteBuffer.wrap(out.bytes.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        b.position(24);
        assertEquals(epochNanos / 1_000_000_000L, Integer.toUnsignedLong(b.getInt()));
        long frac = epochNanos % 1_000_000_000L;
        assertEquals(nano ? frac : frac / 1000, b.getInt());
        assertEquals(cap, b.getInt());
        assertEquals(cap + extra, b.getInt());
        assertEquals(cap, b.remaining());
        for (int i = 0; i < cap; i++) assertEquals(frame[5 + i], b.get());
    }

    /** The expected file, built independently: header, then per frame 16 bytes of header and the kept bytes. */
    private static byte[] expected(int snaplen, int[] lens, long t0) {
        ByteBuffer b = ByteBuffer.allocate(24 + Arrays.stream(lens).map(l -> 16 + Math.min(l, snaplen)).sum()).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xa1b23c4d).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(snaplen).putInt(1);
        for (int i = 0; i < lens.length; i++) {
            long t = t0 + i * 1_001L;
            int kept = Math.min(lens[i], snaplen);
            b.putInt((int) (t / 1_000_000_000L)).putInt((int) (t % 1_000_000_000L)).putInt(kept).putInt(lens[i]);
            for (int k = 0; k < kept; k++) b.put((byte) (i + k));
        }
        return b.array();
    }

    private static void write(PcapWriter w, int[] lens, long t0) {
        MemorySegment frame = Arena.ofAuto().allocate(70000);
        for (int i = 0; i < lens.length; i++) {
            for (int k = 0; k < lens[i]; k++) frame.set(ValueLayout.JAVA_BYTE, 100 + k, (byte) (i + k));
            w.frame(frame, 100, lens[i], lens[i], t0 + i * 1_001L);
        }
    }

    @Test
    void snaplenKeepsTheFirstBytesAndTheOriginalLength() {
        int[] lens = {60, 128, 129, 1514, 9000, 0, 127};
        Collector out = new Collector();
        PcapWriter w = new PcapWriter(out, 128, true);
        write(w, lens, 1_700_000_000_123_456_789L);
        w.flush();
        assertArrayEquals(expected(128, lens, 1_700_000_000_123_456_789L), out.bytes.toByteArray());
    }

    @Test
    void wholeBuffersGoOutAndTheBytesAreExactlyOneRecordAfterAnother() {
        int[] lens = new int[3000];
        for (int i = 0; i < lens.length; i++) lens[i] = 60 + (i * 37) % 1455;
        Collector out = new Collector();
        PcapWriter w = new PcapWriter(out, 262144, true);
        write(w, lens, 5_000_000_000L);
        assertTrue(out.writes.size() >= 8, "about 2.3 MB in 256 KiB buffers: " + out.writes);
        for (long len : out.writes) assertTrue(len <= PcapWriter.BUFFER && len > PcapWriter.BUFFER - 16 - 1514, "a full buffer: " + len);
        assertTrue(w.buffered() > 0);
        w.flush();
        assertEquals(0, w.buffered());
        w.flush();                                              // nothing buffered: no empty write
        assertArrayEquals(expected(262144, lens, 5_000_000_000L), out.bytes.toByteArray());
    }

    @Test
    void aFrameLargerThanTheUsualBufferFitsWhenSnaplenAllowsIt() {
        Collector out = new Collector();
        PcapWriter w = new PcapWriter(out, 262144, true);
        MemorySegment big = Arena.ofAuto().allocate(262144);
        w.frame(big, 0, 262144, 300000, 0);
        w.flush();
        assertEquals(24 + 16 + 262144, out.bytes.size());
    }

    @Test
    void aCapturedLengthOverTheOriginalIsRefused() {
        PcapWriter w = new PcapWriter(new Collector(), 100, true);
        assertThrows(IllegalArgumentException.class, () -> w.frame(MemorySegment.ofArray(new byte[10]), 0, 10, 9, 0));
        assertThrows(IllegalArgumentException.class, () -> new PcapWriter(new Collector(), 0, true));
    }

    /**
     * Compiles the write path: a flush is a write(2) per 256 KiB, and until the JIT has compiled the downcall (some
     * thousands of calls: a daemon's first minutes at a few hundred writes a second) each call allocates about 40 bytes
     * in the interpreter's method-handle code. Steady state is after that.
     */
    static void warmUp(PcapWriter w) {
        MemorySegment f = Arena.ofAuto().allocate(64);
        for (int i = 0; i < 30_000; i++) {
            w.frame(f, 0, 64, 64, i);
            w.flush();
        }
    }

    /** Steady state: frames through the buffer and write(2) to /dev/null allocate nothing. */
    @Test
    void writingFramesToADescriptorAllocatesNothing() {
        try (OutputFd fd = new OutputFd(OutputFd.create("/dev/null"))) {
            PcapWriter w = new PcapWriter((b, len) -> fd.write(b, 0, len), 128, true);
            MemorySegment frame = Arena.ofAuto().allocate(2048);
            Runnable run = () -> {
                for (int i = 0; i < 200_000; i++) w.frame(frame, 64, 64 + (i & 1023), 64 + (i & 1023), 1_000_000_000L * i);
                w.flush();
            };
            warmUp(w);
            for (int i = 0; i < 3; i++) run.run();
            var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long t = Thread.currentThread().threadId();
            // The least of up to five runs: on a loaded machine the JIT's C2 compile of the write path can lag behind, and
            // until then each FFM downcall with errno capture allocates its capture segment (40 B per write(2), ~100
            // writes a run: 4 KB seen on a loaded 2-CPU machine); an allocation per frame costs >= 3.2 MB in every run.
            long allocated = Long.MAX_VALUE;
            for (int r = 0; r < 5 && allocated >= 1024; r++) {
                long w0 = fd.written();
                long a0 = mx.getThreadAllocatedBytes(t);
                run.run();
                allocated = Math.min(allocated, mx.getThreadAllocatedBytes(t) - a0);
                assertTrue(fd.written() - w0 > 200_000L * 80, "written: " + (fd.written() - w0));
            }
            assertTrue(allocated < 200_000, allocated + " bytes allocated for 200,000 frames (an allocation per frame)");
        }
    }
}
