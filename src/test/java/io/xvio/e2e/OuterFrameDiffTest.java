package io.xvio.e2e;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The differential's comparison itself: mirror images agree, a changed TTL, a moving source port or a missing frame do not. */
class OuterFrameDiffTest {
    static byte[] frame(boolean ovs, int sport, int ttl, int flow) {
        byte[] f = new byte[OuterFrameDiff.HDR + 20];
        HexFormat h = HexFormat.of();
        byte[] a = h.parseHex("020000000001"), b = h.parseHex("020000000002");
        System.arraycopy(ovs ? a : b, 0, f, 0, 6);
        System.arraycopy(ovs ? b : a, 0, f, 6, 6);
        f[12] = 8;
        f[14] = 0x45; f[16] = 0; f[17] = (byte) (f.length - 14); f[18] = (byte) (ovs ? 0 : 7); f[20] = 0x40; f[22] = (byte) ttl; f[23] = 17;
        byte[] x = {(byte) 172, 31, 7, 1}, y = {(byte) 172, 31, 7, 2};
        System.arraycopy(ovs ? y : x, 0, f, 26, 4);
        System.arraycopy(ovs ? x : y, 0, f, 30, 4);
        f[34] = (byte) (sport >>> 8); f[35] = (byte) sport; f[36] = 0x12; f[37] = (byte) 0xb5;
        f[42] = 8; f[48] = 0x64;
        System.arraycopy(h.parseHex(OuterFrameDiff.INNER_DST), 0, f, OuterFrameDiff.HDR, 6);
        f[OuterFrameDiff.HDR + 11] = (byte) flow;
        long s = 0;
        for (int k = 14; k < 34; k += 2) s += OuterFrameDiff.u16(f, k);
        while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
        f[24] = (byte) (~s >>> 8); f[25] = (byte) ~s;
        return f;
    }

    static List<OuterFrameDiff.Frame> both(int ovsTtl, int ovsSportB) {
        List<OuterFrameDiff.Frame> l = new ArrayList<>();
        l.add(new OuterFrameDiff.Frame(false, frame(false, 50000, 64, 1)));
        l.add(new OuterFrameDiff.Frame(true, frame(true, 40000, ovsTtl, 1)));
        l.add(new OuterFrameDiff.Frame(true, frame(true, ovsSportB, ovsTtl, 1)));
        return l;
    }

    @Test
    void mirrorImagesAgreeAndDifferencesAreNamed() {
        assertEquals(List.of(), OuterFrameDiff.compare(both(64, 40000), 1));
        List<String> ttl = OuterFrameDiff.compare(both(63, 40000), 1);
        assertTrue(ttl.stream().anyMatch(s -> s.contains("(ttl) xvio 0x40, OVS 0x3f")), ttl.toString());
        assertFalse(ttl.stream().anyMatch(s -> s.contains("bad outer IPv4 checksum")), ttl.toString());
        List<String> moving = OuterFrameDiff.compare(both(64, 40001), 1);
        assertTrue(moving.stream().anyMatch(s -> s.contains("used UDP source ports [40000, 40001]")), moving.toString());
        assertTrue(OuterFrameDiff.compare(both(64, 40000), 2).contains("xvio sent 1 of 2 inner frames"));
        List<OuterFrameDiff.Frame> low = List.of(new OuterFrameDiff.Frame(false, frame(false, 50000, 64, 1)), new OuterFrameDiff.Frame(true, frame(true, 30000, 64, 1)));
        List<String> range = OuterFrameDiff.compare(low, 1);
        assertTrue(range.stream().anyMatch(s -> s.contains("OVS: UDP source ports [30000] outside 32768-61000")), range.toString());
    }
}
