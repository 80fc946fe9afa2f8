package io.xvio.e2e;

import io.xvio.testing.NetLab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * OVN's central part and a chassis's controller, private to a test (Debian {@code ovn-central} and {@code ovn-host}):
 * the NB and SB ovsdb-servers ({@code nb.sock}, {@code sb.sock}), {@code ovn-northd} between them, and
 * {@code ovn-controller} on an Open_vSwitch database, each with its database, pid file, unixctl socket and log in the
 * test's directory. {@link #close()} stops every daemon it started by the pid in its pid file.
 */
public final class OvnCentral implements AutoCloseable {
    static final Path NB_SCHEMA = Path.of("/usr/share/ovn/ovn-nb.ovsschema"), SB_SCHEMA = Path.of("/usr/share/ovn/ovn-sb.ovsschema");
    private final Path dir;
    private final List<Path> pidfiles = new ArrayList<>();

    private OvnCentral(Path dir) { this.dir = dir; }

    /** ovn-central and ovn-host are installed (scripts/env.sh installs them). */
    public static boolean available() {
        return Files.exists(NB_SCHEMA) && Files.exists(SB_SCHEMA) && NetLab.run("ovn-northd", "--version").rc() == 0
                && NetLab.run("ovn-controller", "--version").rc() == 0 && NetLab.run("ovn-nbctl", "--version").rc() == 0;
    }

    /** Starts the NB and SB databases and ovn-northd in dir. */
    public static OvnCentral start(Path dir) throws IOException, InterruptedException {
        OvnCentral c = new OvnCentral(dir);
        try {
            c.database("nb", NB_SCHEMA);
            c.database("sb", SB_SCHEMA);
            c.daemon("northd", Map.of(), "ovn-northd", "--ovnnb-db=unix:" + c.nb(), "--ovnsb-db=unix:" + c.sb());
            c.nbctl("--timeout=30", "--wait=sb", "sync");
            return c;
        } catch (RuntimeException | IOException | InterruptedException e) {
            c.close();
            throw e;
        }
    }

    public Path nb() { return dir.resolve("nb.sock"); }

    public Path sb() { return dir.resolve("sb.sock"); }

    private void database(String name, Path schema) throws IOException, InterruptedException {
        NetLab.ok("ovsdb-tool", "create", dir.resolve(name + ".db").toString(), schema.toString());
        daemon(name, Map.of(), "ovsdb-server", dir.resolve(name + ".db").toString(), "--remote=punix:" + dir.resolve(name + ".sock"));
    }

    /**
     * Starts an OVS/OVN daemon detached, with its pid file, unixctl socket and log file NAME.pid/.ctl/.log in the
     * directory and env added (e.g. OVS_RUNDIR); returns once it has detached (its pid file written).
     */
    public void daemon(String name, Map<String, String> env, String... cmd) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(List.of(cmd));
        Path pidfile = dir.resolve(name + ".pid");
        full.addAll(List.of("--pidfile=" + pidfile, "--detach", "--no-chdir", "--log-file=" + dir.resolve(name + ".log"), "-vconsole:off"));
        // ovn-controller 23.03 has no --unixctl: its socket is $OVN_RUNDIR/ovn-controller.PID.ctl, in dir too
        if (!cmd[0].equals("ovn-controller")) full.add("--unixctl=" + dir.resolve(name + ".ctl"));
        ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".out").toFile());
        for (String v : List.of("OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR", "OVN_RUNDIR", "OVN_LOGDIR", "OVN_DBDIR")) pb.environment().put(v, dir.toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(name + " did not start:\n" + Files.readString(dir.resolve(name + ".out")));
        }
        pidfiles.add(pidfile);
    }

    public String log(String name) {
        try {
            return Files.readString(dir.resolve(name + ".log"));
        } catch (IOException e) {
            return "(no " + name + ".log: " + e + ")";
        }
    }

    public NetLab.Result nbctlRun(String... args) {
        return NetLab.run(Stream.concat(Stream.of("ovn-nbctl", "--db=unix:" + nb()), Stream.of(args)).toArray(String[]::new));
    }

    public String nbctl(String... args) {
        NetLab.Result r = nbctlRun(args);
        if (r.rc() != 0) throw new IllegalStateException("ovn-nbctl " + String.join(" ", args) + ": " + r.output());
        return r.output().strip();
    }

    /** ovn-nbctl --wait=hv sync: returns once every chassis's ovn-controller has put the NB state into its bridge's flows. */
    public void syncHv(java.util.function.Supplier<String> context) {
        NetLab.Result r = nbctlRun("--timeout=60", "--wait=hv", "sync");
        if (r.rc() != 0) throw new AssertionError("ovn-nbctl --wait=hv sync: " + r.output() + context.get());
    }

    public String sbctl(String... args) {
        String[] cmd = Stream.concat(Stream.of("ovn-sbctl", "--db=unix:" + sb()), Stream.of(args)).toArray(String[]::new);
        NetLab.Result r = NetLab.run(cmd);
        if (r.rc() != 0) throw new IllegalStateException("ovn-sbctl " + String.join(" ", args) + ": " + r.output());
        return r.output().strip();
    }

    /** Stops the daemons started here, last first, by the pids in their pid files (SIGTERM, then SIGKILL). */
    @Override
    public void close() {
        for (Path pf : pidfiles.reversed()) stop(pf);
    }

    private static void stop(Path pidfile) {
        try {
            long pid = Long.parseLong(Files.readString(pidfile).strip());
            ProcessHandle.of(pid).ifPresent(p -> {
                p.destroy();
                try {
                    p.onExit().get(10, TimeUnit.SECONDS);
                } catch (Exception slow) {
                    p.destroyForcibly();
                    p.onExit().join();
                }
            });
        } catch (IOException | NumberFormatException e) {
            // never started or already gone
        }
    }
}
