package io.xvio.control;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import java.util.logging.Level;

/** The xvio command line: the daemon and the commands that talk to a running one. */
@Command(name = "xvio", mixinStandardHelpOptions = true, version = "xvio 0.1.0",
        description = "Express Virtio: a vhost-user virtio-net switch with an Open vSwitch-compatible datapath.",
        subcommands = {Main.DaemonCmd.class, Main.Stats.class, Main.Show.class, Main.AddFlow.class, Main.AddFlows.class,
                Main.DelFlows.class, Main.ModFlows.class, Main.DumpFlows.class, Main.DumpPorts.class, Main.AddPort.class,
                Main.DelPort.class, Main.FdbShow.class, Main.SetFrag.class, Main.GetFrags.class, Main.TraceCmd.class,
                Main.AddGroup.class, Main.AddGroups.class, Main.ModGroup.class, Main.DelGroups.class, Main.DumpGroups.class,
                Main.DumpGroupStats.class, Main.PmdStats.class, Main.PmdStatsClear.class, TopCommand.class,
                RelayCli.AddRelay.class, RelayCli.DelRelay.class, RelayCli.ShowRelays.class, RelayCli.PmdRxqShow.class,
                ControllerCli.SetController.class, ControllerCli.DelController.class, ControllerCli.GetController.class,
                ControllerCli.SetFailMode.class, ControllerCli.GetFailMode.class, ControllerCli.DelFailMode.class,
                ControllerCli.SetSsl.class, ControllerCli.GetSsl.class, ControllerCli.DelSsl.class,
                TnlCli.class, TlvMapCli.Add.class, TlvMapCli.Del.class, TlvMapCli.Dump.class, Main.CpuLatencyCmd.class, ConntrackCommands.Cli.class,
                MeterCli.AddMeter.class, MeterCli.ModMeter.class, MeterCli.DelMeters.class, MeterCli.DumpMeters.class,
                MeterCli.MeterStats.class, MeterCli.SetPort.class,
                Main.CpuSpeedCmd.class, CaptureCli.class, MirrorCli.AddMirror.class, MirrorCli.DelMirror.class, MirrorCli.ShowMirrors.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    static {
        System.setProperty("java.util.logging.manager", Logging.Manager.class.getName());
    }

    /** Where the daemon listens for control requests unless told otherwise. */
    public static String defaultControlSocket() {
        String env = System.getenv("XVIO_CONTROL");
        if (env != null && !env.isBlank()) return env;
        return "/run/xvio/xvio.sock";
    }

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() { throw new CommandLine.ParameterException(spec.commandLine(), "a command is required"); }

    public static void main(String[] args) {
        int rc = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        System.exit(rc);
    }

    static class ControlOption {
        @Option(names = {"-c", "--control"}, paramLabel = "SOCKET",
                description = "control socket of the daemon (default: $XVIO_CONTROL or /run/xvio/xvio.sock)")
        String control;

        String path() { return control != null ? control : defaultControlSocket(); }
    }

    static class FormatOption {
        @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", defaultValue = "text",
                description = "text (default) or json (field names: README, JSON output)")
        Format format;
    }

    @Command(name = "daemon", mixinStandardHelpOptions = true,
            description = "Run the switch in the foreground until SIGINT/SIGTERM.")
    static final class DaemonCmd implements Callable<Integer> {
        @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration (optional with --ovsdb)")
        Path config;
        @Option(names = "--ovsdb", paramLabel = "REMOTE",
                description = "also take bridges and ports from ovsdb-server's Open_vSwitch database, as ovs-vswitchd does: unix:PATH or tcp:IP:PORT")
        String ovsdb;
        @Option(names = "--vhost-sock-dir", paramLabel = "DIR", defaultValue = "/var/run/openvswitch",
                description = "where the sockets of OVSDB dpdkvhostuser ports go (default ${DEFAULT-VALUE})")
        Path vhostSockDir;
        @Option(names = {"-c", "--control"}, paramLabel = "SOCKET", description = "control socket (default: control-socket from the config, $XVIO_CONTROL or /run/xvio/xvio.sock)")
        String control;
        @Option(names = "--log-level", defaultValue = "INFO", description = "SEVERE, WARNING, INFO, FINE (default ${DEFAULT-VALUE})")
        String logLevel;
        @Option(names = "--metrics", paramLabel = "HOST:PORT",
                description = "serve Prometheus metrics at http://HOST:PORT/metrics (default: metrics from the config, else none)")
        String metrics;
        @Option(names = "--private-key", paramLabel = "FILE", description = "PEM private key of OpenFlow ssl:/pssl: connections (as ovs-vswitchd's; the config's ssl: wins)")
        String privateKey;
        @Option(names = "--certificate", paramLabel = "FILE", description = "PEM certificate of that key, signed by a CA the controllers trust")
        String certificate;
        @Option(names = "--ca-cert", paramLabel = "FILE", description = "PEM CA certificate that must have signed every OpenFlow SSL peer's certificate")
        String caCert;
        @Option(names = "--bootstrap-ca-cert", paramLabel = "FILE", description = "as --ca-cert, but if FILE does not exist the first ssl: controller's CA is saved there")
        String bootstrapCaCert;
        @Option(names = "--peer-ca-cert", paramLabel = "FILE", description = "a CA certificate sent after the switch's own (for peers that bootstrap theirs)")
        String peerCaCert;

        @Override
        public Integer call() {
            Level level;
            try {
                level = Level.parse(logLevel.toUpperCase());
            } catch (IllegalArgumentException e) {
                System.err.println("xvio: unknown log level " + logLevel);
                return 2;
            }
            Logging.setup(level);
            if (config == null && ovsdb == null) {
                System.err.println("xvio: daemon needs --config FILE or --ovsdb REMOTE (or both)");
                return 2;
            }
            io.xvio.control.ovsdb.OvsdbRemote remote = null;
            Config cfg;
            try {
                if (ovsdb != null) remote = io.xvio.control.ovsdb.OvsdbRemote.parse(ovsdb);
                cfg = config == null ? Config.empty() : Config.load(config, ovsdb == null);
                if (metrics != null) cfg = cfg.withMetrics(Config.metricsAddress(metrics, "--metrics"));
                if (caCert != null && bootstrapCaCert != null) throw new ConfigException("--ca-cert and --bootstrap-ca-cert are exclusive");
                cfg = cfg.withSsl(cfg.ssl().or(new io.xvio.openflow.TlsSettings(privateKey, certificate, caCert != null ? caCert : bootstrapCaCert,
                        bootstrapCaCert != null, peerCaCert)));
            } catch (ConfigException | IllegalArgumentException e) {
                System.err.println("xvio: " + (e instanceof ConfigException ? "" : "--ovsdb ") + e.getMessage());
                return 2;
            }
            if (remote != null && cfg.pmdCpus().isEmpty()) {
                // as ovs-vswitchd: the database's pmd-cpu-mask places the PMD threads (the YAML's pmd-cpus wins)
                List<Integer> cpus = io.xvio.control.ovsdb.PmdCpuMask.read(remote, 2000);
                if (!cpus.isEmpty()) cfg = cfg.withPmdCpus(cpus);
            }
            String ctl = control != null ? control : cfg.controlSocket() != null ? cfg.controlSocket() : defaultControlSocket();
            Daemon d = new Daemon(cfg, ctl);
            try {
                d.start();
            } catch (RuntimeException e) {
                System.err.println("xvio: cannot start: " + e.getMessage());
                return 1;
            }
            io.xvio.control.ovsdb.OvsdbAgent agent = null;
            if (remote != null) {
                agent = new io.xvio.control.ovsdb.OvsdbAgent(remote, d, vhostSockDir.toAbsolutePath());
                agent.start();
            }
            // SIGINT/SIGTERM: close every port cleanly, then exit 0 (a shutdown hook would exit 143)
            CountDownLatch signalled = new CountDownLatch(1);
            String[] which = {""};
            for (String sig : new String[] {"INT", "TERM"}) {
                sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> { which[0] = "SIG" + s.getName(); signalled.countDown(); });
            }
            try {
                signalled.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            java.util.logging.Logger.getLogger("xvio.daemon").info(which[0] + " received: stopping");
            if (agent != null) agent.close();
            d.close();
            return 0;
        }
    }

    abstract static class ClientCmd implements Callable<Integer> {
        @CommandLine.Mixin ControlOption ctl;

        abstract List<String> request();

        /** The format a command asks the daemon for (commands with --format override it). */
        Format format() { return Format.TEXT; }

        @Override
        public Integer call() {
            try {
                List<String> req = request();
                if (format() != Format.TEXT) {
                    req = new ArrayList<>(req);
                    req.add(format().argument());
                }
                ControlClient.Reply r = ControlClient.call(ctl.path(), req);
                if (r.ok()) {
                    System.out.print(r.text());
                    return 0;
                }
                System.err.println("xvio: " + r.text());
                return 1;
            } catch (ControlClient.BrokenException e) {
                System.err.println("xvio: " + ctl.path() + ": " + e.getMessage());
                return 2;
            } catch (IOException e) {
                boolean denied = String.valueOf(e.getMessage()).contains("Permission denied");
                System.err.println("xvio: cannot reach the daemon at " + ctl.path() + ": " + e.getMessage() + (denied
                        ? " (the control socket is mode 0660: run as its owner or a member of its group, see control-group)"
                        : " (is `xvio daemon` running? use --control to name its socket)"));
                return 2;
            }
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true, description = "Per-port packet, byte and drop counters.")
    static final class Stats extends ClientCmd {
        @Option(names = "--watch", paramLabel = "SECONDS", description = "repeat every SECONDS until interrupted")
        Double watch;

        @CommandLine.Mixin FormatOption fmt;
        @Override Format format() { return fmt.format; }
        @Override List<String> request() { return List.of("stats"); }

        @Override
        public Integer call() {
            if (watch == null) return super.call();
            while (true) {
                System.out.print("\033[H\033[2J");
                System.out.println(java.time.LocalTime.now().withNano(0));
                int rc = super.call();
                if (rc != 0) return rc;
                try {
                    Thread.sleep((long) (watch * 1000));
                } catch (InterruptedException e) {
                    return 0;
                }
            }
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Bridges, ports and their state.")
    static final class Show extends ClientCmd {
        @CommandLine.Mixin FormatOption fmt;
        @Override Format format() { return fmt.format; }
        @Override List<String> request() { return List.of("show"); }
    }

    @Command(name = "add-flow", mixinStandardHelpOptions = true, description = "Add a flow (ovs-ofctl syntax); one with the same table, priority and match is replaced.")
    static final class AddFlow extends ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", paramLabel = "FLOW") String flow;
        @Override List<String> request() { return List.of("add-flow", bridge, flow); }
    }

    @Command(name = "add-flows", mixinStandardHelpOptions = true, description = "Add the flows in FILE (one per line, # comments; - for stdin), all or none.")
    static final class AddFlows extends ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", paramLabel = "FILE") String file;
        @Override List<String> request() { return fileRequest(this, args("add-flows", bridge), file, "flows"); }
    }

    /**
     * request + the lines of file (- for stdin) that are not blank or # comments, as one request's arguments;
     * a file that cannot be read, or holds no such line, is a parameter error of cmd.
     */
    static List<String> fileRequest(Object cmd, List<String> request, String file, String what) {
        List<String> lines;
        try {
            lines = (file.equals("-") ? TextFile.decodeUtf8(System.in.readAllBytes()) : TextFile.readUtf8(Path.of(file))).lines().toList();
        } catch (IOException e) {
            throw new CommandLine.ParameterException(new CommandLine(cmd), "cannot read " + file + ": " + e.getMessage());
        }
        List<String> req = new ArrayList<>(request);
        for (String l : lines) {
            String t = l.strip();
            if (!t.isEmpty() && !t.startsWith("#")) req.add(t);
        }
        if (req.size() == request.size()) throw new CommandLine.ParameterException(new CommandLine(cmd), file + " holds no " + what);
        return req;
    }

    @Command(name = "del-flows", mixinStandardHelpOptions = true, description = "Delete the flows that MATCH selects (all without MATCH).")
    static final class DelFlows extends ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", arity = "0..1", paramLabel = "MATCH") String match;
        @Option(names = "--strict", description = "only the flow with exactly this match and priority") boolean strict;
        @Override List<String> request() {
            List<String> r = args("del-flows", bridge);
            if (strict) r.add("--strict");
            if (match != null) r.add(match);
            return r;
        }
    }

    @Command(name = "mod-flows", mixinStandardHelpOptions = true, description = "Give the flows FLOW's match selects FLOW's actions.")
    static final class ModFlows extends ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", paramLabel = "FLOW") String flow;
        @Option(names = "--strict", description = "only the flow with exactly this match and priority") boolean strict;
        @Override List<String> request() {
            List<String> r = args("mod-flows", bridge);
            if (strict) r.add("--strict");
            r.add(flow);
            return r;
        }
    }

    @Command(name = "dump-flows", mixinStandardHelpOptions = true, description = "The flows of a bridge, with counters, durations and idle ages.")
    static final class DumpFlows extends ClientCmd {
        @CommandLine.Mixin FormatOption fmt;
        @Override Format format() { return fmt.format; }
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", arity = "0..1", paramLabel = "MATCH") String match;
        @Override List<String> request() {
            List<String> r = args("dump-flows", bridge);
            if (match != null) r.add(match);
            return r;
        }
    }

    @Command(name = "dump-ports", mixinStandardHelpOptions = true, description = "Per-port counters of a bridge, like ovs-ofctl dump-ports.")
    static final class DumpPorts extends ClientCmd {
        @CommandLine.Mixin FormatOption fmt;
        @Override Format format() { return fmt.format; }
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", arity = "0..1", paramLabel = "PORT") String port;
        @Override List<String> request() {
            List<String> r = args("dump-ports", bridge);
            if (port != null) r.add(port);
            return r;
        }
    }

    @Command(name = "add-port", mixinStandardHelpOptions = true,
            description = "Add a port to a running bridge, e.g. add-port br0 vhC type=vhostuser path=/tmp/vhC.sock mode=server ofport=3")
    static final class AddPort extends ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", paramLabel = "NAME") String name;
        @Parameters(index = "2..*", paramLabel = "KEY=VALUE", description = "the port's config keys, as in the YAML file") List<String> settings = new ArrayList<>();
        @Override List<String> request() {
            List<String> r = args("add-port", bridge, name);
            r.addAll(settings);
            return r;
        }
    }

    @Command(name = "del-port", mixinStandardHelpOptions = true, description = "Remove a port from a running bridge (its connection is closed).")
    static final class DelPort extends ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", paramLabel = "NAME") String name;
        @Override List<String> request() { return List.of("del-port", bridge, name); }
    }

    @Command(name = "fdb/show", aliases = "fdb-show", mixinStandardHelpOptions = true, description = "The MAC learning table of a bridge.")
    static final class FdbShow extends ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @CommandLine.Mixin FormatOption fmt;
        @Override Format format() { return fmt.format; }
        @Override List<String> request() { return List.of("fdb/show", bridge); }
    }

    @Command(name = "add-group", mixinStandardHelpOptions = true,
            description = "Add a group (ovs-ofctl syntax), e.g. 'group_id=1,type=select,bucket=output:1,bucket=output:2'.")
    static final class AddGroup extends ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", paramLabel = "GROUP") String group;
        @Override List<String> request() { return List.of("add-group", bridge, group); }
    }

    @Command(name = "add-groups", mixinStandardHelpOptions = true, description = "Add the groups of FILE (one per line, # comments): all or none.")
    static final class AddGroups extends ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", paramLabel = "FILE") String file;
        @Override List<String> request() { return fileRequest(this, List.of("add-groups", bridge), file, "groups"); }
    }

    @Command(name = "mod-group", mixinStandardHelpOptions = true, description = "Replace a group's type and buckets (its counters restart).")
    static final class ModGroup extends ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", paramLabel = "GROUP") String group;
        @Override List<String> request() { return List.of("mod-group", bridge, group); }
    }

    @Command(name = "del-groups", mixinStandardHelpOptions = true,
            description = "Delete groups (all without GROUP_ID) and the flows that name them, as OVS does.")
    static final class DelGroups extends ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1..*", arity = "0..*", paramLabel = "group_id=N") List<String> ids = new ArrayList<>();
        @Override List<String> request() {
            List<String> r = new ArrayList<>(List.of("del-groups", bridge));
            r.addAll(ids);
            return r;
        }
    }

    @Command(name = "dump-groups", mixinStandardHelpOptions = true, description = "Print a bridge's groups (all, or GROUP_ID).")
    static final class DumpGroups extends ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", arity = "0..1", paramLabel = "GROUP_ID") String id;
        @Override List<String> request() { return id == null ? List.of("dump-groups", bridge) : List.of("dump-groups", bridge, id); }
    }

    @Command(name = "dump-group-stats", mixinStandardHelpOptions = true, description = "Packet and byte counts per group and bucket.")
    static final class DumpGroupStats extends ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", arity = "0..1", paramLabel = "GROUP_ID") String id;
        @Override List<String> request() { return id == null ? List.of("dump-group-stats", bridge) : List.of("dump-group-stats", bridge, id); }
    }

    @Command(name = "set-frag", mixinStandardHelpOptions = true,
            description = "How a bridge's flow tables see IP fragments, as ovs-ofctl set-frag: normal (L4 fields of every fragment are 0 "
                    + "for lookups), nx-match (a first fragment keeps them) or drop.")
    static final class SetFrag extends ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", paramLabel = "MODE", description = "normal, nx-match or drop") String mode;
        @Override List<String> request() { return List.of("set-frag", bridge, mode); }
    }

    @Command(name = "trace", mixinStandardHelpOptions = true,
            description = "Where a packet would go, as ovs-appctl ofproto/trace: every table looked up, the flow found (priority, "
                    + "cookie), the actions, recirculations, outputs and drops, the megaflow the cache would hold and its datapath "
                    + "actions. Forwards, counts and learns nothing, unless --generate: then the packet is also sent for real "
                    + "(as ofproto/trace -generate: a packet-out to table 0 from in_port).")
    static final class TraceCmd extends ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", paramLabel = "FLOW", description = "in_port=N and the packet's fields, e.g. in_port=1,tcp,nw_dst=10.0.0.2,tp_dst=80 "
                + "(registers and metadata too)") String flow;
        @CommandLine.Option(names = "--packet", paramLabel = "HEX", description = "the whole frame in hex (the FLOW then gives in_port and metadata)") String packet;
        @CommandLine.Mixin FormatOption fmt;
        @Override Format format() { return fmt.format; }
        @CommandLine.Option(names = "--generate", description = "also forward the packet for real (counters, MAC learning, outputs)") boolean generate;
        @Override List<String> request() {
            List<String> r = new ArrayList<>(packet == null ? List.of("trace", bridge, flow) : List.of("trace", bridge, flow, "--packet", packet));
            if (generate) r.add("--generate");
            return r;
        }
    }

    @Command(name = "get-frags", mixinStandardHelpOptions = true, description = "Print a bridge's fragment handling mode.")
    static final class GetFrags extends ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Override List<String> request() { return List.of("get-frags", bridge); }
    }

    @Command(name = "pmd-stats", mixinStandardHelpOptions = true, description = "Per poll-mode-thread statistics.")
    static final class PmdStats extends ClientCmd {
        @CommandLine.Mixin FormatOption fmt;
        @Override Format format() { return fmt.format; }
        @Override List<String> request() { return List.of("pmd-stats"); }
    }

    @Command(name = "pmd-stats-clear", mixinStandardHelpOptions = true, description = "Restart the counters pmd-stats shows.")
    static final class PmdStatsClear extends ClientCmd {
        @Override List<String> request() { return List.of("pmd-stats-clear"); }
    }

    static List<String> args(String... a) { return new ArrayList<>(List.of(a)); }

    @Command(name = "cpu-latency", mixinStandardHelpOptions = true,
            description = {"Measure the cache-line round trip between two CPUs (no daemon needed).",
                    "Every packet a vhost-user switch forwards crosses cores; ~50 ns is a near pair (shared cache),",
                    "several hundred ns a far one (a VM whose host placed its vCPUs apart): expect half the rate or less."})
    static final class CpuLatencyCmd implements Callable<Integer> {
        @Option(names = "--cpus", defaultValue = "0,1", split = ",", paramLabel = "A,B", description = "the two CPUs (default ${DEFAULT-VALUE})")
        int[] cpus;
        @Option(names = "--rounds", defaultValue = "200000", description = "exchanges to time (default ${DEFAULT-VALUE})")
        int rounds;

        @Override
        public Integer call() throws InterruptedException {
            if (cpus.length != 2 || cpus[0] == cpus[1]) {
                System.err.println("xvio: --cpus needs two different CPUs, e.g. --cpus 0,1");
                return 2;
            }
            if (rounds < 1000) {
                System.err.println("xvio: --rounds must be at least 1000");
                return 2;
            }
            try {
                double ns = io.xvio.pmd.CpuLatency.roundTripNanos(cpus[0], cpus[1], rounds);
                System.out.printf("cpu %d <-> cpu %d: round trip %.1f ns%n", cpus[0], cpus[1], ns);
                return 0;
            } catch (RuntimeException e) {
                System.err.println("xvio: " + e.getMessage());
                return 1;
            }
        }
    }

    @Command(name = "cpu-speed", mixinStandardHelpOptions = true,
            description = {"Measure, second by second, how much compute each CPU gets (no daemon needed).",
                    "The same loop (integer work, a 256 KB table) runs on every CPU at once; each second prints its rounds per CPU and",
                    "the share of that CPU's best second. On bare metal every second is the same; on a VM a drop",
                    "means the host gave the vCPU less than a whole core, and any packet rate measured then drops too."})
    static final class CpuSpeedCmd implements Callable<Integer> {
        @Option(names = "--cpus", defaultValue = "0,1", split = ",", paramLabel = "A[,B...]", description = "the CPUs (default ${DEFAULT-VALUE})")
        int[] cpus;
        @Option(names = "--seconds", defaultValue = "10", description = "how long to measure (default ${DEFAULT-VALUE})")
        int seconds;

        @Override
        public Integer call() throws InterruptedException {
            if (cpus.length == 0 || java.util.Arrays.stream(cpus).distinct().count() != cpus.length) {
                System.err.println("xvio: --cpus needs one or more different CPUs, e.g. --cpus 0,1");
                return 2;
            }
            if (seconds < 1 || seconds > 3600) {
                System.err.println("xvio: --seconds must be 1 to 3600");
                return 2;
            }
            long[] best = new long[cpus.length], worst = new long[cpus.length];
            java.util.Arrays.fill(worst, Long.MAX_VALUE);
            int[] second = {0};
            try {
                io.xvio.pmd.CpuSpeed.measure(cpus, seconds, rounds -> {
                    StringBuilder line = new StringBuilder(String.format("%4d s", ++second[0]));
                    for (int i = 0; i < cpus.length; i++) {
                        best[i] = Math.max(best[i], rounds[i]);
                        if (second[0] > 1 || seconds == 1) worst[i] = Math.min(worst[i], rounds[i]);   // the first has the JIT's warm-up
                        line.append(String.format("   cpu %d: %5d rounds (%3d %%)", cpus[i], rounds[i], 100 * rounds[i] / Math.max(1, best[i])));
                    }
                    System.out.println(line);
                });
            } catch (RuntimeException e) {
                System.err.println("xvio: " + e.getMessage());
                return 1;
            }
            StringBuilder sum = new StringBuilder(seconds > 1 ? "slowest second (after the first) vs fastest:" : "one second:");
            for (int i = 0; i < cpus.length; i++)
                sum.append(String.format("  cpu %d %d %%", cpus[i], 100 * worst[i] / Math.max(1, best[i])));
            System.out.println(sum);
            return 0;
        }
    }
}
