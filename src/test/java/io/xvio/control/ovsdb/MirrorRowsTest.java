package io.xvio.control.ovsdb;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xvio.control.MirrorConfig;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Mirror rows as xvio's mirrors: ports named by their interface, select_all/src/dst/vlan, and what is refused. */
class MirrorRowsTest {
    static final String P1 = "00000000-0000-0000-0000-000000000001", P2 = "00000000-0000-0000-0000-000000000002",
            I1 = "00000000-0000-0000-0000-000000000011", I2 = "00000000-0000-0000-0000-000000000012",
            M = "00000000-0000-0000-0000-000000000021";

    private static TableCache db(Map<String, Object> mirror) throws Exception {
        ObjectNode u = JsonRpc.NODES.objectNode();
        u.with("Interface").putObject(I1).putObject("new").put("name", "vm1");
        u.with("Interface").putObject(I2).putObject("new").put("name", "tap0");
        ObjectNode p1 = u.with("Port").putObject(P1).putObject("new").put("name", "port-of-vm1");
        p1.set("interfaces", Datum.uuidRef(I1));
        ObjectNode p2 = u.with("Port").putObject(P2).putObject("new").put("name", "tap0");
        p2.set("interfaces", Datum.uuidRef(I2));
        ObjectNode m = u.with("Mirror").putObject(M).putObject("new").put("name", "m0");
        for (var e : mirror.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Boolean b) m.put(e.getKey(), b);
            else if (v instanceof String s) m.set(e.getKey(), Datum.uuidRef(s));
            else if (v instanceof List<?> l) m.set(e.getKey(), Datum.setOf(l));
        }
        TableCache db = new TableCache();
        db.apply(u);
        return db;
    }

    @Test
    void aMirrorRowNamesPortsByTheirInterface() throws Exception {
        TableCache db = db(Map.of("select_src_port", P1, "select_dst_port", P1, "output_port", P2, "select_vlan", List.of(10, 20)));
        MirrorConfig mc = MirrorRows.config(db, db.row("Mirror", M));
        assertEquals(new MirrorConfig("m0", false, List.of("vm1"), List.of("vm1"), List.of(10, 20), "tap0"), mc);
        db = db(Map.of("select_all", true, "output_port", P2));
        assertTrue(MirrorRows.config(db, db.row("Mirror", M)).selectAll());
    }

    @Test
    void whatXvioCannotDoIsRefusedWithTheReason() throws Exception {
        TableCache db = db(Map.of("select_all", true, "output_vlan", List.of(5)));
        var e = assertThrows(IllegalArgumentException.class, () -> MirrorRows.config(db, db.row("Mirror", M)));
        assertTrue(e.getMessage().contains("output_vlan"), e.getMessage());
        TableCache noOut = db(Map.of("select_all", true));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MirrorRows.config(noOut, noOut.row("Mirror", M))).getMessage().contains("no output_port"));
        TableCache nothing = db(Map.of("output_port", P2));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MirrorRows.config(nothing, nothing.row("Mirror", M))).getMessage().contains("selects nothing"));
    }
}
