package io.xvio.datapath;

import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * set_field/load/move into nd_target, nd_sll and nd_tll rewrite neighbour solicitations and advertisements as OVS's
 * packet_set_nd does: the target, the first link-layer address option when it is the kind set (an absent one is not
 * added), the ICMPv6 checksum kept valid (checked by recomputing it), and only on packets that are that message.
 */
class NdRewriteTest {
    static final byte[] SRC = ip6(1), DST = ip6(2), TARGET = ip6(9);
    static final long MAC1 = 0x020000000001L, MAC2 = 0x020000000002L;

    static byte[] ip6(int last) {
        byte[] a = new byte[16];
        a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = (byte) 0xb8;
        a[15] = (byte) last;
        return a;
    }

    /** Ethernet + IPv6 + ICMPv6 type/code with the target and options {type, mac} (8 bytes each), checksum correct. */
    static byte[] nd(int type, int code, byte[] target, long... opts) {
        ByteArrayOutputStream icmp = new ByteArrayOutputStream();
        icmp.write(type); icmp.write(code); icmp.write(0); icmp.write(0);
        icmp.writeBytes(new byte[] {(byte) (type == 136 ? 0x60 : 0), 0, 0, 0});
        icmp.writeBytes(target);
        for (int i = 0; i < opts.length; i += 2) {
            icmp.write((int) opts[i]); icmp.write(1);
            for (int k = 5; k >= 0; k--) icmp.write((int) (opts[i + 1] >>> (8 * k)));
        }
        byte[] m = icmp.toByteArray();
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        for (long mac : new long[] {MAC2, MAC1}) for (int k = 5; k >= 0; k--) f.write((int) (mac >>> (8 * k)));
        f.write(0x86); f.write(0xdd);
        f.writeBytes(new byte[] {0x60, 0, 0, 0, (byte) (m.length >>> 8), (byte) m.length, 58, (byte) 255});
        f.writeBytes(SRC);
        f.writeBytes(DST);
        f.writeBytes(m);
        byte[] b = f.toByteArray();
        int c = icmpChecksum(b);
        b[56] = (byte) (c >>> 8); b[57] = (byte) c;
        return b;
    }

    /** The ICMPv6 checksum of frame b computed from scratch (its own checksum field counted as 0). */
    static int icmpChecksum(byte[] b) {
        int len = b.length - 54;
        long sum = 0;
        for (int i = 22; i < 54; i += 2) sum += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
        sum += len + 58;
        for (int i = 54; i < b.length; i += 2) {
            if (i == 56) continue;
            sum += ((b[i] & 0xff) << 8) | (i + 1 < b.length ? b[i + 1] & 0xff : 0);
        }
        while (sum >>> 16 != 0) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) ~sum & 0xffff;
    }

    static int storedChecksum(byte[] b) { return ((b[56] & 0xff) << 8) | (b[57] & 0xff); }

    static long macAt(byte[] b, int at) {
        long m = 0;
        for (int k = 0; k < 6; k++) m = m << 8 | (b[at + k] & 0xff);
        return m;
    }

    /** Runs each frame through dp as its own burst (the second and later through the megaflow cache); port -> frames. */
    static Map<Integer, List<byte[]>> run(BridgeDatapath dp, byte[]... frames) {
        Map<Integer, List<byte[]>> res = new TreeMap<>();
        for (byte[] frame : frames) {
            PacketBatch b = new PacketBatch();
            MemorySegment.copy(frame, 0, b.data, JAVA_BYTE, b.off[0], frame.length);
            b.len[0] = frame.length;
            b.count = 1;
            Outputs out = new Outputs(16);
            dp.process(0, b, out, 0, System.nanoTime());
            for (int k = 0; k < out.touchedCount(); k++) {
                int p = out.touchedPort(k);
                for (int x = 0; x < out.countFor(p); x++) {
                    int j = out.packetsFor(p)[x];
                    byte[] bytes = new byte[b.len[j]];
                    MemorySegment.copy(b.data, JAVA_BYTE, b.off[j], bytes, 0, bytes.length);
                    res.computeIfAbsent(p, q -> new java.util.ArrayList<>()).add(bytes);
                }
            }
        }
        return res;
    }

    static BridgeDatapath bridge(String... flows) {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2, 3, 4}, Arrays.stream(flows).map(FlowParser::parse).toList());
        return dp;
    }

    static void assertChecksumValid(byte[] f) {
        assertEquals(icmpChecksum(f), storedChecksum(f), "ICMPv6 checksum equals a full recomputation");
    }

    @Test
    void solicitationTargetAndSourceLinkLayerAddressAreRewritten() {
        BridgeDatapath dp = bridge("in_port=1,icmp6,icmp_type=135,icmp_code=0,actions=set_field:2001:db8::77->nd_target,"
                + "set_field:02:00:00:00:aa:bb->nd_sll,output:2");
        byte[] withSll = nd(135, 0, TARGET, 1, MAC1), withoutOption = nd(135, 0, TARGET);
        // the same megaflow twice and then a packet without the option: each rewritten from its own bytes
        List<byte[]> got = run(dp, withSll, withSll, withoutOption).get(1);
        assertEquals(3, got.size());
        for (int n = 0; n < 2; n++) {
            byte[] o = got.get(n);
            assertArrayEquals(ip6Bytes("2001:db8::77"), Arrays.copyOfRange(o, 62, 78));
            assertEquals(0x02000000aabbL, macAt(o, 80), "the source link-layer address option");
            assertEquals(withSll.length, o.length);
            assertChecksumValid(o);
        }
        byte[] o = got.get(2);
        assertEquals(withoutOption.length, o.length, "no option is added");
        assertArrayEquals(ip6Bytes("2001:db8::77"), Arrays.copyOfRange(o, 62, 78));
        assertChecksumValid(o);
    }

    @Test
    void advertisementTargetLinkLayerAddressMaskedAndLoaded() {
        BridgeDatapath dp = bridge("in_port=1,icmp6,icmp_type=136,actions=set_field:00:00:00:00:00:44/00:00:00:00:00:ff->nd_tll,"
                + "load:0x0a0b->NXM_NX_ND_TLL[32..47],output:2");
        byte[] o = run(dp, nd(136, 0, TARGET, 2, MAC2)).get(1).getFirst();
        assertEquals(0x0a0b00000044L, macAt(o, 80));
        assertChecksumValid(o);
    }

    @Test
    void onlyTheFirstLinkLayerOptionIsConsideredAsInOvs() {
        // a solicitation whose first link-layer option is a target one (then a source one): nothing is written
        BridgeDatapath dp = bridge("in_port=1,icmp6,icmp_type=135,actions=set_field:02:00:00:00:aa:bb->nd_sll,output:2");
        byte[] f = nd(135, 0, TARGET, 2, MAC2, 1, MAC1);
        assertArrayEquals(f, run(dp, f).get(1).getFirst());
        // after an option of another type (a nonce, 8 bytes), the source option is found
        byte[] g = nd(135, 0, TARGET, 14, 0x112233445566L, 1, MAC1);
        byte[] o = run(dp, g).get(1).getFirst();
        assertEquals(0x02000000aabbL, macAt(o, 88));
        assertEquals(0x112233445566L, macAt(o, 80), "the nonce stays");
        assertChecksumValid(o);
    }

    @Test
    void theKeyTakesTheValueAndLaterTablesMatchIt() {
        // the option is absent, the packet stays, but the flow (key) has the new nd_sll: table 1 matches it
        BridgeDatapath dp = bridge("in_port=1,icmp6,icmp_type=135,actions=set_field:02:00:00:00:aa:bb->nd_sll,move:nd_target[]->xxreg1[],resubmit(,1)",
                "table=1,icmp6,icmp_type=135,nd_sll=02:00:00:00:aa:bb,xxreg1=0x20010db8000000000000000000000009,actions=output:3",
                "table=1,priority=0,actions=output:4");
        byte[] f = nd(135, 0, TARGET);
        Map<Integer, List<byte[]>> got = run(dp, f, f);
        assertEquals(List.of(2), List.copyOf(got.keySet()));
        assertArrayEquals(f, got.get(2).get(1));
    }

    @Test
    void aPacketThatIsNotThatMessageIsLeftAloneKeyAndAll() {
        // the match says solicitation, but an earlier action made it an advertisement: OVS ignores set_field nd_sll
        // then (run-time prerequisites), so the packet keeps its option and the key its old nd_sll
        BridgeDatapath dp = bridge("in_port=1,icmp6,icmp_type=135,actions=set_field:136->icmp_type,set_field:02:00:00:00:aa:bb->nd_sll,"
                        + "set_field:2001:db8::55->nd_target,resubmit(,1)",
                "table=1,icmp6,icmp_type=136,nd_target=2001:db8::55,actions=output:2",
                "table=1,priority=0,actions=output:3");
        byte[] o = run(dp, nd(135, 0, TARGET, 1, MAC1)).get(1).getFirst();
        assertEquals(136, o[54] & 0xff);
        assertEquals(MAC1, macAt(o, 80), "nd_sll is not an advertisement's field: untouched");
        assertArrayEquals(ip6Bytes("2001:db8::55"), Arrays.copyOfRange(o, 62, 78), "nd_target is");
        assertChecksumValid(o);
    }

    static byte[] ip6Bytes(String text) {
        long[] a = FlowParser.parseIpv6(text);
        byte[] b = new byte[16];
        for (int k = 0; k < 8; k++) {
            b[k] = (byte) (a[0] >>> (56 - 8 * k));
            b[8 + k] = (byte) (a[1] >>> (56 - 8 * k));
        }
        return b;
    }
}
