package io.xvio.vhost;

import io.xvio.control.Config;
import io.xvio.control.ControlClient;
import io.xvio.control.Daemon;
import io.xvio.sys.Fd;
import io.xvio.sys.Mmap;
import io.xvio.testing.TestFrontend;
import io.xvio.testing.TestFrontend.BackendClosed;
import io.xvio.testing.TestFrontend.Options;
import io.xvio.testing.TestFrontend.Vring;
import io.xvio.virtio.VirtioFeatures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.xvio.testing.Await.await;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Live-migration support of the vhost-user back-end, driven over real sockets by {@link TestFrontend} against an
 * in-process daemon with one NORMAL bridge and three ports (A, B, C): the dirty log as QEMU sets it up
 * (SET_LOG_BASE with a memfd and its reply, LOG_ALL, VHOST_VRING_F_LOG), the pages xvio marks while frames flow,
 * logging switched on and off under running queues, the ring hand-over (GET_VRING_BASE), SEND_RARP, and hostile
 * log set-ups: each closes that connection with a message naming the fault while A and B keep forwarding.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DirtyLogTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final long MEM = 16L << 20;                 // TestFrontend's default guest memory
    private static final long LOG_BYTES = MEM / 4096 / 8;      // one bit per 4 KiB page: 512 bytes

    @TempDir Path tmp;
    private Path dir;
    private String pathA, pathB, pathC, control;
    private Daemon daemon;
    private TestFrontend a, b;
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private String test;
    private int seq;

    @BeforeEach
    void startXvio(TestInfo info) throws IOException {
        test = info.getTestMethod().orElseThrow().getName();
        dir = tmp.toString().length() < 60 ? tmp : Files.createTempDirectory(Path.of("/tmp"), "xd");
        pathA = dir.resolve("a.sock").toString();
        pathB = dir.resolve("b.sock").toString();
        pathC = dir.resolve("c.sock").toString();
        control = dir.resolve("ctl.sock").toString();
        String yaml = """
                pmd-idle: adaptive
                bridges:
                  br0:
                    ports:
                      vhA: {type: vhostuser, path: %s, mode: server, ofport: 1, queues: 1}
                      vhB: {type: vhostuser, path: %s, mode: server, ofport: 2, queues: 1}
                      vhC: {type: vhostuser, path: %s, mode: server, ofport: 3, queues: 1}
                """.formatted(pathA, pathB, pathC);
        daemon = new Daemon(Config.parse(yaml, "test"), control);
        daemon.start();
        a = own(start(TestFrontend.connect(pathA), 0));
        b = own(start(TestFrontend.connect(pathB), 0));
        assertPairForwards();
    }

    @AfterEach
    void stopXvio() throws Exception {
        try {
            for (AutoCloseable c : cleanup.reversed()) c.close();
        } finally {
            if (daemon != null) daemon.close();
            if (!dir.equals(tmp)) {
                try (Stream<Path> s = Files.list(dir)) { for (Path p : s.toList()) Files.deleteIfExists(p); }
                Files.deleteIfExists(dir);
            }
        }
    }

    private <T extends AutoCloseable> T own(T c) { cleanup.add(c); return c; }

    // ================================================================================================ front-end

    private static long bit(int b) { return 1L << b; }

    /** As TestFrontend.negotiate, but with LOG_SHMFD and RARP too (what QEMU takes), and extra device features. */
    private static void negotiate(TestFrontend f, long extraFeatures) {
        f.getFeatures();
        long pf = f.getProtocolFeatures();
        f.setProtocolFeatures(pf & (bit(ProtocolFeatures.REPLY_ACK) | bit(ProtocolFeatures.MQ)
                | bit(ProtocolFeatures.LOG_SHMFD) | bit(ProtocolFeatures.RARP)));
        f.setOwner();
        f.setFeatures(f.wantedFeatures() | extraFeatures);
        for (int q = 0; q < 2; q++) f.ring(q).configure(f.features());
    }

    /** Memory table, both rings, receive buffers posted, rings enabled. */
    private static TestFrontend start(TestFrontend f, long extraFeatures) {
        negotiate(f, extraFeatures);
        f.setMemTable();
        for (int q = 0; q < 2; q++) f.setupQueue(q);
        f.rx(0).postRx(f.rx(0).size());
        for (int q = 0; q < 2; q++) f.setVringEnable(q, true);
        return f;
    }

    /** A dirty log: a memfd mapped here too, so the test reads the bits xvio sets. */
    private record Log(int fd, MemorySegment map) implements AutoCloseable {
        static Log create(String name, long size) {
            int fd = Fd.memfd(name, size);
            return new Log(fd, Mmap.mapShared(fd, size, 0));
        }

        Set<Long> pages() {
            Set<Long> out = new TreeSet<>();
            for (long w = 0; w < map.byteSize() / 8; w++) {
                long v = map.get(JAVA_LONG, 8 * w);
                for (int i = 0; i < 64; i++) if ((v & 1L << i) != 0) out.add(64 * w + i);
            }
            return out;
        }

        void clear() { map.fill((byte) 0); }

        @Override public void close() {
            Mmap.unmap(map);
            Fd.closeQuietly(fd);
        }
    }

    private static byte[] logPayload(long size, long offset) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(size).putLong(offset).array();
    }

    /** SET_LOG_BASE as QEMU sends it (no NEED_REPLY) and xvio's empty SET_LOG_BASE reply. */
    private static void setLogBase(TestFrontend f, Log log, long size, long offset) {
        f.sendMessage(Request.SET_LOG_BASE, Message.VERSION, logPayload(size, offset), log.fd());
        Message m = f.readReply();
        assertEquals(Request.SET_LOG_BASE, m.request, "the reply to SET_LOG_BASE");
        assertEquals(0, m.size(), "an empty reply");
    }

    /** SET_VRING_ADDR of ring q as laid out, with VHOST_VRING_F_LOG and log_guest_addr = logAddr (or without). */
    private static void setVringAddr(TestFrontend f, int q, boolean log, long logAddr) {
        Vring r = f.ring(q);
        f.request(Request.SET_VRING_ADDR, TestFrontend.vringAddrPayload(q, log ? 1 : 0, r.descUva(), r.usedUva(), r.availUva(), logAddr));
    }

    /** What QEMU does when a migration starts: log base, LOG_ALL, then every ring again with VHOST_VRING_F_LOG. */
    private static void startLogging(TestFrontend f, Log log) {
        setLogBase(f, log, log.map().byteSize(), 0);
        f.setFeatures(f.features() | bit(ProtocolFeatures.F_LOG_ALL));
        for (int q = 0; q < 2; q++) setVringAddr(f, q, true, f.ring(q).usedGpa());
    }

    private static void stopLogging(TestFrontend f) {
        f.setFeatures(f.features() & ~bit(ProtocolFeatures.F_LOG_ALL));
        for (int q = 0; q < 2; q++) setVringAddr(f, q, false, 0);
    }

    private static Set<Long> pages(long gpa, long len) {
        Set<Long> out = new TreeSet<>();
        for (long p = gpa >>> 12; p <= (gpa + len - 1) >>> 12; p++) out.add(p);
        return out;
    }

    // ================================================================================================ checks

    private String show() {
        try {
            ControlClient.Reply r = ControlClient.call(control, List.of("show"));
            assertTrue(r.ok(), r.text());
            return r.text();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private String call(String... args) {
        try {
            ControlClient.Reply r = ControlClient.call(control, List.of(args));
            assertTrue(r.ok(), r.text());
            return r.text();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private String portBlock(String name) {
        String s = show();
        int at = s.indexOf(": " + name + " type=");
        assertTrue(at >= 0, s);
        int end = s.indexOf("\n  port ", at);
        return s.substring(at, end < 0 ? s.length() : end);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] ethernet(int dst, int src, String payload) {
        byte[] p = payload.getBytes(StandardCharsets.US_ASCII);
        byte[] f = new byte[Math.max(60, 14 + p.length)];
        f[0] = 0x02; f[5] = (byte) dst;
        f[6] = 0x02; f[11] = (byte) src;
        f[12] = (byte) 0x88; f[13] = (byte) 0xb5;
        System.arraycopy(p, 0, f, 14, p.length);
        return f;
    }

    /** n frames from one front-end to another (NORMAL: B learns, or floods at first); returns them in order. */
    private List<byte[]> forward(TestFrontend from, TestFrontend to, int src, int dst, int n, int size) {
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String p = test + " " + src + "->" + dst + " #" + (seq++) + " " + "x".repeat(Math.max(0, size - 60));
            byte[] f = ethernet(dst, src, p);
            while (!from.send(0, f)) sleep(1);
            sent.add(f);
        }
        List<byte[]> got = to.awaitFrames(n, WAIT);
        assertEquals(n, got.size(), "frames arrive; " + portBlock("vhA") + "\n" + portBlock("vhB") + "\n" + portBlock("vhC"));
        for (int i = 0; i < n; i++) assertArrayEquals(sent.get(i), got.get(i), "frame " + i + " intact and in order");
        return got;
    }

    private void assertPairForwards() {
        forward(a, b, 0xa, 0xb, 5, 60);
        forward(b, a, 0xb, 0xa, 5, 60);
    }

    /** A hostile set-up on C: the connection is closed, show names the fault, A and B keep forwarding. */
    private void attack(String expected, java.util.function.Consumer<TestFrontend> body) {
        TestFrontend h = TestFrontend.connect(pathC);
        try {
            try {
                body.accept(h);
            } catch (BackendClosed closedDuringSetUp) {
                // checked below like any close
            }
            assertTrue(h.awaitClosed(5000), "xvio closes the connection");
        } finally {
            h.close();
        }
        await("vhC's last_error names \"" + expected + "\"", () -> portBlock("vhC").contains(expected), () -> portBlock("vhC"));
        assertPairForwards();
        try (TestFrontend c = start(TestFrontend.connect(pathC), 0)) {
            await("a good front-end on C runs", () -> portBlock("vhC").contains("status=up"), () -> portBlock("vhC"));
            forward(c, a, 0xc, 0xa, 2, 60);
        }
    }

    // ================================================================================================ logging

    @Test
    void pagesXvioWritesIntoAGuestAreMarkedWhileLoggingIsOn() {
        try (Log log = Log.create("xl-" + test, LOG_BYTES)) {
            startLogging(b, log);
            log.clear();                                // start() wrote the used rings' flags; look at traffic only
            Vring rx = b.rx(0);
            int before = rx.lastUsed();
            forward(a, b, 0xa, 0xb, 20, 1000);
            int after = rx.lastUsed();
            Set<Long> want = new TreeSet<>(pages(rx.usedGpa(), 4 + 8L * rx.size()));
            for (int slot = before; slot != after; slot = (slot + 1) & 0xffff)
                want.addAll(pages(rx.bufGpa(rx.usedId(slot)), rx.usedLen(slot)));
            Set<Long> got = log.pages();
            assertTrue(got.containsAll(want), "every receive buffer written and the used ring are marked: want " + want + ", got " + got);
            // and nothing that xvio did not write: B's transmit ring is idle, A's memory is another memfd
            Set<Long> extra = new TreeSet<>(got);
            extra.removeAll(want);
            assertEquals(Set.of(), extra, "pages marked that xvio did not write");

            // B transmits: only its transmit used ring is written (and marked), not the buffers it reads
            log.clear();
            forward(b, a, 0xb, 0xa, 5, 500);
            assertEquals(pages(b.tx(0).usedGpa(), 4 + 8L * b.tx(0).size()), log.pages());
        }
    }

    @Test
    void theUsedRingIsLoggedAtLogGuestAddr() {
        try (Log log = Log.create("xl-" + test, LOG_BYTES)) {
            setLogBase(b, log, LOG_BYTES, 0);
            b.setFeatures(b.features() | bit(ProtocolFeatures.F_LOG_ALL));
            long elsewhere = 12L << 20;                 // inside guest memory and the log, away from every ring
            setVringAddr(b, 0, true, elsewhere);
            log.clear();
            forward(a, b, 0xa, 0xb, 3, 200);
            Set<Long> got = log.pages();
            assertTrue(got.contains(elsewhere >>> 12), "used ring writes logged at log_guest_addr: " + got);
            assertFalse(got.contains(b.rx(0).usedGpa() >>> 12), "not where the used ring lies: " + got);
        }
    }

    @Test
    void loggingSwitchesOnAndOffUnderRunningQueuesWithoutLosingAFrame() {
        try (Log log = Log.create("xl-" + test, LOG_BYTES); Log log2 = Log.create("xl2-" + test, LOG_BYTES)) {
            int base = b.rx(0).lastUsed();
            forward(a, b, 0xa, 0xb, 10, 300);
            startLogging(b, log);
            forward(a, b, 0xa, 0xb, 10, 300);
            assertFalse(log.pages().isEmpty(), "marks while on");
            stopLogging(b);
            log.clear();
            forward(a, b, 0xa, 0xb, 10, 300);
            assertEquals(Set.of(), log.pages(), "no marks once LOG_ALL is off");
            // a second migration attempt: QEMU sends a fresh log first
            startLogging(b, log2);
            log2.clear();
            forward(a, b, 0xa, 0xb, 10, 300);
            assertFalse(log2.pages().isEmpty(), "marks in the new log");
            assertEquals(Set.of(), log.pages(), "none in the old one");
            // the hand-over: GET_VRING_BASE stops B's receive ring where its last frame was completed
            int stoppedAt = b.getVringBase(0);
            assertEquals((base + 40) & 0xffff, stoppedAt, "every buffer taken was completed, none more");
            assertEquals(b.rx(0).usedIdx(), stoppedAt, "the used index the driver sees agrees");
        }
    }

    @Test
    void aRingResumesOnANewConnectionWhereTheOldOneStopped() {
        // the destination side of a migration: a new front-end, the same guest memory and rings, SET_VRING_BASE
        // with what GET_VRING_BASE gave; frames go on without a replayed or a skipped descriptor
        forward(b, a, 0xb, 0xa, 7, 100);               // moves B's transmit ring off 0
        int txBase = b.getVringBase(1);
        int rxBase = b.getVringBase(0);
        assertEquals(b.tx(0).availShadow(), txBase, "B's transmit ring stopped after the last frame it took");
        b.tx(0).reclaim();
        // "migrate" B's device: a fresh connection on port C takes the same memory and rings (QEMU passes the
        // same RAM to the destination) and restarts them at the bases
        TestFrontend dst = own(TestFrontend.connect(pathC, Options.defaults()));
        // share B's memory with the new connection: its own RAM is unused, B's memfd goes in SET_MEM_TABLE
        negotiate(dst, 0);
        dst.request(Request.SET_MEM_TABLE, TestFrontend.memTablePayload(new long[] {0, b.ram().size(), b.ram().base(), 0}), b.ram().fd());
        for (int q = 0; q < 2; q++) {
            Vring r = b.ring(q);
            dst.setVringNum(q, r.size());
            dst.setVringBase(q, q == 0 ? rxBase : txBase);
            dst.request(Request.SET_VRING_ADDR, TestFrontend.vringAddrPayload(q, 0, r.descUva(), r.usedUva(), r.availUva(), 0));
            io.xvio.sys.EventFd kick = io.xvio.sys.EventFd.create(), callFd = io.xvio.sys.EventFd.create();
            cleanup.add(kick::close);
            cleanup.add(callFd::close);
            dst.setVringKick(q, kick);
            dst.setVringCall(q, callFd);
            dst.setVringEnable(q, true);
        }
        await("C runs B's rings", () -> portBlock("vhC").contains("status=up"), () -> portBlock("vhC"));
        // B's driver (same memory) keeps going: transmits land on A, A's frames land in B's receive ring
        forward(b, a, 0xb, 0xa, 5, 100);
        forward(a, b, 0xa, 0xb, 5, 100);
        assertEquals((txBase + 5) & 0xffff, b.tx(0).usedIdx(), "no descriptor replayed or skipped on transmit");
        assertEquals((rxBase + 5) & 0xffff, b.rx(0).usedIdx(), "receive resumed at its base");
    }

    @Test
    void logAllWithoutALogHoldsTheQueuesUntilOneArrives() {
        try (Log log = Log.create("xl-" + test, LOG_BYTES);
             TestFrontend c = TestFrontend.connect(pathC)) {
            // QEMU starting a device while a migration runs: LOG_ALL first, rings, then the log
            negotiate(c, bit(ProtocolFeatures.F_LOG_ALL));
            c.setMemTable();
            for (int q = 0; q < 2; q++) c.setupQueue(q);
            c.rx(0).postRx(c.rx(0).size());
            for (int q = 0; q < 2; q++) c.setVringEnable(q, true);
            sleep(200);
            assertTrue(c.isOpen(), "not an error: the connection stays");
            assertTrue(portBlock("vhC").contains("no queue running"), "rings wait: what they wrote would be unlogged\n" + portBlock("vhC"));
            assertTrue(c.send(0, ethernet(0xa, 0xc, "held")));
            sleep(100);
            assertEquals(List.of(), a.receive(), "C's frame waits in its ring");
            setLogBase(c, log, LOG_BYTES, 0);
            await("C runs", () -> portBlock("vhC").contains("status=up"), () -> portBlock("vhC"));
            List<byte[]> got = a.awaitFrames(1, WAIT);
            assertEquals(1, got.size(), "the held frame goes out");
            assertTrue(log.pages().contains(c.tx(0).usedGpa() >>> 12), "and its completion is logged");
        }
    }

    @Test
    void sendRarpMakesTheBridgeLearnTheMacOnThatPortAndBroadcastsARarp() {
        try (TestFrontend c = start(TestFrontend.connect(pathC), 0)) {
            byte[] mac = {0x02, 0, 0, 0, 0x77, 0x01};
            c.sendMessage(Request.SEND_RARP, Message.VERSION, new byte[] {mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], 0, 0});
            await("the fdb has the announced MAC on port 3", () -> call("fdb/show", "br0").lines()
                    .anyMatch(l -> l.contains("02:00:00:00:77:01") && l.strip().startsWith("3 ")), () -> call("fdb/show", "br0"));
            // flooded like any broadcast: A and B get a RARP (ethertype 0x8035, opcode 3) from that MAC
            for (TestFrontend f : List.of(a, b)) {
                List<byte[]> got = f.awaitFrames(1, WAIT);
                assertEquals(1, got.size());
                byte[] r = got.getFirst();
                assertEquals(60, r.length);
                for (int i = 0; i < 6; i++) {
                    assertEquals((byte) 0xff, r[i], "broadcast");
                    assertEquals(mac[i], r[6 + i], "source: the guest");
                    assertEquals(mac[i], r[22 + i], "sender hardware address");
                }
                assertEquals(0x8035, (r[12] & 0xff) << 8 | (r[13] & 0xff));
                assertEquals(3, r[21], "reverse request");
            }
            // and a frame to that MAC now goes to C alone
            byte[] toMac = ethernet(0, 0xa, "to the announced guest");
            System.arraycopy(mac, 0, toMac, 0, 6);
            assertTrue(a.send(0, toMac));
            List<byte[]> atC = c.awaitFrames(1, WAIT);
            assertEquals(1, atC.size(), "C gets the unicast frame");
            assertArrayEquals(toMac, atC.getFirst());
            sleep(100);
            assertEquals(List.of(), b.receive(), "B does not: it is not flooded");
        }
    }

    @Test
    void theBackendOffersWhatQemuNeedsToMigrate() {
        long f = a.offeredFeatures();
        assertTrue((f & bit(ProtocolFeatures.F_LOG_ALL)) != 0, "LOG_ALL: without it QEMU blocks migration");
        assertTrue((f & bit(VirtioFeatures.NET_F_GUEST_ANNOUNCE)) != 0, "GUEST_ANNOUNCE");
        long pf = a.getProtocolFeatures();
        assertTrue((pf & bit(ProtocolFeatures.LOG_SHMFD)) != 0, "LOG_SHMFD: vhost-user needs a shared log");
        assertTrue((pf & bit(ProtocolFeatures.RARP)) != 0, "RARP");
    }

    // ================================================================================================ hostile

    @Test
    void aLogTooSmallForGuestMemoryClosesTheConnection() {
        try (Log log = Log.create("xl-" + test, LOG_BYTES / 2)) {
            attack("SET_LOG_BASE: the dirty log of 256 bytes covers 2048 pages (8 MiB), but guest memory reaches 0x1000000", h -> {
                start(h, 0);
                setLogBase(h, log, LOG_BYTES / 2, 0);
            });
        }
    }

    @Test
    void setLogBaseWithoutAnFdClosesTheConnection() {
        attack("SET_LOG_BASE carried 0 fds, expected 1", h -> {
            start(h, 0);
            h.sendMessage(Request.SET_LOG_BASE, Message.VERSION, logPayload(LOG_BYTES, 0));
        });
    }

    @Test
    void setLogBaseWithTwoFdsClosesTheConnection() {
        try (Log l1 = Log.create("xl1-" + test, LOG_BYTES); Log l2 = Log.create("xl2-" + test, LOG_BYTES)) {
            attack("SET_LOG_BASE carried 2 fds, expected 1", h -> {
                start(h, 0);
                h.sendMessage(Request.SET_LOG_BASE, Message.VERSION, logPayload(LOG_BYTES, 0), l1.fd(), l2.fd());
            });
        }
    }

    @Test
    void setLogBaseWithoutLogShmfdClosesTheConnection() {
        try (Log log = Log.create("xl-" + test, LOG_BYTES)) {
            attack("SET_LOG_BASE without LOG_SHMFD negotiated", h -> {
                h.negotiate();                          // REPLY_ACK and MQ only
                h.setMemTable();
                h.sendMessage(Request.SET_LOG_BASE, Message.VERSION, logPayload(LOG_BYTES, 0), log.fd());
            });
        }
    }

    @Test
    void aMisalignedOrOversizedLogClosesTheConnection() {
        try (Log log = Log.create("xl-" + test, LOG_BYTES * 2)) {
            attack("SET_LOG_BASE offset 4 is not 8-byte aligned", h -> {
                start(h, 0);
                h.sendMessage(Request.SET_LOG_BASE, Message.VERSION, logPayload(LOG_BYTES, 4), log.fd());
            });
            attack("SET_LOG_BASE: offset + size exceeds the 1024-byte file", h -> {
                start(h, 0);
                h.sendMessage(Request.SET_LOG_BASE, Message.VERSION, logPayload(LOG_BYTES, LOG_BYTES + 8), log.fd());
            });
        }
    }

    @Test
    void aMemoryTableBeyondTheLogWhileLoggingClosesTheConnection() {
        try (Log log = Log.create("xl-" + test, LOG_BYTES)) {
            int big = Fd.memfd("xbig-" + test, 2 * MEM);
            try {
                attack("SET_MEM_TABLE while logging: the dirty log of 512 bytes covers 4096 pages (16 MiB), but guest memory reaches 0x2000000", h -> {
                    start(h, 0);
                    startLogging(h, log);
                    // a table twice as large, the log not grown first (QEMU grows it before)
                    h.request(Request.SET_MEM_TABLE, TestFrontend.memTablePayload(new long[] {0, 2 * MEM, h.ram().base(), 0}), big);
                });
            } finally {
                Fd.closeQuietly(big);
            }
        }
    }

    @Test
    void aUsedRingLoggedBeyondTheLogClosesTheConnection() {
        try (Log log = Log.create("xl-" + test, LOG_BYTES)) {
            attack("but queue 0 logs its used ring at 0x40000000", h -> {
                start(h, 0);
                startLogging(h, log);
                setVringAddr(h, 0, true, 1L << 30);
            });
        }
    }
}
