package io.xvio.control.ovsdb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON-RPC 1.0 messages of RFC 7047 (section 4): a request has a method, params (an array) and an id; a
 * notification is a request whose id is null; a response has result, error and the id it answers. {@link #decode}
 * checks a received value's shape and says what is wrong with it.
 */
public final class JsonRpc {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private JsonRpc() {}

    public sealed interface Message permits Request, Notification, Response {}

    public record Request(JsonNode id, String method, ArrayNode params) implements Message {}

    public record Notification(String method, ArrayNode params) implements Message {}

    /** error is null (JSON null) on success; result is null on failure. */
    public record Response(JsonNode id, JsonNode result, JsonNode error) implements Message {
        public boolean ok() { return error == null || error.isNull(); }
    }

    public static Message decode(JsonNode n) throws OvsdbException {
        if (n == null || !n.isObject()) throw new OvsdbException("JSON-RPC message is not an object: " + brief(n));
        JsonNode method = n.get("method");
        if (method != null) {
            if (!method.isTextual()) throw new OvsdbException("JSON-RPC \"method\" is not a string: " + brief(n));
            JsonNode params = n.get("params");
            if (params == null || !params.isArray()) throw new OvsdbException("JSON-RPC request \"" + method.asText() + "\" has no params array: " + brief(n));
            JsonNode id = n.get("id");
            if (id == null) throw new OvsdbException("JSON-RPC request \"" + method.asText() + "\" has no id: " + brief(n));
            if (id.isNull()) return new Notification(method.asText(), (ArrayNode) params);
            return new Request(id, method.asText(), (ArrayNode) params);
        }
        JsonNode id = n.get("id");
        if (id == null || id.isNull()) throw new OvsdbException("JSON-RPC message has neither a method nor an id: " + brief(n));
        if (!n.has("result") && !n.has("error")) throw new OvsdbException("JSON-RPC response has neither result nor error: " + brief(n));
        JsonNode error = n.get("error");
        return new Response(id, n.get("result"), error == null || error.isNull() ? null : error);
    }

    public static ObjectNode request(long id, String method, JsonNode... params) {
        ObjectNode o = NODES.objectNode();
        o.put("method", method);
        ArrayNode p = o.putArray("params");
        for (JsonNode x : params) p.add(x);
        o.put("id", id);
        return o;
    }

    public static ObjectNode response(JsonNode id, JsonNode result) {
        ObjectNode o = NODES.objectNode();
        o.set("result", result);
        o.putNull("error");
        o.set("id", id);
        return o;
    }

    public static ObjectNode errorResponse(JsonNode id, String error) {
        ObjectNode o = NODES.objectNode();
        o.putNull("result");
        o.put("error", error);
        o.set("id", id);
        return o;
    }

    /** A message shortened for a log line. */
    static String brief(JsonNode n) {
        String s = String.valueOf(n);
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
