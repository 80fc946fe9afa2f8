package io.xvio.openflow;

import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * NXT_RESUME and its continuation against bad input: real messages with bytes flipped, cut short or with lying
 * lengths, and random continuation bodies, get an OFPT_ERROR (never anything else, never an exception) and the
 * connection goes on; a decodable continuation encodes back to what was decoded.
 */
class ContinuationProperties {

    @Provide
    Arbitrary<byte[]> seeds() {
        return Arbitraries.of(OfVersion.OF10, OfVersion.OF13, OfVersion.OF15).flatMap(v -> Arbitraries.of("br0", "other")
                .map(b -> Resume.encode(v, 7, ContinuationTest.FRAME, ContinuationTest.inPort(1), ContinuationTest.sample(b))));
    }

    @Provide
    Arbitrary<List<int[]>> edits() {
        return Arbitraries.integers().between(0, 400).flatMap(at -> Arbitraries.integers().between(0, 255).map(v -> new int[] {at, v}))
                .list().ofMaxSize(4);
    }

    @Provide
    Arbitrary<Integer> versions() { return Arbitraries.of(OfVersion.OF10, OfVersion.OF13, OfVersion.OF15); }

    private static long u32(byte[] m, int at) {
        return ((m[at] & 0xffL) << 24) | ((m[at + 1] & 0xff) << 16) | ((m[at + 2] & 0xff) << 8) | (m[at + 3] & 0xff);
    }

    private static void check(int version, byte[] m) {
        OfConnection c = OpenFlowCodecTest.connected(new MemorySwitch(), version);
        List<byte[]> replies = assertDoesNotThrow(() -> c.handle(m));
        assertNotNull(replies);
        // an edit may turn the resume into another valid request (subtype 28 -> 25, NXT_TLV_TABLE_REQUEST, cut to 16
        // bytes: answered with its reply, as OVS would); only what is still a resume must get an error
        boolean stillResume = m.length >= 16 && m[1] == OfType.VENDOR && u32(m, 8) == OfVersion.NX_VENDOR && u32(m, 12) == 28;
        for (byte[] r : replies) {
            assertEquals(r.length, ((r[2] & 0xff) << 8) | (r[3] & 0xff));
            if (stillResume) assertEquals(OfType.ERROR, r[1], "a resume is answered by an error while xvio cannot resume");
        }
        assertEquals(OfType.ECHO_REPLY, c.handle(new Wire.Writer(version, OfType.ECHO_REQUEST, 3).finish()).getFirst()[1]);
    }

    @Property(tries = 1000)
    void mutatedResumesGetAnError(@ForAll("seeds") byte[] seed, @ForAll("edits") List<int[]> edits, @ForAll boolean cut,
                                  @ForAll @IntRange(min = 8, max = 400) int cutAt) {
        check(seed[0], GroupModProperties.mutatedBody(seed, edits, cut, cutAt));
    }

    @Property(tries = 500)
    void randomContinuationBodies(@ForAll("versions") int version, @ForAll byte[] body) {
        Wire.Writer w = new Wire.Writer();
        w.zeros(4).bytes(body, 0, Math.min(body.length, 60000));
        byte[] b = w.toBytes();
        try {
            Continuation c = Continuation.decode(new Wire.Reader(b), version);
            Wire.Writer again = new Wire.Writer();
            c.write(again, version);
            byte[] e = again.toBytes();
            assertEquals(c, Continuation.decode(new Wire.Reader(java.util.Arrays.copyOfRange(e, 4, e.length)), version));
        } catch (OfError.Failure expected) {
            assertNotNull(expected.error);
        }
    }

    /** NXAST_CONTROLLER2 with random properties: an action or an OFPT_ERROR's failure, and what decodes encodes back. */
    @Property(tries = 500)
    void randomController2Actions(@ForAll("versions") int version, @ForAll byte[] props) {
        Wire.Writer w = new Wire.Writer();
        w.u16(0xffff).u16(0).u32(OfVersion.NX_VENDOR).u16(OfActions.NX_CONTROLLER2).zeros(6);
        w.bytes(props, 0, Math.min(props.length, 4000));
        w.pad8(0);
        w.put16(2, w.size());
        try {
            List<io.xvio.datapath.action.Action> a = OfActions.decodeActions(new Wire.Reader(w.toBytes()), version);
            Wire.Writer again = new Wire.Writer();
            OfActions.encodeActions(a, version, again);
            assertEquals(a, OfActions.decodeActions(new Wire.Reader(again.toBytes()), version));
        } catch (OfError.Failure expected) {
            assertNotNull(expected.error);
        }
    }
}
