package io.xvio.openflow;

import io.xvio.datapath.FlowParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real {@code ovs-ofctl monitor SWITCH watch:} (NXST_FLOW_MONITOR in OpenFlow 1.0, ONFST_FLOW_MONITOR in 1.3,
 * OFPMP_FLOW_MONITOR in 1.5) against a bridge's socket: the initial flows, then what another connection
 * ({@code ovs-ofctl add-flow/mod-flows/del-flows}), the CLI (a change of the bridge's tables outside OpenFlow) and a
 * timeout change, each as the line ovs-ofctl prints for it.
 */
class FlowMonitorOfctlTest {

    static boolean haveOfctl() { return Files.isExecutable(Path.of("/usr/bin/ovs-ofctl")); }

    static String ofctl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ovs-ofctl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "ovs-ofctl " + String.join(" ", args));
        assertEquals(0, p.exitValue(), "ovs-ofctl " + String.join(" ", args) + ": " + out);
        return out;
    }

    /** The monitor's output lines, as they come. */
    static final class Monitor implements AutoCloseable {
        final Process p;
        final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final List<String> all = new ArrayList<>();

        Monitor(String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("ovs-ofctl"));
            cmd.addAll(List.of(args));
            ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true);
            // its unixctl socket goes to a run directory of its own: /var/run/openvswitch is absent where OVS never ran
            b.environment().put("OVS_RUNDIR", System.getProperty("java.io.tmpdir"));
            p = b.start();
            Thread.ofVirtual().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                    for (String l; (l = r.readLine()) != null; ) lines.add(l);
                } catch (Exception ignored) { }
            });
        }

        /** The next line containing want (lines before it are kept in all), within 5 s. */
        String await(String want) throws InterruptedException {
            long end = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < end) {
                String l = lines.poll(100, TimeUnit.MILLISECONDS);
                if (l == null) continue;
                all.add(l);
                if (l.contains(want)) return l;
            }
            fail("no line with \"" + want + "\" from ovs-ofctl monitor; it printed " + all);
            return null;
        }

        @Override
        public void close() {
            p.destroy();
            try {
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void ovsOfctlMonitorSeesChangesFromEverywhere(@TempDir Path dir) throws Exception {
        assumeTrue(haveOfctl(), "needs ovs-ofctl (Debian openvswitch-common)");
        MemorySwitch sw = new MemorySwitch();
        sw.addFlows(List.of(FlowParser.parse("priority=5,in_port=9,actions=drop")));
        try (OfChannels ch = new OfChannels(sw, System.nanoTime());
             OfEndpoint e = OfEndpoint.start(dir.resolve("ctl.sock").toString(), sw, ch)) {
            String sock = "unix:" + e.path();
            for (String v : List.of("OpenFlow10", "OpenFlow13", "OpenFlow15")) {
                String initial = v.equals("OpenFlow15") ? "event=INITIAL" : "event=ADDED";
                try (Monitor m = new Monitor("-O", v, "monitor", sock, "watch:")) {
                    // OVS prints neither the priority nor empty actions of an update
                    assertTrue(m.await(initial).endsWith("table=0 cookie=0 in_port=9"), m.all.toString());

                    ofctl("-O", v, "add-flow", sock, "in_port=1,actions=output:2");
                    assertTrue(m.await("event=ADDED").contains("in_port=1 actions=output:2"), m.all.toString());

                    ofctl("-O", v, "mod-flows", sock, "in_port=1,actions=output:3");
                    assertTrue(m.await("event=MODIFIED").contains("in_port=1 actions=output:3"), m.all.toString());

                    // the CLI (xvio add-flow): a change of the tables that no OpenFlow request made
                    sw.change(() -> {
                        sw.addFlows(List.of(FlowParser.parse("table=3,priority=7,ip,actions=drop")));
                        return null;
                    });
                    assertTrue(m.await("event=ADDED").contains("table=3"), m.all.toString());

                    ofctl("-O", v, "del-flows", "--strict", sock, "in_port=1");
                    String del = m.await("event=DELETED");
                    assertTrue(del.contains("reason=delete") && del.contains("in_port=1"), del);

                    // a hard timeout: the bridge's expiry removes it
                    ofctl("-O", v, "add-flow", sock, "hard_timeout=1,in_port=4,actions=drop");
                    m.await("in_port=4");
                    Thread.sleep(1100);
                    sw.change(() -> sw.deleteFlows(f -> f.expired(System.nanoTime())));
                    String hard = m.await("event=DELETED");
                    assertTrue(hard.contains("reason=hard") && hard.contains("in_port=4"), hard);

                    sw.change(() -> sw.deleteFlows(f -> f.table == 3));
                    m.await("event=DELETED");
                }
                Thread.sleep(200);     // the monitor's connection closes; its monitors go
            }
        }
    }
}
