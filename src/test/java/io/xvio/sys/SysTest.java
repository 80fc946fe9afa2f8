package io.xvio.sys;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.*;

/** The FFM system-call layer against the real kernel: fd passing, eventfds, mappings, and errors that name the call. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SysTest {
    @TempDir Path tmp;
    private Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<Integer> fds = new ArrayList<>();
    private final List<MemorySegment> maps = new ArrayList<>();

    @BeforeEach
    void shortDir() throws IOException {
        // sun_path holds 107 bytes: fall back to a short directory under /tmp if the JUnit one is too deep
        dir = tmp.toString().length() < 60 ? tmp : Files.createTempDirectory(Path.of("/tmp"), "xs");
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) c.close();
        for (MemorySegment m : maps) Mmap.unmap(m);
        for (int fd : fds) Fd.closeQuietly(fd);
        if (!dir.equals(tmp)) {
            try (Stream<Path> s = Files.list(dir)) { for (Path p : s.toList()) Files.deleteIfExists(p); }
            Files.deleteIfExists(dir);
        }
    }

    private <T extends AutoCloseable> T own(T c) { open.add(c); return c; }
    private int ownFd(int fd) { fds.add(fd); return fd; }
    private MemorySegment ownMap(MemorySegment m) { maps.add(m); return m; }

    private UnixSocket[] pair() {
        UnixSocket[] p = UnixSocket.pair();
        own(p[0]);
        own(p[1]);
        return p;
    }

    /** Open fds of this process that point at a memfd called name. */
    private static long openMemfds(String name) throws IOException {
        long n = 0;
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : s.toList()) {
                try {
                    if (Files.readSymbolicLink(p).toString().startsWith("/memfd:" + name + " ")) n++;
                } catch (IOException gone) { /* the fd of the listing itself */ }
            }
        }
        return n;
    }

    /** The control server's calls: one read, one write that may wait or not, end of stream, a gone peer. */
    @Test
    void readAndWriteMoveBytesSayWhenFullAndEndAtTheEndOfStream() {
        UnixSocket[] p = pair();
        byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII), got = new byte[16];
        assertEquals(5, p[0].write(hello, 0, 5, true));
        assertEquals(5, p[1].read(got, 3, 13));
        assertEquals("hello", new String(got, 3, 5, StandardCharsets.US_ASCII));

        byte[] big = new byte[1 << 16];
        long sent = 0;
        int n;
        while ((n = p[0].write(big, 0, big.length, false)) > 0) sent += n;      // nobody reads: fills up, then 0
        assertEquals(0, n, "a full socket takes nothing without waiting");
        assertTrue(sent > 0);
        long drained = 0;
        byte[] buf = new byte[1 << 16];
        p[0].shutdownOutput();
        while ((n = p[1].read(buf, 0, buf.length)) > 0) drained += n;
        assertEquals(-1, n, "end of stream after the peer shut its side");
        assertEquals(sent, drained);

        p[1].close();
        SysException e = assertThrows(SysException.class, () -> p[0].write(hello, 0, 5, true)); // after SHUT_WR: EPIPE, no signal
        assertEquals(Errno.EPIPE, e.errno());
        assertTrue(e.getMessage().startsWith("send(fd ") && e.getMessage().contains("EPIPE ("), e.getMessage());
    }

    @Test
    void aHugePageMappingStartsOnA2MiBBoundaryIsItsOwnAdvisedAreaAndIsUsableToItsLastByte() throws IOException {
        long size = 3 * Mmap.HUGE_PAGE + 12288;
        MemorySegment m = ownMap(Mmap.mapAnonymousHuge(size));
        assertEquals(0, m.address() % Mmap.HUGE_PAGE, "starts on a huge-page boundary");
        assertEquals(size, m.byteSize());
        for (long o = 0; o < size; o += 4096) m.set(JAVA_LONG, o, o);
        m.set(JAVA_LONG, size - 8, -1L);
        assertEquals(size - 4096, m.get(JAVA_LONG, size - 4096));
        // its own area in the address space: the ends mapped for alignment were given back, the advice recorded
        String area = smapsArea(m.address());
        assertTrue(area.startsWith(Long.toHexString(m.address()) + "-" + Long.toHexString(m.address() + size) + " "), area);
        String thp = Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"));
        if (!thp.contains("[never]"))
            assertTrue(area.matches("(?s).*\nTHPeligible:\\s+1\n.*"),
                    "madvise(MADV_HUGEPAGE) made the area eligible (THP " + thp.trim() + "): " + area);
    }

    /** The /proc/self/smaps entry of the area starting at address. */
    private static String smapsArea(long address) throws IOException {
        String prefix = Long.toHexString(address) + "-";
        StringBuilder b = null;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            boolean header = line.matches("[0-9a-f]+-[0-9a-f]+ .*");
            if (header && b != null) break;
            if (header && line.startsWith(prefix)) b = new StringBuilder();
            if (b != null) b.append(line).append('\n');
        }
        assertNotNull(b, "no area starts at " + prefix);
        return b.toString();
    }

    @Test
    void aMemfdSentWithScmRightsIsMappedByTheReceiverAndSharesItsPages() throws IOException {
        UnixSocket[] p = pair();
        int memfd = ownFd(Fd.memfd("sys-share", 8192));
        MemorySegment mine = ownMap(Mmap.mapShared(memfd, 8192, 0));
        byte[] hello = "hello through SCM_RIGHTS".getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(hello, 0, mine, JAVA_BYTE, 4096, hello.length);

        byte[] msg = "memory".getBytes(StandardCharsets.US_ASCII);
        p[0].send(msg, 0, msg.length, new int[] {memfd});
        byte[] got = new byte[msg.length];
        int[] in = new int[UnixSocket.MAX_FDS];
        assertEquals(1, p[1].recvFully(got, got.length, in), "one fd arrives with the bytes");
        int theirs = ownFd(in[0]);
        assertArrayEquals(msg, got);
        assertNotEquals(memfd, theirs, "the receiver gets its own descriptor");
        assertEquals(8192, Fd.size(theirs), "fstat sees the memfd's size through the received fd");

        MemorySegment view = ownMap(Mmap.mapShared(theirs, 4096, 4096));   // second page only
        byte[] read = new byte[hello.length];
        MemorySegment.copy(view, JAVA_BYTE, 0, read, 0, read.length);
        assertArrayEquals(hello, read, "the receiver reads what the sender wrote");

        view.set(JAVA_LONG, 1024, 0x1122334455667788L);
        assertEquals(0x1122334455667788L, mine.get(JAVA_LONG, 4096 + 1024), "and the sender sees the receiver's writes");
        assertEquals(2, openMemfds("sys-share"), "sender's and receiver's descriptors, nothing else");
    }

    @Test
    void severalFdsArriveInOrderAndBytesWithoutFdsReportZero() {
        UnixSocket[] p = pair();
        int a = ownFd(Fd.memfd("sys-a", 4096)), b = ownFd(Fd.memfd("sys-b", 8192)), c = ownFd(Fd.memfd("sys-c", 12288));
        p[0].send(new byte[] {1, 2, 3}, 0, 3, new int[] {a, b, c});
        p[0].send(new byte[] {4, 5});
        byte[] got = new byte[3];
        int[] in = new int[UnixSocket.MAX_FDS];
        assertEquals(3, p[1].recvFully(got, 3, in));
        for (int i = 0; i < 3; i++) ownFd(in[i]);
        assertEquals(4096, Fd.size(in[0]));
        assertEquals(8192, Fd.size(in[1]));
        assertEquals(12288, Fd.size(in[2]));
        assertEquals(0, p[1].recvFully(new byte[2], 2, in), "a message without fds reports none");
    }

    @Test
    void moreFdsThanTheReceiverAllowsAreAllClosedAndReported() throws IOException {
        UnixSocket[] p = pair();
        int a = ownFd(Fd.memfd("sys-many", 4096)), b = ownFd(Fd.memfd("sys-many", 4096));
        p[0].send(new byte[] {9}, 0, 1, new int[] {a, b});
        int[] one = new int[1];
        UnixSocket.TooManyFdsException e = assertThrows(UnixSocket.TooManyFdsException.class, () -> p[1].recvFully(new byte[1], 1, one));
        assertTrue(e.getMessage().contains("more file descriptors than allowed (1)"), e.getMessage());
        assertEquals(2, openMemfds("sys-many"), "the receiver kept none of the two it was sent");
    }

    @Test
    void sendingMoreThanEightFdsIsRefusedBeforeAnythingIsSent() {
        UnixSocket[] p = pair();
        int m = ownFd(Fd.memfd("sys-nine", 4096));
        int[] nine = {m, m, m, m, m, m, m, m, m};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p[0].send(new byte[] {1}, 0, 1, nine));
        assertTrue(e.getMessage().contains("at most 8 fds"), e.getMessage());
        assertEquals(0, Fd.pollIn(p[1].fd(), 0), "nothing reached the peer");
    }

    @Test
    void recvReportsACleanCloseAndNamesACloseMidMessage() {
        UnixSocket[] p = pair();
        p[0].close();
        assertEquals(-1, p[1].recvFully(new byte[4], 4, null), "end of file between messages is -1");

        UnixSocket[] q = pair();
        q[0].send(new byte[] {1, 2});
        q[0].close();
        SysException e = assertThrows(SysException.class, () -> q[1].recvFully(new byte[4], 4, null));
        assertTrue(e.getMessage().contains("recvmsg(") && e.getMessage().contains("peer closed mid-message after 2 of 4 bytes"), e.getMessage());
        assertEquals(Errno.ECONNRESET, e.errno());
    }

    @Test
    void sendingToAClosedPeerFailsWithEpipeNamingSendmsg() {
        UnixSocket[] p = pair();
        p[1].close();
        SysException e = assertThrows(SysException.class, () -> p[0].send(new byte[] {1}));
        assertEquals(Errno.EPIPE, e.errno());
        assertTrue(e.getMessage().startsWith("sendmsg(fd " + p[0].fd() + "): EPIPE"), e.getMessage());
    }

    @Test
    void shutdownWakesAThreadBlockedInRecv() throws Exception {
        UnixSocket[] p = pair();
        CompletableFuture<Integer> r = CompletableFuture.supplyAsync(() -> p[1].recvFully(new byte[12], 12, null));
        Thread.sleep(100);
        assertFalse(r.isDone(), "recv blocks while nothing arrives");
        p[1].shutdown();
        assertEquals(-1, r.get(5, TimeUnit.SECONDS));
    }

    @Test
    void eventfdCountsSignalsAndDrainResetsIt() {
        EventFd e = own(EventFd.create());
        assertEquals(0, e.drain(), "a fresh eventfd is empty (and drain does not block)");
        assertEquals(0, Fd.pollIn(e.fd(), 0), "nothing to read");
        e.signal();
        e.signal();
        e.signal();
        assertEquals(Fd.POLLIN, Fd.pollIn(e.fd(), 0) & Fd.POLLIN, "readable once signalled");
        assertEquals(3, e.drain());
        assertEquals(0, e.drain(), "drain reset the counter");
        assertEquals(0, Fd.pollIn(e.fd(), 10));
    }

    @Test
    void anEventfdPassedToAPeerSignalsAcrossTheSocket() {
        UnixSocket[] p = pair();
        EventFd mine = own(EventFd.create());
        p[0].send(new byte[] {0}, 0, 1, new int[] {mine.fd()});
        int[] in = new int[UnixSocket.MAX_FDS];
        assertEquals(1, p[1].recvFully(new byte[1], 1, in));
        EventFd theirs = own(EventFd.adopt(in[0]));
        theirs.signal();
        theirs.signal();
        assertEquals(2, mine.drain(), "both ends are the same counter");
        theirs.close();
        theirs.close();   // idempotent
        mine.signal();
        assertEquals(1, mine.drain(), "closing the peer's copy leaves ours working");
    }

    @Test
    void connectToAMissingPathNamesTheCallThePathAndEnoent() {
        String path = dir.resolve("nobody-here.sock").toString();
        SysException e = assertThrows(SysException.class, () -> UnixSocket.connect(path));
        assertTrue(e.getMessage().contains("connect(" + path + ")"), e.getMessage());
        assertTrue(e.getMessage().contains("ENOENT"), e.getMessage());
        assertTrue(e.getMessage().contains("No such file or directory"), "strerror text too: " + e.getMessage());
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("connect(" + path + ")", e.call());
    }

    @Test
    void connectToAStaleSocketFileIsRefusedAndListenReplacesIt() {
        String path = dir.resolve("stale.sock").toString();
        UnixServerSocket s = UnixServerSocket.listen(path);
        // a crashed daemon leaves its socket file behind: simulate by closing the fd but keeping the file
        Fd.close(socketFdOf(s));
        SysException e = assertThrows(SysException.class, () -> UnixSocket.connect(path));
        assertEquals(Errno.ECONNREFUSED, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains("connect(" + path + "): ECONNREFUSED"), e.getMessage());

        UnixServerSocket again = own(UnixServerSocket.listen(path));
        UnixSocket c = own(UnixSocket.connect(path));
        UnixSocket a = own(again.accept(2000));
        assertNotNull(a, "the new listener accepts on the replaced path");
        c.send(new byte[] {42});
        byte[] b = new byte[1];
        a.recvFully(b, 1, null);
        assertEquals(42, b[0]);
    }

    private static int socketFdOf(UnixServerSocket s) {
        try {
            var f = UnixServerSocket.class.getDeclaredField("fd");
            f.setAccessible(true);
            return (int) f.get(s);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void acceptTimesOutWithNullAndCloseRemovesTheSocketFile() {
        String path = dir.resolve("l.sock").toString();
        UnixServerSocket s = UnixServerSocket.listen(path);
        try {
            assertTrue(Files.exists(Path.of(path)));
            long t0 = System.nanoTime();
            assertNull(s.accept(50));
            assertTrue(System.nanoTime() - t0 >= 40_000_000L, "accept waited for its timeout");
        } finally {
            s.close();
        }
        assertFalse(Files.exists(Path.of(path)), "close unlinks the path");
        s.close();   // idempotent
    }

    @Test
    void aSocketPathLongerThanSunPathIsRejectedWithItsLimit() {
        String path = "/tmp/" + "x".repeat(110);
        IllegalArgumentException l = assertThrows(IllegalArgumentException.class, () -> UnixServerSocket.listen(path));
        assertTrue(l.getMessage().contains("socket path longer than 107 bytes"), l.getMessage());
        // connect() wraps the same IllegalArgumentException in an IllegalStateException (reported as a bug);
        // what a user reads still names the limit
        RuntimeException c = assertThrows(RuntimeException.class, () -> UnixSocket.connect(path));
        assertTrue(c.getMessage().contains("socket path longer than 107 bytes"), c.getMessage());
    }

    @Test
    void errorsOfFdCallsNameTheCall() {
        int fd = Fd.memfd("sys-closed", 4096);
        Fd.close(fd);
        SysException e = assertThrows(SysException.class, () -> Fd.close(fd));
        assertEquals(Errno.EBADF, e.errno());
        assertTrue(e.getMessage().startsWith("close(" + fd + "): EBADF"), e.getMessage());
        Fd.closeQuietly(fd);   // never throws

        SysException s = assertThrows(SysException.class, () -> Fd.size(fd));
        assertTrue(s.getMessage().startsWith("fstat(fd " + fd + "): EBADF"), s.getMessage());

        SysException m = assertThrows(SysException.class, () -> Mmap.mapShared(fd, 4096, 0));
        assertTrue(m.getMessage().startsWith("mmap(fd " + fd + ", size 4096, offset 0): EBADF"), m.getMessage());

        SysException r = assertThrows(SysException.class, () -> Fd.memfd("sys-huge", -1));
        assertTrue(r.getMessage().startsWith("ftruncate(memfd sys-huge, -1): EINVAL"), r.getMessage());
    }

    @Test
    void aMappingIsBoundedToItsSize() throws IOException {
        int fd = ownFd(Fd.memfd("sys-bound", 4096));
        MemorySegment m = ownMap(Mmap.mapShared(fd, 4096, 0));
        assertEquals(4096, m.byteSize());
        m.set(JAVA_LONG, 4088, -1L);
        assertThrows(IndexOutOfBoundsException.class, () -> m.get(JAVA_LONG, 4092), "no access past the mapping");
        assertThrows(IllegalArgumentException.class, () -> Mmap.mapShared(fd, 0, 0));
        assertEquals(1, openMemfds("sys-bound"));
    }

    @Test
    void errnoNamesAndTexts() {
        assertEquals("ENOENT", Errno.name(Errno.ENOENT));
        assertEquals("ECONNRESET", Errno.name(Errno.ECONNRESET));
        assertEquals("errno 9999", Errno.name(9999));
        assertEquals("Connection refused", Errno.describe(Errno.ECONNREFUSED));
        SysException e = new SysException("poll(3)", Errno.EINTR);
        assertEquals("poll(3): EINTR (Interrupted system call)", e.getMessage());
    }
}
