package io.xvio.control;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

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
 * Serves {@code GET /metrics} with the Prometheus Java client's HTTP server (the JDK's server underneath): the
 * Prometheus text format (0.0.4), or OpenMetrics text when the scraper asks for it (Prometheus does), gzip when it
 * accepts it. One collector reads xvio's counters afresh at each scrape on one of two daemon threads; PMD threads
 * are never asked for anything and keep their counters where they are. Requests are untrusted: methods other
 * than GET and HEAD get 405, paths other than {@code /metrics} and {@code /} 404, and a request that takes longer
 * than 10 s is cut off, so a slow client cannot hold the server. A scrape whose reading fails is logged here and
 * answered 500 by the client's handler (with the exception's stack trace as the body).
 */
final class MetricsServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.metrics");
    static {
        // read once by the JDK's server (the client's HTTPServer sets 60 s and 600 s unless set): bound how long
        // one request may take to arrive and to be answered
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) System.setProperty("sun.net.httpserver.maxReqTime", "10");
        if (System.getProperty("sun.net.httpserver.maxRspTime") == null) System.setProperty("sun.net.httpserver.maxRspTime", "10");
    }

    private final HTTPServer server;
    private final InetSocketAddress address;
    private final Supplier<MetricSnapshots> metrics;

    /** Listens on address (see {@link #address}) and serves what metrics returns at each scrape; starts serving at once. */
    MetricsServer(String address, Supplier<MetricSnapshots> metrics) {
        this.metrics = metrics;
        InetSocketAddress at = address(address);
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register((MultiCollector) this::collect);
        AtomicInteger n = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> Thread.ofPlatform().daemon().name("metrics-" + n.getAndIncrement()).unstarted(r));
        try {
            server = HTTPServer.builder(PrometheusProperties.builder().build())   // its defaults, not a properties file's
                    .inetAddress(at.getAddress()).port(at.getPort())
                    .registry(registry).executorService(executor)
                    .authenticator(new GetOrHeadOfMetrics()).defaultHandler(MetricsServer::root).registerHealthHandler(false)
                    .buildAndStart();
        } catch (IOException | RuntimeException e) {
            executor.shutdownNow();
            throw new ConfigException("cannot serve metrics on " + address + ": " + e.getMessage());
        }
        this.address = new InetSocketAddress(at.getAddress(), server.getPort());
    }

    /** Says where it serves (it serves from the constructor on, so a taken port fails there). */
    void start() {
        LOG.info("metrics on http://" + hostPort(address) + "/metrics");
    }

    private MetricSnapshots collect() {
        try {
            return metrics.get();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "metrics: cannot read the counters", e);
            throw e;   // the client's handler answers 500
        }
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
    InetSocketAddress boundAddress() { return address; }

    /** {@code /} names where the metrics are; any other path the client's server does not serve is not found. */
    private static void root(HttpExchange ex) throws IOException {
        try (ex) {
            if ("/".equals(ex.getRequestURI().getPath())) reply(ex, 200, "xvio: Prometheus metrics at /metrics\n");
            else reply(ex, 404, "not found (metrics are at /metrics)\n");
        }
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /**
     * The client's server hands every method, and every path under {@code /metrics}, to its scrape handler; this
     * admits GET and HEAD only (else 405, with Allow) and {@code /metrics} itself (else 404), before any handler runs.
     */
    private static final class GetOrHeadOfMetrics extends Authenticator {
        private static final HttpPrincipal ANYONE = new HttpPrincipal("scraper", "metrics");

        @Override
        public Result authenticate(HttpExchange ex) {
            String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                return new Failure(405);
            }
            String context = ex.getHttpContext().getPath();
            if (context.equals("/metrics") && !ex.getRequestURI().getPath().equals("/metrics")) return new Failure(404);
            return new Success(ANYONE);
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
