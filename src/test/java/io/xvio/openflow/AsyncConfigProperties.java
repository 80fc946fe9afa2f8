package io.xvio.openflow;

import net.jqwik.api.*;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The async config decoders (OpenFlow 1.3's and Nicira's 24-byte masks, 1.4+'s properties) against random and
 * mutated bodies: an error or nothing comes back, never an exception, and get_async still answers afterwards with
 * masks inside what the version defines.
 */
class AsyncConfigProperties {

    @Provide
    Arbitrary<Integer> versions() { return Arbitraries.of(OfVersion.OF10, OfVersion.OF13, OfVersion.OF14, OfVersion.OF15); }

    @Property(tries = 1000)
    void randomAsyncConfigs(@ForAll("versions") int version, @ForAll byte[] body, @ForAll boolean props) {
        OfConnection c = OpenFlowCodecTest.connected(new MemorySwitch(), version);
        Wire.Writer w;
        if (version == OfVersion.OF10) {
            w = new Wire.Writer(version, OfType.VENDOR, 1);
            w.u32(OfVersion.NX_VENDOR).u32(OfType.NXT_SET_ASYNC_CONFIG);
        } else {
            w = new Wire.Writer(version, OfType.SET_ASYNC, 1);
        }
        if (props && version >= OfVersion.OF14) {
            // well-formed property headers with random types and masks, so decoding reaches the checks
            for (int i = 0; i + 4 <= Math.min(body.length, 96); i += 4) w.u16(body[i] & 0x0f).u16(8).u32(body[i + 1] << 24 | body[i + 2] << 8 | body[i + 3]);
        } else {
            w.bytes(body, 0, Math.min(body.length, 1000));
        }
        List<byte[]> r = assertDoesNotThrow(() -> c.handle(w.finish()));
        for (byte[] m : r) assertEquals(OfType.ERROR, m[1]);
        if (version == OfVersion.OF10) return;
        byte[] got = c.handle(new Wire.Writer(version, OfType.GET_ASYNC_REQUEST, 2).finish()).getFirst();
        assertEquals(OfType.GET_ASYNC_REPLY, got[1]);
        Wire.Reader rd = new Wire.Reader(got);
        rd.skip(8);
        if (version == OfVersion.OF13) {
            for (int i = 0; i < 6; i++) assertEquals(0, rd.u32() & ~0x3fL);
        }
    }

    /** Nicira's property form (NXT_SET_ASYNC_CONFIG2, 1.0-1.3) with random property headers and masks. */
    @Property(tries = 1000)
    void randomNiciraAsyncConfig2(@ForAll("versions") int version, @ForAll byte[] body, @ForAll boolean props) {
        OfConnection c = OpenFlowCodecTest.connected(new MemorySwitch(), version);
        Wire.Writer w = new Wire.Writer(version, OfType.VENDOR, 1);
        w.u32(OfVersion.NX_VENDOR).u32(OfType.NXT_SET_ASYNC_CONFIG2);
        if (props) {
            for (int i = 0; i + 4 <= Math.min(body.length, 96); i += 4) w.u16(body[i] & 0x0f).u16(8).u32(body[i + 1] << 24 | body[i + 2] << 8 | body[i + 3]);
        } else {
            w.bytes(body, 0, Math.min(body.length, 1000));
        }
        List<byte[]> r = assertDoesNotThrow(() -> c.handle(w.finish()));
        assertTrue(r.size() <= 1);
        for (byte[] m : r) assertEquals(OfType.ERROR, m[1]);
        if (version >= OfVersion.OF14) assertEquals(1, r.size(), "1.4+ has no NXT_SET_ASYNC_CONFIG2");
        if (version == OfVersion.OF13) {
            byte[] got = c.handle(new Wire.Writer(version, OfType.GET_ASYNC_REQUEST, 2).finish()).getFirst();
            Wire.Reader rd = new Wire.Reader(got);
            rd.skip(8);
            for (int i = 0; i < 6; i++) assertEquals(0, rd.u32() & ~0x3fL, "masks stay inside what 1.3 defines");
        }
    }
}
