package io.xvio.control.ovsdb;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** OVSDB values as ovsdb-server sends them (RFC 7047 5.1), and the errors for the wrong shapes. */
class DatumTest {
    static JsonNode json(String s) throws Exception { return JsonRpc.MAPPER.readTree(s); }

    @Test
    void setsMapsAndUuids() throws Exception {
        assertEquals(List.of(), Datum.integers(json("[\"set\",[]]"), "tag"));
        assertEquals(List.of(10L), Datum.integers(json("10"), "tag"));
        assertEquals(List.of(10L, 20L), Datum.integers(json("[\"set\",[10,20]]"), "trunks"));
        assertNull(Datum.optionalInteger(json("[\"set\",[]]"), "ofport_request"));
        assertEquals(7L, Datum.optionalInteger(json("7"), "ofport_request"));
        assertEquals("netdev", Datum.optionalString(json("\"netdev\""), "datapath_type"));
        assertEquals(Map.of("vhost-server-path", "/tmp/x.sock"), Datum.stringMap(json("[\"map\",[[\"vhost-server-path\",\"/tmp/x.sock\"]]]"), "options"));
        assertEquals(List.of("8e4bd4d4-1ae8-4c1e-91ba-bb6e8a5b8c43"),
                Datum.uuids(json("[\"uuid\",\"8e4bd4d4-1ae8-4c1e-91ba-bb6e8a5b8c43\"]"), "ports"));
        assertEquals(2, Datum.uuids(json("[\"set\",[[\"uuid\",\"8e4bd4d4-1ae8-4c1e-91ba-bb6e8a5b8c43\"],[\"uuid\",\"8e4bd4d4-1ae8-4c1e-91ba-bb6e8a5b8c44\"]]]"), "ports").size());
    }

    @Test
    void wrongShapesNameTheColumn() {
        OvsdbException e = assertThrows(OvsdbException.class, () -> Datum.optionalInteger(json("\"5\""), "Interface ofport_request"));
        assertTrue(e.getMessage().startsWith("Interface ofport_request: expected an integer"), e.getMessage());
        e = assertThrows(OvsdbException.class, () -> Datum.stringMap(json("[\"map\",[[\"a\",1]]]"), "Interface options"));
        assertTrue(e.getMessage().startsWith("Interface options: map entries must be [string, string]"), e.getMessage());
        e = assertThrows(OvsdbException.class, () -> Datum.uuids(json("[\"uuid\",\"zz\"]"), "Bridge ports"));
        assertTrue(e.getMessage().startsWith("Bridge ports: expected [\"uuid\", UUID]"), e.getMessage());
        e = assertThrows(OvsdbException.class, () -> Datum.set(json("{\"a\":1}"), "Port tag"));
        assertTrue(e.getMessage().startsWith("Port tag: not an OVSDB atom"), e.getMessage());
        e = assertThrows(OvsdbException.class, () -> Datum.string(json("[\"set\",[]]"), "Bridge name"));
        assertEquals("Bridge name: missing", e.getMessage());
    }

    @Test
    void writersMakeWhatTheReadersRead() throws Exception {
        assertEquals(List.of(1L, 2L), Datum.integers(Datum.setOf(List.of(1, 2)), "x"));
        assertEquals(Map.of("rx_packets", "5"), Map.of("rx_packets", Datum.mapOf(Map.of("rx_packets", 5L)).get(1).get(0).get(1).asText()));
        assertEquals("[\"set\",[]]", JsonRpc.MAPPER.writeValueAsString(Datum.emptySet()));
    }
}
