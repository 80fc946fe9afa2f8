package io.xvio.control;

import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.*;

/** The pcap file format as libpcap reads it (pcap-savefile(5)): file header, record headers, time units. */
class PcapWriterTest {

    @Test
    void fileHeaderIsClassicPcapForEthernet() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PcapWriter(out, 1500, false);
        ByteBuffer h = ByteBuffer.wrap(out.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(24, h.remaining());
        assertEquals(0xa1b2c3d4, h.getInt());
        assertEquals(2, h.getShort());
        assertEquals(4, h.getShort());
        assertEquals(0, h.getInt());
        assertEquals(0, h.getInt());
        assertEquals(1500, h.getInt());
        assertEquals(1, h.getInt(), "LINKTYPE_ETHERNET");
        ByteArrayOutputStream nano = new ByteArrayOutputStream();
        new PcapWriter(nano, 65535, true);
        assertEquals(0xa1b23c4d, ByteBuffer.wrap(nano.toByteArray()).order(ByteOrder.LITTLE_ENDIAN).getInt());
    }

    @Property(tries = 300)
    void aRecordCarriesItsTimeLengthsAndBytes(@ForAll @IntRange(min = 0, max = 3000) int cap, @ForAll @IntRange(min = 0, max = 70000) int extra,
                                              @ForAll @LongRange(min = 0, max = 4_000_000_000_000_000_000L) long epochNanos, @ForAll boolean nano) {
        byte[] frame = new byte[cap + 5];
        for (int i = 0; i < frame.length; i++) frame[i] = (byte) (i * 7 + cap);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PcapWriter w = new PcapWriter(out, 262144, nano);
        w.frame(MemorySegment.ofArray(frame), 5, cap, cap + extra, epochNanos);
        ByteBuffer b = ByteBuffer.wrap(out.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        b.position(24);
        assertEquals(epochNanos / 1_000_000_000L, Integer.toUnsignedLong(b.getInt()));
        long frac = epochNanos % 1_000_000_000L;
        assertEquals(nano ? frac : frac / 1000, b.getInt());
        assertEquals(cap, b.getInt());
        assertEquals(cap + extra, b.getInt());
        assertEquals(cap, b.remaining());
        for (int i = 0; i < cap; i++) assertEquals(frame[5 + i], b.get());
    }

    @Test
    void aCapturedLengthOverTheOriginalIsRefused() {
        PcapWriter w = new PcapWriter(new ByteArrayOutputStream(), 100, true);
        assertThrows(IllegalArgumentException.class, () -> w.frame(MemorySegment.ofArray(new byte[10]), 0, 10, 9, 0));
    }
}
