package io.xvio.openflow;

import io.xvio.datapath.meter.MeterFormat;
import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The meter_mod decoder and the meter multiparts against bad input: real meter_mods with bytes flipped, cut short or
 * with lying lengths, and random bodies, get an OFPT_ERROR or are applied; nothing throws, every reply is well-formed,
 * and what the table holds afterwards describes itself through meter_config and back.
 */
class MeterModProperties {

    @Provide
    Arbitrary<byte[]> seeds() {
        return Arbitraries.of(OfVersion.OF13, OfVersion.OF14, OfVersion.OF15)
                .flatMap(v -> Arbitraries.of(MeterModTest.METERS).flatMap(text -> Arbitraries.of(MeterMod.ADD, MeterMod.MODIFY, MeterMod.DELETE)
                        .map(cmd -> MeterModTest.meterMod(text, cmd, v))));
    }

    @Provide
    Arbitrary<List<int[]>> edits() {
        return Arbitraries.integers().between(0, 100).flatMap(at -> Arbitraries.integers().between(0, 255).map(v -> new int[] {at, v}))
                .list().ofMaxSize(4);
    }

    private static void check(int version, byte[] msg) {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, version);
        assertEquals(List.of(), c.handle(MeterModTest.meterMod(MeterModTest.METERS.getFirst(), MeterMod.ADD, version)));
        List<byte[]> replies = assertDoesNotThrow(() -> c.handle(msg));
        assertNotNull(replies);
        for (byte[] r : replies) {
            assertEquals(r.length, ((r[2] & 0xff) << 8) | (r[3] & 0xff));
            assertEquals(version, r[0]);
            assertEquals(OfType.ERROR, r[1], "a meter_mod is answered by an error or nothing");
        }
        assertEquals(sw.meters().stream().map(m -> MeterFormat.line(m.config())).toList(),
                MeterModTest.configs(c, version).stream().map(MeterFormat::line).toList());
    }

    @Property(tries = 1000)
    void mutatedMeterModsGetAnErrorOrApply(@ForAll("seeds") byte[] seed, @ForAll("edits") List<int[]> edits, @ForAll boolean cut,
                                           @ForAll @IntRange(min = 8, max = 100) int cutAt) {
        check(seed[0], GroupModProperties.mutatedBody(seed, edits, cut, cutAt));
    }

    @Property(tries = 500)
    void randomMeterModBodies(@ForAll("versions") int version, @ForAll byte[] body) {
        Wire.Writer w = new Wire.Writer(version, OfType.METER_MOD, 42);
        w.bytes(body, 0, Math.min(body.length, 65000));
        check(version, w.finish());
    }

    @Property(tries = 300)
    void meterMultipartsWithRandomBodies(@ForAll("versions") int version, @ForAll @IntRange(min = 9, max = 11) int type, @ForAll byte[] body) {
        OfConnection c = OpenFlowCodecTest.connected(new MemorySwitch(), version);
        Wire.Writer w = new Wire.Writer(version, OfType.MULTIPART_REQUEST, 1);
        w.u16(type).u16(0).zeros(4).bytes(body, 0, Math.min(body.length, 65000));
        for (byte[] r : assertDoesNotThrow(() -> c.handle(w.finish()))) assertTrue(r[1] == OfType.ERROR || r[1] == OfType.MULTIPART_REPLY);
    }

    @Provide
    Arbitrary<Integer> versions() { return Arbitraries.of(OfVersion.OF13, OfVersion.OF14, OfVersion.OF15); }
}
