package io.xvio.e2e;

import io.xvio.control.ControlClient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the real launcher, {@code bin/xvio daemon}, as a separate process with a config written into a test's
 * directory; talks to it over its control socket; stops it by its pid with SIGTERM and checks it exits cleanly.
 */
public final class XvioDaemon implements AutoCloseable {
    private final Process process;
    private final Path log;
    private final String control;

    private XvioDaemon(Process p, Path log, String control) {
        this.process = p;
        this.log = log;
        this.control = control;
    }

    public static Path home() {
        return Path.of(System.getProperty("xvio.home", ".")).toAbsolutePath();
    }

    /** Starts xvio with yaml as its config; waits until its control socket answers. */
    public static XvioDaemon start(Path dir, String yaml) throws IOException, InterruptedException {
        return startIn(null, dir, yaml);
    }

    /**
     * Starts xvio inside network namespace netns (null: this one), as a daemon on another "host" would run; its
     * control socket is a path in dir, reachable from here.
     */
    public static XvioDaemon startIn(String netns, Path dir, String yaml) throws IOException, InterruptedException {
        return startIn(netns, dir, yaml, List.of());
    }

    /** Starts xvio with yaml as its config and more daemon options (e.g. --ovsdb unix:PATH). */
    public static XvioDaemon startWith(Path dir, String yaml, List<String> options) throws IOException, InterruptedException {
        return startIn(null, dir, yaml, options);
    }

    /** Starts xvio inside netns (null: this one) with yaml and more daemon options: a chassis on its own "host". */
    public static XvioDaemon startInWith(String netns, Path dir, String yaml, List<String> options) throws IOException, InterruptedException {
        return startIn(netns, dir, yaml, options);
    }

    private static XvioDaemon startIn(String netns, Path dir, String yaml, List<String> options) throws IOException, InterruptedException {
        Path cfg = dir.resolve("xvio.yaml");
        Files.writeString(cfg, yaml);
        Path log = dir.resolve("xvio.log");
        String control = dir.resolve("ctl.sock").toString();
        List<String> cmd = new java.util.ArrayList<>();
        if (netns != null) cmd.addAll(List.of("ip", "netns", "exec", netns));   // execs xvio: the pid stays xvio's
        cmd.addAll(List.of(home().resolve("bin/xvio").toString(), "daemon", "--config", cfg.toString(), "--control", control));
        cmd.addAll(options);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("XVIO_JVM_OPTS", "-Xms128m -Xmx128m -XX:+UseSerialGC");
        XvioDaemon d = new XvioDaemon(pb.start(), log, control);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (!d.process.isAlive()) throw new IllegalStateException("xvio exited at start:\n" + d.log());
            try {
                if (d.call("ping").equals("pong")) return d;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        d.close();
        throw new IllegalStateException("xvio control socket did not answer in 30 s:\n" + d.log());
    }

    public long pid() { return process.pid(); }

    public String controlSocket() { return control; }

    /** A control request; throws if the daemon answers with an error. */
    public String call(String... args) throws IOException {
        ControlClient.Reply r = ControlClient.call(control, List.of(args));
        if (!r.ok()) throw new IOException("xvio " + String.join(" ", args) + ": " + r.text());
        return r.text();
    }

    /** A counter of one port from `stats`, e.g. counter("vhA", "rx_packets"). */
    public long counter(String port, String name) throws IOException {
        String stats = call("stats");
        int at = stats.indexOf(" " + port + " (");
        if (at < 0) throw new IllegalStateException("no port " + port + " in stats:\n" + stats);
        int end = stats.indexOf("\n  port ", at + 1);
        String block = stats.substring(at, end < 0 ? stats.length() : end);
        Matcher m = Pattern.compile("(?:^|\\s)" + Pattern.quote(name) + "=(\\d+)").matcher(block);
        return m.find() ? Long.parseLong(m.group(1)) : 0L;
    }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Waits until the log contains text. */
    public boolean awaitLog(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (log().contains(text)) return true;
            Thread.sleep(100);
        }
        return false;
    }

    /** SIGTERM by pid; returns the exit code (0 for a clean stop). */
    public int stop() throws InterruptedException {
        if (!process.isAlive()) return process.exitValue();
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
            return -1;
        }
        return process.exitValue();
    }

    /** SIGKILL by pid, as a crash would end it; returns once it is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
