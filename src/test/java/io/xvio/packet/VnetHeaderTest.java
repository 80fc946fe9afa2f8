package io.xvio.packet;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;

import static io.xvio.packet.GsoFrames.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The virtio-net header's offload fields: what {@link VnetHeader#read} accepts from a guest and stores in a batch
 * slot, what {@link VnetHeader#write} gives a guest, and that a partial checksum stays right through the
 * datapath's rewrites ({@link VnetHeader#complete} and {@link VnetHeader#fixPseudo} work from the headers as
 * they are, whatever the incremental updates did to the field).
 */
class VnetHeaderTest {
    private final PacketBatch b = new PacketBatch();

    /** Puts frame f into slot 0 of b with the header (flags, gso_type, hdr_len, gso_size, csum_start, csum_offset). */
    private long load(Frame f, int flags, int gso, int hdrLen, int gsoSize, int start, int offset) {
        b.reset();
        MemorySegment.copy(f.bytes(), 0, b.data, JAVA_BYTE, b.off[0], f.bytes().length);
        b.len[0] = f.bytes().length;
        long h = b.off[0] - 12;
        ByteBuffer hb = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        hb.put((byte) flags).put((byte) gso).putShort((short) hdrLen).putShort((short) gsoSize).putShort((short) start)
                .putShort((short) offset).putShort((short) 1);
        MemorySegment.copy(hb.array(), 0, b.data, JAVA_BYTE, h, 12);
        return h;
    }

    private static Frame tcp4(int payload) {
        return build(new Random(7), false, false, 0, payload, 1000, 77, ACK | PSH, 3);
    }

    @Test
    void readsAGuestsGsoHeaderIntoTheSlot() {
        Frame f = tcp4(5000);
        long h = load(f, VnetHeader.F_NEEDS_CSUM, Segmentation.GSO_TCPV4, f.hdr(), 1448, f.l4(), 16);
        assertEquals(VnetHeader.OK, VnetHeader.read(b, 0, h, true, false, false));
        b.offloads = true;
        assertTrue(b.hasOffload(0));
        assertEquals(VnetHeader.F_NEEDS_CSUM, b.vflags[0]);
        assertEquals(Segmentation.GSO_TCPV4, b.gsoType[0]);
        assertEquals(1448, b.gsoSize[0]);
        assertEquals(b.off[0] + f.l4(), b.csumAt[0], "csum_start kept as an absolute offset");
        assertEquals(16, b.csumOffset[0]);
    }

    @Test
    void refusesWhatTheGuestDidNotNegotiateOrCannotBeRight() {
        Frame f = tcp4(3000);
        int len = f.bytes().length;
        assertEquals(VnetHeader.BAD_GSO, VnetHeader.read(b, 0, load(f, 1, Segmentation.GSO_TCPV4, 0, 1448, f.l4(), 16), false, true, true), "TSO4 not negotiated");
        assertEquals(VnetHeader.BAD_GSO, VnetHeader.read(b, 0, load(f, 1, Segmentation.GSO_TCPV4 | Segmentation.GSO_ECN, 0, 1448, f.l4(), 16), true, true, false), "ECN not negotiated");
        assertEquals(VnetHeader.BAD_GSO, VnetHeader.read(b, 0, load(f, 1, Segmentation.GSO_UDP, 0, 1448, f.l4(), 16), true, true, true), "UFO");
        assertEquals(VnetHeader.BAD_GSO, VnetHeader.read(b, 0, load(f, 1, Segmentation.GSO_TCPV4, 0, 0, f.l4(), 16), true, true, true), "gso_size 0");
        assertEquals(VnetHeader.BAD_GSO, VnetHeader.read(b, 0, load(f, 0, Segmentation.GSO_TCPV4, 0, 1448, 0, 0), true, true, true), "GSO without NEEDS_CSUM");
        assertEquals(VnetHeader.BAD_CSUM, VnetHeader.read(b, 0, load(f, 1, 0, 0, 0, len - 1, 0), true, true, true), "field beyond the frame");
        assertEquals(VnetHeader.BAD_CSUM, VnetHeader.read(b, 0, load(f, 1, 0, 0, 0, 0xffff, 0xffff), true, true, true));
        assertEquals(VnetHeader.OK, VnetHeader.read(b, 0, load(f, 2, 0, 0, 0, 0, 0), false, false, false), "DATA_VALID alone is ignored");
        assertEquals(0, b.vflags[0]);
    }

    @Test
    void writesTheSlotsStateForAGuestThatTakesIt() {
        Frame f = tcp4(5000);
        long h = load(f, 1, Segmentation.GSO_TCPV4 | Segmentation.GSO_ECN, 0, 1448, f.l4(), 16);
        assertEquals(VnetHeader.OK, VnetHeader.read(b, 0, h, true, true, true));
        b.offloads = true;
        b.data.asSlice(h, 10).fill((byte) 0x5a);
        VnetHeader.write(b, 0, h);
        ByteBuffer w = ByteBuffer.wrap(b.data.asSlice(h, 10).toArray(JAVA_BYTE)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(1, w.get(0));
        assertEquals(Segmentation.GSO_TCPV4 | Segmentation.GSO_ECN, w.get(1) & 0xff);
        assertEquals(f.hdr(), w.getShort(2), "hdr_len: through the TCP header with its options");
        assertEquals(1448, w.getShort(4));
        assertEquals(f.l4(), w.getShort(6));
        assertEquals(16, w.getShort(8));

        // one segment's worth of payload: plain NEEDS_CSUM (Linux refuses a GSO frame that is one segment)
        Frame small = tcp4(1000);
        h = load(small, 1, Segmentation.GSO_TCPV4, 0, 1448, small.l4(), 16);
        assertEquals(VnetHeader.OK, VnetHeader.read(b, 0, h, true, true, true));
        b.offloads = true;
        VnetHeader.write(b, 0, h);
        w = ByteBuffer.wrap(b.data.asSlice(h, 10).toArray(JAVA_BYTE)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(1, w.get(0));
        assertEquals(0, w.get(1));
        assertEquals(0, w.getShort(4));
        assertEquals(small.l4(), w.getShort(6));

        // no state: all zero
        b.reset();
        b.data.asSlice(b.off[0] - 12, 10).fill((byte) 0x5a);
        VnetHeader.write(b, 0, b.off[0] - 12);
        assertArrayEquals(new byte[10], b.data.asSlice(b.off[0] - 12, 10).toArray(JAVA_BYTE));
    }

    @Test
    void aCopyKeepsItsOffloadStateWhereverItsFrameIs() {
        Frame f = tcp4(3000);
        long h = load(f, 1, Segmentation.GSO_TCPV4, 0, 1448, f.l4(), 16);
        b.count = 1;
        assertEquals(VnetHeader.OK, VnetHeader.read(b, 0, h, true, true, true));
        b.offloads = true;
        int j = b.copy(0);
        assertEquals(b.off[j] + f.l4(), b.csumAt[j]);
        assertEquals(Segmentation.GSO_TCPV4, b.gsoType[j]);
        assertEquals(1448, b.gsoSize[j]);
        b.reset();
        assertFalse(b.offloads);
        assertFalse(b.hasOffload(0));
        assertEquals(0, b.gsoType[j]);
    }

    /**
     * A partial checksum survives the datapath: whatever addresses and ports set-field rewrites (with the
     * incremental updates meant for full checksums) and VLAN tags pushed before it, {@link VnetHeader#complete}
     * gives a checksum that verifies and {@link VnetHeader#fixPseudo} the pseudo-header sum of the headers as
     * they are now.
     */
    @Property(tries = 300)
    void partialChecksumsStayRightThroughRewrites(@ForAll boolean v6, @ForAll boolean udp, @ForAll @IntRange(max = 2) int tags,
                                                   @ForAll @IntRange(min = 1, max = 20000) int payload, @ForAll long seed,
                                                   @ForAll boolean rewriteAddr, @ForAll boolean rewritePort, @ForAll boolean pushVlan) {
        Random rnd = new Random(seed);
        Frame f = build(rnd, v6, udp, tags, payload, rnd.nextInt() & 0xffffffffL, rnd.nextInt(0x10000), ACK, udp ? 0 : rnd.nextInt(4));
        load(f, 1, 0, 0, 0, f.l4(), f.csumOffset());
        int proto = udp ? 17 : 6;
        long frame = b.off[0];
        if (rewriteAddr) {
            if (v6) Rewrite.setIpv6Addr(b.data, frame, f.l3(), f.l4(), proto, rnd.nextBoolean(), rnd.nextLong(), rnd.nextLong());
            else Rewrite.setIpv4Addr(b.data, frame, f.l3(), f.l4(), proto, rnd.nextBoolean(), rnd.nextInt() & 0xffffffffL);
        }
        if (rewritePort) Rewrite.setPort(b.data, frame, f.l4(), proto, rnd.nextBoolean(), rnd.nextInt(0x10000));
        int csumAt = (int) frame + f.l4();
        if (pushVlan && tags < 2) {
            frame = Rewrite.pushVlan(b.data, frame, Ethernet.TYPE_VLAN, rnd.nextInt(0x1000));
            b.len[0] += 4;
        }
        int len = b.len[0];
        byte[] s = b.data.asSlice(frame, len).toArray(JAVA_BYTE);
        int l3 = f.l3() + (int) (b.off[0] - frame), l4 = csumAt - (int) frame;
        byte[] src = Arrays.copyOfRange(s, l3 + (v6 ? 8 : 12), l3 + (v6 ? 24 : 16));
        byte[] dst = Arrays.copyOfRange(s, l3 + (v6 ? 24 : 16), l3 + (v6 ? 40 : 20));
        int l4len = len - l4;
        int pseudoSum = ones(pseudo(src, dst, proto, l4len));

        assertTrue(VnetHeader.fixPseudo(b.data, (int) frame, len, csumAt, f.csumOffset()));
        assertEquals(pseudoSum, b.data.asSlice(csumAt + f.csumOffset(), 2).toArray(JAVA_BYTE)[0] << 8 & 0xff00
                | b.data.asSlice(csumAt + f.csumOffset(), 2).toArray(JAVA_BYTE)[1] & 0xff, "pseudo-header sum");

        assertTrue(VnetHeader.complete(b.data, (int) frame, len, csumAt, f.csumOffset()));
        byte[] l4bytes = b.data.asSlice(csumAt, l4len).toArray(JAVA_BYTE);
        assertEquals(0xffff, ones(pseudo(src, dst, proto, l4len), l4bytes), "the completed checksum verifies");
        if (!v6) assertEquals(0xffff, ones(Arrays.copyOfRange(s, l3, l4)), "IPv4 header checksum");
    }

    @Test
    void completeIgnoresEthernetPaddingAndFallsBackForHeadersItCannotRead() {
        Frame f = build(new Random(3), false, false, 0, 4, 1, 1, ACK, 0);    // 58 bytes: padded to 60 on a wire
        load(f, 1, 0, 0, 0, f.l4(), 16);
        int len = f.bytes().length + 2;
        b.data.set(JAVA_BYTE, b.off[0] + len - 2, (byte) 0x77);
        b.data.set(JAVA_BYTE, b.off[0] + len - 1, (byte) 0x99);
        int at = b.off[0] + f.l4();
        assertTrue(VnetHeader.complete(b.data, b.off[0], len, at, 16));
        byte[] s = b.data.asSlice(b.off[0], f.bytes().length).toArray(JAVA_BYTE);
        assertEquals(0xffff, ones(pseudo(Arrays.copyOfRange(s, f.l3() + 12, f.l3() + 16), Arrays.copyOfRange(s, f.l3() + 16, f.l3() + 20), 6,
                s.length - f.l4()), Arrays.copyOfRange(s, f.l4(), s.length)));
        // csum_start not at the L4 header: the kernel's offsets are taken as they are
        assertTrue(VnetHeader.complete(b.data, b.off[0], len, b.off[0] + 20, 4));
        assertFalse(VnetHeader.fixPseudo(b.data, b.off[0], len, b.off[0] + 20, 4));
        assertFalse(VnetHeader.complete(b.data, b.off[0], len, b.off[0] + len, 4));
    }

    @Test
    void onlyPlainTcpGsoFramesAreTakenForPlainTcp() {
        for (boolean v6 : new boolean[] {false, true}) {
            for (int tags = 0; tags <= 2; tags++) {
                Frame f = build(new Random(tags), v6, false, tags, 3000, 1, 1, ACK, 1);
                load(f, VnetHeader.F_NEEDS_CSUM, f.gsoType(), f.hdr(), 1400, f.l4(), 16);
                assertEquals(VnetHeader.OK, VnetHeader.read(b, 0, b.off[0] - 12, true, true, true));
                assertTrue(VnetHeader.plainTcp(b, 0), "TCP over IPv" + (v6 ? 6 : 4) + " behind " + tags + " tags");
                b.gsoType[0] = v6 ? Segmentation.GSO_TCPV4 : Segmentation.GSO_TCPV6;
                assertFalse(VnetHeader.plainTcp(b, 0), "a GSO type of the other family");
                b.gsoType[0] = f.gsoType();
                b.csumOffset[0] = 6;
                assertFalse(VnetHeader.plainTcp(b, 0), "csum_offset not TCP's");
            }
        }
        Frame udp = build(new Random(1), false, true, 0, 3000, 1, 1, 0, 0);
        load(udp, VnetHeader.F_NEEDS_CSUM, Segmentation.GSO_UDP_L4, udp.hdr(), 1400, udp.l4(), 6);
        b.vflags[0] = VnetHeader.F_NEEDS_CSUM;
        b.gsoType[0] = Segmentation.GSO_UDP_L4;
        b.csumAt[0] = b.off[0] + udp.l4();
        b.csumOffset[0] = 16;
        assertFalse(VnetHeader.plainTcp(b, 0), "UDP");
        // VXLAN around TCP, as Linux reports it: TCPV4 with csum_start at the inner TCP header
        Frame inner = build(new Random(2), false, false, 0, 3000, 1, 1, ACK, 0);
        byte[] outer = TunnelSegmentationTest.wrap(inner.bytes(), false, 4789, false, 0);
        int hl = outer.length - inner.bytes().length;
        load(new Frame(outer, false, false, 14, hl + inner.l4(), hl + inner.hdr(), inner.payload(), inner.gsoType()),
                VnetHeader.F_NEEDS_CSUM, Segmentation.GSO_TCPV4, hl + inner.hdr(), 1400, hl + inner.l4(), 16);
        assertEquals(VnetHeader.OK, VnetHeader.read(b, 0, b.off[0] - 12, true, true, true));
        assertFalse(VnetHeader.plainTcp(b, 0), "a tunnel's inner TCP");
        // headers cut short
        Frame f = tcp4(3000);
        load(f, VnetHeader.F_NEEDS_CSUM, Segmentation.GSO_TCPV4, f.hdr(), 1400, f.l4(), 16);
        assertEquals(VnetHeader.OK, VnetHeader.read(b, 0, b.off[0] - 12, true, true, true));
        b.len[0] = 30;
        assertFalse(VnetHeader.plainTcp(b, 0), "an IPv4 header beyond the frame");
    }
}
