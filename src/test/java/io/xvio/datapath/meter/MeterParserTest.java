package io.xvio.datapath.meter;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** ovs-ofctl add-meter's syntax and its messages for the same mistakes (lib/ofp-meter.c), and dump-meters' format. */
class MeterParserTest {
    static void fails(String text, String message) {
        MeterSyntaxException e = assertThrows(MeterSyntaxException.class, () -> MeterParser.parse(text), text);
        assertEquals(message, e.getMessage(), text);
    }

    @Test
    void readsTheManPageExamples() {
        MeterConfig m = MeterParser.parse("meter=1,kbps,burst,stats,bands=type=drop,rate=10000,burst_size=1000");
        assertEquals(new MeterConfig(1, true, false, true, true, List.of(new MeterConfig.Band(MeterConfig.BandType.DROP, 10000, 1000, 0))), m);
        assertEquals("meter=1 kbps burst stats bands=\ntype=drop rate=10000 burst_size=1000\n", MeterFormat.config(m));
        assertEquals("meter=1,kbps,burst,stats,bands=type=drop,rate=10000,burst_size=1000", MeterFormat.line(m));
        MeterConfig p = MeterParser.parse("meter=2 pktps bands=type=drop rate=100 type=drop rate=0x20");
        assertEquals(2, p.bands().size());
        assertEquals(32, p.bands().get(1).rate(), "C's hex notation");
        assertTrue(p.countsPackets());
        assertEquals("meter=2 pktps bands=\ntype=drop rate=100\ntype=drop rate=32\n", MeterFormat.config(p));
        assertEquals(8, MeterParser.parse("meter=3,kbps,band=type=drop,rate=010").bands().getFirst().rate(), "octal, and band= as OVS");
        assertEquals(0, MeterConfig.effectiveBurst(p.bands().getFirst()) - 100, "no burst flag: the rate is the depth (OVS)");
    }

    @Test
    void refusesWhatOvsOfctlRefusesWithItsWords() {
        fails("meter=1,kbps", "must specify bands");
        fails("meter=1,kbps,bands", "must specify bands");
        fails("kbps,bands=type=drop,rate=1", "must specify 'meter'");
        fails("meter=1,bands=type=drop,rate=1", "meter must specify either 'kbps' or 'pktps'");
        fails("meter=0,kbps,bands=type=drop,rate=1", "invalid value for meter");
        fails("meter=4294967040,kbps,bands=type=drop,rate=1", "invalid value for meter");
        fails("meter=x,kbps,bands=type=drop,rate=1", "invalid numeric format x");
        fails("meter=1,kbps,colour=red,bands=type=drop,rate=1", "unknown keyword colour");
        fails("meter=1,kbps,bands=rate=1", "band must start with the 'type' keyword");
        fails("meter=1,kbps,bands=type=mark,rate=1", "field type unknown value mark");
        fails("meter=1,kbps,bands=type=drop,rate", "field rate missing value");
        fails("meter=1,kbps,bands=type=drop,burst_size=3", "band must have 'rate'");
        fails("meter=1,kbps,bands=type=drop,rate=1,burst_size=3", "band may have 'burst_size' only when 'burst' flag is set");
        fails("meter=1,kbps,burst,bands=type=drop,rate=1", "band must have 'burst_size' when 'burst' flag is set");
        fails("meter=1,kbps,bands=type=dscp_remark,rate=1", "'dscp_remark' band must have 'prec_level'");
        fails("meter=1,kbps,bands=type=drop,rate=1,prec_level=2", "Only 'dscp_remark' band may have 'prec_level'");
        fails("meter=1,kbps,bands=type=drop,rate=4294967296", "invalid numeric format 4294967296");
        fails("meter=1,kbps,bands=type=drop,rate=1,speed=2", "unknown keyword speed");
    }

    @Test
    void theDatapathRunsDropBandsOnlyAndAtMostEight() {
        MeterConfig remark = MeterParser.parse("meter=1,kbps,bands=type=dscp_remark,rate=1,prec_level=1");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MeterTable.check(remark));
        assertTrue(e.getMessage().startsWith("OFPMMFC_BAD_BAND"), e.getMessage());
        MeterConfig nine = MeterParser.parse("meter=1,kbps,bands=" + "type=drop,rate=1,".repeat(9));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MeterTable.check(nine)).getMessage().startsWith("OFPMMFC_OUT_OF_BANDS"));
    }

    @Test
    void aTableRefusesDuplicatesAndUnknownMeters() {
        MeterTable t = new MeterTable();
        MeterConfig m = MeterParser.parse("meter=5,pktps,bands=type=drop,rate=10");
        t.put(m, false, 0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> t.put(m, false, 0)).getMessage().startsWith("OFPMMFC_METER_EXISTS"));
        MeterConfig other = MeterParser.parse("meter=6,pktps,bands=type=drop,rate=10");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> t.put(other, true, 0)).getMessage().startsWith("OFPMMFC_UNKNOWN_METER"));
        LiveMeter live = t.get(5);
        t.put(MeterParser.parse("meter=5,pktps,bands=type=drop,rate=20"), true, 0);
        assertSame(live, t.get(5), "mod-meter changes the meter in place (cached translations keep it)");
        assertEquals(20, live.config().bands().getFirst().rate());
        assertEquals(0, t.delete(6));
        assertEquals(1, t.delete(5));
        assertNull(t.get(5));
    }

    @Test
    void meterStatsAsOvsOfctlPrintsThem() {
        LiveMeter m = new LiveMeter(MeterParser.parse("meter=1,pktps,burst,stats,bands=type=drop,rate=1,burst_size=2"), 0);
        for (int i = 0; i < 5; i++) m.admit(100, 0, 0);                 // 2 pass (the burst), 3 dropped
        assertEquals("meter:1 flow_count:3 packet_in_count:5 byte_in_count:500 duration:1.500s bands:\n0: packet_count:3 byte_count:300\n",
                MeterFormat.stats(m, 3, 1_500_000_000L));
        assertEquals("2s", MeterFormat.duration(2_000_000_000L));
    }
}
