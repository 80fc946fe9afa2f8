package io.xvio.control.ovsdb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import net.jqwik.api.*;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The JSON-RPC framing and codec on arbitrary bytes (messages, or a clear OvsdbException; never another
 * exception), on near-JSON text, and on generated valid streams (concatenated without separators, as RFC 7047
 * peers write them: every message read back as sent).
 */
class JsonRpcProperties {

    /** Reads the whole stream; returns the messages, or the OvsdbException's message as the last element. */
    static List<Object> readAll(byte[] bytes) {
        List<Object> out = new ArrayList<>();
        try {
            MessageReader r = new MessageReader(new ByteArrayInputStream(bytes));
            JsonRpc.Message m;
            while ((m = r.next()) != null) out.add(m);
        } catch (OvsdbException e) {
            assertNotNull(e.getMessage());
            assertFalse(e.getMessage().isBlank());
            out.add(e.getMessage());
        } catch (IOException e) {
            fail("a byte array cannot fail to read: " + e);
        }
        return out;
    }

    @Property(tries = 2000)
    void anyBytesGiveMessagesOrAClearError(@ForAll byte[] bytes) {
        readAll(bytes);
    }

    @Provide
    Arbitrary<String> nearJson() {
        Arbitrary<String> piece = Arbitraries.of("{", "}", "[", "]", ",", ":", "\"method\"", "\"params\"", "\"id\"", "\"result\"",
                "\"error\"", "\"echo\"", "\"update\"", "null", "1", "-7", "1e999", "\"x\"", "true", "\"\\u0000\"", "\"uuid\"", " ", "\n");
        return piece.list().ofMaxSize(40).map(l -> String.join("", l));
    }

    @Property(tries = 3000)
    void nearJsonTextGivesMessagesOrAClearError(@ForAll("nearJson") String text) {
        readAll(text.getBytes(StandardCharsets.UTF_8));
    }

    @Provide
    Arbitrary<List<JsonNode>> messages() {
        Arbitrary<String> strings = Arbitraries.strings().ofMaxLength(12);
        Arbitrary<Long> ids = Arbitraries.longs().between(0, Long.MAX_VALUE);
        Arbitrary<JsonNode> req = Combinators.combine(ids, strings.filter(s -> !s.isEmpty()), strings.list().ofMaxSize(3))
                .as((id, m, ps) -> JsonRpc.request(id, m, ps.stream().map(p -> (JsonNode) JsonRpc.NODES.textNode(p)).toArray(JsonNode[]::new)));
        Arbitrary<JsonNode> resp = Combinators.combine(ids, strings).as((id, r) -> JsonRpc.response(JsonRpc.NODES.numberNode(id), JsonRpc.NODES.textNode(r)));
        Arbitrary<JsonNode> err = Combinators.combine(ids, strings).as((id, e) -> JsonRpc.errorResponse(JsonRpc.NODES.numberNode(id), e));
        return Arbitraries.oneOf(req, resp, err).list().ofMaxSize(8);
    }

    @Property(tries = 500)
    void concatenatedMessagesAreReadBackAsSent(@ForAll("messages") List<JsonNode> sent) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (JsonNode m : sent) sb.append(JsonRpc.MAPPER.writeValueAsString(m));
        List<Object> got = readAll(sb.toString().getBytes(StandardCharsets.UTF_8));
        assertEquals(sent.size(), got.size(), () -> "read " + got);
        // compared as parsed: JSON does not keep the sender's number types (a long 0 reads back as an int 0)
        for (int i = 0; i < sent.size(); i++)
            assertEquals(JsonRpc.decode(JsonRpc.MAPPER.readTree(JsonRpc.MAPPER.writeValueAsString(sent.get(i)))), got.get(i));
    }

    @Example
    void malformedMessagesSayWhatIsWrong() {
        assertEquals(List.of("JSON-RPC message is not an object (starts with START_ARRAY)"), readAll("[1,2]".getBytes()));
        assertTrue(((String) readAll("{\"method\":1,\"params\":[],\"id\":1}".getBytes()).getFirst()).startsWith("JSON-RPC \"method\" is not a string"));
        assertTrue(((String) readAll("{\"method\":\"echo\",\"id\":1}".getBytes()).getFirst()).contains("has no params array"));
        assertTrue(((String) readAll("{\"id\":5}".getBytes()).getFirst()).contains("neither result nor error"));
        assertTrue(((String) readAll("{\"result\":1}".getBytes()).getFirst()).contains("neither a method nor an id"));
        assertTrue(((String) readAll("{\"id\":1,\"result\":".getBytes()).getFirst()).startsWith("malformed JSON"));
        assertTrue(((String) readAll("{\"id\":1,\"result\":1}}".getBytes()).getLast()).startsWith("malformed JSON"));
        String deep = "{\"a\":" + "[".repeat(200) + "]".repeat(200) + "}";
        assertTrue(((String) readAll(deep.getBytes()).getFirst()).startsWith("malformed JSON"), "nesting is limited");
    }

    @Example
    void anEchoRequestAndANotificationAreToldApart() throws Exception {
        List<Object> got = readAll("{\"method\":\"echo\",\"params\":[],\"id\":\"echo\"}{\"method\":\"update\",\"params\":[\"x\",{}],\"id\":null}".getBytes());
        assertInstanceOf(JsonRpc.Request.class, got.get(0));
        JsonRpc.Notification n = assertInstanceOf(JsonRpc.Notification.class, got.get(1));
        assertEquals("update", n.method());
        assertEquals(2, n.params().size());
        ArrayNode p = JsonRpc.NODES.arrayNode();
        assertEquals(p, JsonRpc.request(1, "echo").get("params"));
    }
}
