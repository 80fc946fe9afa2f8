package io.xvio.datapath.tunnel;

import io.xvio.packet.Checksum;
import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.*;

class PathMtuTest {
    final MemorySegment in = Arena.ofAuto().allocate(2048), out = Arena.ofAuto().allocate(2048);

    /** A 1514-byte UDP/IPv4 frame from 02:..:0a 10.0.0.10 to 02:..:0b 10.0.0.11, DF as given. */
    int ipv4(boolean df) {
        Be.putMac(in, 0, 0x02_00_00_00_00_0bL);
        Be.putMac(in, 6, 0x02_00_00_00_00_0aL);
        Be.put16(in, 12, 0x0800);
        Be.put32(in, 14, 0x4500_0000L | 1500);
        Be.put32(in, 18, df ? 0x4000 : 0);
        Be.put32(in, 22, 64L << 24 | 17L << 16);
        Be.put32(in, 26, 0x0a00_000aL);
        Be.put32(in, 30, 0x0a00_000bL);
        Be.put16(in, 24, ~Checksum.fold(Checksum.sum(in, 14, 20)) & 0xffff);
        return 1514;
    }

    @Test
    void fragmentationNeededForIpv4WithDf() {
        TunnelHeader h = new TunnelHeader(TunnelCodecTest.vxlan(TunnelCodecTest.A, TunnelCodecTest.B, false));
        int mtu = PathMtu.innerMtu(h, 1500);
        assertEquals(1450, mtu);
        int n = PathMtu.answer(in, 0, ipv4(true), mtu, out, 0);
        assertEquals(14 + 576, n);
        assertEquals(0x02_00_00_00_00_0aL, Be.mac(out, 0));
        assertEquals(0x02_00_00_00_00_0bL, Be.mac(out, 6));
        assertEquals(0x0a00_000bL, Be.u32(out, 26));          // from the destination
        assertEquals(0x0a00_000aL, Be.u32(out, 30));          // to the sender
        assertEquals(0xffff, Checksum.fold(Checksum.sum(out, 14, 20)));
        assertEquals(3, Be.u8(out, 34));
        assertEquals(4, Be.u8(out, 35));
        assertEquals(1450, Be.u16(out, 40));
        assertEquals(0xffff, Checksum.fold(Checksum.sum(out, 34, 576 - 20)));
        assertEquals(Be.u32(in, 26), Be.u32(out, 42 + 12));   // the quoted header
        assertEquals(0, PathMtu.answer(in, 0, ipv4(false), mtu, out, 0));
    }

    @Test
    void packetTooBigForIpv6() {
        Be.putMac(in, 0, 0x02_00_00_00_00_0bL);
        Be.putMac(in, 6, 0x02_00_00_00_00_0aL);
        Be.put16(in, 12, 0x86dd);
        Be.put32(in, 14, 0x6000_0000L);
        Be.put16(in, 18, 1460);
        Be.put8(in, 20, 17);
        Be.put8(in, 21, 64);
        Be.put64(in, 22, 0xfd00_0000_0000_0000L);
        Be.put64(in, 30, 0x0aL);
        Be.put64(in, 38, 0xfd00_0000_0000_0000L);
        Be.put64(in, 46, 0x0bL);
        int n = PathMtu.answer(in, 0, 1514, 1430, out, 0);
        assertEquals(14 + 1280, n);
        assertEquals(2, Be.u8(out, 54));
        assertEquals(1430, Be.u32(out, 58));
        assertEquals(0x0bL, Be.u64(out, 30));
        assertEquals(0x0aL, Be.u64(out, 46));
        assertEquals(0xffff, Checksum.fold(Checksum.sum(out, 22, 32) + 1240 + 58 + Checksum.sum(out, 54, 1240)));
    }

    @Property(tries = 2000)
    void randomFramesNeverThrow(@ForAll @Size(max = 1600) byte[] b, @ForAll boolean v6, @ForAll @IntRange(min = 68, max = 9000) int mtu) {
        if (b.length >= 15) { b[12] = (byte) (v6 ? 0x86 : 0x08); b[13] = (byte) (v6 ? 0xdd : 0); b[14] = (byte) (v6 ? 0x60 : 0x45); }
        MemorySegment s = MemorySegment.ofArray(b);
        int n = PathMtu.answer(s, 0, b.length, mtu, out, 0);
        assertTrue(n == 0 || n <= 14 + 1280);
    }
}
