package io.xvio.control.ovsdb;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Splits a byte stream into JSON-RPC messages. RFC 7047 frames nothing: a peer writes one JSON object after the
 * other, so the stream is parsed value by value. A value that is not JSON, not an object, or is nested or long
 * beyond the limits is an {@link OvsdbException} (the caller drops the connection).
 */
public final class MessageReader {
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).maxStringLength(1 << 20)
                    .maxNumberLength(100).build())
            .build();
    private final JsonParser parser;

    public MessageReader(InputStream in) throws IOException {
        // RFC 7047 peers speak UTF-8; a Reader also spares the parser's encoding detection, which blocks for bytes
        this.parser = FACTORY.createParser(new InputStreamReader(in, StandardCharsets.UTF_8));
        parser.setCodec(JsonRpc.MAPPER);
    }

    /** The next message, or null at the end of the stream. */
    public JsonRpc.Message next() throws IOException, OvsdbException {
        JsonNode n;
        try {
            JsonToken t = parser.nextToken();
            if (t == null) return null;
            if (t != JsonToken.START_OBJECT) throw new OvsdbException("JSON-RPC message is not an object (starts with " + t + ")");
            n = parser.readValueAsTree();
        } catch (JsonProcessingException e) {
            throw new OvsdbException("malformed JSON: " + e.getOriginalMessage());
        }
        if (n == null) return null;
        return JsonRpc.decode(n);
    }
}
