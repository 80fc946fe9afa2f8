package io.xvio.control;

import io.xvio.sys.SocketFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The control server with a stand-in command handler: clients that stall, never read, flood it or try to smuggle
 * arguments do not delay or mislead anyone else; limits are answered with their reason; the socket file is 0660
 * whatever the umask and never replaces a file or a live socket.
 */
class ControlServerTest {
    @TempDir Path dir;
    private final List<ControlServer> servers = new ArrayList<>();
    private final List<SocketChannel> raw = new ArrayList<>();
    private final ConcurrentLinkedQueue<String> logged = new ConcurrentLinkedQueue<>();
    private final Handler capture = new Handler() {
        @Override public void publish(LogRecord r) { logged.add(r.getMessage()); }
        @Override public void flush() { }
        @Override public void close() { }
    };

    @BeforeEach
    void captureLog() { Logger.getLogger("xvio.control").addHandler(capture); }

    @AfterEach
    void cleanUp() throws IOException {
        Logger.getLogger("xvio.control").removeHandler(capture);
        for (SocketChannel c : raw) c.close();
        for (ControlServer s : servers) s.close();
    }

    /** ping, echo ARGS (the arguments as received, one per line, with their count), big N (N bytes), fail TEXT. */
    private static String handle(List<String> args) {
        return switch (args.getFirst()) {
            case "ping" -> "pong";
            case "echo" -> args.size() - 1 + "\n" + String.join("\n", args.subList(1, args.size()));
            case "big" -> "x".repeat(Integer.parseInt(args.get(1)));
            case "fail" -> throw new ControlException("bad flow: " + args.get(1));
            default -> throw new ControlException("unknown command \"" + args.getFirst() + "\"");
        };
    }

    private String start(ControlServer.Limits limits) {
        return start(dir.resolve("ctl" + servers.size() + ".sock").toString(), null, limits);
    }

    private String start(String path, String group, ControlServer.Limits limits) {
        ControlServer s = new ControlServer(path, group, ControlServerTest::handle, limits);
        servers.add(s);
        s.start();
        return path;
    }

    private static ControlServer.Limits limits(int maxRequest, int connections, Duration ioTimeout) {
        return new ControlServer.Limits(maxRequest, connections, ioTimeout, ioTimeout.multipliedBy(6), 48L << 20);
    }

    private SocketChannel connect(String path) throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(path));
        raw.add(c);
        return c;
    }

    private static void send(SocketChannel c, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) c.write(b);
    }

    private static String ok(String path, String... args) throws IOException {
        ControlClient.Reply r = ControlClient.call(path, List.of(args));
        assertTrue(r.ok(), () -> String.join(" ", args) + ": " + r.text());
        return r.text();
    }

    private static String error(String path, String... args) throws IOException {
        ControlClient.Reply r = ControlClient.call(path, List.of(args));
        assertFalse(r.ok(), () -> String.join(" ", args) + " succeeded: " + r.text());
        return r.text();
    }

    private static void await(String what, java.util.function.BooleanSupplier cond, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) fail("timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    @Test
    void stalledAndNonReadingClientsDelayNoOtherRequest() throws Exception {
        // a 60 s timeout: had the server waited for the stalled clients, the run below would take minutes
        String path = start(limits(16 << 20, 256, Duration.ofSeconds(60)));
        send(connect(path), "100\n[\"half a requ".getBytes(StandardCharsets.US_ASCII));   // sends half and waits
        connect(path);                                                                      // connects, says nothing
        SocketChannel nonReader = connect(path);
        send(nonReader, ControlProtocol.encodeRequest(List.of("big", Integer.toString(32 << 20))));   // never reads it
        SocketChannel halfHeader = connect(path);
        send(halfHeader, "12".getBytes(StandardCharsets.US_ASCII));
        await("the four stalled connections", () -> servers.getFirst().openConnections() == 4, Duration.ofSeconds(10));

        // a framing-injection attempt: a tab and a newline stay inside their argument
        String smuggled = "priority=1,actions=drop\tpriority=2,actions=drop";
        assertEquals("2\n" + smuggled + "\n" + "a\nb", ok(path, "echo", smuggled, "a\nb"));

        // 200 clients at once, each answered correctly
        long t0 = System.nanoTime();
        List<Future<String>> replies = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 200; i++) {
                String me = "client " + i;
                replies.add(pool.submit(() -> {
                    go.await();
                    return ok(path, "echo", me);
                }));
            }
            go.countDown();
            for (int i = 0; i < 200; i++) assertEquals("1\nclient " + i, replies.get(i).get(30, TimeUnit.SECONDS));
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 15_000, "200 requests took " + ms + " ms");
        assertEquals("pong", ok(path, "ping"));
        // the stalled ones were there all along (the others end a moment after their reply)
        await("only the four stalled connections", () -> servers.getFirst().openConnections() == 4, Duration.ofSeconds(5));
    }

    @Test
    void stalledAndNonReadingClientsAreDroppedAfterTheTimeout() throws Exception {
        String path = start(limits(16 << 20, 256, Duration.ofMillis(500)));
        SocketChannel half = connect(path);
        send(half, "100\n[\"half a requ".getBytes(StandardCharsets.US_ASCII));
        SocketChannel silent = connect(path);
        SocketChannel nonReader = connect(path);
        int big = 32 << 20;
        send(nonReader, ControlProtocol.encodeRequest(List.of("big", Integer.toString(big))));
        await("three connections", () -> servers.getFirst().openConnections() == 3, Duration.ofSeconds(10));
        await("the stalled connections to be dropped", () -> servers.getFirst().openConnections() == 0, Duration.ofSeconds(10));
        ByteBuffer b = ByteBuffer.allocate(1 << 20);
        assertEquals(-1, half.read(b), "dropped without a reply");
        assertEquals(-1, silent.read(b.clear()), "dropped without a reply");
        long got = 0;
        try {
            for (int n; (n = nonReader.read(b.clear())) >= 0; ) got += n;
        } catch (IOException reset) {
            // the rest was discarded
        }
        assertTrue(got < big, "the non-reader got " + got + " bytes");
        assertTrue(logged.stream().anyMatch(m -> m.startsWith("control connection dropped: no complete request in time")), logged::toString);
        assertTrue(logged.stream().anyMatch(m -> m.startsWith("control connection dropped: the client did not read its reply")), logged::toString);
        assertEquals("pong", ok(path, "ping"));
    }

    @Test
    void aThousandFlowsFitTheDefaultLimit() throws Exception {
        String path = start(ControlServer.Limits.DEFAULT);
        List<String> args = new ArrayList<>(List.of("echo"));
        for (int i = 0; i < 1000; i++) args.add("priority=" + (i + 100) + ",tcp,nw_src=10.0.0." + (i % 250) + ",nw_dst=10.1.0.0/16,tp_dst=" + (1000 + i) + ",actions=output:1");
        ControlClient.Reply r = ControlClient.call(path, args);
        assertTrue(r.ok(), r.text());
        assertEquals("1000\n" + String.join("\n", args.subList(1, args.size())), r.text());
    }

    @Test
    void aRequestTooLongIsAnsweredWithTheReasonNotAReset() throws Exception {
        String path = start(limits(4096, 256, Duration.ofSeconds(5)));
        for (int size : new int[] {10_000, 4 << 20}) {    // the second is far beyond what the socket buffers hold
            List<String> args = List.of("echo", "x".repeat(size));
            String wire = new String(ControlProtocol.encodeRequest(args), StandardCharsets.US_ASCII);
            String declared = wire.substring(0, wire.indexOf('\n'));
            assertEquals("request too long (" + declared + " bytes, limit 4096)", error(path, args.toArray(String[]::new)));
        }
        assertEquals("1\n" + "y".repeat(4000), ok(path, "echo", "y".repeat(4000)));
    }

    @Test
    void connectionsBeyondTheLimitAreRefusedAndTheSlotsComeBack() throws Exception {
        String path = start(limits(4096, 3, Duration.ofSeconds(60)));
        List<SocketChannel> hogs = List.of(connect(path), connect(path), connect(path));
        await("three connections", () -> servers.getFirst().openConnections() == 3, Duration.ofSeconds(10));
        assertEquals("too many control connections (limit 3); try again", error(path, "ping"));
        for (SocketChannel h : hogs) h.close();
        await("the slots to free", () -> servers.getFirst().openConnections() == 0, Duration.ofSeconds(10));
        assertEquals("pong", ok(path, "ping"));
    }

    @Test
    void largeRequestsBeyondTheMemoryBudgetAreRefusedAtOnce() throws Exception {
        String path = start(dir.resolve("b.sock").toString(), null, new ControlServer.Limits(8192, 256, Duration.ofSeconds(60), Duration.ofSeconds(60), 8192));
        send(connect(path), "8000\n[\"".getBytes(StandardCharsets.US_ASCII));    // holds 8000 of the 8192 bytes
        await("the large request", () -> servers.getFirst().openConnections() == 1, Duration.ofSeconds(10));
        Thread.sleep(200);
        assertEquals("daemon busy: too many large requests at once; try again", error(path, "echo", "z".repeat(1000)));
    }

    @Test
    void rejectedRequestsAreLoggedCutAndEscaped() throws Exception {
        String path = start(limits(1 << 20, 256, Duration.ofSeconds(5)));
        String hostile = "\u001b[31mred\u001b[0m" + "x".repeat(100_000) + "\nforged log line";
        assertTrue(error(path, "fail", hostile).startsWith("bad flow: \u001b[31m"));
        SocketChannel old = connect(path);     // the old tab-separated protocol
        send(old, "add-flow\tbr0\tin_port=1,actions=drop\n".getBytes(StandardCharsets.US_ASCII));
        ControlClient.Reply r = ControlProtocol.readReply(java.nio.channels.Channels.newInputStream(old));
        assertFalse(r.ok());
        assertTrue(r.text().startsWith("malformed request: expected a byte count and a newline, got \"add-flow\\tbr0\\tin_port=1,"), r.text());
        await("two log lines", () -> logged.stream().filter(m -> m.startsWith("control request")).count() >= 2, Duration.ofSeconds(5));
        for (String m : logged) {
            assertTrue(m.length() < 700, "log line of " + m.length() + " chars");
            assertTrue(m.chars().noneMatch(c -> c < 0x20), "raw control character in: " + m);
        }
        String failed = logged.stream().filter(m -> m.startsWith("control request \"fail")).findFirst().orElseThrow();
        assertTrue(failed.contains("\\x1b[31mred\\x1b[0mxxx"), failed);
        assertTrue(failed.contains("... (" + (5 + hostile.getBytes(StandardCharsets.UTF_8).length) + " bytes)"), failed);
    }

    @Test
    void theSocketIsMode0660WhateverTheUmaskInDirectoriesItMakes0755() throws Exception {
        Path sock = dir.resolve("run/xvio/ctl.sock");
        int old = SocketFile.umask(0);
        try {
            start(sock.toString(), "nogroup", ControlServer.Limits.DEFAULT);
        } finally {
            SocketFile.umask(old);
        }
        PosixFileAttributes a = Files.readAttributes(sock, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertTrue(a.isOther(), "a socket");
        assertEquals("rw-rw----", PosixFilePermissions.toString(a.permissions()));
        assertEquals("nogroup", a.group().getName());
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock.getParent())));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock.getParent().getParent())));
        assertEquals("pong", ok(sock.toString(), "ping"));
    }

    @Test
    void anUnknownGroupIsRefused() {
        var e = assertThrows(ConfigException.class, () -> start(dir.resolve("g.sock").toString(), "no-such-group-xvio", ControlServer.Limits.DEFAULT));
        assertEquals("control-group: no group named \"no-such-group-xvio\"", e.getMessage());
    }

    @Test
    void aRegularFileIsNeverReplaced() throws Exception {
        Path file = dir.resolve("precious.txt");
        Files.writeString(file, "keep me");
        var e = assertThrows(ConfigException.class, () -> start(file.toString(), null, ControlServer.Limits.DEFAULT));
        assertEquals("cannot create control socket " + file + ": " + file + " exists and is not a socket (a regular file): refusing to replace it", e.getMessage());
        assertEquals("keep me", Files.readString(file));
    }

    @Test
    void aSocketSomeoneListensOnIsNotTakenOver() throws Exception {
        String path = start(ControlServer.Limits.DEFAULT);
        var e = assertThrows(ConfigException.class, () -> start(path, null, ControlServer.Limits.DEFAULT));
        assertEquals("cannot create control socket " + path + ": another xvio (or program) is listening on " + path, e.getMessage());
        assertEquals("pong", ok(path, "ping"));
        assertTrue(logged.stream().noneMatch(m -> m.contains("dropped") || m.contains("rejected")), logged::toString);
    }

    @Test
    void aStaleSocketIsReplacedAndClosingLeavesAnotherDaemonsSocketAlone() throws Exception {
        Path p = dir.resolve("stale.sock");
        try (var s = java.nio.channels.ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(p));    // closed below without removing its file: a crashed daemon
        }
        assertTrue(Files.exists(p, LinkOption.NOFOLLOW_LINKS));
        String path = start(p.toString(), null, ControlServer.Limits.DEFAULT);
        assertEquals("pong", ok(path, "ping"));
        servers.removeFirst().close();
        assertFalse(Files.exists(p, LinkOption.NOFOLLOW_LINKS), "removed on close");
    }
}
