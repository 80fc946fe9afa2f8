package io.xvio.datapath.meter;

import net.jqwik.api.*;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The meter syntax both ways: any meter formatted as dump-meters prints it, or as add-meter's one line, reads back
 * as the same meter; and any string either parses or fails with a {@link MeterSyntaxException} (never another
 * exception).
 */
class MeterParserProperties {

    @Provide
    Arbitrary<MeterConfig> meters() {
        Arbitrary<Long> id = Arbitraries.oneOf(Arbitraries.longs().between(1, 100), Arbitraries.longs().between(1, MeterConfig.MAX_ID));
        return Combinators.combine(id, Arbitraries.of(true, false), Arbitraries.of(true, false), Arbitraries.of(true, false),
                Arbitraries.of(true, false), Arbitraries.integers().between(1, 8)).flatAs((i, kbps, pktps, burst, stats, n) -> {
                    Arbitrary<MeterConfig.Band> band = Combinators.combine(Arbitraries.of(MeterConfig.BandType.values()),
                            Arbitraries.longs().between(1, 0xffffffffL), Arbitraries.longs().between(1, 0xffffffffL),
                            Arbitraries.integers().between(1, 255)).as((t, rate, bs, prec) ->
                            new MeterConfig.Band(t, rate, burst ? bs : 0, t == MeterConfig.BandType.DSCP_REMARK ? prec : 0));
                    boolean k = kbps || (!pktps && !burst && !stats);   // a meter needs some flag
                    return band.list().ofSize(n).map(bs -> new MeterConfig(i, k, pktps, burst, stats, bs));
                });
    }

    @Property(tries = 500)
    void dumpMetersOutputReadsBack(@ForAll("meters") MeterConfig m) {
        assertEquals(m, MeterParser.parse(MeterFormat.config(m)));
        assertEquals(m, MeterParser.parse(MeterFormat.line(m)));
        assertEquals(MeterFormat.config(m), MeterFormat.config(MeterParser.parse(MeterFormat.line(m))));
    }

    @Provide
    Arbitrary<String> noise() {
        Arbitrary<String> words = Arbitraries.of("meter", "=", ",", "1", "0", "0x10", "all", "kbps", "pktps", "burst", "stats",
                "bands", "band", "type", "drop", "dscp_remark", "rate", "burst_size", "prec_level", "99999999999", " ", "\t", "x");
        return words.list().ofMaxSize(30).map(l -> String.join("", l));
    }

    @Property(tries = 2000)
    void anyStringParsesOrFailsWithAMessage(@ForAll("noise") String s) {
        try {
            MeterConfig m = MeterParser.parse(s);
            assertFalse(m.bands().isEmpty());
            assertEquals(m, MeterParser.parse(MeterFormat.config(m)), "what parses formats and reads back the same");
        } catch (MeterSyntaxException e) {
            assertNotNull(e.getMessage());
        }
    }

    @Property(tries = 500)
    void anyPrintableStringToo(@ForAll String s) {
        try {
            MeterParser.parse(s);
        } catch (MeterSyntaxException e) {
            assertFalse(e.getMessage().isEmpty());
        }
        try {
            MeterParser.selector(s);
        } catch (MeterSyntaxException e) {
            assertFalse(e.getMessage().isEmpty());
        }
    }

    @Example
    void meterIdsAndSelectors() {
        assertEquals(MeterParser.ALL, MeterParser.selector(null));
        assertEquals(MeterParser.ALL, MeterParser.selector("meter=all"));
        assertEquals(7, MeterParser.selector("meter=7"));
        assertEquals(7, MeterParser.selector("7"));
        assertEquals(List.of(), List.of());
    }
}
