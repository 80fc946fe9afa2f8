package io.xvio.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One QEMU guest (TCG, Debian kernel, busybox initramfs from {@code scripts/guest-initramfs.sh})
 * with one virtio-net-pci NIC on a vhost-user socket, per the LAB.md recipe:
 * {@code -accel tcg}, memfd {@code share=on} memory, {@code vectors=0} (QEMU 7.2 segfaults with
 * MSI-X + vhost-user under TCG).
 *
 * <p>The serial console goes to QEMU's stdio: it is captured to {@code console.log} in the guest's
 * work dir and kept in memory for {@link #waitFor} and assertion messages; lines written with
 * {@link #sendLine} reach the guest's /init, which evals them in serve mode ({@link #exec}).
 *
 * <pre>{@code
 * try (var g = QemuGuest.builder(socket).name("a").ip("10.0.0.1/24").serve().start()) {
 *     g.waitForReady(Duration.ofSeconds(60));
 *     var r = g.ping("10.0.0.2", 5, 0.2, Duration.ofSeconds(30));
 * }
 * }</pre>
 *
 * Console markers printed by the guest: {@code XVIO-BOOT}, {@code XVIO-INFO ...},
 * {@code XVIO-QUEUES rx=N tx=N}, {@code XVIO-READY}, {@code XVIO-SERVE}, {@code XVIO-PEER-UP},
 * {@code XVIO-PEER-TIMEOUT}, {@code XVIO-PING sent=N received=M}, {@code XVIO-CMD-BEGIN},
 * {@code XVIO-CMD-END rc=N}, {@code XVIO-ERROR ...}, {@code XVIO-DONE rc=N}.
 */
public final class QemuGuest implements AutoCloseable {

    /** Kernel and initramfs the guests boot. */
    public record Image(Path kernel, Path initrd) {}

    /** Counts parsed from busybox ping's summary. */
    public record PingResult(int sent, int received) {
        public int lost() {
            return sent - received;
        }

        public boolean allReceived() {
            return sent > 0 && received == sent;
        }
    }

    /** Output of a command run in the guest through the serial console. */
    public record ExecResult(int rc, String output) {}

    public static final String QEMU = "qemu-system-x86_64";
    private static final AtomicInteger MAC_COUNTER = new AtomicInteger(1);
    private static final AtomicInteger EXEC_COUNTER = new AtomicInteger(1);
    private static Image image;

    private final String name;
    private final Path workDir;
    private final boolean ownsWorkDir;
    private final Path monitorSocket;
    private final List<String> command;
    private final Process process;
    private final OutputLog log;
    private final OutputStream stdin;
    private final long startNanos;
    private volatile boolean closed;

    private QemuGuest(Builder b, Path workDir, boolean ownsWorkDir, List<String> command, Path monitorSocket)
            throws IOException {
        this.name = b.name;
        this.workDir = workDir;
        this.ownsWorkDir = ownsWorkDir;
        this.command = List.copyOf(command);
        this.monitorSocket = monitorSocket;
        Files.writeString(workDir.resolve("qemu.cmdline"), String.join(" ", command) + "\n");
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        this.startNanos = System.nanoTime();
        this.process = pb.start();
        this.stdin = process.getOutputStream();
        this.log = new OutputLog(process.getInputStream(), workDir.resolve("console.log"), "qemu-" + name);
    }

    // ------------------------------------------------------------------ statics

    public static Builder builder(Path vhostUserSocket) {
        return new Builder(vhostUserSocket);
    }

    /** True when QEMU and the initramfs script are there (the script installs the rest). */
    public static boolean available() {
        return onPath(QEMU) && Files.isRegularFile(home().resolve("scripts/guest-initramfs.sh"))
                && (hasKernel() || onPath("apt-get"));
    }

    private static boolean hasKernel() {
        try (Stream<Path> s = Files.list(Path.of("/boot"))) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith("vmlinuz-"));
        } catch (IOException e) {
            return false;
        }
    }

    /** The project dir (surefire sets xvio.home), else the working dir. */
    public static Path home() {
        return Path.of(System.getProperty("xvio.home", System.getProperty("user.dir"))).toAbsolutePath();
    }

    /**
     * Builds the initramfs once per JVM into target/guest/ (system properties xvio.guest.kernel and
     * xvio.guest.initrd override both).
     */
    public static synchronized Image image() {
        if (image != null) {
            return image;
        }
        String k = System.getProperty("xvio.guest.kernel");
        String i = System.getProperty("xvio.guest.initrd");
        if (k != null && i != null) {
            return image = new Image(Path.of(k), Path.of(i));
        }
        Path dir = home().resolve("target/guest");
        Path out = dir.resolve("guest.cpio.gz");
        Path buildLog = dir.resolve("build.log");
        try {
            Files.createDirectories(dir);
            Process p = new ProcessBuilder("bash", home().resolve("scripts/guest-initramfs.sh").toString(),
                    out.toString())
                    .redirectErrorStream(true).redirectOutput(buildLog.toFile()).start();
            if (!p.waitFor(15, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("guest-initramfs.sh timed out, see " + buildLog);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("guest-initramfs.sh failed (" + p.exitValue() + "):\n"
                        + Files.readString(buildLog));
            }
            Path kernel = Path.of(Files.readString(dir.resolve("guest.kernel")).strip());
            return image = new Image(kernel, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A fresh dir /tmp/xv-PREFIX-NNN (short, for vhost-user socket paths). */
    public static Path newTempDir(String prefix) {
        try {
            return Files.createTempDirectory(Path.of("/tmp"), "xv-" + prefix + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes a tree, ignoring errors; keeps it when -Dxvio.e2e.keep=true. */
    public static void deleteTree(Path dir) {
        if (dir == null || Boolean.getBoolean("xvio.e2e.keep") || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    static boolean onPath(String exe) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String d : path.split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, exe))) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ accessors

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public Path workDir() {
        return workDir;
    }

    public Path consoleFile() {
        return workDir.resolve("console.log");
    }

    /** The QEMU command line. */
    public List<String> command() {
        return command;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** All console output so far ('\r' removed). */
    public String console() {
        return log.text();
    }

    /** The last {@code chars} characters of the console, for assertion messages. */
    public String consoleTail(int chars) {
        return log.tail(chars);
    }

    /** Current console length: pass to {@link #waitFor(Pattern, int, Duration)} to match only newer output. */
    public int consoleMark() {
        return log.length();
    }

    /** Elapsed time since QEMU was started. */
    public Duration uptime() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    // ------------------------------------------------------------------ waiting

    /**
     * Waits for console output matching {@code regex} (MULTILINE) anywhere in the console. Output
     * arrives in chunks: end the regex with {@code \n} when a partial line could match too early.
     */
    public MatchResult waitFor(String regex, Duration timeout) {
        return waitFor(Pattern.compile(regex, Pattern.MULTILINE), 0, timeout);
    }

    public MatchResult waitFor(Pattern pattern, Duration timeout) {
        return waitFor(pattern, 0, timeout);
    }

    /** Waits for a match starting at console offset {@code from}; AssertionError with the console on timeout or exit. */
    public MatchResult waitFor(Pattern pattern, int from, Duration timeout) {
        return log.await(pattern, from, timeout, "guest " + name);
    }

    /** Waits for XVIO-READY; returns the wall time from QEMU's start to it. */
    public Duration waitForReady(Duration timeout) {
        waitFor(Pattern.compile("^XVIO-READY", Pattern.MULTILINE), 0, timeout);
        return uptime();
    }

    /** Waits for the ping job's {@code XVIO-PING sent=N received=M}. */
    public PingResult waitForPing(Duration timeout) {
        MatchResult m = waitFor(Pattern.compile("^XVIO-PING sent=(\\d+) received=(\\d+)\n", Pattern.MULTILINE), 0,
                timeout);
        return new PingResult(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    /** Waits for {@code XVIO-DONE rc=N} (end of a ping or cmd job) and returns N. */
    public int waitForDone(Duration timeout) {
        MatchResult m = waitFor(Pattern.compile("^XVIO-DONE rc=(\\d+)\n", Pattern.MULTILINE), 0, timeout);
        return Integer.parseInt(m.group(1));
    }

    /** Output between XVIO-CMD-BEGIN and XVIO-CMD-END of a cmd job. */
    public ExecResult waitForCommand(Duration timeout) {
        MatchResult end = waitFor(Pattern.compile("^XVIO-CMD-END rc=(\\d+)\n", Pattern.MULTILINE), 0, timeout);
        String text = console();
        int b = text.indexOf("XVIO-CMD-BEGIN\n");
        String out = b < 0 ? "" : text.substring(b + "XVIO-CMD-BEGIN\n".length(), end.start());
        return new ExecResult(Integer.parseInt(end.group(1)), out);
    }

    /** Waits for QEMU to exit (e.g. after poweroff) and returns its exit code. */
    public int waitForExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("guest " + name + " still running after " + timeout + "; console:\n"
                        + consoleTail(4000));
            }
            log.awaitEof(Duration.ofSeconds(5));
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ console input

    /** Writes one line to the serial console (serve mode evals it in the guest's /init shell). */
    public void sendLine(String line) {
        if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("one line only: " + line);
        }
        try {
            stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("guest " + name + " console closed", e);
        }
    }

    /**
     * Runs {@code shellCommand} (one line) in a serve-mode guest through the serial console and
     * returns its exit code and combined output.
     */
    public ExecResult exec(String shellCommand, Duration timeout) {
        waitFor(Pattern.compile("^XVIO-SERVE", Pattern.MULTILINE), 0, timeout);
        int id = EXEC_COUNTER.getAndIncrement();
        String begin = "XVIO-EXEC-BEGIN-" + id;
        String end = "XVIO-EXEC-END-" + id;
        int mark = consoleMark();
        sendLine("echo " + begin + "; ( " + shellCommand + " ) 2>&1; echo " + end + " rc=$?");
        MatchResult e = waitFor(Pattern.compile("^" + end + " rc=(\\d+)\n", Pattern.MULTILINE), mark, timeout);
        String text = console();
        int b = text.indexOf(begin + "\n", mark);
        String out = b < 0 ? "" : text.substring(b + begin.length() + 1, e.start());
        return new ExecResult(Integer.parseInt(e.group(1)), out);
    }

    /** Pings {@code peer} from a serve-mode guest (busybox ping, -W 2). */
    public PingResult ping(String peer, int count, double interval, Duration timeout) {
        ExecResult r = exec("ping -c " + count + " -i " + interval + " -W 2 " + peer, timeout);
        Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) packets received").matcher(r.output());
        if (!m.find()) {
            throw new AssertionError("guest " + name + ": no ping summary in:\n" + r.output());
        }
        return new PingResult(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    // ------------------------------------------------------------------ monitor

    /** The HMP monitor socket, if the guest was built with {@code monitor(true)}. */
    public Path monitorSocket() {
        return monitorSocket;
    }

    /** Sends one HMP command (e.g. {@code info migrate}) to the monitor socket and returns its output. */
    public String hmp(String hmpCommand, Duration timeout) {
        if (monitorSocket == null) {
            throw new IllegalStateException("guest " + name + " has no monitor (builder.monitor(true))");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(monitorSocket));
            StringBuilder sb = new StringBuilder();
            readUntilPrompt(ch, sb, deadline);
            sb.setLength(0);
            ch.write(ByteBuffer.wrap((hmpCommand + "\n").getBytes(StandardCharsets.UTF_8)));
            readUntilPrompt(ch, sb, deadline);
            String out = sb.toString().replaceAll("\u001b\\[[0-9;]*[A-Za-z]", "").replace("\r", "");
            out = out.substring(0, out.length() - "(qemu) ".length());
            int nl = out.indexOf('\n'); // the monitor echoes the command line
            if (nl >= 0 && out.substring(0, nl).contains(hmpCommand.strip())) {
                out = out.substring(nl + 1);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("monitor " + monitorSocket, e);
        }
    }

    private static void readUntilPrompt(SocketChannel ch, StringBuilder sb, long deadline) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(8192);
        while (!sb.toString().endsWith("(qemu) ")) {
            if (System.nanoTime() > deadline) {
                throw new IOException("monitor timeout, got: " + sb);
            }
            buf.clear();
            int n = ch.read(buf);
            if (n < 0) {
                throw new IOException("monitor closed, got: " + sb);
            }
            sb.append(new String(buf.array(), 0, n, StandardCharsets.ISO_8859_1));
        }
    }

    // ------------------------------------------------------------------ stop

    /** Stops QEMU by its pid: SIGTERM, then SIGKILL after 5 s; deletes an own work dir. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ProcessHandle h = process.toHandle();
        try {
            if (h.isAlive()) {
                h.destroy();
                try {
                    h.onExit().get(5, TimeUnit.SECONDS);
                } catch (Exception e) {
                    h.destroyForcibly();
                    try {
                        h.onExit().get(5, TimeUnit.SECONDS);
                    } catch (Exception ignored) {
                        // nothing more to do
                    }
                }
            }
            try {
                stdin.close();
            } catch (IOException ignored) {
                // gone with the process
            }
            log.awaitEof(Duration.ofSeconds(2));
        } finally {
            if (ownsWorkDir) {
                deleteTree(workDir);
            }
        }
    }

    @Override
    public String toString() {
        return "QemuGuest[" + name + " pid=" + process.pid() + "]";
    }

    // ================================================================== builder

    /** Options for one guest; {@link #start()} launches it. */
    public static final class Builder {
        private final Path socket;
        private String name = "guest";
        private boolean qemuServer;
        private String mac;
        private String ip;
        private String peer;
        private String peerMac;
        private Integer mtu;
        private int queues = 1;
        private Integer cpus;
        private Boolean mrgRxbuf;
        private Boolean packed;
        private final Map<String, String> deviceOptions = new LinkedHashMap<>();
        private long memoryKb = 256 * 1024;
        private String mode = "serve";
        private int pingCount = 5;
        private double pingInterval = 0.2;
        private Integer pingSize;
        private Integer waitPeerSeconds;
        private String shellCommand;
        private boolean thenServe;
        private final List<String> kernelArgs = new ArrayList<>();
        private final List<String> qemuArgs = new ArrayList<>();
        private boolean monitor;
        private String incoming;
        private Path workDir;
        private Image image;

        private Builder(Path socket) {
            this.socket = Objects.requireNonNull(socket);
            if (socket.toString().length() >= 100) {
                throw new IllegalArgumentException("socket path too long for sun_path: " + socket);
            }
        }

        /** Name for logs and thread names (default "guest"). */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** QEMU listens on the socket ({@code server=on,wait=off}); default: QEMU connects as client. */
        public Builder qemuServer(boolean on) {
            this.qemuServer = on;
            return this;
        }

        /** Guest MAC (default 52:54:00:12:34:NN, unique per JVM). */
        public Builder mac(String mac) {
            this.mac = mac;
            return this;
        }

        /** Address with prefix for eth0, e.g. 10.0.0.1/24. */
        public Builder ip(String cidr) {
            this.ip = cidr;
            return this;
        }

        /** The peer address the ping job pings. */
        public Builder peer(String addr) {
            this.peer = addr;
            return this;
        }

        /** Static ARP entry for the peer (needs {@link #peer}). */
        public Builder peerMac(String mac) {
            this.peerMac = mac;
            return this;
        }

        public Builder mtu(int mtu) {
            this.mtu = mtu;
            return this;
        }

        /** Queue pairs: > 1 adds {@code queues=N} to the netdev, {@code mq=on} and {@code -smp N} (unless {@link #cpus}). */
        public Builder queues(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("queues " + n);
            }
            this.queues = n;
            return this;
        }

        /** Shorthand for {@code queues(2)}: the guest driver then uses 2 queue pairs. */
        public Builder multiqueue() {
            return queues(2);
        }

        /** vCPUs ({@code -smp}); default: the number of queue pairs. */
        public Builder cpus(int n) {
            this.cpus = n;
            return this;
        }

        /** {@code mrg_rxbuf=on/off} on the device (default: QEMU's, on). */
        public Builder mrgRxbuf(boolean on) {
            this.mrgRxbuf = on;
            return this;
        }

        /** {@code packed=on/off} (packed virtqueues) on the device. */
        public Builder packed(boolean on) {
            this.packed = on;
            return this;
        }

        /** Any other virtio-net-pci property, e.g. {@code ("rx_queue_size", "1024")}, {@code ("csum", "off")}. */
        public Builder deviceOption(String key, String value) {
            deviceOptions.put(key, value);
            return this;
        }

        public Builder memoryMb(int mb) {
            this.memoryKb = mb * 1024L;
            return this;
        }

        /** Guest RAM in KiB (QEMU rounds it up to a multiple of 8 KiB); see MigrationIT for why a size not in MiB. */
        public Builder memoryKb(long kb) {
            this.memoryKb = kb;
            return this;
        }

        /** Serve mode (the default): configure eth0, print XVIO-READY, answer pings, eval console lines. */
        public Builder serve() {
            this.mode = "serve";
            return this;
        }

        /** Ping job: ping {@link #peer} count times every interval s, print XVIO-PING, XVIO-DONE, power off. */
        public Builder ping(int count, double interval) {
            this.mode = "ping";
            this.pingCount = count;
            this.pingInterval = interval;
            return this;
        }

        /** ICMP payload size of the ping job (busybox -s). */
        public Builder pingSize(int bytes) {
            this.pingSize = bytes;
            return this;
        }

        /** Before the ping job, wait up to this long for the peer to answer one ping (XVIO-PEER-UP). */
        public Builder waitPeer(int seconds) {
            this.waitPeerSeconds = seconds;
            return this;
        }

        /** Cmd job: run {@code sh -c command} between XVIO-CMD-BEGIN and XVIO-CMD-END rc=N, then power off. */
        public Builder command(String shellCommand) {
            this.mode = "cmd";
            this.shellCommand = shellCommand;
            return this;
        }

        /** After a ping or cmd job, stay up in serve mode instead of powering off. */
        public Builder thenServe(boolean on) {
            this.thenServe = on;
            return this;
        }

        /** Extra kernel command line words. */
        public Builder kernelArg(String... words) {
            kernelArgs.addAll(List.of(words));
            return this;
        }

        /** Extra QEMU arguments, appended last. */
        public Builder qemuArg(String... args) {
            qemuArgs.addAll(List.of(args));
            return this;
        }

        /** An HMP monitor on {@code WORKDIR/mon.sock} (see {@link QemuGuest#hmp}). */
        public Builder monitor(boolean on) {
            this.monitor = on;
            return this;
        }

        /** {@code -incoming URI} (live migration destination), e.g. {@code tcp:127.0.0.1:4444}. */
        public Builder incoming(String uri) {
            this.incoming = uri;
            return this;
        }

        /** Dir for console.log etc. (default: a fresh /tmp/xv-NAME-* that close() deletes). */
        public Builder workDir(Path dir) {
            this.workDir = dir;
            return this;
        }

        /** Kernel and initramfs (default: {@link QemuGuest#image()}). */
        public Builder image(Image image) {
            this.image = image;
            return this;
        }

        /** The kernel command line this builder produces. */
        public String kernelCommandLine() {
            List<String> w = new ArrayList<>(List.of("console=ttyS0", "panic=-1", "loglevel=3"));
            w.add("xvio.mode=" + mode);
            if (ip != null) {
                w.add("xvio.ip=" + ip);
            }
            if (peer != null) {
                w.add("xvio.peer=" + peer);
            }
            if (peerMac != null) {
                w.add("xvio.peermac=" + peerMac);
            }
            if (mtu != null) {
                w.add("xvio.mtu=" + mtu);
            }
            if (mode.equals("ping")) {
                w.add("xvio.count=" + pingCount);
                w.add("xvio.interval=" + pingInterval);
                if (pingSize != null) {
                    w.add("xvio.size=" + pingSize);
                }
            }
            if (waitPeerSeconds != null) {
                w.add("xvio.waitpeer=" + waitPeerSeconds);
            }
            if (shellCommand != null) {
                w.add("xvio.cmd64=" + Base64.getEncoder().encodeToString(shellCommand.getBytes(StandardCharsets.UTF_8)));
            }
            if (thenServe) {
                w.add("xvio.then=serve");
            }
            w.addAll(kernelArgs);
            String line = String.join(" ", w);
            if (line.length() > 2000) {
                throw new IllegalArgumentException("kernel command line too long (" + line.length() + ")");
            }
            return line;
        }

        /** The QEMU argv for the given image and paths. */
        public List<String> qemuCommand(Image img, Path monitorSocket) {
            if (mac == null) {
                mac = String.format("52:54:00:12:34:%02x", MAC_COUNTER.getAndIncrement() & 0xff);
            }
            String m = mac;
            int smp = cpus != null ? cpus : queues;
            String mem = memoryKb % 1024 == 0 ? memoryKb / 1024 + "M" : memoryKb + "K";
            List<String> c = new ArrayList<>(List.of(QEMU, "-nodefaults", "-accel", "tcg", "-no-reboot",
                    "-display", "none", "-vga", "none",
                    "-m", mem, "-smp", Integer.toString(smp),
                    "-object", "memory-backend-memfd,id=mem,size=" + mem + ",share=on",
                    "-numa", "node,memdev=mem",
                    "-kernel", img.kernel().toString(), "-initrd", img.initrd().toString(),
                    "-append", kernelCommandLine(),
                    "-chardev", "stdio,id=con0,signal=off", "-serial", "chardev:con0"));
            if (monitorSocket != null) {
                c.addAll(List.of("-monitor", "unix:" + monitorSocket + ",server=on,wait=off"));
            } else {
                c.addAll(List.of("-monitor", "none"));
            }
            c.addAll(List.of("-chardev", "socket,id=vhu0,path=" + socket + (qemuServer ? ",server=on,wait=off" : "")));
            c.addAll(List.of("-netdev", "vhost-user,id=net0,chardev=vhu0" + (queues > 1 ? ",queues=" + queues : "")));
            StringBuilder dev = new StringBuilder("virtio-net-pci,netdev=net0,mac=" + m + ",vectors=0");
            if (queues > 1) {
                dev.append(",mq=on");
            }
            if (mrgRxbuf != null) {
                dev.append(",mrg_rxbuf=").append(mrgRxbuf ? "on" : "off");
            }
            if (packed != null) {
                dev.append(",packed=").append(packed ? "on" : "off");
            }
            deviceOptions.forEach((k, v) -> dev.append(',').append(k).append('=').append(v));
            c.addAll(List.of("-device", dev.toString()));
            if (incoming != null) {
                c.addAll(List.of("-incoming", incoming));
            }
            c.addAll(qemuArgs);
            return c;
        }

        /** Starts QEMU (the initramfs is built first if this JVM has not yet). */
        public QemuGuest start() {
            if (mode.equals("ping") && peer == null) {
                throw new IllegalStateException("ping job needs peer(...)");
            }
            Image img = image != null ? image : QemuGuest.image();
            boolean owns = workDir == null;
            Path dir = owns ? newTempDir(name) : workDir;
            try {
                Files.createDirectories(dir);
                Path mon = monitor ? dir.resolve("mon.sock") : null;
                if (mon != null && mon.toString().length() >= 100) {
                    throw new IllegalArgumentException("monitor socket path too long: " + mon);
                }
                return new QemuGuest(this, dir, owns, qemuCommand(img, mon), mon);
            } catch (IOException e) {
                if (owns) {
                    deleteTree(dir);
                }
                throw new UncheckedIOException(e);
            }
        }
    }

    // ================================================================== output capture

    /**
     * Captures a process's output on a daemon thread into a file and memory ('\r' dropped) and
     * lets callers wait for a regex. Shared by {@link QemuGuest} and {@link Testpmd}.
     */
    public static final class OutputLog {
        private final StringBuilder text = new StringBuilder();
        private final Object lock = new Object();
        private final Path file;
        private boolean eof;

        public OutputLog(InputStream in, Path file, String threadName) throws IOException {
            this.file = file;
            OutputStream out = Files.newOutputStream(file);
            Thread.ofPlatform().daemon().name("out-" + threadName).start(() -> pump(in, out));
        }

        private void pump(InputStream in, OutputStream out) {
            byte[] buf = new byte[8192];
            try (in; out) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    out.flush();
                    String s = new String(buf, 0, n, StandardCharsets.ISO_8859_1).replace("\r", "");
                    synchronized (lock) {
                        text.append(s);
                        lock.notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // process gone
            } finally {
                synchronized (lock) {
                    eof = true;
                    lock.notifyAll();
                }
            }
        }

        public Path file() {
            return file;
        }

        public String text() {
            synchronized (lock) {
                return text.toString();
            }
        }

        public int length() {
            synchronized (lock) {
                return text.length();
            }
        }

        public String tail(int chars) {
            synchronized (lock) {
                return text.substring(Math.max(0, text.length() - chars));
            }
        }

        public boolean eof() {
            synchronized (lock) {
                return eof;
            }
        }

        /** Waits for {@code pattern} in the text from offset {@code from}; AssertionError on timeout or EOF. */
        public MatchResult await(Pattern pattern, int from, Duration timeout, String what) {
            long deadline = System.nanoTime() + timeout.toNanos();
            synchronized (lock) {
                while (true) {
                    Matcher m = pattern.matcher(text);
                    m.region(Math.min(from, text.length()), text.length());
                    if (m.find()) {
                        return m.toMatchResult();
                    }
                    long left = deadline - System.nanoTime();
                    if (eof || left <= 0) {
                        throw new AssertionError(what + ": no match for /" + pattern + "/ "
                                + (eof ? "before the process ended" : "within " + timeout) + "; output tail:\n"
                                + text.substring(Math.max(0, text.length() - 6000)));
                    }
                    try {
                        lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                }
            }
        }

        /** Waits until the stream has ended (the process exited). */
        public void awaitEof(Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            synchronized (lock) {
                while (!eof) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return;
                    }
                    try {
                        lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }
}
