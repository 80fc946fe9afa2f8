package io.xvio.packet;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * UDP tunnel GSO frames (what a Linux VXLAN or Geneve device hands a veth: one outer Ethernet/IP/UDP/tunnel header
 * around a TCP GSO frame, csum_start at the inner TCP header): each segment is the inner frame's segment, exactly as
 * {@link GsoFrames#verify} checks plain ones, behind the outer headers with their own lengths, IPv4 ids and
 * checksums (the outer UDP checksum only when the frame had one).
 */
class TunnelSegmentationTest {
    /** Wraps inner in Ethernet, IPv4 or IPv6, UDP to port (checksum marker if csum) and an 8-byte (+ options) tunnel header. */
    static byte[] wrap(byte[] inner, boolean v6, int port, boolean csum, int optWords) {
        int tunnel = 8 + 4 * optWords, l3 = 14, ipLen = v6 ? 40 : 20, udp = l3 + ipLen;
        ByteBuffer f = ByteBuffer.allocate(udp + 8 + tunnel + inner.length);
        f.put(new byte[] {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02}).putShort((short) (v6 ? 0x86dd : 0x0800));
        int udpLen = 8 + tunnel + inner.length;
        if (v6) {
            f.putInt(0x60000000).putShort((short) udpLen).put((byte) 17).put((byte) 64);
            f.put(new byte[] {(byte) 0xfd, 0, 0, 0x31, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
            f.put(new byte[] {(byte) 0xfd, 0, 0, 0x31, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
        } else {
            f.put((byte) 0x45).put((byte) 0).putShort((short) (20 + udpLen)).putShort((short) 777).putShort((short) 0x4000)
                    .put((byte) 64).put((byte) 17).putShort((short) 0).put(new byte[] {(byte) 172, 31, 0, 2, (byte) 172, 31, 0, 1});
        }
        f.putShort((short) 50000).putShort((short) port).putShort((short) udpLen).putShort((short) (csum ? 0x1234 : 0));
        if (port == 6081) f.put((byte) optWords).put((byte) 0).putShort((short) 0x6558).putInt(100 << 8);
        else f.putInt(0x08000000).putInt(100 << 8);
        for (int w = 0; w < optWords; w++) f.putInt(0x01028001);
        f.put(inner);
        return f.array();
    }

    @ParameterizedTest
    @CsvSource({"false,false,4789,false,0", "false,true,4789,true,0", "true,false,4789,true,0", "true,true,6081,false,2", "false,false,6081,true,1"})
    void tunnelGsoFramesAreCutAtTheInnerTcpWithOuterHeadersFixed(boolean outerV6, boolean innerV6, int port, boolean csum, int optWords) {
        Random rnd = new Random(port + optWords);
        GsoFrames.Frame in = GsoFrames.build(rnd, innerV6, false, 0, 5000, 1000, 42, GsoFrames.ACK | GsoFrames.PSH, 0);
        byte[] outer = wrap(in.bytes(), outerV6, port, csum, optWords);
        int hl = outer.length - in.bytes().length;
        long at = 128;
        MemorySegment s = MemorySegment.ofArray(new byte[(int) at + outer.length + 64]);
        MemorySegment.copy(outer, 0, s, java.lang.foreign.ValueLayout.JAVA_BYTE, at, outer.length);
        Segmentation seg = new Segmentation();
        int gso = 1400;
        assertEquals(Segmentation.OK, seg.start(s, at, outer.length, 0, Segmentation.F_NEEDS_CSUM, in.gsoType(), gso, hl + in.hdr(),
                hl + in.l4(), 16, PacketBatch.MAX_FRAME));
        List<byte[]> segs = GsoFrames.drain(seg, new PacketBatch(), 3, 1, 32);
        List<byte[]> inner = new ArrayList<>();
        for (int k = 0; k < segs.size(); k++) {
            byte[] x = segs.get(k);
            assertArrayEquals(Arrays.copyOfRange(outer, 0, 14), Arrays.copyOfRange(x, 0, 14));
            ByteBuffer b = ByteBuffer.wrap(x);
            int ipLen = outerV6 ? 40 : 20, udp = 14 + ipLen, udpLen = x.length - udp;
            if (outerV6) {
                assertEquals(udpLen, b.getShort(18) & 0xffff, "outer IPv6 payload length");
            } else {
                assertEquals(x.length - 14, b.getShort(16) & 0xffff, "outer IPv4 total length");
                assertEquals(777 + k, b.getShort(18) & 0xffff, "outer IPv4 id per segment");
                assertEquals(0xffff, GsoFrames.ones(Arrays.copyOfRange(x, 14, 34)), "outer IPv4 header checksum");
            }
            assertEquals(udpLen, b.getShort(udp + 4) & 0xffff, "outer UDP length");
            if (csum) {
                byte[] src = Arrays.copyOfRange(x, outerV6 ? 22 : 26, outerV6 ? 38 : 30), dst = Arrays.copyOfRange(x, outerV6 ? 38 : 30, outerV6 ? 54 : 34);
                assertEquals(0xffff, GsoFrames.ones(GsoFrames.pseudo(src, dst, 17, udpLen), Arrays.copyOfRange(x, udp, x.length)), "outer UDP checksum");
            } else {
                assertEquals(0, b.getShort(udp + 6), "no outer UDP checksum: none made");
            }
            inner.add(Arrays.copyOfRange(x, hl, x.length));
        }
        GsoFrames.verify(in, 0, gso, inner);
    }
}
