package io.xvio.control;

import io.xvio.packet.PacketBatch;
import io.xvio.port.CaptureRing;
import io.xvio.port.Port;
import io.xvio.port.PortCounters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * `xvio capture` against a control server in this JVM: the CLI
 * passes its file's descriptor and the daemon's capture thread writes it (the control connection answers "fd",
 * nothing is read back); a daemon that cannot take the descriptor answers "poll" and says so in its log, and
 * one older than fd passing refuses the extra argument: both end with the same file, polled over the socket.
 */
class CaptureCliTest {
    @TempDir Path dir;

    /** A port whose taps the test fills as the PMD threads would. */
    static final class TapOnly implements Port {
        final PortCounters counters = new PortCounters();
        @Override public String name() { return "p0"; }
        @Override public String type() { return "stub"; }
        @Override public int ofport() { return 1; }
        @Override public int rxQueues() { return 0; }
        @Override public int receive(int q, PacketBatch b, int thread) { return 0; }
        @Override public void transmit(int thread, PacketBatch b, int[] which, int n) {}
        @Override public PortCounters counters() { return counters; }
        @Override public java.util.Map<String, Long> extraCounters() { return java.util.Map.of(); }
        @Override public String status() { return "up"; }
        @Override public java.util.Map<String, String> details() { return java.util.Map.of(); }
        @Override public void start() {}
        @Override public void close() {}
    }

    private final TapOnly port = new TapOnly();
    private final Captures captures = new Captures();
    private final List<String> log = new ArrayList<>();

    private String handle(List<String> args) {
        return switch (args.getFirst()) {
            case "capture-start" -> captures.start(port, args);
            case "capture-read" -> captures.read(args);
            case "capture-stop" -> captures.stop(args);
            default -> throw new ControlException("unknown command " + args.getFirst());
        };
    }

    /** Runs `xvio capture p0 --count 3 -w FILE` against handler, feeding frames once the ring is on; the file's records. */
    private int capture(Function<List<String>, String> handler, Path file) throws Exception {
        Path sock = dir.resolve("ctl-" + file.getFileName() + ".sock");
        Handler h = new Handler() {
            @Override public void publish(LogRecord r) { synchronized (log) { log.add(r.getMessage()); } }
            @Override public void flush() {}
            @Override public void close() {}
        };
        Logger.getLogger("xvio.capture").addHandler(h);
        try (ControlServer server = new ControlServer(sock.toString(), handler)) {
            server.start();
            CompletableFuture<Integer> rc = new CompletableFuture<>();
            Thread.ofPlatform().start(() -> rc.complete(new CommandLine(new CaptureCli())
                    .execute("p0", "--control", sock.toString(), "--count", "3", "--snaplen", "100", "-w", file.toString())));
            MemorySegment frame = Arena.ofAuto().allocate(200);
            for (int i = 0; i < 3000 && port.counters.taps.rx == null; i++) Thread.sleep(10);
            CaptureRing ring = port.counters.taps.rx.rings()[0];
            for (int i = 0; i < 5; i++) {
                frame.fill((byte) i);
                assertTrue(ring.offer(0, frame, 0, 150, System.nanoTime()));
            }
            int code = rc.get(30, TimeUnit.SECONDS);
            for (int i = 0; i < 200 && captures.running() > 0; i++) Thread.sleep(10);
            assertEquals(0, captures.running(), "the capture ended");
            assertNull(port.counters.taps.rx, "and its ring is off the port");
            return code;
        } finally {
            Logger.getLogger("xvio.capture").removeHandler(h);
        }
    }

    private static List<Integer> records(Path f) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(100, b.getInt(16), "snaplen in the file header");
        b.position(24);
        List<Integer> firstBytes = new ArrayList<>();
        while (b.hasRemaining()) {
            b.position(b.position() + 8);
            int cap = b.getInt(), orig = b.getInt();
            assertEquals(100, cap);
            assertEquals(150, orig);
            firstBytes.add((int) b.get(b.position()));
            b.position(b.position() + cap);
        }
        return firstBytes;
    }

    @Test
    void theDaemonWritesTheFileTheClientPassed() throws Exception {
        Path f = dir.resolve("fd.pcap");
        assertEquals(0, capture(this::handle, f));
        assertEquals(List.of(0, 1, 2), records(f));
        synchronized (log) {
            assertTrue(log.stream().anyMatch(l -> l.startsWith("capture 1 on port p0 ended after its 3 frames: 3 captured, 0 dropped")), log.toString());
            assertTrue(log.stream().noneMatch(l -> l.contains("base64")), log.toString());
        }
    }

    @Test
    void withoutTheConnectionsDescriptorTheCapturePollsAndSaysSo() throws Exception {
        Path f = dir.resolve("poll.pcap");
        // handled off the connection's thread: the command sees no connection, as when the JVM hides descriptors
        assertEquals(0, capture(args -> {
            CompletableFuture<String> r = new CompletableFuture<>();
            Thread.ofPlatform().start(() -> {
                try {
                    r.complete(handle(args));
                } catch (RuntimeException e) {
                    r.completeExceptionally(e);
                }
            });
            try {
                return r.get();
            } catch (Exception e) {
                throw e.getCause() instanceof ControlException c ? c : new IllegalStateException(e);
            }
        }, f));
        assertEquals(List.of(0, 1, 2), records(f));
        synchronized (log) {
            assertTrue(log.stream().anyMatch(l -> l.contains("its client's output cannot be passed to the daemon") && l.contains("base64")), log.toString());
        }
    }

    @Test
    void aDaemonOlderThanFdPassingIsPolled() throws Exception {
        Path f = dir.resolve("old.pcap");
        Function<List<String>, String> old = args -> {
            if (args.getFirst().equals("capture-start") && args.size() != 6)
                throw new ControlException("capture-start needs PORT rx|tx|both SNAPLEN COUNT nano|micro");
            return handle(args);
        };
        assertEquals(0, capture(old, f));
        assertEquals(List.of(0, 1, 2), records(f));
    }

    @Test
    void aCaptureThatCannotStartMakesNoFile() throws Exception {
        Path sock = dir.resolve("ctl.sock"), f = dir.resolve("none.pcap");
        try (ControlServer server = new ControlServer(sock.toString(), args -> { throw new ControlException("no port named \"nope\""); })) {
            server.start();
            int rc = new CommandLine(new CaptureCli()).execute("nope", "--control", sock.toString(), "-w", f.toString());
            assertEquals(2, rc);
            assertFalse(Files.exists(f));
        }
    }
}
