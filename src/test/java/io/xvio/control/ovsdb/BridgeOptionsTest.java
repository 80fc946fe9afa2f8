package io.xvio.control.ovsdb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xvio.openflow.OfVersion;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Bridge protocols, other_config (datapath-id, hwaddr, disable-in-band, unknown keys) and external_ids as ovs-vswitchd
 * reads them; bad values are warnings, never exceptions, and leave the defaults; Open_vSwitch pmd-rxq-assign's log.
 */
class BridgeOptionsTest {
    private static final String UUID = "00000000-0000-0000-0000-000000000001";

    private static TableCache.Row row(JsonNode protocols, Map<String, String> otherConfig, Map<String, String> externalIds) {
        return new TableCache.Row(UUID, Map.of("protocols", protocols, "other_config", Datum.mapOf(otherConfig),
                "external_ids", Datum.mapOf(externalIds)));
    }

    private static JsonNode set(String... s) { return Datum.setOf(List.of(s)); }

    @Test
    void protocolsAreTheNegotiableVersions() throws Exception {
        List<String> w = new ArrayList<>();
        assertEquals(OfVersion.BITMAP, BridgeOptions.read(row(set(), Map.of(), Map.of()), w).versions(), "none: every version xvio speaks");
        assertEquals(1 << OfVersion.OF13, BridgeOptions.read(row(JsonRpc.NODES.textNode("OpenFlow13"), Map.of(), Map.of()), w).versions(), "one atom");
        assertEquals((1 << OfVersion.OF13) | (1 << OfVersion.OF15), BridgeOptions.read(row(set("OpenFlow13", "OpenFlow15"), Map.of(), Map.of()), w).versions());
        assertEquals(List.of(), w, "valid values: nothing to say");

        assertEquals(1 << OfVersion.OF13, BridgeOptions.read(row(set("OpenFlow12", "OpenFlow13"), Map.of(), Map.of()), w).versions());
        assertEquals(List.of("protocols: xvio does not speak [OpenFlow12] (it speaks OpenFlow10, 13, 14 and 15)"), w);
        w.clear();
        assertEquals(0, BridgeOptions.read(row(set("OpenFlow11"), Map.of(), Map.of()), w).versions(), "only versions xvio lacks: no connection");
        assertTrue(w.getLast().contains("accepts no OpenFlow connection"), w.toString());
        w.clear();
        assertEquals(OfVersion.BITMAP, BridgeOptions.read(row(set("OpenFlow99"), Map.of(), Map.of()), w).versions(), "only unknown names: the default, as OVS");
        assertEquals(List.of("protocols: unknown OpenFlow version(s) [OpenFlow99]: ignored"), w);
    }

    @Test
    void datapathIdHwaddrAndOtherKeys() throws Exception {
        List<String> w = new ArrayList<>();
        BridgeOptions o = BridgeOptions.read(row(set(), Map.of("datapath-id", "00000000000000aB", "disable-in-band", "true"), Map.of("k", "v")), w);
        assertEquals(0xab, o.datapathId());
        assertEquals(Map.of("k", "v"), o.externalIds(), "external_ids kept as they are");
        assertEquals(List.of(), w, "disable-in-band: accepted, nothing to do (no in-band control)");

        for (String bad : List.of("ab", "0x000000000000ab", "000000000000000g", "0000000000000000", "00000000000000abc")) {
            w.clear();
            assertEquals(0, BridgeOptions.read(row(set(), Map.of("datapath-id", bad), Map.of()), w).datapathId(), bad);
            assertEquals(1, w.size(), bad);
            assertTrue(w.getFirst().startsWith("other_config:datapath-id=\"" + bad + "\" is not 16 hexadecimal digits"), w.toString());
        }

        w.clear();
        assertEquals(0x020000000001L, BridgeOptions.read(row(set(), Map.of("hwaddr", "02:00:00:00:00:01"), Map.of()), w).datapathId(),
                "hwaddr: the datapath id OVS derives from the bridge's MAC");
        assertTrue(w.getFirst().contains("xvio does not change the MAC of the bridge's internal port"), w.toString());
        w.clear();
        assertEquals(0x12, BridgeOptions.read(row(set(), Map.of("hwaddr", "02:00:00:00:00:01", "datapath-id", "0000000000000012"), Map.of()), w).datapathId(),
                "datapath-id wins");
        for (String bad : List.of("01:00:5e:00:00:01", "00:00:00:00:00:00", "nonsense", "02:00:00:00:00")) {
            w.clear();
            assertEquals(0, BridgeOptions.read(row(set(), Map.of("hwaddr", bad), Map.of()), w).datapathId(), bad);
            assertTrue(w.getFirst().startsWith("other_config:hwaddr=") && w.getFirst().endsWith("ignored"), w.toString());
        }

        w.clear();
        BridgeOptions.read(row(set(), Map.of("mac-aging-time", "300"), Map.of()), w);
        assertEquals(List.of("other_config:mac-aging-time=300 is not used by xvio: ignored"), w);
    }

    @Test
    void columnsOfTheWrongShapeAreAnOvsdbError() {
        ObjectNode notAMap = JsonRpc.NODES.objectNode();
        TableCache.Row r = new TableCache.Row(UUID, Map.of("other_config", JsonRpc.NODES.textNode("x"), "protocols", notAMap));
        assertThrows(OvsdbException.class, () -> BridgeOptions.read(r, new ArrayList<>()));
        TableCache.Row none = new TableCache.Row(UUID, Map.of());
        assertDoesNotThrow(() -> assertEquals(BridgeOptions.DEFAULT, BridgeOptions.read(none, new ArrayList<>())), "absent columns: the defaults");
    }

    @Test
    void pmdRxqAssignIsAcceptedWithWhatXvioDoes() {
        assertNull(PmdRxqAssign.describe(null));
        assertTrue(PmdRxqAssign.describe("cycles").contains("moves queues by measured load, the nearest to cycles"));
        assertTrue(PmdRxqAssign.describe("group").endsWith("the nearest to group"));
        assertTrue(PmdRxqAssign.describe("roundrobin").contains("pmd-auto-lb: false keeps the round-robin placement"));
        assertTrue(PmdRxqAssign.describe("fastest").startsWith("other_config:pmd-rxq-assign=\"fastest\" is not roundrobin, cycles or group"));
    }

    @Test
    void txFlushIntervalIsMicrosecondsInOvsRange() {
        assertEquals(0, TxFlushInterval.parse("0"));
        assertEquals(250, TxFlushInterval.parse(" 250"));
        assertEquals(1_000_000, TxFlushInterval.parse("1000000"));
        assertEquals("1000001 is outside 0..1000000", assertThrows(IllegalArgumentException.class, () -> TxFlushInterval.parse("1000001")).getMessage());
        assertEquals("-5 is outside 0..1000000", assertThrows(IllegalArgumentException.class, () -> TxFlushInterval.parse("-5")).getMessage());
        assertEquals("\"soon\" is not a number of microseconds", assertThrows(IllegalArgumentException.class, () -> TxFlushInterval.parse("soon")).getMessage());
    }
}
