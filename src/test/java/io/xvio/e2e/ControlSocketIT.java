package io.xvio.e2e;

import io.xvio.sys.SocketFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The control socket of a real daemon, started under umask 000, as an operator and a hostile local user meet it:
 * the socket is 0660 and user nobody cannot use it; a second daemon (or a config) aimed at the running one's
 * control socket, its vhost-user socket or a regular file is refused with a message, and the running daemon, its
 * sockets and the file stay as they were; add-flows takes 1,000 flows and answers a too-long request with the
 * reason; a tab cannot split a flow; the log stays bounded and free of raw control characters. One daemon serves
 * every case.
 */
@Tag("e2e")
@EnabledIf("enabled")
class ControlSocketIT {
    static Path dir;
    static XvioDaemon xvio;

    static boolean enabled() {
        return !"false".equals(System.getProperty("xvio.e2e")) && Files.isExecutable(Path.of("/usr/sbin/runuser"));
    }

    static String config(Path d, String port) {
        return """
                pmd-idle: adaptive
                bridges:
                  br0:
                    ports:
                      vhA: {type: vhostuser, path: %s, mode: server, ofport: 1}
                """.formatted(d.resolve(port));
    }

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("xvio-ctl");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));   // nobody may look inside
        int old = SocketFile.umask(0);                 // the daemon inherits umask 000
        try {
            xvio = XvioDaemon.start(dir, config(dir, "vhA.sock"));
        } finally {
            SocketFile.umask(old);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (xvio != null) assertEquals(0, xvio.stop(), xvio::log);
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    record Run(int rc, String out) {}

    static Run run(List<String> cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("XVIO_JVM_OPTS", "-Xms64m -Xmx64m -XX:+UseSerialGC");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("still running: " + cmd + "\n" + out);
        }
        return new Run(p.exitValue(), out);
    }

    static Run cli(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(XvioDaemon.home().resolve("bin/xvio").toString()));
        cmd.addAll(List.of(args));
        cmd.add("--control=" + xvio.controlSocket());
        return run(cmd);
    }

    static Run asNobody(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("runuser", "-u", "nobody", "--", XvioDaemon.home().resolve("bin/xvio").toString()));
        cmd.addAll(List.of(args));
        cmd.add("--control=" + xvio.controlSocket());
        return run(cmd);
    }

    /** A second daemon with yaml (and --control if control is not null); it must fail to start. */
    static Run secondDaemon(String name, String yaml, String control) throws Exception {
        Path cfg = dir.resolve(name + ".yaml");
        Files.writeString(cfg, yaml);
        List<String> cmd = new ArrayList<>(List.of(XvioDaemon.home().resolve("bin/xvio").toString(), "daemon", "--config", cfg.toString()));
        if (control != null) cmd.addAll(List.of("--control", control));
        Run r = run(cmd);
        assertNotEquals(0, r.rc(), r.out());
        return r;
    }

    static int flowCount() throws Exception {
        return (int) xvio.call("dump-flows", "br0").lines().count();
    }

    void runningDaemonIsUntouched() throws Exception {
        assertEquals("pong", xvio.call("ping"));
        for (Path p : List.of(Path.of(xvio.controlSocket()), dir.resolve("vhA.sock")))
            assertTrue(Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther(), p + " is still a socket");
        // the refused daemon's probe of vhA.sock is a front-end that comes and goes: the port waits again soon after
        String want = "port 1: vhA type=vhostuser status=down (waiting for a front-end)", show = xvio.call("show");
        for (long until = System.nanoTime() + 5_000_000_000L; !show.contains(want) && System.nanoTime() < until; show = xvio.call("show"))
            Thread.sleep(50);
        assertTrue(show.contains(want), show);
    }

    @Test
    void theSocketIs0660UnderUmask000AndNobodyCannotUseIt() throws Exception {
        Path sock = Path.of(xvio.controlSocket());
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock, LinkOption.NOFOLLOW_LINKS)));
        int before = flowCount();
        Run add = asNobody("add-flow", "br0", "priority=7,actions=drop");
        assertEquals(2, add.rc(), add.out());
        assertTrue(add.out().contains("Permission denied"), add.out());
        assertEquals(before, flowCount(), "nobody added no flow");
        // the check can fail: with the mode widened, nobody gets through (then it is put back)
        Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-rw-rw-"));
        try {
            Run show = asNobody("show");
            assertEquals(0, show.rc(), show.out());
        } finally {
            Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-rw----"));
        }
    }

    @Test
    void aSecondDaemonOnTheSameControlSocketIsRefused() throws Exception {
        Run r = secondDaemon("same-control", config(dir, "other.sock"), xvio.controlSocket());
        assertTrue(r.out().contains("xvio: cannot start: cannot create control socket " + xvio.controlSocket()
                + ": another xvio (or program) is listening on " + xvio.controlSocket()), r.out());
        runningDaemonIsUntouched();
        assertFalse(Files.exists(dir.resolve("other.sock"), LinkOption.NOFOLLOW_LINKS), "the refused daemon cleaned up its own port");
    }

    @Test
    void aSecondDaemonOnTheSameVhostUserSocketIsRefused() throws Exception {
        Run r = secondDaemon("same-port", config(dir, "vhA.sock"), dir.resolve("ctl2.sock").toString());
        assertTrue(r.out().contains("xvio: cannot start: another xvio (or program) is listening on " + dir.resolve("vhA.sock")), r.out());
        runningDaemonIsUntouched();
    }

    @Test
    void aRegularFileIsNeitherDeletedNorTakenOver() throws Exception {
        Path file = dir.resolve("precious.txt");
        Files.writeString(file, "do not delete\n");
        Run r = secondDaemon("file-control", config(dir, "other2.sock"), file.toString());
        assertTrue(r.out().contains("cannot create control socket " + file + ": " + file + " exists and is not a socket (a regular file): refusing to replace it"), r.out());
        Run port = cli("add-port", "br0", "vhF", "type=vhostuser", "path=" + file);
        assertEquals(1, port.rc(), port.out());
        assertTrue(port.out().contains(file + " exists and is not a socket (a regular file)"), port.out());
        assertEquals("do not delete\n", Files.readString(file));
        runningDaemonIsUntouched();
    }

    @Test
    void theControlSocketCannotBeAPortsPath() throws Exception {
        Path vh = dir.resolve("vhZ.sock");
        Run r = secondDaemon("control-is-port", "control-socket: " + vh + "\n" + config(dir, "vhZ.sock"), null);
        assertEquals(2, r.rc(), r.out());
        assertTrue(r.out().contains("control-socket: control socket " + vh + " is also the path of port vhA (bridge br0)"), r.out());
        Run port = cli("add-port", "br0", "vhC", "type=vhostuser", "path=" + xvio.controlSocket());
        assertEquals(1, port.rc(), port.out());
        assertTrue(port.out().contains("path " + xvio.controlSocket() + " is the control socket"), port.out());
        runningDaemonIsUntouched();
    }

    @Test
    void aThousandFlowsGoInAndARequestTooLongIsAnsweredWithTheReason() throws Exception {
        StringBuilder flows = new StringBuilder("# 1,000 flows\n");
        for (int i = 0; i < 1000; i++)
            flows.append("table=3,priority=").append(100 + i).append(",tcp,nw_src=10.0.").append(i / 250).append('.').append(i % 250)
                    .append(",nw_dst=10.1.0.0/16,tp_dst=").append(1000 + i).append(",actions=output:1\n");
        Path file = dir.resolve("flows.txt");
        Files.writeString(file, flows);
        assertTrue(Files.size(file) > 72_000);
        int before = flowCount();
        Run add = cli("add-flows", "br0", file.toString());
        assertEquals(0, add.rc(), add.out());
        assertEquals(before + 1000, flowCount());
        assertEquals(0, cli("del-flows", "br0", "table=3").rc());

        Path huge = dir.resolve("huge.txt");
        String line = "priority=1,tcp,nw_src=10.0.0.1,tp_dst=80,actions=drop\n";
        Files.writeString(huge, line.repeat((17 << 20) / line.length()));
        Run tooLong = cli("add-flows", "br0", huge.toString());
        assertEquals(1, tooLong.rc(), tooLong.out());
        assertTrue(tooLong.out().matches("(?s).*xvio: request too long \\(\\d{8} bytes, limit 16777216\\).*"), tooLong.out());
        assertEquals(before, flowCount());
        Files.delete(huge);
    }

    @Test
    void aTabCannotSplitAFlowAndTheLogStaysBounded() throws Exception {
        int before = flowCount();
        Run tab = cli("add-flow", "br0", "priority=1,actions=drop\tpriority=2,actions=drop");
        assertEquals(1, tab.rc(), tab.out());
        Run nl = cli("add-flow", "br0", "priority=3,actions=drop\npriority=4,actions=drop");
        assertEquals(1, nl.rc(), nl.out());
        String hostile = "priority=5,\u001b[2J\u001b[31m" + "x".repeat(90_000);
        Run esc = cli("add-flow", "br0", hostile);
        assertEquals(1, esc.rc());
        assertEquals(before, flowCount(), "no flow was added");
        assertTrue(xvio.awaitLog("priority=5,\\x1b[2J\\x1b[31mxxx", java.time.Duration.ofSeconds(10)), xvio::log);
        for (String l : xvio.log().lines().toList()) {
            assertTrue(l.length() < 2000, "a log line of " + l.length() + " characters");
            assertTrue(l.chars().noneMatch(c -> c == 0x1b), "a raw escape in the log: " + l.substring(0, Math.min(200, l.length())));
        }
        assertTrue(xvio.log().contains("priority=1,actions=drop\\tpriority=2,actions=drop"), "the tab is shown escaped");
    }
}
