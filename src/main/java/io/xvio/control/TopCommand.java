package io.xvio.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.time.LocalTime;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * `xvio top`: a live view of ports (packets and bits per second, drops) and PMD threads (busy %, ns per packet),
 * from the difference of two snapshots of `stats` and `pmd-stats` (their JSON forms) an interval apart. On a
 * terminal it redraws in place (ANSI clear); piped, or with --once or -n, it prints frames one after another.
 */
@Command(name = "top", mixinStandardHelpOptions = true,
        description = {"A live view of ports and PMD threads: rates per second, drops, busy %%, ns per packet.",
                "Redraws every --interval seconds until interrupted; --once or -n N print N frames and exit (for scripts)."})
final class TopCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CLEAR = "\033[H\033[2J";

    @CommandLine.Mixin Main.ControlOption ctl;
    @Option(names = {"-i", "--interval"}, paramLabel = "SECONDS", defaultValue = "1", description = "time between frames (default ${DEFAULT-VALUE})")
    double interval;
    @Option(names = "--once", description = "print one frame (after one interval) and exit")
    boolean once;
    @Option(names = {"-n", "--iterations"}, paramLabel = "N", description = "print N frames and exit")
    Integer iterations;

    /** One reading of the daemon: when, and its stats and pmd-stats as JSON. */
    record Snapshot(long nanos, JsonNode stats, JsonNode pmds) {}

    @Override
    public Integer call() throws InterruptedException {
        if (!(interval >= 0.1 && interval <= 3600)) {
            System.err.println("xvio: --interval must be 0.1 to 3600 seconds");
            return 2;
        }
        if (iterations != null && iterations < 1) {
            System.err.println("xvio: --iterations must be at least 1");
            return 2;
        }
        int frames = once ? 1 : iterations != null ? iterations : Integer.MAX_VALUE;
        boolean redraw = !once && iterations == null && System.console() != null && System.console().isTerminal();
        try {
            Snapshot before = snapshot();
            for (int i = 0; i < frames; i++) {
                Thread.sleep((long) (interval * 1000));
                Snapshot now = snapshot();
                String f = frame(before, now, interval);
                System.out.print(redraw ? CLEAR + f : (i > 0 ? "\n" : "") + f);
                System.out.flush();
                before = now;
            }
            return 0;
        } catch (ControlException e) {
            System.err.println("xvio: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            System.err.println("xvio: cannot reach the daemon at " + ctl.path() + ": " + e.getMessage()
                    + " (is `xvio daemon` running? use --control to name its socket)");
            return 2;
        }
    }

    private Snapshot snapshot() throws IOException {
        JsonNode stats = call("stats"), pmds = call("pmd-stats");
        return new Snapshot(System.nanoTime(), stats, pmds);
    }

    private JsonNode call(String cmd) throws IOException {
        ControlClient.Reply r = ControlClient.call(ctl.path(), List.of(cmd, Format.JSON.argument()));
        if (!r.ok()) throw new ControlException(r.text());
        return JSON.readTree(r.text());
    }

    /** The view of what changed from a to b (b taken about `interval` seconds later). */
    static String frame(Snapshot a, Snapshot b, double interval) {
        double secs = b.nanos() > a.nanos() ? (b.nanos() - a.nanos()) / 1e9 : interval;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "xvio top - %s, rates over %.1f s%n%n", LocalTime.now().withNano(0), secs));
        sb.append(String.format(Locale.ROOT, "%-10s %-15s %-5s %12s %12s %10s %10s %10s %12s%n",
                "BRIDGE", "PORT", "LINK", "RX pkt/s", "TX pkt/s", "RX Mbit/s", "TX Mbit/s", "drops/s", "dropped"));
        Map<String, JsonNode> old = new HashMap<>();
        for (JsonNode br : a.stats().path("bridges")) for (JsonNode p : br.path("ports")) old.put(br.path("name").asText() + "/" + p.path("name").asText(), p);
        for (JsonNode br : b.stats().path("bridges")) {
            for (JsonNode p : br.path("ports")) {
                JsonNode o = old.get(br.path("name").asText() + "/" + p.path("name").asText());
                sb.append(String.format(Locale.ROOT, "%-10s %-15s %-5s %12s %12s %10s %10s %10s %12d%n",
                        br.path("name").asText(), p.path("name").asText(), p.path("status").asText().equals("up") ? "up" : "down",
                        rate(o, p, "rx_packets", secs, 1), rate(o, p, "tx_packets", secs, 1),
                        rate(o, p, "rx_bytes", secs, 8e-6), rate(o, p, "tx_bytes", secs, 8e-6),
                        rate(o, p, "dropped", secs, 1), p.path("dropped").asLong()));
            }
        }
        sb.append(String.format(Locale.ROOT, "%n%-4s %-4s %7s %12s %9s %9s  %s%n", "PMD", "CPU", "busy %", "pkt/s", "ns/pkt", "burst", "QUEUES"));
        Map<Integer, JsonNode> oldPmd = new HashMap<>();
        for (JsonNode t : a.pmds().path("pmds")) oldPmd.put(t.path("id").asInt(), t);
        for (JsonNode t : b.pmds().path("pmds")) {
            JsonNode o = oldPmd.get(t.path("id").asInt());
            long dp = delta(o, t, "packets"), db = delta(o, t, "bursts"), dBusy = delta(o, t, "busy_ns"), dWall = delta(o, t, "wall_ns");
            boolean ok = dp >= 0 && db >= 0 && dBusy >= 0 && dWall > 0;   // not across a pmd-stats-clear
            StringBuilder qs = new StringBuilder();
            for (JsonNode q : t.path("queues")) qs.append(qs.isEmpty() ? "" : " ").append(q.path("port").asText()).append("/rxq").append(q.path("queue").asInt());
            sb.append(String.format(Locale.ROOT, "%-4d %-4s %7s %12s %9s %9s  %s%n", t.path("id").asInt(),
                    t.path("cpu").isNull() ? "any" : t.path("cpu").asText(),
                    ok ? String.format(Locale.ROOT, "%.1f", 100.0 * dBusy / dWall) : "-",
                    ok ? String.format(Locale.ROOT, "%.0f", dp / secs) : "-",
                    ok && dp > 0 ? String.format(Locale.ROOT, "%.1f", (double) dBusy / dp) : "-",
                    ok && db > 0 ? String.format(Locale.ROOT, "%.1f", (double) dp / db) : "-", qs));
        }
        return sb.toString();
    }

    /** b's field minus a's, or -1 when a is missing (a new port or thread). */
    private static long delta(JsonNode a, JsonNode b, String field) {
        return a == null ? -1 : b.path(field).asLong() - a.path(field).asLong();
    }

    /** (b - a) / secs * scale, or "-" when a is missing or the counter went back (a port made again). */
    private static String rate(JsonNode a, JsonNode b, String field, double secs, double scale) {
        long d = delta(a, b, field);
        if (d < 0) return "-";
        double r = d / secs * scale;
        return scale == 1 ? String.format(Locale.ROOT, "%.0f", r) : String.format(Locale.ROOT, "%.2f", r);
    }
}
