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
        subcommands = {Main.DaemonCmd.class, Main.Stats.class, Main.Show.class, Main.DumpFlows.class,
                Main.FdbShow.class, Main.PmdStats.class, CommandLine.HelpCommand.class})
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

    @Command(name = "daemon", mixinStandardHelpOptions = true,
            description = "Run the switch in the foreground until SIGINT/SIGTERM.")
    static final class DaemonCmd implements Callable<Integer> {
        @Option(names = "--config", required = true, paramLabel = "FILE", description = "YAML configuration")
        Path config;
        @Option(names = {"-c", "--control"}, paramLabel = "SOCKET", description = "control socket (default: control-socket from the config, $XVIO_CONTROL or /run/xvio/xvio.sock)")
        String control;
        @Option(names = "--log-level", defaultValue = "INFO", description = "SEVERE, WARNING, INFO, FINE (default ${DEFAULT-VALUE})")
        String logLevel;

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
            Config cfg;
            try {
                cfg = Config.load(config);
            } catch (ConfigException e) {
                System.err.println("xvio: " + e.getMessage());
                return 2;
            }
            String ctl = control != null ? control : cfg.controlSocket() != null ? cfg.controlSocket() : defaultControlSocket();
            Daemon d = new Daemon(cfg, ctl);
            try {
                d.start();
            } catch (RuntimeException e) {
                System.err.println("xvio: cannot start: " + e.getMessage());
                return 1;
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
            d.close();
            return 0;
        }
    }

    abstract static class ClientCmd implements Callable<Integer> {
        @CommandLine.Mixin ControlOption ctl;

        abstract List<String> request();

        @Override
        public Integer call() {
            try {
                ControlClient.Reply r = ControlClient.call(ctl.path(), request());
                if (r.ok()) {
                    System.out.print(r.text());
                    return 0;
                }
                System.err.println("xvio: " + r.text());
                return 1;
            } catch (IOException e) {
                System.err.println("xvio: cannot reach the daemon at " + ctl.path() + ": " + e.getMessage()
                        + " (is `xvio daemon` running? use --control to name its socket)");
                return 2;
            }
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true, description = "Per-port packet, byte and drop counters.")
    static final class Stats extends ClientCmd {
        @Option(names = "--watch", paramLabel = "SECONDS", description = "repeat every SECONDS until interrupted")
        Double watch;

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
        @Override List<String> request() { return List.of("show"); }
    }

    @Command(name = "dump-flows", mixinStandardHelpOptions = true, description = "The flows of a bridge.")
    static final class DumpFlows extends ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Override List<String> request() { return List.of("dump-flows", bridge); }
    }

    @Command(name = "fdb/show", aliases = "fdb-show", mixinStandardHelpOptions = true, description = "The MAC learning table of a bridge.")
    static final class FdbShow extends ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Override List<String> request() { return List.of("fdb/show", bridge); }
    }

    @Command(name = "pmd-stats", mixinStandardHelpOptions = true, description = "Per poll-mode-thread statistics.")
    static final class PmdStats extends ClientCmd {
        @Override List<String> request() { return List.of("pmd-stats"); }
    }

    static List<String> args(String... a) { return new ArrayList<>(List.of(a)); }
}
