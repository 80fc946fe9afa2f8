package io.xvio.control;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonWriteFeature;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The control socket's wire format, framed so that an argument is always exactly one argument.
 * <pre>
 * request: LENGTH "\n" BODY         BODY: LENGTH bytes of a JSON array of strings, ["add-flow","br0","..."]
 * reply:   ("OK" | "ERROR") " " LENGTH "\n" TEXT      TEXT: LENGTH bytes of UTF-8 (the output, or the error)
 * </pre>
 * LENGTH is a decimal byte count. The request's length comes first so the daemon can refuse one that is too
 * long before reading it, and reads the body as a stream (a string at a time, never the whole buffer).
 */
final class ControlProtocol {
    /** Longest "LENGTH\n" or "ERROR LENGTH\n" line. */
    static final int MAX_HEADER = 32;
    /** Longest reply a client accepts. */
    static final int MAX_REPLY = 1 << 30;
    /** Non-ASCII characters go out as \\uXXXX escapes: any Java string, lone surrogates too, round-trips. */
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(4).build())
            .build();

    /** A request or reply that does not follow the format; the message says how. */
    static final class FrameException extends Exception {
        FrameException(String message) { super(message); }
    }

    private ControlProtocol() {}

    static byte[] encodeRequest(List<String> args) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(body)) {
            g.writeStartArray();
            for (String a : args) g.writeString(a);
            g.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] head = (body.size() + "\n").getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream(head.length + body.size());
        out.writeBytes(head);
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    /** The declared length of the request's body. EOFException if the stream ends before the first byte. */
    static long readRequestHeader(InputStream in) throws IOException, FrameException {
        String line = readLine(in, "request");
        if (!line.matches("[0-9]{1,18}"))
            throw new FrameException("malformed request: expected a byte count and a newline, got \"" + Logging.excerpt(line, 40) + "\"");
        return Long.parseLong(line);
    }

    /** Reads exactly length bytes and parses them as a JSON array of strings. */
    static List<String> readRequestBody(InputStream in, long length) throws IOException, FrameException {
        Bounded body = new Bounded(in, length);
        List<String> args = new ArrayList<>();
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_ARRAY) throw new FrameException("malformed request: the body is not a JSON array");
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                if (t != JsonToken.VALUE_STRING)
                    throw new FrameException("malformed request: argument " + (args.size() + 1) + " is not a string");
                args.add(p.getText());
            }
            if (p.nextToken() != null) throw new FrameException("malformed request: data after the JSON array");
        } catch (JsonProcessingException e) {
            if (body.cutShort) throw new FrameException("request cut short: " + body.read + " of " + length + " bytes");
            throw new FrameException("malformed request: " + e.getOriginalMessage() + " (at byte " + e.getLocation().getByteOffset() + ")");
        } catch (java.io.CharConversionException e) {
            // Jackson guesses the encoding from the first bytes; ones that look like a UTF-32 it cannot read land here
            if (body.cutShort) throw new FrameException("request cut short: " + body.read + " of " + length + " bytes");
            throw new FrameException("malformed request: not UTF-8 JSON (" + e.getMessage() + ")");
        }
        if (body.cutShort) throw new FrameException("request cut short: " + body.read + " of " + length + " bytes");
        return args;
    }

    static byte[] encodeReply(boolean ok, String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        byte[] head = ((ok ? "OK " : "ERROR ") + t.length + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[head.length + t.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(t, 0, out, head.length, t.length);
        return out;
    }

    static ControlClient.Reply readReply(InputStream in) throws IOException, FrameException {
        String line = readLine(in, "reply");
        boolean ok = line.startsWith("OK ");
        String n = ok ? line.substring(3) : line.startsWith("ERROR ") ? line.substring(6) : null;
        if (n == null || !n.matches("[0-9]{1,10}") || Long.parseLong(n) > MAX_REPLY)
            throw new FrameException("malformed reply from the daemon: \"" + Logging.excerpt(line, 40) + "\"");
        int len = Integer.parseInt(n);
        byte[] text = in.readNBytes(len);
        if (text.length < len) throw new FrameException("the daemon's reply was cut short: " + text.length + " of " + len + " bytes");
        return new ControlClient.Reply(ok, new String(text, StandardCharsets.UTF_8));
    }

    /** A line of at most MAX_HEADER bytes, without its newline. */
    private static String readLine(InputStream in, String what) throws IOException, FrameException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (sb.isEmpty()) throw new EOFException("no " + what);
                throw new FrameException(what + " cut short in its header: \"" + Logging.excerpt(sb.toString(), 40) + "\"");
            }
            if (b == '\n') return sb.toString();
            sb.append((char) b);
            if (sb.length() > MAX_HEADER)
                throw new FrameException("malformed " + what + ": expected a byte count and a newline, got \"" + Logging.excerpt(sb.toString(), 40) + "\"");
        }
    }

    /** At most limit bytes of in; remembers whether in ended before them. */
    private static final class Bounded extends InputStream {
        private final InputStream in;
        private final long limit;
        long read;
        boolean cutShort;

        Bounded(InputStream in, long limit) {
            this.in = in;
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (read >= limit) return -1;
            int n = in.read(b, off, (int) Math.min(len, limit - read));
            if (n < 0) {
                cutShort = true;
                return -1;
            }
            read += n;
            return n;
        }
    }
}
