package io.xvio.openflow;

import io.xvio.datapath.Field;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.Match;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Continuations (NXPINT_CONTINUATION) and NXT_RESUME as untrusted input: round trips, and the errors OVS sends. */
class ContinuationTest {
    static final byte[] FRAME = new byte[60];

    static Continuation sample(String bridge) {
        return new Continuation(Continuation.bridgeId(bridge), List.of(1L, 0xdeadbeefL), 0, true,
                List.of(new Continuation.Frame(0, 0, FlowParser.parseActionList("output:2")),
                        new Continuation.Frame(3, 0x99, FlowParser.parseActionList("resubmit(,5),output:1"))),
                List.of(), 7);
    }

    static Match inPort(int p) { return new Match().set(Field.IN_PORT, p, Field.IN_PORT.fullMask()); }

    @Test
    void aContinuationRoundTripsInEveryVersion() {
        for (int v : new int[] {OfVersion.OF10, OfVersion.OF13, OfVersion.OF15}) {
            Continuation c = sample("br0");
            byte[] m = Resume.encode(v, 5, FRAME, inPort(1), c);
            Wire.Reader r = new Wire.Reader(m);
            r.skip(16);
            Resume res = Resume.decode(r, v);
            assertEquals(c, res.continuation(), OfVersion.name(v));
            assertArrayEquals(FRAME, res.packet());
            assertEquals(inPort(1), res.metadata());
            assertTrue(res.continuation().from("br0"));
            assertFalse(res.continuation().from("br1"), "another bridge's");
        }
    }

    static int[] error(List<byte[]> replies) {
        assertEquals(1, replies.size());
        byte[] m = replies.getFirst();
        assertEquals(OfType.ERROR, m[1]);
        Wire.Reader r = new Wire.Reader(m);
        r.skip(8);
        int type = r.u16(), code = r.u16();
        if (type == 0xffff) return new int[] {type, code, (int) r.u32()};
        if (type == 0xb0c2) {
            r.u32();
            return new int[] {type, r.u16(), r.u16()};
        }
        return new int[] {type, code};
    }

    @Test
    void resumeErrorsAsOvsSendsThemAndTheConnectionGoesOn() {
        MemorySwitch sw = new MemorySwitch();
        for (int v : new int[] {OfVersion.OF10, OfVersion.OF13, OfVersion.OF15}) {
            OfConnection c = OpenFlowCodecTest.connected(sw, v);
            int[] stale = v == OfVersion.OF10 ? new int[] {0xb0c2, 1, 534} : new int[] {0xffff, 35, OfVersion.NX_VENDOR};
            assertArrayEquals(stale, error(c.handle(Resume.encode(v, 1, FRAME, inPort(1), sample("other")))), "another bridge's: NXR_STALE");
            int[] unsup = v == OfVersion.OF10 ? new int[] {0xb0c2, 1, 533} : new int[] {0xffff, 34, OfVersion.NX_VENDOR};
            assertArrayEquals(unsup, error(c.handle(Resume.encode(v, 2, FRAME, inPort(1), sample("br0")))), "a switch that cannot resume: NXR_NOT_SUPPORTED");
            // a packet property of length 2 (shorter than its header): OFPBPC_BAD_LEN
            byte[] bad = Resume.encode(v, 3, FRAME, inPort(1), sample("br0"));
            bad[18] = 0;
            bad[19] = 2;
            assertArrayEquals(v == OfVersion.OF10 ? new int[] {0xb0c2, 14, 1} : new int[] {14, 1}, error(c.handle(bad)));
            // an unknown continuation property: OFPBPC_BAD_TYPE
            Wire.Writer w = new Wire.Writer(v, OfType.VENDOR, 4);
            w.u32(OfVersion.NX_VENDOR).u32(Resume.NXT_RESUME);
            w.u16(0).u16(4 + FRAME.length).bytes(FRAME).pad8(0);
            w.u16(Continuation.NXPINT_CONTINUATION).u16(16).zeros(4).u16(0x8042).u16(4).zeros(4);
            assertArrayEquals(v == OfVersion.OF10 ? new int[] {0xb0c2, 14, 0} : new int[] {14, 0}, error(c.handle(w.finish())));
            List<byte[]> echo = c.handle(new Wire.Writer(v, OfType.ECHO_REQUEST, 9).finish());
            assertEquals(OfType.ECHO_REPLY, echo.getFirst()[1]);
        }
    }
}
