package io.xvio.control;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Serves {@code GET /metrics} in the Prometheus text format over HTTP (the JDK's server: no dependency). Each scrape
 * reads the counters afresh on one of two daemon threads; PMD threads are never asked for anything. Requests are
 * untrusted: anything but GET or HEAD of {@code /metrics} or {@code /} gets an error status; a request that takes
 * longer than 10 s is cut off, so a slow client cannot hold the server.
 */
final class MetricsServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.metrics");
    static {
        // read once by the JDK's server: bound how long one request may take to arrive and to be answered
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) System.setProperty("sun.net.httpserver.maxReqTime", "10");
        if (System.getProperty("sun.net.httpserver.maxRspTime") == null) System.setProperty("sun.net.httpserver.maxRspTime", "10");
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final Supplier<String> metrics;

    /** Listens on address (see {@link #address}) and serves what metrics returns at each scrape. */
    MetricsServer(String address, Supplier<String> metrics) {
        this.metrics = metrics;
        InetSocketAddress at = address(address);
        try {
            server = HttpServer.create(at, 16);
        } catch (IOException e) {
            throw new ConfigException("cannot serve metrics on " + address + ": " + e.getMessage());
        }
        AtomicInteger n = new AtomicInteger();
        executor = Executors.newFixedThreadPool(2, r -> Thread.ofPlatform().daemon().name("metrics-" + n.getAndIncrement()).unstarted(r));
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    void start() {
        server.start();
        LOG.info("metrics on http://" + hostPort(server.getAddress()) + "/metrics");
    }

    /** HOST:PORT or [IPV6]:PORT, PORT 1-65535; throws IllegalArgumentException saying what is wrong. */
    static InetSocketAddress address(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) throw new IllegalArgumentException("\"" + text + "\" is not HOST:PORT (e.g. 127.0.0.1:9475)");
        String host = text.substring(0, colon), port = text.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        else if (host.contains(":")) throw new IllegalArgumentException("\"" + text + "\": write an IPv6 address in brackets, e.g. [::1]:9475");
        if (host.isEmpty() || !host.matches("[A-Za-z0-9.:%_-]+")) throw new IllegalArgumentException("\"" + text + "\": bad host \"" + host + "\"");
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            p = -1;
        }
        if (p < 1 || p > 65535) throw new IllegalArgumentException("\"" + text + "\": port must be 1-65535, not \"" + port + "\"");
        InetSocketAddress a = new InetSocketAddress(host, p);
        if (a.isUnresolved()) throw new IllegalArgumentException("\"" + text + "\": cannot resolve host " + host);
        return a;
    }

    private static String hostPort(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    /** The address it listens on (with the real port when 0 was asked). */
    InetSocketAddress boundAddress() { return server.getAddress(); }

    private void handle(HttpExchange ex) {
        try (ex) {
            String method = ex.getRequestMethod(), path = ex.getRequestURI().getPath();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                reply(ex, 405, "text/plain; charset=utf-8", "only GET and HEAD\n");
            } else if ("/metrics".equals(path)) {
                String body;
                try {
                    body = metrics.get();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "metrics: cannot read the counters", e);
                    reply(ex, 500, "text/plain; charset=utf-8", "cannot read the counters: " + e + "\n");
                    return;
                }
                reply(ex, 200, PrometheusText.CONTENT_TYPE, body);
            } else if ("/".equals(path)) {
                reply(ex, 200, "text/plain; charset=utf-8", "xvio: Prometheus metrics at /metrics\n");
            } else {
                reply(ex, 404, "text/plain; charset=utf-8", "not found (metrics are at /metrics)\n");
            }
        } catch (IOException e) {
            LOG.fine("metrics: client " + ex.getRemoteAddress() + ": " + e.getMessage());
        }
    }

    private static void reply(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
