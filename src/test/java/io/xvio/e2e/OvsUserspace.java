package io.xvio.e2e;

import io.xvio.testing.NetLab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A private Open vSwitch with the userspace datapath (no kernel module, no DPDK, no hugepages): its own
 * ovsdb-server and {@code /usr/sbin/ovs-vswitchd} in a test's directory (database, sockets, logs, pid files, and
 * the bridge's OpenFlow socket {@code BRIDGE.mgmt}), one bridge with {@code datapath_type=netdev} and
 * {@code type=system} ports on existing interfaces. {@link #close()} stops both daemons by their pids and deletes the
 * TAP devices OVS leaves behind ({@code ovs-netdev} and the bridge's own).
 *
 * <p>Every netdev-datapath OVS on a host shares the {@code ovs-netdev} device, so only one may run at a time:
 * {@link #start} waits (up to two minutes) for another running instance, e.g. a benchmark's OVS-DPDK, to go away.
 */
public final class OvsUserspace implements AutoCloseable {
    /** The plain (non-DPDK) build: /usr/sbin/ovs-vswitchd is an alternative that may point at the DPDK one. */
    private static final Path VSWITCHD = Files.isExecutable(Path.of("/usr/lib/openvswitch-switch/ovs-vswitchd"))
            ? Path.of("/usr/lib/openvswitch-switch/ovs-vswitchd") : Path.of("/usr/sbin/ovs-vswitchd");
    private static final Path SCHEMA = Path.of("/usr/share/openvswitch/vswitch.ovsschema");
    private final Path dir;
    private final String bridge;
    private boolean bridgeMade;
    /** Bridges added by {@link #addBridge} (their TAP devices go at {@link #close()}); empty in a view. */
    private final List<String> more = new ArrayList<>();

    private OvsUserspace(Path dir, String bridge) {
        this.dir = dir;
        this.bridge = bridge;
    }

    /** openvswitch-switch is installed (scripts/env.sh installs it). */
    public static boolean available() {
        return Files.isExecutable(VSWITCHD) && Files.exists(SCHEMA) && NetLab.run("ovs-ofctl", "--version").rc() == 0;
    }

    /**
     * Starts ovsdb-server and ovs-vswitchd in dir and adds bridge (a name unique to this run: OVS makes a TAP
     * device of that name) with the userspace datapath and no ports; the bridge keeps OVS's default flow
     * (NORMAL) until flows are replaced.
     */
    public static OvsUserspace start(Path dir, String bridge) throws IOException, InterruptedException {
        awaitNoOtherOvs(Duration.ofMinutes(2));
        OvsUserspace ovs = new OvsUserspace(dir, bridge);
        try {
            NetLab.ok("ovsdb-tool", "create", dir.resolve("conf.db").toString(), SCHEMA.toString());
            NetLab.ok("ovsdb-server", dir.resolve("conf.db").toString(), "--remote=punix:" + ovs.db(),
                    "--pidfile=" + dir.resolve("ovsdb.pid"), "--unixctl=" + dir.resolve("ovsdb.ctl"), "--detach", "--no-chdir",
                    "--log-file=" + dir.resolve("ovsdb.log"));
            ovs.vsctl("--no-wait", "init");
            ProcessBuilder pb = new ProcessBuilder(VSWITCHD.toString(), "unix:" + ovs.db(), "--pidfile=" + dir.resolve("vsd.pid"),
                    "--unixctl=" + ovs.ctl(), "--detach", "--no-chdir", "--log-file=" + dir.resolve("vsd.log"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("vsd.out").toFile());
            for (String v : List.of("OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR")) pb.environment().put(v, dir.toString());
            Process p = pb.start();
            if (p.waitFor() != 0) throw new IllegalStateException("ovs-vswitchd did not start:\n" + Files.readString(dir.resolve("vsd.out")));
            ovs.bridgeMade = true;
            ovs.vsctl("add-br", bridge, "--", "set", "bridge", bridge, "datapath_type=netdev",
                    "protocols=OpenFlow10,OpenFlow13,OpenFlow15", "other_config:mac-aging-time=300");
            return ovs;
        } catch (RuntimeException | IOException | InterruptedException e) {
            ovs.close();
            throw e;
        }
    }

    /**
     * Waits while another OVS holds ovs-netdev (the device every netdev-datapath ovs-vswitchd on the host shares);
     * deletes an ovs-netdev that no running ovs-vswitchd can own (left behind by a crash).
     */
    private static void awaitNoOtherOvs(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (NetLab.run("ip", "link", "show", "ovs-netdev").rc() == 0) {
            Optional<Long> other = runningVswitchd();
            if (other.isEmpty()) {
                NetLab.run("ip", "link", "del", "ovs-netdev");
                return;
            }
            if (System.nanoTime() > deadline)
                throw new IllegalStateException("ovs-vswitchd pid " + other.get() + " still holds ovs-netdev after " + timeout
                        + ": only one netdev-datapath OVS can run on a host at a time");
            Thread.sleep(500);
        }
    }

    private static Optional<Long> runningVswitchd() {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .filter(p -> {
                        try {
                            return Files.readString(p.resolve("comm")).strip().startsWith("ovs-vswitchd");
                        } catch (IOException gone) {
                            return false;
                        }
                    })
                    .map(p -> Long.parseLong(p.getFileName().toString())).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public String bridge() { return bridge; }

    /**
     * Adds another bridge (a name unique to this run) to the same ovs-vswitchd, as {@link #start} made the first, and
     * returns a view of it for {@link #addPort}, {@link #replaceFlows}, {@link #ofctl}; only this instance's
     * {@link #close()} stops the daemons (never close the view).
     */
    public OvsUserspace addBridge(String name) {
        vsctl("add-br", name, "--", "set", "bridge", name, "datapath_type=netdev",
                "protocols=OpenFlow10,OpenFlow13,OpenFlow15", "other_config:mac-aging-time=300");
        more.add(name);
        return new OvsUserspace(dir, name);
    }

    /** Adds a patch port name (OpenFlow port ofport) whose peer is the patch port peer (on this or another bridge). */
    public void addPatchPort(String name, int ofport, String peer) {
        vsctl("add-port", bridge, name, "--", "set", "interface", name, "type=patch", "options:peer=" + peer, "ofport_request=" + ofport);
    }

    private String db() { return dir.resolve("db.sock").toString(); }

    private String ctl() { return dir.resolve("vsd.ctl").toString(); }

    /** The bridge's OpenFlow management socket, for ovs-ofctl. */
    public String mgmt() { return "unix:" + dir.resolve(bridge + ".mgmt"); }

    public String vsctl(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ovs-vsctl", "--timeout=30", "--db=unix:" + db()));
        cmd.addAll(List.of(args));
        return NetLab.ok(cmd.toArray(String[]::new));
    }

    /** ovs-appctl to ovs-vswitchd. */
    public String appctl(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ovs-appctl", "-t", ctl()));
        cmd.addAll(List.of(args));
        return NetLab.ok(cmd.toArray(String[]::new));
    }

    /**
     * The flow-table lookups of {@code ovs-appctl ofproto/trace BRIDGE in_port=N HEX} for a whole frame, in order,
     * every pass (recirculations too): "table:priority/cookie" for a flow found (cookie 0x0 when OVS prints none),
     * "table:miss" for no match. OVS prints each lookup as "N. MATCH, priority P[, cookie C]" or "N. No match.".
     */
    public List<String> traceLookups(int inPort, String frameHex) {
        String out = appctl("ofproto/trace", bridge, "in_port=" + inPort, frameHex);
        List<String> lookups = new ArrayList<>();
        java.util.regex.Pattern line = java.util.regex.Pattern.compile("^\\s*(\\d+)\\. (.*)$");
        java.util.regex.Pattern flow = java.util.regex.Pattern.compile("priority (\\d+)(?:, cookie (0x[0-9a-f]+))?$");
        for (String l : out.lines().toList()) {
            java.util.regex.Matcher m = line.matcher(l);
            if (!m.matches()) continue;
            if (m.group(2).startsWith("No match")) {
                lookups.add(m.group(1) + ":miss");
                continue;
            }
            java.util.regex.Matcher f = flow.matcher(m.group(2));
            if (f.find()) lookups.add(m.group(1) + ":" + f.group(1) + "/" + (f.group(2) == null ? "0x0" : f.group(2)));
        }
        return lookups;
    }

    /**
     * ovs-ofctl with OpenFlow version (e.g. "OpenFlow15") COMMAND against the bridge, then args; rc and output.
     * Options (starting with "--") may come before the command.
     */
    public NetLab.Result ofctl(String version, String... commandAndArgs) {
        List<String> cmd = new ArrayList<>(List.of("ovs-ofctl", "-O", version));
        int i = 0;
        while (commandAndArgs[i].startsWith("--")) cmd.add(commandAndArgs[i++]);
        cmd.add(commandAndArgs[i++]);
        cmd.add(mgmt());
        cmd.addAll(List.of(commandAndArgs).subList(i, commandAndArgs.length));
        return NetLab.run(cmd.toArray(String[]::new));
    }

    /** Adds interface dev as a system port with this OpenFlow port number; settings e.g. "tag=10", "trunks=10,20". */
    public void addPort(String dev, int ofport, String... portSettings) {
        List<String> cmd = new ArrayList<>(List.of("add-port", bridge, dev));
        if (portSettings.length > 0) cmd.addAll(List.of(portSettings));
        cmd.addAll(List.of("--", "set", "interface", dev, "type=system", "ofport_request=" + ofport));
        vsctl(cmd.toArray(String[]::new));
        String got = vsctl("get", "interface", dev, "ofport").strip();
        if (!got.equals(Integer.toString(ofport))) throw new IllegalStateException("OVS gave " + dev + " ofport " + got + ", not " + ofport);
    }

    /**
     * Replaces every flow of the bridge with flows; throws with ovs-ofctl's message if OVS refuses one. The
     * OpenFlow version a flow goes in with changes what some actions mean: over 1.1+, {@code mod_vlan_vid} and
     * {@code mod_vlan_pcp} are stored as push_vlan + set_field and so always push a tag (over 1.0 they rewrite an
     * existing tag, as ovs-actions(7) describes them and xvio does), while over 1.0 a masked {@code set_field} loses
     * its mask. So flows with those two actions go in with OpenFlow 1.0 (Nicira extensions), all others with 1.5,
     * each falling back to the other version if OVS refuses it. Then drops every datapath flow OVS cached, so no
     * frame meets a translation of the old table.
     */
    public void replaceFlows(List<String> flows) throws IOException {
        NetLab.Result del = ofctl("OpenFlow15", "del-flows");
        if (del.rc() != 0) throw new IllegalStateException("ovs-ofctl del-flows: " + del.output());
        List<String> of10 = flows.stream().filter(OvsUserspace::prefersOpenFlow10).toList();
        List<String> of15 = flows.stream().filter(f -> !prefersOpenFlow10(f)).toList();
        addFlows(of10, "OpenFlow10", "OpenFlow15");
        addFlows(of15, "OpenFlow15", "OpenFlow10");
        appctl("revalidator/purge");
    }

    /** Replaces every group of the bridge with groups (OpenFlow 1.5); throws with ovs-ofctl's message if OVS refuses. */
    public void replaceGroups(List<String> groups) throws IOException {
        NetLab.Result del = ofctl("OpenFlow15", "del-groups");
        if (del.rc() != 0) throw new IllegalStateException("ovs-ofctl del-groups: " + del.output());
        if (groups.isEmpty()) return;
        Path f = dir.resolve("groups.txt");
        Files.write(f, groups);
        NetLab.Result r = ofctl("OpenFlow15", "add-groups", f.toString());
        if (r.rc() != 0) throw new IllegalArgumentException("OVS refused groups " + groups + ": " + r.output());
    }

    static boolean prefersOpenFlow10(String flow) {
        return flow.contains("mod_vlan_vid") || flow.contains("mod_vlan_pcp");
    }

    private void addFlows(List<String> flows, String version, String fallback) throws IOException {
        if (flows.isEmpty()) return;
        Path f = dir.resolve("flows-" + version + ".txt");
        Files.write(f, flows);
        if (ofctl(version, "add-flows", f.toString()).rc() == 0) return;
        for (String flow : flows) {
            if (ofctl(version, "add-flow", flow).rc() == 0) continue;
            NetLab.Result r = ofctl(fallback, "add-flow", flow);
            if (r.rc() != 0) throw new IllegalArgumentException("OVS refused \"" + flow + "\": " + r.output());
        }
    }

    /** Whether OVS accepts flow alone (added and removed again) with OpenFlow version; ovs-ofctl's output if not. */
    public Optional<String> refuses(String version, String flow) {
        NetLab.Result r = ofctl(version, "add-flow", flow);
        if (r.rc() == 0) {
            ofctl(version, "del-flows");
            return Optional.empty();
        }
        return Optional.of(r.output().strip());
    }

    public String log() {
        try {
            return Files.readString(dir.resolve("vsd.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        stopByPidFile(dir.resolve("vsd.pid"));
        stopByPidFile(dir.resolve("ovsdb.pid"));
        if (bridgeMade) {
            NetLab.run("ip", "link", "del", bridge);
            for (String b : more) NetLab.run("ip", "link", "del", b);
            // ovs-vswitchd may still be letting go of its TAP devices: try for up to 2 s
            for (int i = 0; i < 20 && NetLab.run("ip", "link", "show", "ovs-netdev").rc() == 0; i++) {
                NetLab.run("ip", "link", "del", "ovs-netdev");
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static void stopByPidFile(Path pidFile) {
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile).strip());
        } catch (IOException | NumberFormatException e) {
            return;
        }
        ProcessHandle.of(pid).ifPresent(h -> {
            h.destroy();
            try {
                h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        });
    }
}
