package io.xvio.control.ovsdb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;

import java.util.*;

/**
 * OVSDB values in JSON (RFC 7047 section 5.1): atoms (integer, real, boolean, string, ["uuid", U]), sets (one
 * atom, or ["set", [atoms]]) and maps (["map", [[key, value], ...]]). The readers check the shape the schema
 * gives a column and name the column in their errors; the writers build values for transactions.
 */
public final class Datum {
    private Datum() {}

    /** The atoms of a set column (a lone atom is a set of one). */
    public static List<JsonNode> set(JsonNode v, String column) throws OvsdbException {
        if (v == null || v.isNull()) return List.of();
        if (v.isArray() && v.size() == 2 && v.get(0).isTextual() && v.get(0).asText().equals("set")) {
            if (!v.get(1).isArray()) throw new OvsdbException(column + ": [\"set\", ...] needs an array of atoms: " + JsonRpc.brief(v));
            List<JsonNode> out = new ArrayList<>();
            for (JsonNode a : v.get(1)) out.add(atom(a, column));
            return out;
        }
        return List.of(atom(v, column));
    }

    private static JsonNode atom(JsonNode a, String column) throws OvsdbException {
        if (a.isNumber() || a.isTextual() || a.isBoolean()) return a;
        if (a.isArray() && a.size() == 2 && a.get(0).isTextual() && a.get(1).isTextual()
                && (a.get(0).asText().equals("uuid") || a.get(0).asText().equals("named-uuid"))) return a;
        throw new OvsdbException(column + ": not an OVSDB atom: " + JsonRpc.brief(a));
    }

    /** A string column (a set of exactly one string). */
    public static String string(JsonNode v, String column) throws OvsdbException {
        String s = optionalString(v, column);
        if (s == null) throw new OvsdbException(column + ": missing");
        return s;
    }

    /** A string set of at most one element; null when empty. */
    public static String optionalString(JsonNode v, String column) throws OvsdbException {
        List<JsonNode> s = set(v, column);
        if (s.isEmpty()) return null;
        if (s.size() > 1 || !s.getFirst().isTextual()) throw new OvsdbException(column + ": expected a string: " + JsonRpc.brief(v));
        return s.getFirst().asText();
    }

    /** An integer set of at most one element; null when empty. */
    public static Long optionalInteger(JsonNode v, String column) throws OvsdbException {
        List<JsonNode> s = set(v, column);
        if (s.isEmpty()) return null;
        if (s.size() > 1 || !s.getFirst().isIntegralNumber() || !s.getFirst().canConvertToLong())
            throw new OvsdbException(column + ": expected an integer: " + JsonRpc.brief(v));
        return s.getFirst().asLong();
    }

    /** A set of integers. */
    public static List<Long> integers(JsonNode v, String column) throws OvsdbException {
        List<Long> out = new ArrayList<>();
        for (JsonNode a : set(v, column)) {
            if (!a.isIntegralNumber() || !a.canConvertToLong()) throw new OvsdbException(column + ": expected integers: " + JsonRpc.brief(v));
            out.add(a.asLong());
        }
        return out;
    }

    /** A set of row references (["uuid", U]); returns the UUID strings. */
    public static List<String> uuids(JsonNode v, String column) throws OvsdbException {
        List<String> out = new ArrayList<>();
        for (JsonNode a : set(v, column)) out.add(uuid(a, column));
        return out;
    }

    public static String uuid(JsonNode a, String column) throws OvsdbException {
        if (a.isArray() && a.size() == 2 && "uuid".equals(a.get(0).asText()) && a.get(1).isTextual() && validUuid(a.get(1).asText()))
            return a.get(1).asText();
        throw new OvsdbException(column + ": expected [\"uuid\", UUID]: " + JsonRpc.brief(a));
    }

    public static boolean validUuid(String s) {
        return s.matches("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    }

    /** A map column with string keys and string values. */
    public static Map<String, String> stringMap(JsonNode v, String column) throws OvsdbException {
        if (v == null || v.isNull()) return Map.of();
        if (!(v.isArray() && v.size() == 2 && "map".equals(v.get(0).asText()) && v.get(1).isArray()))
            throw new OvsdbException(column + ": expected [\"map\", [[key, value], ...]]: " + JsonRpc.brief(v));
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode kv : v.get(1)) {
            if (!kv.isArray() || kv.size() != 2 || !kv.get(0).isTextual() || !kv.get(1).isTextual())
                throw new OvsdbException(column + ": map entries must be [string, string]: " + JsonRpc.brief(kv));
            out.put(kv.get(0).asText(), kv.get(1).asText());
        }
        return out;
    }

    /** A map column with string keys and uuid values (Open_vSwitch datapaths). */
    public static Map<String, String> uuidMap(JsonNode v, String column) throws OvsdbException {
        if (v == null || v.isNull()) return Map.of();
        if (!(v.isArray() && v.size() == 2 && "map".equals(v.get(0).asText()) && v.get(1).isArray()))
            throw new OvsdbException(column + ": expected [\"map\", [[key, value], ...]]: " + JsonRpc.brief(v));
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode kv : v.get(1)) {
            if (!kv.isArray() || kv.size() != 2 || !kv.get(0).isTextual())
                throw new OvsdbException(column + ": map entries must be [string, [\"uuid\", UUID]]: " + JsonRpc.brief(kv));
            out.put(kv.get(0).asText(), uuid(kv.get(1), column));
        }
        return out;
    }

    // ---- writers ----

    public static ArrayNode uuidRef(String uuid) {
        return JsonRpc.NODES.arrayNode().add("uuid").add(uuid);
    }

    /** A set of strings or numbers (Strings, Longs, Integers). */
    public static ArrayNode setOf(Collection<?> atoms) {
        ArrayNode a = JsonRpc.NODES.arrayNode();
        for (Object o : atoms) {
            if (o instanceof Number n) a.add(n.longValue());
            else a.add(o.toString());
        }
        return JsonRpc.NODES.arrayNode().add("set").add(a);
    }

    public static ArrayNode emptySet() { return setOf(List.of()); }

    /** A map whose values are strings or integers. */
    public static ArrayNode mapOf(Map<String, ?> m) {
        ArrayNode pairs = JsonRpc.NODES.arrayNode();
        for (var e : m.entrySet()) {
            ArrayNode kv = JsonRpc.NODES.arrayNode().add(e.getKey());
            if (e.getValue() instanceof Number n) kv.add(n.longValue());
            else kv.add(e.getValue().toString());
            pairs.add(kv);
        }
        return JsonRpc.NODES.arrayNode().add("map").add(pairs);
    }
}
