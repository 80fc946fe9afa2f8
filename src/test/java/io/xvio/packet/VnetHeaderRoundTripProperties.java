package io.xvio.packet;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Random;

import static io.xvio.packet.GsoFrames.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The header an uplink writes before a frame (a TAP write, an AF_PACKET send, {@link VnetHeader#write}) is the
 * header the kernel hands back for it (a TAP read, {@link VnetHeader#read}): for TCP frames of any size, behind 0-2
 * VLAN tags, IPv4 or IPv6, with ECN or not, written and read back the slot's offload state is what it was, hdr_len
 * ends at the TCP header, and a "GSO" frame of one segment is written as a plain partial checksum (Linux refuses
 * those). Random bytes as a header never throw and either refuse or give a checksum field inside the frame.
 */
class VnetHeaderRoundTripProperties {
    private static final java.lang.foreign.ValueLayout.OfShort LE = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Property(tries = 300)
    void whatIsWrittenReadsBackAsTheSameState(@ForAll boolean v6, @ForAll boolean ecn, @ForAll @IntRange(max = 2) int tags,
                                              @ForAll @IntRange(min = 1, max = 20000) int payload, @ForAll @IntRange(min = 88, max = 9000) int gsoSize,
                                              @ForAll @IntRange(max = 10) int optionWords, @ForAll long seed) {
        Frame f = build(new Random(seed), v6, false, tags, payload, seed, (int) seed, ACK, optionWords);
        PacketBatch b = new PacketBatch();
        int i = 3, off = b.off[i];
        b.data.asSlice(off, f.bytes().length).copyFrom(MemorySegment.ofArray(f.bytes()));
        b.len[i] = f.bytes().length;
        b.offloads = true;
        b.vflags[i] = VnetHeader.F_NEEDS_CSUM;
        b.gsoType[i] = f.gsoType() | (ecn ? Segmentation.GSO_ECN : 0);
        b.gsoSize[i] = gsoSize;
        b.csumAt[i] = off + f.csumStart();
        b.csumOffset[i] = f.csumOffset();
        long hdr = off - 10;
        VnetHeader.write(b, i, hdr);

        boolean oneSegment = payload <= gsoSize;
        MemorySegment d = b.data;
        assertEquals(VnetHeader.F_NEEDS_CSUM, d.get(JAVA_BYTE, hdr));
        assertEquals(oneSegment ? 0 : f.gsoType() | (ecn ? 0x80 : 0), d.get(JAVA_BYTE, hdr + 1) & 0xff);
        assertEquals(oneSegment ? 0 : f.hdr(), d.get(LE, hdr + 2) & 0xffff, "hdr_len: through the TCP header");
        assertEquals(oneSegment ? 0 : gsoSize, d.get(LE, hdr + 4) & 0xffff);
        assertEquals(f.csumStart(), d.get(LE, hdr + 6) & 0xffff);
        assertEquals(f.csumOffset(), d.get(LE, hdr + 8) & 0xffff);

        PacketBatch r = new PacketBatch();
        int j = 5;
        r.data.asSlice(r.off[j] - 10, 10 + b.len[i]).copyFrom(d.asSlice(hdr, 10 + b.len[i]));
        r.len[j] = b.len[i];
        assertEquals(VnetHeader.OK, VnetHeader.read(r, j, r.off[j] - 10, true, true, true));
        assertEquals(VnetHeader.F_NEEDS_CSUM, r.vflags[j]);
        assertEquals(oneSegment ? Segmentation.GSO_NONE : b.gsoType[i], r.gsoType[j]);
        assertEquals(oneSegment ? 0 : gsoSize, r.gsoSize[j]);
        assertEquals(r.off[j] + f.csumStart(), r.csumAt[j]);
        assertEquals(f.csumOffset(), r.csumOffset[j]);
        if (!oneSegment) assertTrue(VnetHeader.plainTcp(r, j), "a plain TCP GSO frame (what an afpacket port passes on whole)");
        // and the reader refuses what the TAP was not told to hand over
        if (!oneSegment) assertEquals(VnetHeader.BAD_GSO, VnetHeader.read(r, j, r.off[j] - 10, v6, !v6, true));
        if (!oneSegment && ecn) assertEquals(VnetHeader.BAD_GSO, VnetHeader.read(r, j, r.off[j] - 10, true, true, false));
    }

    @Property(tries = 300)
    void aFrameWithoutOffloadStateGetsAZeroHeader(@ForAll boolean v6, @ForAll @IntRange(max = 1400) int payload, @ForAll long seed) {
        Frame f = build(new Random(seed), v6, false, 0, payload, seed, 1, ACK, 0);
        PacketBatch b = new PacketBatch();
        int i = 0, off = b.off[i];
        b.data.asSlice(off, f.bytes().length).copyFrom(MemorySegment.ofArray(f.bytes()));
        b.len[i] = f.bytes().length;
        b.data.asSlice(off - 10, 10).fill((byte) 0x5a);
        VnetHeader.write(b, i, off - 10);
        for (int k = 0; k < 10; k++) assertEquals(0, b.data.get(JAVA_BYTE, off - 10 + k), "byte " + k);
    }

    @Property(tries = 1000)
    void anyHeaderIsRefusedOrPointsInsideTheFrame(@ForAll byte[] header, @ForAll @IntRange(min = 14, max = 2000) int len,
                                                  @ForAll boolean tso4, @ForAll boolean tso6, @ForAll boolean ecn) {
        PacketBatch b = new PacketBatch();
        int i = 1;
        MemorySegment h = b.data.asSlice(b.off[i] - 10, 10);
        for (int k = 0; k < 10; k++) h.set(JAVA_BYTE, k, k < header.length ? header[k] : 0);
        b.len[i] = len;
        int why = VnetHeader.read(b, i, b.off[i] - 10, tso4, tso6, ecn);
        if (why != VnetHeader.OK) {
            assertTrue(why == VnetHeader.BAD_CSUM || why == VnetHeader.BAD_GSO);
            return;
        }
        if ((b.vflags[i] & VnetHeader.F_NEEDS_CSUM) != 0) assertTrue(b.csumAt[i] - b.off[i] + b.csumOffset[i] + 2 <= len);
        if (b.gsoType[i] != Segmentation.GSO_NONE) {
            assertTrue(b.gsoSize[i] > 0);
            assertEquals(VnetHeader.F_NEEDS_CSUM, b.vflags[i]);
        }
        VnetHeader.plainTcp(b, i);                  // never throws on whatever the slot holds
    }
}
