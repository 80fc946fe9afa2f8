package io.xvio.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xvio.testing.NetLab;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * What an operator's tools see of a running xvio: a real Prometheus (Debian's) scrapes its {@code /metrics} while
 * two network namespaces ping each other through it (afpacket ports on veths, one bridge), and its query API shows
 * the target up and a non-zero receive rate; {@code promtool check metrics} accepts the output; every
 * {@code --format json} answer (trace, pmd-rxq-show, show-mirrors, show-relays and tnl neigh too) parses
 * ({@code python3 -m json.tool}) and carries the text form's numbers; and {@code xvio top} under tmux shows the
 * ports with rates that change (and fall to 0 when the traffic stops). One daemon for all of it, ~40 s.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.ObservabilityIT#enabled")
class ObservabilityIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    static boolean enabled() {
        return !"false".equals(System.getProperty("xvio.e2e")) && NetLab.available()
                && QemuGuest.onPath("prometheus") && QemuGuest.onPath("promtool") && QemuGuest.onPath("tmux") && QemuGuest.onPath("python3");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private String get(String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), url + ": " + r.body());
        return r.body();
    }

    /** Prometheus answers 503 while it is still starting (its storage not ready yet): not an answer yet. */
    private static final class NotReady extends Exception {}

    /** The value of a PromQL instant query's first result, or NaN when it has none yet. */
    private double query(int promPort, String promql) throws Exception {
        String url = "http://127.0.0.1:" + promPort + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8);
        HttpResponse<String> h = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (h.statusCode() == 503) throw new NotReady();
        assertEquals(200, h.statusCode(), url + ": " + h.body());
        JsonNode r = JSON.readTree(h.body());
        assertEquals("success", r.path("status").asText(), r.toString());
        JsonNode res = r.at("/data/result");
        return res.isEmpty() ? Double.NaN : Double.parseDouble(res.get(0).at("/value/1").asText());
    }

    /** Polls a query until its value passes ok; returns it, or fails with the last value and context. */
    private double awaitQuery(int promPort, String promql, Predicate<Double> ok, Duration timeout, Path promLog) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        double v = Double.NaN;
        while (System.nanoTime() < deadline) {
            try {
                v = query(promPort, promql);
                if (ok.test(v)) return v;
            } catch (java.net.ConnectException | NotReady notYet) {
                // Prometheus is still starting
            }
            Thread.sleep(250);
        }
        throw new AssertionError(promql + " = " + v + " after " + timeout + "\n" + get("http://127.0.0.1:" + promPort + "/api/v1/targets")
                + "\n" + Files.readString(promLog));
    }

    private static String run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", cmd));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
        return out;
    }

    /** Feeds text to a command's stdin; returns its exit code and output. */
    private static NetLab.Result pipe(String text, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(text.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return new NetLab.Result(p.exitValue(), out);
    }

    @Test
    void prometheusScrapesXvioAndEveryFormOfTheNumbersAgrees(@TempDir Path dir) throws Exception {
        try (NetLab lab = new NetLab()) {
            String nsA = lab.netns(), nsB = lab.netns();
            String a0 = lab.name("xoa"), a1 = lab.name("xoa"), b0 = lab.name("xob"), b1 = lab.name("xob");
            lab.veth(a0, a1);
            lab.veth(b0, b1);
            lab.move(a1, nsA);
            lab.move(b1, nsB);
            lab.address(nsA, a1, "10.93.0.1/24");
            lab.address(nsB, b1, "10.93.0.2/24");
            lab.up(null, a0);
            lab.up(null, b0);
            int metricsPort = freePort(), promPort = freePort();
            String yaml = """
                    pmd-idle: adaptive
                    metrics: 127.0.0.1:%d
                    bridges:
                      br0:
                        ports:
                          up0: {type: afpacket, device: %s, ofport: 1}
                          up1: {type: afpacket, device: %s, ofport: 2}
                        meters: ["meter=1,pktps,stats,bands=type=drop,rate=1000"]
                        flows: ["priority=10,ip,actions=meter:1,NORMAL", "priority=0,actions=NORMAL"]
                    """.formatted(metricsPort, a0, b0);
            Path promYaml = dir.resolve("prometheus.yml"), promLog = dir.resolve("prometheus.log");
            Files.writeString(promYaml, """
                    global:
                      scrape_interval: 1s
                      evaluation_interval: 1s
                    scrape_configs:
                      - job_name: xvio
                        static_configs:
                          - targets: ["127.0.0.1:%d"]
                    """.formatted(metricsPort));
            Process prometheus = null;
            String tmux = "xvio-top-" + lab.id();
            try (XvioDaemon xvio = XvioDaemon.start(dir, yaml)) {
                assertTrue(xvio.awaitLog("metrics on http://127.0.0.1:" + metricsPort + "/metrics", Duration.ofSeconds(10)), xvio::log);
                prometheus = new ProcessBuilder("prometheus", "--config.file=" + promYaml, "--storage.tsdb.path=" + dir.resolve("tsdb"),
                        "--web.listen-address=127.0.0.1:" + promPort, "--log.level=warn")
                        .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(promLog.toFile()).start();
                UplinkPortsIT.awaitStatus(xvio, "up0", "up", Duration.ofSeconds(10));
                UplinkPortsIT.awaitStatus(xvio, "up1", "up", Duration.ofSeconds(10));
                for (int i = 0; i < 20 && lab.exec(nsA, "busybox", "ping", "-c", "1", "-W", "1", "10.93.0.2").rc() != 0; i++) Thread.sleep(100);
                Process ping = lab.spawn(nsA, dir.resolve("ping.txt"), "busybox", "ping", "-c", "120", "-i", "0.1", "10.93.0.2");

                // top under tmux (its own server socket, stopped below): the ports and their rates
                run(dir, "tmux", "-L", tmux, "new-session", "-d", "-s", "top", "-x", "160", "-y", "40",
                        XvioDaemon.home().resolve("bin/xvio") + " top --control " + xvio.controlSocket() + " --interval 0.5");

                // Prometheus: the target is up, and the receive rate is not zero while the ping runs
                awaitQuery(promPort, "up{job=\"xvio\"}", v -> v == 1.0, Duration.ofSeconds(30), promLog);
                double rate = awaitQuery(promPort, "rate(xvio_port_rx_packets_total{job=\"xvio\",bridge=\"br0\",port=\"up0\"}[5s])",
                        v -> v > 0, Duration.ofSeconds(20), promLog);
                assertTrue(rate > 1 && rate < 100, "about 10 pings and replies a second: " + rate);
                assertTrue(query(promPort, "xvio_pmd_megaflow_hits_total{bridge=\"br0\"}") > 0, "the PMD's megaflow cache counts hits");
                assertEquals(2.0, query(promPort, "xvio_bridge_flows{bridge=\"br0\"}"));
                assertEquals(1.0, query(promPort, "xvio_port_up{port=\"up1\"}"));
                assertTrue(query(promPort, "sum(xvio_pmd_rx_queue_packets_total{bridge=\"br0\",port=\"up0\"})") > 0, "up0's queue counts its packets");
                // the pings go through meter 1 (1000 packets a second: none dropped)
                awaitQuery(promPort, "xvio_meter_packets_total{bridge=\"br0\",meter=\"1\"}", v -> v >= 20, Duration.ofSeconds(20), promLog);
                assertEquals(1.0, query(promPort, "xvio_meter_flows{bridge=\"br0\",meter=\"1\"}"));
                assertEquals(0.0, query(promPort, "xvio_meter_band_dropped_packets_total{bridge=\"br0\",meter=\"1\",band=\"0\"}"));

                String metrics = get("http://127.0.0.1:" + metricsPort + "/metrics");
                NetLab.Result lint = pipe(metrics, "promtool", "check", "metrics");
                assertEquals(0, lint.rc(), lint.output());
                assertEquals("", lint.output().strip(), "promtool finds nothing to lint");

                List<String> screens = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    Thread.sleep(700);
                    screens.add(run(dir, "tmux", "-L", tmux, "capture-pane", "-p", "-t", "top"));
                }
                String screen = screens.getLast();
                assertTrue(screen.contains("xvio top") && screen.contains(" up0 ") && screen.contains(" up1 ") && screen.contains("PMD"), screen);
                assertTrue(screens.stream().anyMatch(s -> rxRate(s, "up0") > 0), "top shows up0 receiving:\n" + String.join("\n----\n", screens));
                assertTrue(screens.stream().map(s -> s.lines().filter(l -> l.startsWith("xvio top")).findFirst().orElse("")).distinct().count() > 1,
                        "the view refreshes:\n" + String.join("\n----\n", screens));

                assertTrue(ping.waitFor(30, TimeUnit.SECONDS), "ping ends");
                // the rates are rates, not totals: once the traffic stops, up0's falls to 0 (a stray frame may delay it)
                String quiet = null;
                for (int i = 0; i < 20 && quiet == null; i++) {
                    Thread.sleep(500);
                    String sc = run(dir, "tmux", "-L", tmux, "capture-pane", "-p", "-t", "top");
                    screens.add(sc);
                    if (rxRate(sc, "up0") == 0) quiet = sc;
                }
                assertNotNull(quiet, "top's up0 rate falls to 0 after the ping:\n" + String.join("\n----\n", screens));
                assertTrue(screens.stream().map(s -> rxRate(s, "up0")).distinct().count() > 1, "up0's rate changes between screens");
                String pings = Files.readString(dir.resolve("ping.txt"));
                Matcher pm = Pattern.compile("120 packets transmitted, (\\d+) packets received").matcher(pings);
                assertTrue(pm.find() && Integer.parseInt(pm.group(1)) >= 110, pings + xvio.call("stats"));

                // --format json: parses, and carries the text's numbers (counters only grow: text, json, text bracket it)
                for (List<String> cmd : List.of(List.of("stats"), List.of("show"), List.of("pmd-stats"), List.of("dump-flows", "br0"),
                        List.of("fdb/show", "br0"), List.of("dump-ports", "br0"), List.of("dump-ports", "br0", "up1"))) {
                    String before = xvio.call(cmd.toArray(String[]::new));
                    List<String> req = new ArrayList<>(cmd);
                    req.add("--format=json");
                    String json = xvio.call(req.toArray(String[]::new));
                    String after = xvio.call(cmd.toArray(String[]::new));
                    NetLab.Result tool = pipe(json, "python3", "-m", "json.tool");
                    assertEquals(0, tool.rc(), cmd + ": python3 -m json.tool:\n" + tool.output() + "\n" + json);
                    assertSameNumbers(cmd.getFirst(), before, JSON.readTree(json), after);
                }
                // trace: the steps, flows and actions as fields carry what the text says
                String flow = "in_port=1,icmp,nw_src=10.93.0.1,nw_dst=10.93.0.2";
                String traceText = xvio.call("trace", "br0", flow);
                String traceJson = xvio.call("trace", "br0", flow, "--format=json");
                NetLab.Result traceTool = pipe(traceJson, "python3", "-m", "json.tool");
                assertEquals(0, traceTool.rc(), "trace: python3 -m json.tool:\n" + traceTool.output());
                assertSameTrace(traceText, JSON.readTree(traceJson));

                // pmd-rxq-show: each queue's packets (counters: text, json, text bracket them)
                String rxqBefore = xvio.call("pmd-rxq-show"), rxqJson = xvio.call("pmd-rxq-show", "--format=json"), rxqAfter = xvio.call("pmd-rxq-show");
                assertEquals(0, pipe(rxqJson, "python3", "-m", "json.tool").rc(), rxqJson);
                List<Long> qPackets = new ArrayList<>();
                for (JsonNode t : JSON.readTree(rxqJson).get("pmds")) for (JsonNode q : t.get("queues")) qPackets.add(q.get("packets").asLong());
                bracketed("queue packets", numbers(rxqBefore, "packets: (\\d+)"), qPackets, numbers(rxqAfter, "packets: (\\d+)"));
                assertTrue(qPackets.stream().mapToLong(Long::longValue).sum() >= 240, "pings and replies went through the queues: " + rxqJson);

                // show-relays and tnl neigh: none here; the JSON says so too
                JsonNode relays = JSON.readTree(xvio.call("show-relays", "--format=json"));
                assertEquals(0, relays.get("relays").size(), relays.toString());
                assertEquals("no relays\n", xvio.call("show-relays"));
                String neighJson = xvio.call("tnl", "neigh", "--format=json");
                assertEquals(0, pipe(neighJson, "python3", "-m", "json.tool").rc(), neighJson);
                assertTrue(JSON.readTree(neighJson).get("neighbors").isArray(), neighJson);

                // show-mirrors: a select-all mirror to a tap port, a few pings, the same count in both forms
                String tap = lab.name("xom");
                lab.own(tap);
                xvio.call("add-port", "br0", "mir0", "type=tap", "name=" + tap, "ofport=3");
                xvio.call("add-mirror", "br0", "m1", "select-all=true", "output-port=mir0");
                lab.exec(nsA, "busybox", "ping", "-c", "5", "-i", "0.1", "-W", "1", "10.93.0.2");
                String mirBefore = xvio.call("show-mirrors"), mirJson = xvio.call("show-mirrors", "--format=json"), mirAfter = xvio.call("show-mirrors");
                assertEquals(0, pipe(mirJson, "python3", "-m", "json.tool").rc(), mirJson);
                JsonNode mir = JSON.readTree(mirJson).at("/mirrors/0");
                assertEquals("m1", mir.get("name").asText(), mirJson);
                bracketed("mirrored", numbers(mirBefore, "mirrored=(\\d+)"), List.of(mir.get("mirrored").asLong()), numbers(mirAfter, "mirrored=(\\d+)"));
                assertTrue(mir.get("mirrored").asLong() >= 10, "5 pings and their replies mirrored: " + mirJson);
                assertTrue(mirBefore.contains("bridge br0 mirror m1: " + mir.get("settings").asText() + "\n"), mirBefore);

                // the CLI's own option, both spellings
                JsonNode cliStats = JSON.readTree(run(dir, XvioDaemon.home().resolve("bin/xvio").toString(), "stats", "--control", xvio.controlSocket(), "--format", "json"));
                assertTrue(cliStats.at("/bridges/0/ports/0/rx_packets").asLong() >= 120, cliStats.toString());
                JsonNode cliFlows = JSON.readTree(run(dir, XvioDaemon.home().resolve("bin/xvio").toString(), "dump-flows", "br0", "-f", "json", "--control", xvio.controlSocket()));
                assertEquals(2, cliFlows.get("flows").size(), cliFlows.toString());
            } finally {
                NetLab.run("tmux", "-L", tmux, "kill-server");
                if (prometheus != null) {
                    prometheus.destroy();   // SIGTERM by pid
                    if (!prometheus.waitFor(15, TimeUnit.SECONDS)) prometheus.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
        }
    }

    @Test
    void aBadMetricsAddressStopsTheDaemonWithItsReason(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("x.yaml");
        Files.writeString(cfg, "bridges:\n  br0: {}\n");
        Process p = new ProcessBuilder(XvioDaemon.home().resolve("bin/xvio").toString(), "daemon", "--config", cfg.toString(),
                "--control", dir.resolve("ctl.sock").toString(), "--metrics", "127.0.0.1:99999").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("xvio: --metrics: \"127.0.0.1:99999\": port must be 1-65535"), out);
    }

    /** trace's JSON carries the text's tables, flows, actions, megaflow, datapath actions and outputs. */
    private static void assertSameTrace(String text, JsonNode j) {
        assertEquals(text, j.get("text").asText());
        JsonNode steps = j.get("steps");
        assertTrue(steps.size() >= 1, j.toString());
        JsonNode first = steps.get(0);
        assertEquals(0, first.get("table").asInt());
        assertEquals(10, first.get("priority").asInt(), "the ip flow, not the priority-0 one");
        assertEquals("0x0", first.get("cookie").asText());
        assertEquals("ip", first.get("match").asText());
        assertEquals("meter:1", first.at("/actions/0").asText());
        assertEquals("NORMAL", first.at("/actions/1").asText());
        for (JsonNode st : steps) {
            if (st.get("table").isNull()) continue;
            String head = st.get("table").asInt() + ". " + (st.get("priority").isNull() ? "No match"
                    : (st.get("match").asText().isEmpty() ? "" : st.get("match").asText() + ", ") + "priority " + st.get("priority").asInt());
            assertTrue(text.contains(head), head + " in\n" + text);
            for (JsonNode a : st.get("actions")) assertTrue(text.contains(a.asText()), a + " in\n" + text);
        }
        assertTrue(text.contains("\nFinal flow: " + j.get("final_flow").asText() + "\n"), text);
        assertTrue(text.contains("\nMegaflow: " + j.get("megaflow").asText() + "\n"), text);
        assertTrue(text.contains("\nDatapath actions: " + j.get("datapath_actions").asText() + "\n"), text);
        List<String> outs = new ArrayList<>();
        for (JsonNode o : j.get("outputs")) outs.add(o.asText());
        assertTrue(text.contains("\nOutputs: " + String.join(", ", outs) + "\n"), text);
        assertEquals(2, j.at("/output_ports/0/ofport").asInt(), "NORMAL sends to up1: " + j);
        assertEquals(1, j.at("/output_ports/0/frames").asInt(), j.toString());
        assertFalse(j.get("generated").asBoolean());
    }

    /** top's RX pkt/s for a port, or -1 when not shown. */
    private static long rxRate(String screen, String port) {
        Matcher m = Pattern.compile("(?m)^br0\\s+" + port + "\\s+\\S+\\s+(\\d+)\\s").matcher(screen);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static List<Long> numbers(String text, String regex) {
        List<Long> out = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) out.add(Long.parseLong(m.group(1)));
        return out;
    }

    /** Each of the json values lies between the text's value before and after (equal when nothing moved). */
    private static void bracketed(String what, List<Long> before, List<Long> json, List<Long> after) {
        assertEquals(before.size(), json.size(), what + ": as many in JSON as in the text");
        for (int i = 0; i < json.size(); i++)
            assertTrue(before.get(i) <= json.get(i) && json.get(i) <= after.get(i), what + "[" + i + "]: " + before + " / " + json + " / " + after);
    }

    private static void assertSameNumbers(String cmd, String before, JsonNode j, String after) {
        switch (cmd) {
            case "stats" -> {
                for (String f : List.of("rx_packets", "rx_bytes", "tx_packets", "tx_bytes")) {
                    List<Long> js = new ArrayList<>();
                    for (JsonNode br : j.get("bridges")) for (JsonNode p : br.get("ports")) js.add(p.get(f).asLong());
                    bracketed(f, numbers(before, " " + f + "=(\\d+)"), js, numbers(after, " " + f + "=(\\d+)"));
                }
                assertTrue(j.at("/bridges/0/ports/0/rx_packets").asLong() >= 120, j.toString());
            }
            case "show" -> {
                assertEquals(j.get("pid").asLong(), numbers(before, "xvio: pid (\\d+)").getFirst());
                List<String> names = new ArrayList<>();
                for (JsonNode p : j.at("/bridges/0/ports")) {
                    names.add(p.get("name").asText());
                    assertTrue(before.contains("  port " + p.get("ofport").asInt() + ": " + p.get("name").asText() + " type=" + p.get("type").asText()
                            + " status=" + p.get("status").asText() + "\n"), before);
                }
                assertEquals(List.of("up0", "up1"), names);
                assertTrue(before.contains("bridge br0 (" + j.at("/bridges/0/flows").asInt() + " flows)"), before);
            }
            case "pmd-stats" -> {
                JsonNode t = j.at("/pmds/0");
                bracketed("packets", numbers(before, "packets received: (\\d+)"), List.of(t.get("packets").asLong()), numbers(after, "packets received: (\\d+)"));
                bracketed("bursts", numbers(before, "bursts: (\\d+)"), List.of(t.get("bursts").asLong()), numbers(after, "bursts: (\\d+)"));
                JsonNode c = t.at("/caches/0");
                bracketed("megaflow hits", numbers(before, "br0 megaflow cache: hits=(\\d+)"), List.of(c.get("hits").asLong()),
                        numbers(after, "br0 megaflow cache: hits=(\\d+)"));
                assertTrue(c.get("hits").asLong() > 0, t.toString());
            }
            case "dump-flows" -> {
                List<Long> js = new ArrayList<>();
                for (JsonNode f : j.get("flows")) js.add(f.get("n_packets").asLong());
                bracketed("n_packets", numbers(before, "n_packets=(\\d+)"), js, numbers(after, "n_packets=(\\d+)"));
                assertEquals(10, j.at("/flows/0/priority").asInt());
                assertEquals("ip", j.at("/flows/0/match").asText());
                assertEquals("meter:1,NORMAL", j.at("/flows/0/actions").asText());
            }
            case "fdb/show" -> {
                assertEquals(2, j.get("entries").size(), j.toString());
                for (JsonNode e : j.get("entries"))
                    assertTrue(Pattern.compile("(?m)^\\s+" + e.get("ofport").asInt() + "\\s+" + e.get("vlan").asInt() + "\\s+" + e.get("mac").asText() + "\\s").matcher(before).find(), before);
            }
            case "dump-ports" -> {
                List<Long> js = new ArrayList<>();
                for (JsonNode p : j.get("ports")) {
                    js.add(p.get("rx_packets").asLong());
                    js.add(p.get("tx_packets").asLong());
                }
                bracketed("pkts", numbers(before, "pkts=(\\d+)"), js, numbers(after, "pkts=(\\d+)"));
                assertEquals(numbers(before, "reply: (\\d+) ports").getFirst(), (long) j.get("ports").size());
            }
            default -> fail(cmd);
        }
    }
}
