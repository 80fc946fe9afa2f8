package io.xvio.openflow;

import io.xvio.datapath.Match;
import io.xvio.packet.FlowKey;
import net.jqwik.api.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * NXM_NX_TUN_METADATA0..63 entries with random lengths, mask bits and bytes, under a map of 4 or 8 bytes or none:
 * each is refused with BAD_LEN, BAD_WILDCARDS or NXFMFC_INVALID_TLV_FIELD, or decodes to a match that needs the
 * option present, fits the option, has its value inside its mask, and encodes back to the same match.
 */
class TunMetadataOxmProperties {

    @Property(tries = 2000)
    void randomEntriesAreRefusedOrRoundTrip(@ForAll("fields") int field, @ForAll("lengths") int len, @ForAll boolean hasMask,
                                            @ForAll("maps") int mapped, @ForAll byte[] payload) {
        long header = 1L << 16 | field << 9 | (hasMask ? 0x100 : 0) | len;
        Wire.Writer w = new Wire.Writer().u32(header);
        w.bytes(payload, 0, Math.min(payload.length, len));       // fewer than len: a short entry (BAD_LEN)
        int[] map = new int[FlowKey.TUN_METADATA_WORDS];
        java.util.Arrays.fill(map, mapped);
        Runnable body = () -> {
            Match m;
            try {
                m = Oxm.decode(new Wire.Reader(w.toBytes()));
            } catch (OfError.Failure f) {
                assertTrue(f.error == OfError.BAD_MATCH_LEN || f.error == OfError.BAD_LEN || f.error == OfError.BAD_WILDCARDS
                        || f.error == OfError.INVALID_TLV_FIELD, f.error + ": " + f.getMessage());
                if (field - 40 >= FlowKey.TUN_METADATA_WORDS || mapped == 0) assertEquals(OfError.INVALID_TLV_FIELD, f.error);
                return;
            }
            int n = field - 40, width = hasMask ? len / 2 : len, max = mapped > 0 ? mapped : 8;
            assertTrue(n < FlowKey.TUN_METADATA_WORDS && mapped != 0, "only mapped tun_metadata0-7 decode");
            assertTrue(width >= 1 && width <= max && (!hasMask || len % 2 == 0), "length " + len + " taken for a " + max + "-byte option");
            long v = m.value(FlowKey.TUN_METADATA0 + n), k = m.mask(FlowKey.TUN_METADATA0 + n);
            long p = 1L << (FlowKey.TUN_METADATA_PRESENT + n);
            assertEquals(p, m.mask(FlowKey.TUN_MISC) & m.value(FlowKey.TUN_MISC) & p, "the option must be present");
            assertEquals(0, v & ~k);
            if (max < 8) assertEquals(0, v >>> 8 * max, "the value fits the option");
            if (k != -1L && max < 8) assertEquals(0, k >>> 8 * max, "a mask within the option");
            Wire.Writer back = new Wire.Writer();
            Oxm.encode(m, true, back);
            assertEquals(m, Oxm.decode(new Wire.Reader(back.toBytes())));
        };
        if (mapped < 0) body.run();
        else TlvLengths.with(map, () -> { body.run(); return null; });
    }

    @Provide Arbitrary<Integer> fields() { return Arbitraries.integers().between(40, 103); }
    @Provide Arbitrary<Integer> lengths() { return Arbitraries.integers().between(0, 20); }
    /** -1: no map bound (a client); 0: unmapped; else the option's length. */
    @Provide Arbitrary<Integer> maps() { return Arbitraries.of(-1, 0, 4, 8); }
}
