package io.xvio.e2e;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code dpdk-testpmd} in interactive mode ({@code -i}) per LAB.md: {@code --no-huge -m 1024
 * --no-pci}, a unique {@code --file-prefix}, {@code --total-num-mbufs=16384}, pinned with
 * {@code --lcores} (default {@code 0@0,1@0}: both lcores on CPU 0, leaving CPU 1 to the device
 * under test). Commands go to its stdin; its output is captured to {@code testpmd.log}.
 *
 * <p>testpmd's stdout is a pipe here, so it is started under {@code stdbuf -oL} (else printf
 * output stays in the stdio buffer and only the echoed commands arrive).
 *
 * <pre>{@code
 * try (var gen = Testpmd.builder().virtioUser("/tmp/xv-x/a.sock", "mrg_rxbuf=0")
 *         .virtioUser("/tmp/xv-x/b.sock").txpkts(64).workDir(dir).start()) {
 *     gen.startTxFirst(16);
 *     Thread.sleep(5000);
 *     var stats = gen.portStats();
 *     gen.stopForwarding();
 * }
 * }</pre>
 */
public final class Testpmd implements AutoCloseable {

    public static final String BINARY = "dpdk-testpmd";
    public static final String PROMPT = "testpmd> ";
    private static final AtomicInteger PREFIX_COUNTER = new AtomicInteger();
    private static final Pattern ESCAPES = Pattern.compile("\u001b\\[[0-9;?]*[A-Za-z]");

    /** One port's counters from {@code show port stats all}. */
    public record PortStats(int port, long rxPackets, long rxMissed, long rxBytes, long rxErrors, long rxNombuf,
            long txPackets, long txErrors, long txBytes, long rxPps, long txPps) {}

    private final String filePrefix;
    private final Path workDir;
    private final boolean ownsWorkDir;
    private final List<String> command;
    private final Process process;
    private final QemuGuest.OutputLog log;
    private final OutputStream stdin;
    private boolean closed;

    private Testpmd(Builder b, Path workDir, boolean ownsWorkDir, List<String> command) throws IOException {
        this.filePrefix = b.filePrefix;
        this.workDir = workDir;
        this.ownsWorkDir = ownsWorkDir;
        this.command = List.copyOf(command);
        Files.writeString(workDir.resolve("testpmd-" + filePrefix + ".cmdline"), String.join(" ", command) + "\n");
        this.process = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
        this.stdin = process.getOutputStream();
        this.log = new QemuGuest.OutputLog(process.getInputStream(), workDir.resolve("testpmd-" + filePrefix + ".log"),
                "testpmd-" + filePrefix);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** True when dpdk-testpmd is on the PATH. */
    public static boolean available() {
        return QemuGuest.onPath(BINARY);
    }

    // ------------------------------------------------------------------ accessors

    public long pid() {
        return process.pid();
    }

    public String filePrefix() {
        return filePrefix;
    }

    public List<String> command() {
        return command;
    }

    public Path logFile() {
        return log.file();
    }

    /** All output so far ('\r' removed). */
    public String output() {
        return log.text();
    }

    public String outputTail(int chars) {
        return log.tail(chars);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for output matching {@code regex} (MULTILINE) anywhere in the output. */
    public MatchResult waitForOutput(String regex, Duration timeout) {
        return log.await(Pattern.compile(regex, Pattern.MULTILINE), 0, timeout, "testpmd " + filePrefix);
    }

    // ------------------------------------------------------------------ commands

    /** Sends one command and returns its output (up to the next prompt, echo and escapes removed). */
    public synchronized String command(String cmd, Duration timeout) {
        if (cmd.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("one line only: " + cmd);
        }
        int mark = log.length();
        try {
            stdin.write((cmd + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("testpmd stdin closed; output:\n" + log.tail(4000), e);
        }
        MatchResult m = log.await(Pattern.compile(Pattern.quote(PROMPT)), mark, timeout, "testpmd '" + cmd + "'");
        String out = ESCAPES.matcher(log.text().substring(mark, m.start())).replaceAll("");
        int nl = out.indexOf('\n');
        if (nl >= 0 && out.substring(0, nl).strip().equals(cmd.strip())) {
            out = out.substring(nl + 1); // the cmdline library echoes the command
        }
        return out;
    }

    public String command(String cmd) {
        return command(cmd, Duration.ofSeconds(30));
    }

    /** {@code start}: start forwarding in the configured mode. */
    public String startForwarding() {
        return command("start");
    }

    /** {@code start tx_first N}: send N bursts on every port first, then forward (closed loop). */
    public String startTxFirst(int bursts) {
        return command("start tx_first " + bursts);
    }

    /** {@code stop}: stop forwarding; returns the forward statistics testpmd prints. */
    public String stopForwarding() {
        return command("stop");
    }

    /** {@code clear port stats all}. */
    public void clearStats() {
        command("clear port stats all");
    }

    /** {@code show port stats all}, parsed. */
    public Map<Integer, PortStats> portStats() {
        String out = command("show port stats all");
        Map<Integer, PortStats> stats = parsePortStats(out);
        if (stats.isEmpty()) {
            throw new AssertionError("no port stats in testpmd output:\n" + out);
        }
        return stats;
    }

    private static final Pattern BLOCK = Pattern.compile("NIC statistics for port (\\d+)\\s*#+(.*?)#{20,}",
            Pattern.DOTALL);

    /** Parses the blocks of {@code show port stats all} (missing counters read as 0). */
    public static Map<Integer, PortStats> parsePortStats(String text) {
        Map<Integer, PortStats> res = new LinkedHashMap<>();
        Matcher b = BLOCK.matcher(text);
        while (b.find()) {
            int port = Integer.parseInt(b.group(1));
            String s = b.group(2);
            res.put(port, new PortStats(port, num(s, "RX-packets"), num(s, "RX-missed"), num(s, "RX-bytes"),
                    num(s, "RX-errors"), num(s, "RX-nombuf"), num(s, "TX-packets"), num(s, "TX-errors"),
                    num(s, "TX-bytes"), num(s, "Rx-pps"), num(s, "Tx-pps")));
        }
        return res;
    }

    private static long num(String s, String key) {
        Matcher m = Pattern.compile("(?<![A-Za-z-])" + Pattern.quote(key) + ":\\s*(\\d+)").matcher(s);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    // ------------------------------------------------------------------ stop

    /** {@code quit}, then SIGTERM and SIGKILL by pid if still running; removes /var/run/dpdk/PREFIX. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        ProcessHandle h = process.toHandle();
        try {
            if (h.isAlive()) {
                try {
                    stdin.write("quit\n".getBytes(StandardCharsets.UTF_8));
                    stdin.flush();
                } catch (IOException ignored) {
                    // already gone
                }
                if (!waitExit(h, 10)) {
                    h.destroy();
                    if (!waitExit(h, 5)) {
                        h.destroyForcibly();
                        waitExit(h, 5);
                    }
                }
            }
            try {
                stdin.close();
            } catch (IOException ignored) {
                // gone
            }
            log.awaitEof(Duration.ofSeconds(2));
        } finally {
            QemuGuest.deleteTree(Path.of("/var/run/dpdk", filePrefix));
            if (ownsWorkDir) {
                QemuGuest.deleteTree(workDir);
            }
        }
    }

    private static boolean waitExit(ProcessHandle h, int seconds) {
        try {
            h.onExit().get(seconds, TimeUnit.SECONDS);
            return true;
        } catch (Exception e) {
            return !h.isAlive();
        }
    }

    // ================================================================== builder

    public static final class Builder {
        private String lcores = "0@0,1@0";
        private int memoryMb = 1024;
        private boolean noHuge = true;
        private String filePrefix = "xvtp" + ProcessHandle.current().pid() + "n" + PREFIX_COUNTER.incrementAndGet();
        private final List<String> vdevs = new ArrayList<>();
        private final List<String> ealArgs = new ArrayList<>();
        private String forwardMode = "io";
        private int nbCores = 1;
        private int burst = 32;
        private int txd = 1024;
        private int rxd = 1024;
        private int queues = 1;
        private int totalNumMbufs = 16384;
        private String txpkts;
        private final Map<Integer, String> ethPeers = new LinkedHashMap<>();
        private final List<String> appArgs = new ArrayList<>();
        private Path workDir;
        private Duration startupTimeout = Duration.ofSeconds(60);
        private int virtioUsers;
        private int vhosts;

        /** {@code --lcores} (default {@code 0@0,1@0}). */
        public Builder lcores(String spec) {
            this.lcores = spec;
            return this;
        }

        /** {@code -m} in MB (default 1024). */
        public Builder memoryMb(int mb) {
            this.memoryMb = mb;
            return this;
        }

        /** {@code --no-huge} (default on). */
        public Builder noHuge(boolean on) {
            this.noHuge = on;
            return this;
        }

        /** {@code --file-prefix} (default unique per JVM and instance). */
        public Builder filePrefix(String prefix) {
            this.filePrefix = prefix;
            return this;
        }

        /**
         * A {@code net_virtio_userN,path=SOCKET,queues=Q} port (testpmd as the virtio driver, connecting
         * to a vhost-user backend); options like {@code mac=02:00:00:00:00:0a}, {@code mrg_rxbuf=0},
         * {@code packed_vq=1}, {@code in_order=1}, {@code server=1} are appended.
         */
        public Builder virtioUser(String socketPath, String... options) {
            StringBuilder v = new StringBuilder("net_virtio_user" + virtioUsers++ + ",path=" + socketPath);
            if (!hasKey(options, "queues")) {
                v.append(",queues=").append(queues);
            }
            for (String o : options) {
                v.append(',').append(o);
            }
            vdevs.add(v.toString());
            return this;
        }

        /** A {@code net_vhostN,iface=SOCKET,queues=Q} port (testpmd as the vhost-user backend); e.g. {@code client=1}. */
        public Builder vhost(String socketPath, int queues, String... options) {
            StringBuilder v = new StringBuilder("net_vhost" + vhosts++ + ",iface=" + socketPath + ",queues=" + queues);
            for (String o : options) {
                v.append(',').append(o);
            }
            vdevs.add(v.toString());
            return this;
        }

        /** A raw {@code --vdev} spec. */
        public Builder vdev(String spec) {
            vdevs.add(spec);
            return this;
        }

        /** Extra EAL arguments (before {@code --}). */
        public Builder eal(String... args) {
            ealArgs.addAll(List.of(args));
            return this;
        }

        /** {@code --forward-mode} (default io). */
        public Builder forwardMode(String mode) {
            this.forwardMode = mode;
            return this;
        }

        /** {@code --nb-cores} (default 1). */
        public Builder nbCores(int n) {
            this.nbCores = n;
            return this;
        }

        public Builder burst(int n) {
            this.burst = n;
            return this;
        }

        /** {@code --txd} and {@code --rxd} (default 1024). */
        public Builder descriptors(int txd, int rxd) {
            this.txd = txd;
            this.rxd = rxd;
            return this;
        }

        /**
         * Queues per port: {@code --rxq/--txq}, and the default {@code queues=} of later
         * {@link #virtioUser} ports. Call before adding ports.
         */
        public Builder queues(int n) {
            this.queues = n;
            return this;
        }

        public Builder totalNumMbufs(int n) {
            this.totalNumMbufs = n;
            return this;
        }

        /** {@code --txpkts=N}: frame size of generated packets (txonly, tx_first). */
        public Builder txpkts(int frameBytes) {
            this.txpkts = Integer.toString(frameBytes);
            return this;
        }

        /** {@code --txpkts=SPEC} (comma-separated segment lengths). */
        public Builder txpkts(String spec) {
            this.txpkts = spec;
            return this;
        }

        /** {@code --eth-peer=PORT,MAC}. */
        public Builder ethPeer(int port, String mac) {
            ethPeers.put(port, mac);
            return this;
        }

        /**
         * mac forward mode for a learning switch between port 0 (MAC a) and port 1 (MAC b), per LAB.md:
         * {@code --forward-mode=mac}, {@code --eth-peer=0,b --eth-peer=1,a}. Give the ports those MACs
         * with {@code virtioUser(path, "mac=" + a)}.
         */
        public Builder macCrossConnect(String macA, String macB) {
            forwardMode = "mac";
            ethPeers.put(0, macB);
            ethPeers.put(1, macA);
            return this;
        }

        /** Extra testpmd application arguments (after {@code --}). */
        public Builder app(String... args) {
            appArgs.addAll(List.of(args));
            return this;
        }

        /** Dir for the log (default: a fresh /tmp/xv-tp-* that close() deletes). */
        public Builder workDir(Path dir) {
            this.workDir = dir;
            return this;
        }

        /** How long to wait for the first prompt (default 60 s). */
        public Builder startupTimeout(Duration d) {
            this.startupTimeout = d;
            return this;
        }

        private static boolean hasKey(String[] options, String key) {
            for (String o : options) {
                if (o.startsWith(key + "=")) {
                    return true;
                }
            }
            return false;
        }

        /** The argv. */
        public List<String> commandLine() {
            List<String> c = new ArrayList<>();
            if (QemuGuest.onPath("stdbuf")) {
                c.addAll(List.of("stdbuf", "-oL", "-eL"));
            }
            c.add(BINARY);
            c.add("--lcores");
            c.add(lcores);
            if (noHuge) {
                c.add("--no-huge");
            }
            c.addAll(List.of("-m", Integer.toString(memoryMb), "--no-pci", "--no-telemetry",
                    "--file-prefix=" + filePrefix));
            for (String v : vdevs) {
                c.add("--vdev");
                c.add(v);
            }
            c.addAll(ealArgs);
            c.addAll(List.of("--", "-i", "--total-num-mbufs=" + totalNumMbufs, "--forward-mode=" + forwardMode,
                    "--nb-cores=" + nbCores, "--burst=" + burst, "--txd=" + txd, "--rxd=" + rxd));
            if (queues > 1) {
                c.add("--rxq=" + queues);
                c.add("--txq=" + queues);
            }
            if (txpkts != null) {
                c.add("--txpkts=" + txpkts);
            }
            ethPeers.forEach((p, m) -> c.add("--eth-peer=" + p + "," + m));
            c.addAll(appArgs);
            return c;
        }

        /** Starts testpmd and waits for its first prompt. */
        public Testpmd start() {
            if (vdevs.isEmpty()) {
                throw new IllegalStateException("no ports (virtioUser/vhost/vdev)");
            }
            boolean owns = workDir == null;
            Path dir = owns ? QemuGuest.newTempDir("tp") : workDir;
            Testpmd t;
            try {
                Files.createDirectories(dir);
                t = new Testpmd(this, dir, owns, commandLine());
            } catch (IOException e) {
                if (owns) {
                    QemuGuest.deleteTree(dir);
                }
                throw new UncheckedIOException(e);
            }
            try {
                t.log.await(Pattern.compile(Pattern.quote(PROMPT)), 0, startupTimeout, "testpmd start");
            } catch (RuntimeException | AssertionError e) {
                t.close();
                throw e;
            }
            return t;
        }
    }
}
