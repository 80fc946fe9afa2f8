package io.xvio.openflow;

import io.xvio.datapath.FlowParser;
import net.jqwik.api.*;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Whatever a peer sends after the hello (random bytes, real messages cut short, lengths that lie, bytes flipped)
 * the connection answers with well-formed messages or closes; no exception escapes and nothing is allocated
 * beyond the message itself.
 */
class OpenFlowDecoderProperties {

    private static void check(int version, byte[] msg) {
        OfConnection c = OpenFlowCodecTest.connected(new MemorySwitch(), version);
        List<byte[]> replies = assertDoesNotThrow(() -> c.handle(msg));
        if (replies == null) return;
        for (byte[] r : replies) {
            assertTrue(r.length >= 8 && r.length <= 65535);
            assertEquals(r.length, ((r[2] & 0xff) << 8) | (r[3] & 0xff));
            assertEquals(version, r[0]);
        }
    }

    /** Real messages to start from: flow_mods of each layout, stats requests, Nicira messages. */
    @Provide
    Arbitrary<byte[]> seeds() {
        List<String> flows = OpenFlowCodecTest.FLOWS;
        return Arbitraries.of(1, 4, 5, 6).flatMap(v -> Arbitraries.of(flows).map(text -> {
            if (v != OfVersion.OF10) return OpenFlowCodecTest.flowMod13(text, FlowMod.ADD, v);
            var f = FlowParser.parse(text);
            Wire.Writer w = new Wire.Writer(1, OfType.VENDOR, 3);
            int start = w.size();
            w.u32(OfVersion.NX_VENDOR).u32(OfType.NXT_FLOW_MOD).u64(0).u16(0).u16(0).u16(0).u16(f.priority).u32(0xffffffffL)
                    .u16(0xffff).u16(0);
            int lenAt = w.size();
            w.u16(0).zeros(6);
            int ml = NxMatch.write(f.match, w);
            w.put16(lenAt, ml);
            OfActions.encodeActions(f.actions, 1, w);
            return w.finish();
        }));
    }

    @Property(tries = 3000)
    void mutatedMessagesGetAnErrorOrAClose(@ForAll("seeds") byte[] seed, @ForAll("edits") List<int[]> edits, @ForAll boolean cut,
                                           @ForAll("lengths") int cutAt) {
        byte[] m = seed.clone();
        for (int[] e : edits) m[Math.floorMod(e[0], m.length)] = (byte) e[1];
        if (cut && cutAt < m.length) m = Arrays.copyOf(m, Math.max(8, cutAt));
        // keep the header's length honest half the time, so decoding reaches the body's own lengths
        if (!cut || cutAt % 2 == 0) { m[2] = (byte) (m.length >>> 8); m[3] = (byte) m.length; }
        check(seed[0] & 0xff, m);
    }

    @Provide
    Arbitrary<List<int[]>> edits() {
        return Arbitraries.integers().between(0, 400).flatMap(at -> Arbitraries.integers().between(0, 255).map(v -> new int[] {at, v}))
                .list().ofMaxSize(6);
    }

    @Provide
    Arbitrary<Integer> lengths() { return Arbitraries.integers().between(8, 400); }

    @Property(tries = 3000)
    void randomBodiesOfEveryType(@ForAll("versions") int version, @ForAll("types") int type, @ForAll byte[] body) {
        Wire.Writer w = new Wire.Writer(version, type, 42);
        w.bytes(body, 0, Math.min(body.length, 65000));
        check(version, w.finish());
    }

    @Provide
    Arbitrary<Integer> versions() { return Arbitraries.of(1, 4, 5, 6); }

    @Provide
    Arbitrary<Integer> types() { return Arbitraries.integers().between(0, 40); }

    @Property(tries = 1000)
    void niciraAndMultipartHeadersWithRandomBodies(@ForAll("versions") int version, @ForAll("subtypes") int sub, @ForAll byte[] body) {
        boolean stats = sub >= 100;
        Wire.Writer w = stats ? new Wire.Writer(version, version == 1 ? OfType.OF10_STATS_REQUEST : OfType.MULTIPART_REQUEST, 1)
                : new Wire.Writer(version, OfType.VENDOR, 1);
        if (stats) {
            w.u16(sub - 100).u16(0);
            if (version != 1) w.zeros(4);
        } else {
            w.u32(OfVersion.NX_VENDOR).u32(sub);
        }
        w.bytes(body, 0, Math.min(body.length, 65000));
        check(version, w.finish());
    }

    @Provide
    Arbitrary<Integer> subtypes() { return Arbitraries.oneOf(Arbitraries.integers().between(10, 21), Arbitraries.integers().between(100, 114)); }
}
