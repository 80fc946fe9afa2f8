package io.xvio.control.ovsdb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import net.jqwik.api.*;

import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The monitor's table cache: any sequence of well-formed inserts, modifies and deletes leaves it equal to a plain
 * model of the rows; a malformed update (wrong types anywhere) is refused with a message and changes nothing.
 */
class TableCacheProperties {
    static final List<String> UUIDS = List.of("00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002",
            "00000000-0000-0000-0000-000000000003", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");

    /** One row update: table, uuid, and the new name column (null: delete). */
    record Op(String table, String uuid, String name) {}

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Combinators.combine(Arbitraries.of("Bridge", "Port", "Interface"), Arbitraries.of(UUIDS),
                Arbitraries.strings().alpha().ofMaxLength(5).injectNull(0.3)).as(Op::new);
        return op.list().ofMaxSize(30);
    }

    static ObjectNode update(List<Op> batch) {
        ObjectNode u = JsonRpc.NODES.objectNode();
        for (Op o : batch) {
            ObjectNode ru = JsonRpc.NODES.objectNode();
            if (o.name() == null) ru.putObject("old").put("name", "old");
            else ru.putObject("new").put("name", o.name()).set("ports", Datum.setOf(List.of()));
            ObjectNode t = u.has(o.table()) ? (ObjectNode) u.get(o.table()) : u.putObject(o.table());
            t.set(o.uuid(), ru);
        }
        return u;
    }

    @Property(tries = 500)
    void updatesLeaveTheCacheEqualToTheModel(@ForAll("ops") List<Op> ops, @ForAll @net.jqwik.api.constraints.IntRange(min = 1, max = 5) int batch) throws Exception {
        TableCache cache = new TableCache();
        Map<String, Map<String, String>> model = new HashMap<>();
        for (int i = 0; i < ops.size(); i += batch) {
            List<Op> b = ops.subList(i, Math.min(ops.size(), i + batch));
            cache.apply(update(b));
            // within one update a later row update of the same row wins (JSON object: last key)
            Map<String, Op> last = new LinkedHashMap<>();
            for (Op o : b) last.put(o.table() + "/" + o.uuid(), o);
            for (Op o : last.values()) {
                Map<String, String> t = model.computeIfAbsent(o.table(), k -> new HashMap<>());
                if (o.name() == null) t.remove(o.uuid());
                else t.put(o.uuid(), o.name());
            }
        }
        for (String table : List.of("Bridge", "Port", "Interface")) {
            Map<String, String> want = model.getOrDefault(table, Map.of());
            Map<String, String> got = new HashMap<>();
            for (TableCache.Row r : cache.rows(table)) got.put(r.uuid(), Datum.string(r.get("name"), "name"));
            assertEquals(want, got, table);
        }
    }

    @Provide
    Arbitrary<JsonNode> junk() {
        Arbitrary<JsonNode> leaf = Arbitraries.oneOf(Arbitraries.integers().map(i -> (JsonNode) JsonRpc.NODES.numberNode(i)),
                Arbitraries.strings().ofMaxLength(4).map(s -> (JsonNode) JsonRpc.NODES.textNode(s)), Arbitraries.just(JsonRpc.NODES.nullNode()),
                Arbitraries.just(JsonRpc.NODES.arrayNode().add(1)));
        return Arbitraries.recursive(() -> leaf, inner -> Combinators.combine(
                Arbitraries.of("Bridge", "old", "new", UUIDS.getFirst(), "x"), inner, inner).as((k, v, w) -> {
                    ObjectNode o = JsonRpc.NODES.objectNode();
                    o.set(k, v);
                    o.set(k + "2", w);
                    return (JsonNode) o;
                }), 0, 4);
    }

    @Property(tries = 2000)
    void aMalformedUpdateIsRefusedWholeWithAReason(@ForAll("junk") JsonNode junk) throws Exception {
        TableCache cache = new TableCache();
        cache.apply(update(List.of(new Op("Bridge", UUIDS.get(1), "br0"))));
        try {
            cache.apply(junk);
        } catch (OvsdbException e) {
            assertFalse(e.getMessage().isBlank());
            assertEquals(1, cache.size(), "nothing of a refused update applied");
            assertEquals("br0", Datum.string(cache.row("Bridge", UUIDS.get(1)).get("name"), "name"));
        }
    }

    @Example
    void wrongShapesAreNamed() {
        TableCache cache = new TableCache();
        OvsdbException e = assertThrows(OvsdbException.class, () -> cache.apply(JsonRpc.NODES.arrayNode()));
        assertTrue(e.getMessage().startsWith("table updates are not an object"), e.getMessage());
        ObjectNode u = JsonRpc.NODES.objectNode();
        u.putObject("Bridge").putObject("not-a-uuid").putObject("new");
        e = assertThrows(OvsdbException.class, () -> cache.apply(u));
        assertTrue(e.getMessage().contains("is not a row UUID"), e.getMessage());
        ObjectNode v = JsonRpc.NODES.objectNode();
        v.putObject("Bridge").putObject(UUIDS.getFirst()).put("new", 3);
        e = assertThrows(OvsdbException.class, () -> cache.apply(v));
        assertTrue(e.getMessage().contains("\"new\" is not an object"), e.getMessage());
    }
}
