package io.xvio.sys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Passing a descriptor over an AF_UNIX socket (SCM_RIGHTS), as `xvio capture` hands its output to the daemon: what
 * the receiver writes through its descriptor lands in the sender's file; a peer that closes, sends no descriptor or
 * is too slow is an error that leaks nothing; a listening socket's accepted connection (the control server's) works.
 */
class FdPassingTest {
    @TempDir Path dir;

    private static MemorySegment bytes(Arena a, String s) {
        return a.allocateFrom(ValueLayout.JAVA_BYTE, s.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void theReceiverWritesIntoTheSendersFile() throws Exception {
        Path file = dir.resolve("out.pcap");
        UnixSocket[] p = UnixSocket.pair();
        try (UnixSocket a = p[0]; UnixSocket b = p[1]; Arena arena = Arena.ofConfined()) {
            int mine = OutputFd.create(file.toString());
            try (OutputFd o = new OutputFd(mine)) {
                o.write(bytes(arena, "sender:"), 0, 7);
                FdPassing.send(a.fd(), mine, (byte) 'w');
            }                                                     // the sender's copy is closed: the file stays open in the receiver
            int got = FdPassing.receive(b.fd(), 1000);
            try (OutputFd o = new OutputFd(got)) {
                o.write(bytes(arena, "receiver"), 0, 8);
                assertEquals(8, o.written());
            }
            assertEquals("sender:receiver", Files.readString(file), "one open file: the offset is shared too");
        }
    }

    @Test
    void noDescriptorAPeerThatClosesOrIsTooSlowIsAnErrorAndNothingLeaks() throws Exception {
        UnixSocket[] p = UnixSocket.pair();
        try (UnixSocket a = p[0]; UnixSocket b = p[1]) {
            long before = openFds();
            a.send(new byte[] {'w'});                              // a byte without a descriptor
            var e = assertThrows(FdPassing.NoFdException.class, () -> FdPassing.receive(b.fd(), 1000));
            assertTrue(e.getMessage().contains("no file descriptor"), e.getMessage());

            long t0 = System.nanoTime();
            e = assertThrows(FdPassing.NoFdException.class, () -> FdPassing.receive(b.fd(), 200));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 150 && ms < 2000, ms + " ms");
            assertTrue(e.getMessage().contains("within 200 ms"), e.getMessage());

            a.send(new byte[] {'x'}, 0, 1, new int[] {b.fd(), a.fd()});   // two: both closed, none kept
            e = assertThrows(FdPassing.NoFdException.class, () -> FdPassing.receive(b.fd(), 1000));
            assertTrue(e.getMessage().contains("2 file descriptors"), e.getMessage());
            assertEquals(before, openFds(), "the extra descriptors were closed");

            a.close();
            e = assertThrows(FdPassing.NoFdException.class, () -> FdPassing.receive(b.fd(), 1000));
            assertTrue(e.getMessage().contains("closed the connection"), e.getMessage());
        }
    }

    /** The daemon's side: a connection its listening socket accepted receives the descriptor, sent after a pause. */
    @Test
    void anAcceptedConnectionReceivesADescriptorSentLater() throws Exception {
        Path sock = dir.resolve("ctl.sock"), file = dir.resolve("f");
        try (UnixServerSocket server = UnixServerSocket.listen(sock.toString());
             UnixSocket client = UnixSocket.connect(sock.toString()); UnixSocket conn = server.accept(2000); Arena arena = Arena.ofConfined()) {
            assertNotNull(conn, "accepted");
            Thread late = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(100);                       // the receiver meets EAGAIN first, then waits
                } catch (InterruptedException ignored) {
                }
                int f = OutputFd.create(file.toString());
                FdPassing.send(client.fd(), f, (byte) 'w');
                Fd.close(f);
            });
            int got = FdPassing.receive(conn.fd(), 5000);
            late.join();
            try (OutputFd o = new OutputFd(got)) {
                o.write(bytes(arena, "via the connection"), 0, 18);
            }
            assertEquals("via the connection", Files.readString(file));
        }
    }

    @Test
    void writingToAClosedReaderIsEpipeNotASignal() {
        UnixSocket[] p = UnixSocket.pair();
        try (UnixSocket a = p[0]; Arena arena = Arena.ofConfined()) {
            p[1].close();
            try (OutputFd o = new OutputFd(Fd.dup(a.fd()))) {
                SysException e = assertThrows(SysException.class, () -> o.write(arena.allocate(4096), 0, 4096));
                assertEquals(Errno.EPIPE, e.errno(), e.getMessage());
            }
        }
    }

    private static long openFds() throws Exception {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }
}
