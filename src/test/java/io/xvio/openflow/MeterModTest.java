package io.xvio.openflow;

import io.xvio.datapath.FlowParser;
import io.xvio.datapath.meter.MeterConfig;
import io.xvio.datapath.meter.MeterFormat;
import io.xvio.datapath.meter.MeterParser;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * OFPT_METER_MOD and the meter multiparts through a connection: meters survive meter_mod and meter_config in
 * OpenFlow 1.3-1.5, the table changes as add-meter/mod-meter/del-meters would, and bad meter_mods get OVS's errors.
 */
class MeterModTest {
    static final List<String> METERS = List.of(
            "meter=1,kbps,bands=type=drop,rate=10000",
            "meter=2,pktps,burst,stats,bands=type=drop,rate=100,burst_size=20",
            "meter=3,kbps,burst,bands=type=drop,rate=5000,burst_size=500,type=drop,rate=9000,burst_size=900");

    /** A meter_mod of command for meter c, made from xvio's own meter_config entry (the two share the band layout). */
    static byte[] meterMod(MeterConfig c, int command, int version) {
        byte[] entry = MeterStats.config(c);
        Wire.Writer w = new Wire.Writer(version, OfType.METER_MOD, 4);
        w.u16(command).bytes(entry, 2, 2).bytes(entry, 4, 4).bytes(entry, 8, entry.length - 8);
        return w.finish();
    }

    static byte[] meterMod(String text, int command, int version) { return meterMod(MeterParser.parse(text), command, version); }

    static List<MeterConfig> configs(OfConnection c, int version) {
        Wire.Writer w = new Wire.Writer(version, OfType.MULTIPART_REQUEST, 5);
        w.u16(OfType.MP_METER_CONFIG).u16(0).zeros(4).u32(MeterMod.ALL).zeros(4);
        List<MeterConfig> out = new ArrayList<>();
        for (byte[] reply : c.handle(w.finish())) {
            assertEquals(OfType.MULTIPART_REPLY, reply[1]);
            int at = 16;
            while (at < reply.length) {
                int len = ((reply[at] & 0xff) << 8) | (reply[at + 1] & 0xff);
                Wire.Writer m = new Wire.Writer(version, OfType.METER_MOD, 1);
                m.u16(MeterMod.ADD).bytes(reply, at + 2, len - 2);
                Wire.Reader r = new Wire.Reader(m.finish());
                r.skip(8);
                out.add(MeterMod.decode(r, version).config());
                at += len;
            }
        }
        return out;
    }

    private static int[] error(OfConnection c, byte[] msg) { return OpenFlowCodecTest.errorOf(c.handle(msg)); }

    @Test
    void metersRoundTripThroughMeterModAndMeterConfig() {
        for (int v : new int[] {OfVersion.OF13, OfVersion.OF14, OfVersion.OF15}) {
            MemorySwitch sw = new MemorySwitch();
            OfConnection c = OpenFlowCodecTest.connected(sw, v);
            for (String text : METERS) assertEquals(List.of(), c.handle(meterMod(text, MeterMod.ADD, v)), text);
            List<String> want = METERS.stream().map(t -> MeterFormat.line(MeterParser.parse(t))).toList();
            assertEquals(want, sw.meters().stream().map(m -> MeterFormat.line(m.config())).toList());
            assertEquals(want, configs(c, v).stream().map(MeterFormat::line).toList());
        }
    }

    @Test
    void addModifyDeleteAsOvsDoes() {
        int v = OfVersion.OF13;
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, v);
        assertEquals(List.of(), c.handle(meterMod(METERS.getFirst(), MeterMod.ADD, v)));
        assertArrayEquals(new int[] {12, 1}, error(c, meterMod(METERS.getFirst(), MeterMod.ADD, v)), "OFPMMFC_METER_EXISTS");
        assertArrayEquals(new int[] {12, 3}, error(c, meterMod("meter=9,kbps,bands=type=drop,rate=1", MeterMod.MODIFY, v)), "OFPMMFC_UNKNOWN_METER");
        assertEquals(List.of(), c.handle(meterMod("meter=1,pktps,bands=type=drop,rate=7", MeterMod.MODIFY, v)));
        assertTrue(sw.meters().getFirst().config().pktps());
        // deleting a meter deletes the flows that name it; an unknown id is no error; OFPM13_ALL empties the table
        assertEquals(List.of(), c.handle(meterMod(METERS.get(1), MeterMod.ADD, v)));
        sw.addFlows(List.of(FlowParser.parse("priority=5,actions=meter:1,output:1"), FlowParser.parse("priority=6,actions=output:1")));
        assertEquals(List.of(), c.handle(delete(1, v)));
        assertEquals(1, sw.flows().size());
        assertEquals(List.of(), c.handle(delete(77, v)));
        assertEquals(1, sw.meters().size());
        assertEquals(List.of(), c.handle(delete(MeterMod.ALL, v)));
        assertEquals(List.of(), sw.meters());
    }

    private static byte[] delete(long id, int v) {
        Wire.Writer w = new Wire.Writer(v, OfType.METER_MOD, 4);
        w.u16(MeterMod.DELETE).u16(0).u32(id);
        return w.finish();
    }

    private static byte[] raw(int v, int command, int flags, long id, int... band) {
        Wire.Writer w = new Wire.Writer(v, OfType.METER_MOD, 4);
        w.u16(command).u16(flags).u32(id);
        for (int x : band) w.u32(x);
        return w.finish();
    }

    @Test
    void badMeterModsGetOvsErrors() {
        int v = OfVersion.OF13;
        OfConnection c = OpenFlowCodecTest.connected(new MemorySwitch(), v);
        int[] drop = {1 << 16 | 16, 1000, 0, 0};
        assertArrayEquals(new int[] {12, 4}, error(c, raw(v, 3, MeterMod.KBPS, 1, drop)), "OFPMMFC_BAD_COMMAND");
        assertArrayEquals(new int[] {12, 5}, error(c, raw(v, 0, MeterMod.KBPS | MeterMod.PKTPS, 1, drop)), "OFPMMFC_BAD_FLAGS");
        assertArrayEquals(new int[] {12, 5}, error(c, raw(v, 0, 0x40, 1, drop)), "OFPMMFC_BAD_FLAGS: unknown flag");
        assertArrayEquals(new int[] {12, 2}, error(c, raw(v, 0, MeterMod.KBPS, 0, drop)), "OFPMMFC_INVALID_METER: 0");
        assertArrayEquals(new int[] {12, 2}, error(c, raw(v, 0, MeterMod.KBPS, MeterMod.ALL, drop)), "OFPMMFC_INVALID_METER: all");
        assertArrayEquals(new int[] {12, 2}, error(c, raw(v, 0, MeterMod.KBPS, MeterMod.CONTROLLER, drop)), "OFPMMFC_INVALID_METER: controller");
        assertArrayEquals(new int[] {12, 8}, error(c, raw(v, 0, MeterMod.KBPS, 1, 2 << 16 | 16, 1000, 0, 3 << 24)), "OFPMMFC_BAD_BAND: dscp_remark");
        assertArrayEquals(new int[] {12, 8}, error(c, raw(v, 0, MeterMod.KBPS, 1, 0xffff << 16 | 16, 1000, 0, 0)), "OFPMMFC_BAD_BAND: experimenter");
        assertArrayEquals(new int[] {12, 6}, error(c, raw(v, 0, MeterMod.KBPS, 1, 1 << 16 | 16, 0, 0, 0)), "OFPMMFC_BAD_RATE");
        int[] nine = new int[36];
        for (int i = 0; i < 9; i++) { nine[4 * i] = 1 << 16 | 16; nine[4 * i + 1] = 1000 + i; }
        assertArrayEquals(new int[] {12, 11}, error(c, raw(v, 0, MeterMod.KBPS, 1, nine)), "OFPMMFC_OUT_OF_BANDS");
        assertArrayEquals(new int[] {1, 6}, error(c, raw(v, 0, MeterMod.KBPS, 1, 1 << 16 | 24, 1000, 0, 0)), "OFPBRC_BAD_LEN: band length");
        assertArrayEquals(new int[] {1, 6}, error(c, raw(v, 0, MeterMod.KBPS, 1, 1 << 16 | 16, 1000, 0, 0, 7)), "OFPBRC_BAD_LEN: leftover");
        Wire.Writer cut = new Wire.Writer(v, OfType.METER_MOD, 4);
        cut.u16(0).u16(MeterMod.KBPS);
        assertArrayEquals(new int[] {1, 6}, error(c, cut.finish()), "OFPBRC_BAD_LEN: cut short");
        assertArrayEquals(new int[] {12, 11}, error(c, raw(v, 0, MeterMod.KBPS, 1)), "OFPMMFC_OUT_OF_BANDS: no band (dpif_meter_set)");
        assertArrayEquals(new int[] {12, 5}, error(c, raw(v, 0, 0, 1, drop)), "OFPMMFC_BAD_FLAGS: neither kbps nor pktps");
        OfConnection c10 = OpenFlowCodecTest.connected(new MemorySwitch(), OfVersion.OF10);
        Wire.Writer w = new Wire.Writer(OfVersion.OF10, OfType.METER_MOD, 1);
        w.zeros(8);
        assertArrayEquals(new int[] {1, 1}, error(c10, w.finish()), "OpenFlow 1.0 has no meter_mod");
    }

    @Test
    void meterStatsAndFeatures() {
        int v = OfVersion.OF13;
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, v);
        c.handle(meterMod(METERS.get(2), MeterMod.ADD, v));
        sw.addFlows(List.of(FlowParser.parse("priority=5,actions=meter:3,output:1"), FlowParser.parse("priority=6,actions=clone(meter:3,output:2)")));
        Wire.Writer w = new Wire.Writer(v, OfType.MULTIPART_REQUEST, 5);
        w.u16(OfType.MP_METER).u16(0).zeros(4).u32(3).zeros(4);
        Wire.Reader r = new Wire.Reader(c.handle(w.finish()).getFirst());
        r.skip(16);
        assertEquals(3, r.u32());
        assertEquals(40 + 2 * 16, r.u16(), "40 bytes and 16 per band");
        r.skip(6);
        assertEquals(2, r.u32(), "flow_count: the flows that name it, in clones too");
        Wire.Writer f = new Wire.Writer(v, OfType.MULTIPART_REQUEST, 6);
        f.u16(OfType.MP_METER_FEATURES).u16(0).zeros(4);
        Wire.Reader fr = new Wire.Reader(c.handle(f.finish()).getFirst());
        fr.skip(16);
        assertEquals(MeterConfig.MAX_METERS, fr.u32());
        assertEquals(2, fr.u32(), "band types: drop");
        Wire.Writer bad = new Wire.Writer(v, OfType.MULTIPART_REQUEST, 7);
        bad.u16(OfType.MP_METER_CONFIG).u16(0).zeros(4).u16(1);
        assertArrayEquals(new int[] {1, 6}, error(c, bad.finish()), "a meter request cut short");
        for (int type : new int[] {OfType.MP_METER, OfType.MP_METER_CONFIG}) {
            Wire.Writer none = new Wire.Writer(v, OfType.MULTIPART_REQUEST, 8);
            none.u16(type).u16(0).zeros(4).u32(9).zeros(4);
            assertArrayEquals(new int[] {12, 3}, error(c, none.finish()), "OFPMMFC_UNKNOWN_METER: stats of a meter that is not there");
        }
    }
}
