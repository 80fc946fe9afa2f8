package io.xvio.control.ovsdb;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * One JSON-RPC session with a database. A reader thread parses what arrives: responses complete the future of
 * their request, "echo" requests are answered at once, notifications (monitor updates) go to the listener, and
 * anything malformed closes the session with the reason. {@link #call} sends a request; writes are serialised.
 */
public final class JsonRpcConnection implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.ovsdb");

    /** What the reader thread reports: a notification, or the end of the session (why). */
    public sealed interface Event permits Notified, Closed {}
    public record Notified(JsonRpc.Notification notification) implements Event {}
    public record Closed(String reason) implements Event {}

    private final SocketChannel channel;
    private final OutputStream out;
    private final Consumer<Event> listener;
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final Thread reader;
    private volatile long lastReceived = System.nanoTime();
    private volatile boolean closed;

    private JsonRpcConnection(SocketChannel channel, Consumer<Event> listener, String name) {
        this.channel = channel;
        this.out = Channels.newOutputStream(channel);
        this.listener = listener;
        this.reader = Thread.ofPlatform().daemon().name(name).unstarted(this::read);
    }

    /** Connects and starts reading; events go to listener (from the reader thread). */
    public static JsonRpcConnection open(OvsdbRemote remote, Consumer<Event> listener) throws IOException {
        JsonRpcConnection c = new JsonRpcConnection(remote.connect(), listener, "ovsdb-reader");
        c.reader.start();
        return c;
    }

    /** Over an already connected channel (tests). */
    static JsonRpcConnection over(SocketChannel channel, Consumer<Event> listener) {
        JsonRpcConnection c = new JsonRpcConnection(channel, listener, "ovsdb-reader");
        c.reader.start();
        return c;
    }

    public long lastReceivedNanos() { return lastReceived; }

    public boolean isClosed() { return closed; }

    /** Sends a request; the future completes with its result, or exceptionally with the error or the session's end. */
    public CompletableFuture<JsonNode> call(String method, JsonNode... params) {
        long id = ids.incrementAndGet();
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        try {
            send(JsonRpc.request(id, method, params));
        } catch (IOException e) {
            pending.remove(id);
            f.completeExceptionally(e);
        }
        if (closed && pending.remove(id) != null) f.completeExceptionally(new IOException("connection closed"));
        return f;
    }

    /** call() and wait up to timeout for the result. */
    public JsonNode callAndWait(String method, long timeoutMillis, JsonNode... params) throws IOException, OvsdbException {
        try {
            return call(method, params).get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IOException(method + ": no reply in " + timeoutMillis + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(method + ": interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof OvsdbException o) throw o;
            if (e.getCause() instanceof IOException io) throw io;
            throw new IOException(method + ": " + e.getCause());
        }
    }

    private void send(JsonNode message) throws IOException {
        byte[] bytes = JsonRpc.MAPPER.writeValueAsString(message).getBytes(StandardCharsets.UTF_8);
        synchronized (out) {
            out.write(bytes);
            out.flush();
        }
    }

    private void read() {
        String reason = "closed by the peer";
        try {
            MessageReader in = new MessageReader(Channels.newInputStream(channel));
            JsonRpc.Message m;
            while ((m = in.next()) != null) {
                lastReceived = System.nanoTime();
                switch (m) {
                    case JsonRpc.Response r -> {
                        CompletableFuture<JsonNode> f = r.id().canConvertToLong() ? pending.remove(r.id().asLong()) : null;
                        if (f == null) throw new OvsdbException("response to an unknown request id " + r.id());
                        if (r.ok()) f.complete(r.result());
                        else f.completeExceptionally(new OvsdbException(describeError(r.error())));
                    }
                    case JsonRpc.Request q -> {
                        if (q.method().equals("echo")) send(JsonRpc.response(q.id(), q.params()));
                        else {
                            LOG.warning("ovsdb: request \"" + q.method() + "\" from the database not supported: answered with an error");
                            send(JsonRpc.errorResponse(q.id(), "unknown method"));
                        }
                    }
                    case JsonRpc.Notification n -> listener.accept(new Notified(n));
                }
            }
        } catch (OvsdbException e) {
            reason = e.getMessage();
        } catch (IOException e) {
            reason = closed ? "closed" : e.getMessage() == null ? e.toString() : e.getMessage();
        } catch (RuntimeException e) {
            reason = "internal error reading the connection: " + e;
        }
        shutdown();
        for (var f : pending.values()) f.completeExceptionally(new IOException("connection closed: " + reason));
        pending.clear();
        listener.accept(new Closed(reason));
    }

    /** An RFC 7047 error: a string, or an object with "error" and "details". */
    static String describeError(JsonNode e) {
        if (e.isTextual()) return e.asText();
        if (e.isObject() && e.has("error")) return e.get("error").asText() + (e.has("details") ? ": " + e.get("details").asText() : "");
        return JsonRpc.brief(e);
    }

    private void shutdown() {
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
        }
    }

    @Override
    public void close() {
        shutdown();
        if (Thread.currentThread() != reader) {
            try {
                reader.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
