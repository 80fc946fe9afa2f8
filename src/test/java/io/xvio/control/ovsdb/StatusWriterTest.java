package io.xvio.control.ovsdb;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.xvio.control.Config;
import io.xvio.control.Daemon;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The status transaction: what ovs-vswitchd would write, only what changed, everything again after forget(). */
class StatusWriterTest {
    static final String OVS = "11111111-2222-3333-4444-555555555555", BR = "11111111-2222-3333-4444-666666666666",
            IF = "11111111-2222-3333-4444-777777777777";

    @Test
    void writesOnlyWhatChanged(@TempDir Path dir) {
        Daemon d = new Daemon(Config.empty(), dir.resolve("ctl.sock").toString());
        StatusWriter w = new StatusWriter();
        List<Reconciler.IfaceResult> bad = List.of(new Reconciler.IfaceResult(IF, "br0", "p1", -1, "interface type \"x\" is not supported"));
        ArrayNode first = w.operations(OVS, 4L, bad, Map.of(BR, "br0"), d, true);
        String all = first.toString();
        assertEquals(3, first.size(), all);
        assertTrue(all.contains("{\"op\":\"update\",\"table\":\"Interface\",\"where\":[[\"_uuid\",\"==\",[\"uuid\",\"" + IF + "\"]]]"), all);
        assertTrue(all.contains("\"ofport\":-1") && all.contains("\"error\":\"interface type \\\"x\\\" is not supported\""), all);
        assertTrue(all.contains("\"datapath_id\":\"" + String.format("%016x", d.datapathId("br0")) + "\""), all);
        assertTrue(all.contains("\"cur_cfg\":4") && all.contains("\"iface_types\""), all);
        assertEquals("0000123456789abc", StatusWriter.datapathId(0x123456789abcL), "16 hex digits, as OVS writes it");

        assertEquals(0, w.operations(OVS, 4L, bad, Map.of(BR, "br0"), d, true).size(), "nothing changed: nothing written");
        ArrayNode cfg = w.operations(OVS, 5L, bad, Map.of(BR, "br0"), d, true);
        assertEquals("[{\"op\":\"update\",\"table\":\"Open_vSwitch\",\"where\":[[\"_uuid\",\"==\",[\"uuid\",\"" + OVS + "\"]]],\"row\":{\"cur_cfg\":5}}]",
                cfg.toString());
        List<Reconciler.IfaceResult> fixed = List.of(new Reconciler.IfaceResult(IF, "br0", "p1", -1, null));
        ArrayNode cleared = w.operations(OVS, 5L, fixed, Map.of(BR, "br0"), d, true);
        assertEquals(1, cleared.size());
        assertEquals("{\"error\":[\"set\",[]]}", cleared.get(0).get("row").toString(), "only the error column, emptied");

        w.forget();
        assertEquals(3, w.operations(OVS, 5L, fixed, Map.of(BR, "br0"), d, true).size(), "after a reconnect: everything again");
    }

    @Test
    void theNetdevDatapathRowGetsItsCapabilitiesOnce() {
        String dp = "11111111-2222-3333-4444-888888888888";
        StatusWriter w = new StatusWriter();
        ArrayNode ops = JsonRpc.NODES.arrayNode();
        w.datapath(ops, null);
        assertEquals(0, ops.size(), "no Datapath row: none is made (ovs-vswitchd makes none either)");
        w.datapath(ops, dp);
        assertEquals(1, ops.size());
        String s = ops.get(0).toString();
        assertTrue(s.startsWith("{\"op\":\"update\",\"table\":\"Datapath\",\"where\":[[\"_uuid\",\"==\",[\"uuid\",\"" + dp + "\"]]]"), s);
        assertTrue(s.contains("[\"recirc\",\"true\"]") && s.contains("[\"ct_zero_snat\",\"false\"]") && s.contains("[\"max_vlan_headers\",\"1\"]"), s);
        w.datapath(ops, dp);
        assertEquals(1, ops.size(), "written once");
        w.forget();
        w.datapath(ops, dp);
        assertEquals(2, ops.size(), "again after a reconnect");
    }

    @Test
    void aVhostPortsStatisticsCarryOvsTxRetries(@TempDir Path dir) {
        var vh = new io.xvio.port.VhostUserPort("vh", 1, dir.resolve("vh.sock").toString(),
                io.xvio.vhost.VhostUserEndpoint.Mode.SERVER, 1, true, false, io.xvio.util.Quiescence.NONE, null);
        vh.counters().add(0, io.xvio.port.PortCounters.Counter.TX_RETRIES, 7);
        vh.counters().add(0, io.xvio.port.PortCounters.Counter.TX_DROP_NO_BUFFER, 2);
        Map<String, Long> s = StatusWriter.statistics(vh);
        assertEquals(7L, s.get("ovs_tx_retries"), "OVS-DPDK's key for a vhost port's retries: " + s);
        assertEquals(2L, s.get("tx_dropped"), "retries are not drops: " + s);
    }
}
