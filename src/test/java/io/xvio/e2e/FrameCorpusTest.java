package io.xvio.e2e;

import io.xvio.e2e.FrameCorpus.Frame;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The differential test's frames are what they say they are: right lengths, ports and checksums. */
class FrameCorpusTest {
    private final List<Frame> corpus = FrameCorpus.all();

    @Test
    void aFewHundredFramesInEveryGroupWithUniqueNames() {
        assertTrue(corpus.size() >= 300 && corpus.size() <= 1000, "corpus of " + corpus.size());
        for (String g : OvsDifferentialIT.GROUPS)
            assertTrue(corpus.stream().filter(f -> f.group().equals(g)).count() >= 5, "group " + g);
        Set<String> names = new HashSet<>();
        for (Frame f : corpus) {
            assertTrue(names.add(f.name()), "two frames named " + f.name());
            assertTrue(OvsDifferentialIT.GROUPS.contains(f.group()), f.name() + ": group " + f.group());
            assertTrue(f.inPort() >= 1 && f.inPort() <= FrameCorpus.PORTS, f.name() + ": port " + f.inPort());
            assertTrue(f.bytes().length >= 14 && f.bytes().length <= 1514 + 8, f.name() + ": " + f.bytes().length + " bytes");
            assertFalse(OvsDifferentialIT.isSentinel(f.bytes()), f.name() + " looks like the sentinel");
        }
    }

    @Test
    void wellFormedFramesCarryRightChecksums() {
        int ipv4 = 0, l4 = 0;
        for (Frame f : corpus) {
            if (f.group().equals("malformed")) continue;
            byte[] b = f.bytes();
            int at = 12;
            while (u16(b, at) == 0x8100 || u16(b, at) == 0x88a8) at += 4;
            int type = u16(b, at), l3 = at + 2;
            if (type == 0x0800) {
                int ihl = (b[l3] & 0xf) * 4;
                assertEquals(0, FrameCorpus.checksum(b, l3, ihl, 0), f.name() + ": IPv4 header checksum");
                ipv4++;
                int proto = b[l3 + 9] & 0xff, total = u16(b, l3 + 2);
                // a frame padded to Ethernet's 60-byte minimum carries a shorter datagram; no other frame may
                if (b.length > 60 || total > b.length - l3) assertEquals(b.length - l3, total, f.name() + ": IPv4 total length");
                boolean fragment = (u16(b, l3 + 6) & 0x3fff) != 0;
                byte[] seg = Arrays.copyOfRange(b, l3 + ihl, l3 + total);
                if (!fragment && (proto == 6 || proto == 17)) {
                    assertChecksum(f, Arrays.copyOfRange(b, l3 + 12, l3 + 16), Arrays.copyOfRange(b, l3 + 16, l3 + 20), proto, seg);
                    l4++;
                } else if (!fragment && (proto == 1 || proto == 2)) {
                    assertEquals(0, FrameCorpus.checksum(seg, 0, seg.length, 0), f.name() + ": ICMP/IGMP checksum");
                    l4++;
                }
            } else if (type == 0x86dd) {
                int next = b[l3 + 6] & 0xff;
                assertEquals(b.length - l3 - 40, u16(b, l3 + 4), f.name() + ": IPv6 payload length");
                if (next == 6 || next == 17 || next == 58) {
                    assertChecksum(f, Arrays.copyOfRange(b, l3 + 8, l3 + 24), Arrays.copyOfRange(b, l3 + 24, l3 + 40), next,
                            Arrays.copyOfRange(b, l3 + 40, b.length));
                    l4++;
                }
            }
        }
        assertTrue(ipv4 > 100 && l4 > 150, ipv4 + " IPv4 frames, " + l4 + " L4 checksums checked");
    }

    private static void assertChecksum(Frame f, byte[] src, byte[] dst, int proto, byte[] seg) {
        if (proto == 17 && u16(seg, 6) == 0) return;          // UDP over IPv4 without a checksum
        // summing a segment whose checksum is right gives 0 (its one's complement, 0xffff, inverted)
        assertEquals(0, FrameCorpus.l4Checksum(src, dst, proto, seg), f.name() + ": L4 checksum");
    }

    private static int u16(byte[] b, int at) { return (b[at] & 0xff) << 8 | b[at + 1] & 0xff; }
}
