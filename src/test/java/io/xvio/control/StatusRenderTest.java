package io.xvio.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.Outputs;
import io.xvio.datapath.PortVlan;
import io.xvio.packet.PacketBatch;
import io.xvio.pmd.PmdSet;
import io.xvio.port.Port;
import io.xvio.port.PortCounters;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.xvio.port.PortCounters.Counter.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The status model rendered three ways from one set of bridges and ports: the text is the text the commands always
 * printed (byte for byte), the JSON parses and carries the same numbers, and the Prometheus metrics too.
 */
class StatusRenderTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Bridge> bridges = new LinkedHashMap<>();
    private final Bridge br0 = new Bridge("br0"), br1 = new Bridge("br1");
    private final CountingPort vhA = new CountingPort("vhA", 1, "vhostuser", "up", Map.of());
    private final CountingPort up0 = new CountingPort("up0", 2, "afpacket", "down (interface veth9 does not exist)",
            Map.of("rx_dropped(kernel ring full)", 3L, "tx_dropped(kernel queue full)", 4L));
    private final CountingPort vhB = new CountingPort("vhB", 7, "vhostuser", "down (waiting for a front-end)", Map.of());
    private final PmdSet pmds = new PmdSet(List.of(), "adaptive");
    private final DaemonStatus status = new DaemonStatus(bridges, pmds, "/tmp/ctl.sock", System.nanoTime(), this);
    private final FlowCommands flows = new FlowCommands(bridges);

    StatusRenderTest() {
        bridges.put("br0", br0);
        bridges.put("br1", br1);
        vhA.details.put("path", "/tmp/vhA.sock");
        vhA.details.put("mode", "server");
        add(br0, vhA, new PortVlan(10, null));
        BitSet trunks = new BitSet();
        trunks.set(3);
        trunks.set(4);
        add(br0, up0, new PortVlan(0, trunks));
        add(br1, vhB, PortVlan.TRUNK_ALL);
        br0.setFlows(List.of(FlowParser.parse("cookie=0x5,priority=100,in_port=1,actions=output:2"),
                FlowParser.parse("priority=90,ip,actions=drop")));
        br1.setFlows(List.of());
        // counters as PMD threads 0 and 1 would have written them: readers sum the rows
        vhA.counters().add(0, RX_PACKETS, 60);
        vhA.counters().add(1, RX_PACKETS, 40);
        vhA.counters().add(0, RX_BYTES, 6400);
        vhA.counters().add(0, TX_PACKETS, 90);
        vhA.counters().add(1, TX_BYTES, 5760);
        vhA.counters().add(1, TX_DROP_NO_BUFFER, 2);
        up0.counters().add(0, RX_PACKETS, 5);
        up0.counters().add(0, RX_BYTES, 7000);
        up0.counters().add(0, RX_GSO_FRAMES, 1);
        up0.counters().add(0, TX_DROP_DOWN, 6);
        sendFromVhA(3);
        br0.datapath.macs().learn(0x0200_0000_000aL, 10, 0, System.nanoTime());
    }

    private static void add(Bridge br, Port p, PortVlan v) {
        br.ports.add(p);
        br.vlans.add(v);
    }

    /** n 64-byte frames into br0 from vhA (ofport 1), through the datapath as PMD thread 0. */
    private void sendFromVhA(int n) {
        PacketBatch b = new PacketBatch();
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 64; k++) b.data.set(JAVA_BYTE, b.off[i] + k, (byte) (k == 12 ? 0x08 : 0));
            b.len[i] = 64;
        }
        b.count = n;
        br0.datapath.process(0, b, new Outputs(8), 0, System.nanoTime());
    }

    // ------------------------------------------------------------------ text: as the commands always printed it

    @Test
    void statsTextIsUnchanged() {
        assertEquals("""
                br0:
                  port 1 vhA (vhostuser, up)
                    rx_packets=100 rx_bytes=6400 tx_packets=90 tx_bytes=5760
                    dropped=2 tx_dropped(guest ring full)=2
                  port 2 up0 (afpacket, down (interface veth9 does not exist))
                    rx_packets=5 rx_bytes=7000 tx_packets=0 tx_bytes=0 rx_gso_frames=1
                    dropped=13 tx_dropped(port down)=6 rx_dropped(kernel ring full)=3 tx_dropped(kernel queue full)=4
                br1:
                  port 7 vhB (vhostuser, down (waiting for a front-end))
                    rx_packets=0 rx_bytes=0 tx_packets=0 tx_bytes=0
                    dropped=0
                """, TextRender.stats(status.stats()));
    }

    @Test
    void showTextIsUnchanged() {
        String show = TextRender.show(status.show());
        assertTrue(show.startsWith("xvio: pid " + ProcessHandle.current().pid() + ", up 0 s, control socket /tmp/ctl.sock\n"), show);
        assertEquals("""
                bridge br0 (2 flows)
                  port 1: vhA type=vhostuser tag=10 status=up
                      path: /tmp/vhA.sock
                      mode: server
                  port 2: up0 type=afpacket trunks=3,4 status=down (interface veth9 does not exist)
                bridge br1 (1 flows)
                  port 7: vhB type=vhostuser status=down (waiting for a front-end)
                """, show.substring(show.indexOf('\n') + 1));
    }

    @Test
    void pmdStatsTextIsUnchangedAndNamesEachThreadsDropsByReason() {
        Status.Pmd t = new Status.Pmd(0, 1, 1000, 40, 250_000_000, 1_000_000_000, 40, 7,
                List.of(new Status.PmdCache("br0", 900, 800, 100, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0,
                                new java.util.LinkedHashMap<>(java.util.Map.of("meter band", 12L))),
                        new Status.PmdCache("br1", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
                List.of(new Status.RxQueueInfo("br0", "vhA", 0), new Status.RxQueueInfo("br0", "vhA", 1)));
        Status.Pmd idle = new Status.Pmd(1, null, 0, 0, 0, 0, 0, 0, List.of(), List.of());
        assertEquals("""
                pmd thread 0 (cpu 1):
                  packets received: 1000
                  bursts: 40 (avg 25.0 packets)
                  busy time: 25.0% (250 ms), idle: 75.0%
                  busy ns per packet: 250000.0
                  loops: 40 busy, 7 idle
                  br0 megaflow cache: hits=900 (exact-match cache: 800) misses=100 uncacheable=1 masks=2 entries=3
                  br0 revalidation: table versions=4 entries evicted=5 kept=6 full flushes=7
                  br0 dropped: meter band=12
                  queues: vhA/rxq0 vhA/rxq1
                pmd thread 1 (cpu any):
                  packets received: 0
                  bursts: 0 (avg 0.0 packets)
                  busy time: 0.0% (0 ms), idle: 0.0%
                  busy ns per packet: 0.0
                  loops: 0 busy, 0 idle
                  queues:
                """, TextRender.pmdStats(new Status.PmdStats(List.of(t, idle))));
    }

    @Test
    void fdbAndDumpPortsTextAreUnchanged() {
        assertEquals(" port  VLAN  MAC                Age\n    1    10  02:00:00:00:00:0a    0\n", TextRender.fdb(status.fdb(br0)));
        assertEquals("""
                OFPST_PORT reply: 2 ports
                  port  1 (vhA): rx pkts=100, bytes=6400, drop=0, errs=0
                           tx pkts=90, bytes=5760, drop=2, errs=0
                  port  2 (up0): rx pkts=5, bytes=7000, drop=3, errs=0
                           tx pkts=0, bytes=0, drop=10, errs=0
                """, TextRender.portCounts(status.portCounts(br0, null)));
        assertEquals("OFPST_PORT reply: 1 ports\n", TextRender.portCounts(status.portCounts(br0, "2")).lines().findFirst().orElseThrow() + "\n");
        assertThrows(ControlException.class, () -> status.portCounts(br0, "nope"));
    }

    // ------------------------------------------------------------------ JSON: parses, same numbers as the text

    private static JsonNode json(Record r) throws IOException {
        String s = JsonRender.render(r);
        assertTrue(s.endsWith("}\n"), s);
        return JSON.readTree(s);
    }

    private static long num(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), regex + " in\n" + text);
        return Long.parseLong(m.group(1));
    }

    @Test
    void statsJsonCarriesTheTextsNumbers() throws IOException {
        String text = TextRender.stats(status.stats());
        JsonNode j = json(status.stats());
        int seen = 0;
        for (JsonNode br : j.get("bridges")) {
            for (JsonNode p : br.get("ports")) {
                String block = text.substring(text.indexOf(" " + p.get("name").asText() + " ("));
                block = block.substring(0, block.indexOf("dropped="));
                for (String f : List.of("rx_packets", "rx_bytes", "tx_packets", "tx_bytes"))
                    assertEquals(num(block, f + "=(\\d+)"), p.get(f).asLong(), f + " of " + p);
                String dropLine = text.substring(text.indexOf("dropped=", text.indexOf(" " + p.get("name").asText() + " (")));
                dropLine = dropLine.substring(0, dropLine.indexOf('\n'));
                assertEquals(num(dropLine, "dropped=(\\d+)"), p.get("dropped").asLong());
                long sum = 0;
                for (var e : p.get("drops").properties()) {
                    sum += e.getValue().asLong();
                    if (e.getValue().asLong() != 0) assertTrue(dropLine.contains(" " + e.getKey() + "=" + e.getValue().asLong()), dropLine);
                }
                assertEquals(p.get("dropped").asLong(), sum, "dropped is the sum of drops");
                seen++;
            }
        }
        assertEquals(3, seen);
        assertEquals(1, j.at("/bridges/0/ports/1/rx_gso_frames").asLong());
        assertEquals("up", j.at("/bridges/0/ports/0/status").asText());
    }

    @Test
    void showJsonHasPortsVlansAndDetails() throws IOException {
        JsonNode j = json(status.show());
        assertEquals(ProcessHandle.current().pid(), j.get("pid").asLong());
        assertEquals("/tmp/ctl.sock", j.get("control_socket").asText());
        JsonNode vh = j.at("/bridges/0/ports/0");
        assertEquals(2, j.at("/bridges/0/flows").asInt());
        assertEquals("access", vh.get("vlan_mode").asText());
        assertEquals(10, vh.get("tag").asInt());
        assertTrue(vh.get("trunks").isNull());
        assertEquals("/tmp/vhA.sock", vh.at("/details/path").asText());
        JsonNode up = j.at("/bridges/0/ports/1");
        assertEquals("trunk", up.get("vlan_mode").asText());
        assertEquals("[3,4]", up.get("trunks").toString());
        assertTrue(j.at("/bridges/1/ports/0/trunks").isNull(), "all VLANs");
    }

    @Test
    void pmdStatsJsonCarriesTheTextsNumbers() throws IOException {
        String text = TextRender.pmdStats(status.pmdStats(true));
        JsonNode t = json(status.pmdStats(true)).at("/pmds/0");
        assertEquals(num(text, "packets received: (\\d+)"), t.get("packets").asLong());
        assertEquals(num(text, "bursts: (\\d+)"), t.get("bursts").asLong());
        assertEquals(num(text, "loops: (\\d+) busy"), t.get("busy_loops").asLong());
        assertTrue(t.get("cpu").isNull());
        JsonNode c = t.at("/caches/0");
        assertEquals("br0", c.get("bridge").asText());
        assertEquals(num(text, "br0 megaflow cache: hits=(\\d+)"), c.get("hits").asLong());
        assertEquals(num(text, "misses=(\\d+)"), c.get("misses").asLong());
        assertEquals(num(text, "entries=(\\d+)"), c.get("entries").asLong());
        assertTrue(c.get("hits").asLong() + c.get("misses").asLong() == 3, "the 3 frames sent: " + c);
        // the derived numbers are in the JSON too
        Status.Pmd p = new Status.Pmd(0, 1, 1000, 40, 250_000_000, 1_000_000_000, 40, 7, List.of(), List.of());
        JsonNode d = json(new Status.PmdStats(List.of(p))).at("/pmds/0");
        assertEquals(25.0, d.get("busy_percent").asDouble());
        assertEquals(25.0, d.get("avg_burst").asDouble());
        assertEquals(250000.0, d.get("ns_per_packet").asDouble());
        assertEquals(1, d.get("cpu").asInt());
    }

    @Test
    void fdbAndDumpPortsJsonCarryTheTextsNumbers() throws IOException {
        JsonNode e = json(status.fdb(br0)).at("/entries/0");
        assertEquals(1, e.get("ofport").asInt());
        assertEquals("vhA", e.get("port").asText());
        assertEquals(10, e.get("vlan").asInt());
        assertEquals("02:00:00:00:00:0a", e.get("mac").asText());
        String text = TextRender.portCounts(status.portCounts(br0, null));
        JsonNode ports = json(status.portCounts(br0, null)).get("ports");
        assertEquals(num(text, "reply: (\\d+) ports"), ports.size());
        for (JsonNode p : ports) {
            String rx = text.lines().filter(l -> l.contains("(" + p.get("name").asText() + ")")).findFirst().orElseThrow();
            String tx = text.lines().dropWhile(l -> !l.equals(rx)).skip(1).findFirst().orElseThrow();
            assertEquals(num(rx, "pkts=(\\d+)"), p.get("rx_packets").asLong());
            assertEquals(num(rx, "bytes=(\\d+)"), p.get("rx_bytes").asLong());
            assertEquals(num(rx, "drop=(\\d+)"), p.get("rx_dropped").asLong());
            assertEquals(num(tx, "pkts=(\\d+)"), p.get("tx_packets").asLong());
            assertEquals(num(tx, "bytes=(\\d+)"), p.get("tx_bytes").asLong());
            assertEquals(num(tx, "drop=(\\d+)"), p.get("tx_dropped").asLong());
        }
    }

    @Test
    void dumpFlowsJsonCarriesTheTextsNumbers() throws IOException {
        List<String> req = List.of("dump-flows", "br0");
        String[] lines = flows.dumpFlows(req).split("\n");
        JsonNode fs = json(flows.dumpFlowsModel(req)).get("flows");
        assertEquals(lines.length, fs.size());
        for (int i = 0; i < lines.length; i++) {
            JsonNode f = fs.get(i);
            assertEquals(num(lines[i], "n_packets=(\\d+)"), f.get("n_packets").asLong(), lines[i]);
            assertEquals(num(lines[i], "n_bytes=(\\d+)"), f.get("n_bytes").asLong(), lines[i]);
            assertEquals(num(lines[i], "table=(\\d+)"), f.get("table").asLong(), lines[i]);
            assertTrue(lines[i].startsWith(" cookie=" + f.get("cookie").asText() + ","), lines[i]);
            assertTrue(lines[i].endsWith("priority=" + f.get("priority").asInt() + "," + f.get("match").asText() + " actions=" + f.get("actions").asText()), lines[i]);
        }
        assertEquals(3, fs.get(0).get("n_packets").asLong(), "the 3 frames from vhA hit in_port=1");
        assertEquals("0x5", fs.get(0).get("cookie").asText());
        assertEquals(0, json(flows.dumpFlowsModel(List.of("dump-flows", "br0", "in_port=9"))).get("flows").size());
    }

    // ------------------------------------------------------------------ Prometheus

    /** The value of series (labels in name order, as the client writes them) in the text format. */
    private static double sample(String metrics, String series) {
        for (String l : metrics.split("\n")) if (l.startsWith(series + " ")) return Double.parseDouble(l.substring(series.length() + 1));
        throw new AssertionError("no " + series + " in\n" + metrics);
    }

    @Test
    void metricsCarryTheSameNumbers() {
        String m = MetricFamilies.text(PrometheusRender.render(status.metrics()));
        assertEquals(100, sample(m, "xvio_port_rx_packets_total{bridge=\"br0\",port=\"vhA\"}"));
        assertEquals(5760, sample(m, "xvio_port_tx_bytes_total{bridge=\"br0\",port=\"vhA\"}"));
        assertEquals(1, sample(m, "xvio_port_up{bridge=\"br0\",port=\"vhA\"}"));
        assertEquals(0, sample(m, "xvio_port_up{bridge=\"br0\",port=\"up0\"}"));
        assertEquals(1, sample(m, "xvio_port_info{bridge=\"br0\",ofport=\"2\",port=\"up0\",type=\"afpacket\"}"));
        assertEquals(2, sample(m, "xvio_port_dropped_packets_total{bridge=\"br0\",direction=\"tx\",port=\"vhA\",reason=\"guest ring full\"}"));
        assertEquals(3, sample(m, "xvio_port_dropped_packets_total{bridge=\"br0\",direction=\"rx\",port=\"up0\",reason=\"kernel ring full\"}"));
        assertEquals(1, sample(m, "xvio_port_rx_gso_frames_total{bridge=\"br0\",port=\"up0\"}"));
        assertEquals(2, sample(m, "xvio_bridge_flows{bridge=\"br0\"}"));
        assertEquals(1, sample(m, "xvio_bridge_mac_entries{bridge=\"br0\"}"));
        Status.PmdCache c = status.pmdStats(false).pmds().getFirst().caches().getFirst();
        assertEquals(c.hits(), sample(m, "xvio_pmd_megaflow_hits_total{bridge=\"br0\",pmd=\"0\"}"));
        assertEquals(c.misses(), sample(m, "xvio_pmd_megaflow_misses_total{bridge=\"br0\",pmd=\"0\"}"));
        assertEquals(1, sample(m, "xvio_pmd_info{cpu=\"any\",pmd=\"0\"}"));
        // every sample belongs to a family announced with HELP and TYPE just before
        String family = null;
        for (String l : m.split("\n")) {
            if (l.startsWith("# HELP ")) family = l.split(" ")[2];
            else if (l.startsWith("# TYPE ")) assertEquals(family, l.split(" ")[2]);
            else assertTrue(l.startsWith(family + "{") || l.startsWith(family + " "), l);
        }
    }

    /** Metrics of a tunnel port, an underlay endpoint and a polled queue, made by hand as DaemonStatus reads them. */
    private static Status.Metrics tunnelAndQueueMetrics() {
        Map<String, Long> none = Map.of();
        Status.PortStats vx = new Status.PortStats(5, "vx0", "vxlan", "up", 0, 0, 9, 900, 0, 5,
                new LinkedHashMap<>(Map.of("encap: next hop's MAC address not resolved yet", 4L, "icmp_too_big_sent", 1L)), none, 0);
        Status.PortStats ep = new Status.PortStats(65534, "br-phy", "internal", "up", 3, 300, 0, 0, 0, 2,
                new LinkedHashMap<>(Map.of("decap: VNI of no tunnel port", 2L)), none, 0);
        Status.Pmd t = new Status.Pmd(0, null, 10, 2, 0, 0, 0, 0, List.of(), List.of(new Status.RxQueueInfo("br-phy", "up0", 1, 77)));
        return new Status.Metrics(0, new Status.Stats(List.of(new Status.BridgeStats("br-int", List.of(vx), Map.of()),
                new Status.BridgeStats("br-phy", List.of(ep), Map.of()))), List.of(t), List.of());
    }

    @Test
    void aVhostPortsTxRetriesAreShownWhenThereWereAny() {
        Status.PortStats vh = new Status.PortStats(1, "vhA", "vhostuser", "up", 0, 0, 40, 4000, 0, 2,
                new LinkedHashMap<>(Map.of("tx_dropped(guest ring full)", 2L)), Map.of(), 3);
        Status.PortStats quiet = new Status.PortStats(2, "vhB", "vhostuser", "up", 0, 0, 0, 0, 0, 0, Map.of(), Map.of(), 0);
        Status.Stats s = new Status.Stats(List.of(new Status.BridgeStats("br0", List.of(vh, quiet), Map.of())));
        String text = TextRender.stats(s);
        assertTrue(text.contains("tx_packets=40 tx_bytes=4000 tx_retries=3\n"), text);
        assertTrue(text.contains("tx_packets=0 tx_bytes=0\n"), "no retries, nothing shown:\n" + text);
        String m = MetricFamilies.text(PrometheusRender.render(new Status.Metrics(0, s, List.of(), List.of())));
        assertEquals(3, sample(m, "xvio_port_tx_retries_total{bridge=\"br0\",port=\"vhA\"}"));
        assertEquals(0, sample(m, "xvio_port_tx_retries_total{bridge=\"br0\",port=\"vhB\"}"));
    }

    @Test
    void tunnelDropsAndQueuePacketsAreMetrics() {
        String m = MetricFamilies.text(PrometheusRender.render(tunnelAndQueueMetrics()));
        assertEquals(4, sample(m, "xvio_tunnel_dropped_packets_total{bridge=\"br-int\",port=\"vx0\",reason=\"next hop's MAC address not resolved yet\",stage=\"encap\"}"));
        assertEquals(2, sample(m, "xvio_tunnel_dropped_packets_total{bridge=\"br-phy\",port=\"br-phy\",reason=\"VNI of no tunnel port\",stage=\"decap\"}"));
        assertEquals(1, sample(m, "xvio_tunnel_icmp_too_big_sent_total{bridge=\"br-int\",port=\"vx0\"}"));
        assertEquals(4, sample(m, "xvio_port_dropped_packets_total{bridge=\"br-int\",direction=\"tx\",port=\"vx0\",reason=\"encap: next hop's MAC address not resolved yet\"}"));
        assertEquals(2, sample(m, "xvio_port_dropped_packets_total{bridge=\"br-phy\",direction=\"rx\",port=\"br-phy\",reason=\"decap: VNI of no tunnel port\"}"));
        assertFalse(m.contains("xvio_port_dropped_packets_total{bridge=\"br-int\",direction=\"\",port=\"vx0\",reason=\"icmp_too_big_sent\"}"),
                "an answer sent is not a drop:\n" + m);
        assertEquals(77, sample(m, "xvio_pmd_rx_queue_packets_total{bridge=\"br-phy\",pmd=\"0\",port=\"up0\",queue=\"1\"}"));
    }

    @Test
    void promtoolAcceptsTheMetrics() throws Exception {
        boolean installed = java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(d -> java.nio.file.Files.isExecutable(java.nio.file.Path.of(d, "promtool")));
        org.junit.jupiter.api.Assumptions.assumeTrue(installed, "promtool (Debian prometheus) not installed");
        for (Status.Metrics metrics : List.of(status.metrics(), tunnelAndQueueMetrics())) {
            Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
            try (var in = p.getOutputStream()) {
                in.write(MetricFamilies.text(PrometheusRender.render(metrics)).getBytes(StandardCharsets.UTF_8));
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), out);
            assertEquals("", out.strip(), "no lint findings");
        }
    }

    /** A port whose counters the test writes. */
    private static final class CountingPort implements Port {
        final String name, type, status;
        final int ofport;
        final Map<String, Long> extra;
        final Map<String, String> details = new LinkedHashMap<>();
        final PortCounters counters = new PortCounters();

        CountingPort(String name, int ofport, String type, String status, Map<String, Long> extra) {
            this.name = name;
            this.ofport = ofport;
            this.type = type;
            this.status = status;
            this.extra = new LinkedHashMap<>(new java.util.TreeMap<>(extra));
        }

        public String name() { return name; }
        public String type() { return type; }
        public int ofport() { return ofport; }
        public int rxQueues() { return 0; }
        public int receive(int q, PacketBatch b, int thread) { return 0; }
        public void transmit(int thread, PacketBatch b, int[] which, int n) {}
        public PortCounters counters() { return counters; }
        public Map<String, Long> extraCounters() { return extra; }
        public String status() { return status; }
        public Map<String, String> details() { return details; }
        public void start() {}
        public void close() {}
    }
}
