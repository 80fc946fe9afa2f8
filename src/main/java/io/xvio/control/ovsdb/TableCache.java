package io.xvio.control.ovsdb;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.*;

/**
 * The rows a monitor reports, by table and UUID, kept current by the table updates of RFC 7047 section 4.1.6:
 * {table: {uuid: {"old": row, "new": row}}}; "new" carries every monitored column (initial, insert, modify),
 * no "new" deletes the row. An update is checked whole before any of it is applied.
 */
public final class TableCache {
    /** One row's monitored columns (raw OVSDB JSON values). */
    public record Row(String uuid, Map<String, JsonNode> columns) {
        public JsonNode get(String column) { return columns.get(column); }
    }

    private final Map<String, Map<String, Row>> tables = new HashMap<>();

    public void clear() { tables.clear(); }

    public Collection<Row> rows(String table) {
        return tables.getOrDefault(table, Map.of()).values();
    }

    public Row row(String table, String uuid) {
        return tables.getOrDefault(table, Map.of()).get(uuid);
    }

    public int size() {
        int n = 0;
        for (var t : tables.values()) n += t.size();
        return n;
    }

    /** Applies a table-updates object; on a malformed one changes nothing and says what is wrong. */
    public void apply(JsonNode updates) throws OvsdbException {
        if (updates == null || !updates.isObject()) throw new OvsdbException("table updates are not an object: " + JsonRpc.brief(updates));
        record Change(String table, String uuid, Row row) {}
        List<Change> changes = new ArrayList<>();
        for (var t : updates.properties()) {
            String table = t.getKey();
            if (!t.getValue().isObject()) throw new OvsdbException("table updates of " + table + " are not an object: " + JsonRpc.brief(t.getValue()));
            for (var r : t.getValue().properties()) {
                String uuid = r.getKey();
                if (!Datum.validUuid(uuid)) throw new OvsdbException("table " + table + ": \"" + JsonRpc.brief(JsonRpc.NODES.textNode(uuid)) + "\" is not a row UUID");
                JsonNode u = r.getValue();
                if (!u.isObject()) throw new OvsdbException(table + " row " + uuid + ": row update is not an object: " + JsonRpc.brief(u));
                JsonNode old = u.get("old"), neu = u.get("new");
                if (old != null && !old.isObject()) throw new OvsdbException(table + " row " + uuid + ": \"old\" is not an object");
                if (neu != null && !neu.isObject()) throw new OvsdbException(table + " row " + uuid + ": \"new\" is not an object");
                if (old == null && neu == null) throw new OvsdbException(table + " row " + uuid + ": row update has neither \"old\" nor \"new\"");
                Row row = null;
                if (neu != null) {
                    Map<String, JsonNode> cols = new HashMap<>();
                    for (var c : neu.properties()) cols.put(c.getKey(), c.getValue());
                    row = new Row(uuid, Map.copyOf(cols));
                }
                changes.add(new Change(table, uuid, row));
            }
        }
        for (Change c : changes) {
            if (c.row() == null) {
                Map<String, Row> t = tables.get(c.table());
                if (t != null) t.remove(c.uuid());
            } else {
                tables.computeIfAbsent(c.table(), k -> new LinkedHashMap<>()).put(c.uuid(), c.row());
            }
        }
    }
}
