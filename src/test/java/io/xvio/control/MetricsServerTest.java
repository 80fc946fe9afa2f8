package io.xvio.control;

import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** The metrics endpoint over real HTTP on loopback: what it serves, what it refuses, and that it survives both. */
class MetricsServerTest {
    static {
        // the JDK server reads its limits once, when first used: 1 s instead of the daemon's 10 s for the slow client below
        System.setProperty("sun.net.httpserver.maxReqTime", "1");
    }

    private final HttpClient http = HttpClient.newHttpClient();

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private HttpResponse<String> send(int port, String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesMetricsRefusesTheRestAndKeepsServing() throws Exception {
        int port = freePort();
        AtomicInteger scrapes = new AtomicInteger();
        try (MetricsServer m = new MetricsServer("127.0.0.1:" + port, () -> {
            if (scrapes.incrementAndGet() == 2) throw new IllegalStateException("boom");
            return new MetricFamilies().family("x_total", MetricFamilies.Type.COUNTER, "h").sample(scrapes.get()).snapshots();
        })) {
            m.start();
            HttpResponse<String> r = send(port, "GET", "/metrics");
            assertEquals(200, r.statusCode());
            assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("Content-Type").orElseThrow());
            assertTrue(r.body().endsWith("x_total 1.0\n"), r.body());
            assertEquals(500, send(port, "GET", "/metrics").statusCode(), "a failing read is a 500, not a dead server");
            assertEquals(200, send(port, "GET", "/metrics").statusCode());
            HttpResponse<String> head = send(port, "HEAD", "/metrics");
            assertEquals(200, head.statusCode());
            assertEquals("", head.body());
            assertEquals(405, send(port, "POST", "/metrics").statusCode());
            assertEquals(405, send(port, "DELETE", "/").statusCode());
            assertEquals(404, send(port, "GET", "/metrics/../etc/passwd").statusCode());
            assertEquals(404, send(port, "GET", "/other").statusCode());
            assertEquals(200, send(port, "GET", "/").statusCode());
            assertEquals(200, send(port, "GET", "/metrics").statusCode());
            HttpResponse<String> om = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .header("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5").build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(om.headers().firstValue("Content-Type").orElseThrow().startsWith("application/openmetrics-text"), om.headers().toString());
            assertTrue(om.body().contains("# TYPE x counter\n") && om.body().contains("\nx_total ") && om.body().endsWith("# EOF\n"), "OpenMetrics for a scraper that asks for it:\n" + om.body());
        }
    }

    @Test
    void slowClientsAreCutOffAndDoNotHoldTheServer() throws Exception {
        int port = freePort();
        try (MetricsServer m = new MetricsServer("127.0.0.1:" + port, () -> new MetricFamilies().family("x", MetricFamilies.Type.GAUGE, "h").sample(1).snapshots())) {
            m.start();
            java.util.List<java.net.Socket> slow = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {   // more half-sent requests than the server has threads
                    java.net.Socket s = new java.net.Socket("127.0.0.1", port);
                    s.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes());
                    s.getOutputStream().flush();
                    slow.add(s);
                }
                Thread.sleep(200);
                long t0 = System.nanoTime();
                assertEquals(200, send(port, "GET", "/metrics").statusCode(), "answered while slow clients wait");
                assertTrue(System.nanoTime() - t0 < 5_000_000_000L);
                for (java.net.Socket s : slow) {
                    s.setSoTimeout(10_000);
                    try {
                        assertEquals(-1, s.getInputStream().read(), "the slow client's connection is closed");
                    } catch (java.net.SocketException reset) {
                        assertTrue(reset.getMessage().contains("reset"), reset.toString());   // closed with a reset: as good
                    }
                }
            } finally {
                for (java.net.Socket s : slow) s.close();
            }
        }
    }

    @Test
    void aPortInUseIsAClearError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            ConfigException e = assertThrows(ConfigException.class, () -> new MetricsServer("127.0.0.1:" + taken.getLocalPort(), () -> new MetricFamilies().snapshots()));
            assertTrue(e.getMessage().startsWith("cannot serve metrics on 127.0.0.1:" + taken.getLocalPort()), e.getMessage());
        }
    }

    @Test
    void addressesAreHostColonPort() {
        assertEquals(9475, MetricsServer.address("127.0.0.1:9475").getPort());
        assertEquals(9475, MetricsServer.address("[::1]:9475").getPort());
        assertEquals(9475, MetricsServer.address("localhost:9475").getPort());
        for (String bad : new String[] {"9475", ":9475", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x", "::1:9475",
                "a b:1", "[]:1", "127.0.0.1:9475/metrics"}) {
            assertThrows(IllegalArgumentException.class, () -> MetricsServer.address(bad), bad);
        }
    }
}
