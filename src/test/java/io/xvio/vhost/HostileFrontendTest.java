package io.xvio.vhost;

import io.xvio.control.Config;
import io.xvio.control.ControlClient;
import io.xvio.control.Daemon;
import io.xvio.sys.Fd;
import io.xvio.sys.UnixServerSocket;
import io.xvio.testing.TestFrontend;
import io.xvio.testing.TestFrontend.BackendClosed;
import io.xvio.testing.TestFrontend.Options;
import io.xvio.testing.TestFrontend.Vring;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;

import static io.xvio.testing.Await.await;
import static io.xvio.testing.TestFrontend.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * xvio against a hostile vhost-user front-end, over real Unix sockets, with an in-process daemon: three server
 * ports on one bridge, A(1) and B(2) forwarding to each other, C(3) hairpinned back to itself
 * ({@code in_port=3,actions=in_port}, so a good front-end on C can prove it works end to end).
 *
 * <p>Each case sends one kind of malformed input on C and checks what a user would: xvio closes that connection
 * (control-plane faults) or stops just the broken queue (data-plane faults), says why in the log and in the
 * port's last_error in {@code show}, keeps nothing of the hostile peer (fds, mappings), keeps forwarding between
 * A and B, and accepts a good front-end on C afterwards.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HostileFrontendTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final int CLOSE_MS = 5000;

    @TempDir Path tmp;
    private Path dir;
    private String pathA, pathB, pathC, control;
    private Daemon daemon;
    private TestFrontend a, b;
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final Logger xvioLog = Logger.getLogger("xvio");
    private final Handler capture = new Handler() {
        @Override public void publish(LogRecord r) {
            log.add((r.getLevel() == Level.WARNING ? "WARN " : r.getLevel().getName() + " ") + r.getMessage());
        }
        @Override public void flush() { }
        @Override public void close() { }
    };
    private String test;
    private int seq;

    @BeforeEach
    void startXvio(TestInfo info) throws IOException {
        test = info.getTestMethod().orElseThrow().getName();
        // sun_path holds 107 bytes: fall back to a short directory under /tmp if the JUnit one is too deep
        dir = tmp.toString().length() < 60 ? tmp : Files.createTempDirectory(Path.of("/tmp"), "xh");
        pathA = dir.resolve("a.sock").toString();
        pathB = dir.resolve("b.sock").toString();
        pathC = dir.resolve("c.sock").toString();
        control = dir.resolve("ctl.sock").toString();
        xvioLog.addHandler(capture);
        String yaml = """
                pmd-idle: adaptive
                bridges:
                  br0:
                    ports:
                      vhA: {type: vhostuser, path: %s, mode: server, ofport: 1, queues: 2}
                      vhB: {type: vhostuser, path: %s, mode: server, ofport: 2, queues: 2}
                      vhC: {type: vhostuser, path: %s, mode: server, ofport: 3, queues: 2}
                    flows:
                      - in_port=1,actions=output:2
                      - in_port=2,actions=output:1
                      - in_port=3,actions=in_port
                """.formatted(pathA, pathB, pathC);
        daemon = new Daemon(Config.parse(yaml, "test"), control);
        daemon.start();
        a = own(TestFrontend.connect(pathA, Options.defaults().pairs(2)).start());
        b = own(TestFrontend.connect(pathB, Options.defaults().pairs(2)).start());
        assertPairForwards();
    }

    @AfterEach
    void stopXvio() throws Exception {
        try {
            for (AutoCloseable c : cleanup.reversed()) c.close();
        } finally {
            if (daemon != null) daemon.close();
            xvioLog.removeHandler(capture);
            if (!dir.equals(tmp)) {
                try (Stream<Path> s = Files.list(dir)) { for (Path p : s.toList()) Files.deleteIfExists(p); }
                Files.deleteIfExists(dir);
            }
        }
    }

    private <T extends AutoCloseable> T own(T c) { cleanup.add(c); return c; }

    // ================================================================================================ checks

    private String show() {
        try {
            ControlClient.Reply r = ControlClient.call(control, List.of("show"));
            assertTrue(r.ok(), r.text());
            return r.text();
        } catch (IOException e) {
            throw new AssertionError("control socket: " + e, e);
        }
    }

    /** The `show` lines of one port. */
    private String portBlock(String name) {
        String s = show();
        int at = s.indexOf(": " + name + " type=");
        assertTrue(at >= 0, "no port " + name + " in show:\n" + s);
        int end = s.indexOf("\n  port ", at);
        return s.substring(at, end < 0 ? s.length() : end);
    }

    private String field(String name, String key) {
        for (String line : portBlock(name).split("\n")) {
            String t = line.strip();
            if (t.startsWith(key + ": ")) return t.substring(key.length() + 2);
        }
        return null;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** show's last_error of port C names the fault, and so does a warning in the log. */
    private void assertFaultReported(String expected) {
        await("last_error of vhC names \"" + expected + "\"", () -> {
            String e = field("vhC", "last_error");
            return e != null && e.contains(expected);
        }, () -> portBlock("vhC"));
        // xvio sets last_error just before it logs: wait for the warning too
        await("a warning names the fault \"" + expected + "\"",
                () -> log.stream().anyMatch(l -> l.startsWith("WARN ") && l.contains("port vhC") && l.contains(expected)),
                () -> String.join("\n", log));
    }

    private static byte[] ethernet(int dst, int src, String payload) {
        byte[] p = payload.getBytes(StandardCharsets.US_ASCII);
        byte[] f = new byte[Math.max(60, 14 + p.length)];
        f[0] = 0x02; f[5] = (byte) dst;
        f[6] = 0x02; f[11] = (byte) src;
        f[12] = (byte) 0x88; f[13] = (byte) 0xb5;   // local experimental ethertype
        System.arraycopy(p, 0, f, 14, p.length);
        return f;
    }

    private static String payloadOf(byte[] f) {
        int end = 14;
        while (end < f.length && f[end] != 0) end++;
        return new String(f, 14, end - 14, StandardCharsets.US_ASCII);
    }

    /** 10 frames A->B and 10 B->A, spread over both queue pairs, all arrive intact. */
    private void assertPairForwards() {
        forward(a, b, 0xa, 0xb);
        forward(b, a, 0xb, 0xa);
    }

    private void forward(TestFrontend from, TestFrontend to, int src, int dst) {
        java.util.Map<String, byte[]> sent = new java.util.TreeMap<>();
        for (int i = 0; i < 10; i++) {
            String p = test + " " + Integer.toHexString(src) + "->" + Integer.toHexString(dst) + " #" + (seq++);
            byte[] f = ethernet(dst, src, p);
            assertTrue(from.send(i % 2, f), "transmit ring has room");
            sent.put(p, f);
        }
        List<byte[]> got = to.awaitFrames(10, WAIT);
        List<String> payloads = got.stream().map(HostileFrontendTest::payloadOf).sorted().toList();
        assertEquals(List.copyOf(sent.keySet()), payloads,
                "the good pair still forwards; " + portBlock("vhA") + "\n" + portBlock("vhB"));
        for (byte[] f : got) assertArrayEquals(sent.get(payloadOf(f)), f, "frames arrive intact");
    }

    /** A good front-end on C gets its frames hairpinned back. */
    private void assertFreshFrontendWorksOnC() {
        try (TestFrontend c = TestFrontend.connect(pathC).start()) {
            await("vhC is up", () -> portBlock("vhC").contains("status=up"), () -> portBlock("vhC"));
            echo(c, "fresh " + test);
        }
    }

    private void echo(TestFrontend c, String text) {
        byte[] f = ethernet(0xc, 0xc, text);
        assertTrue(c.send(0, f));
        List<byte[]> got = c.awaitFrames(1, WAIT);
        assertEquals(1, got.size(), "C's frame comes back; " + portBlock("vhC"));
        assertArrayEquals(f, got.getFirst());
    }

    /** Nothing in this process still refers to memfds with these names: xvio closed and unmapped what it got. */
    private static void assertNoneLeft(String... memfdNames) {
        await("no fd or mapping of " + Arrays.toString(memfdNames) + " is left", () -> leftovers(memfdNames).isEmpty(),
                () -> String.join("\n", leftovers(memfdNames)));
    }

    private static List<String> leftovers(String... names) {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : s.toList()) {
                try {
                    String t = Files.readSymbolicLink(p).toString();
                    for (String n : names) if (t.startsWith("/memfd:" + n + " ")) out.add("fd " + p.getFileName() + " -> " + t);
                } catch (IOException gone) { /* closed meanwhile */ }
            }
            for (String line : Files.readAllLines(Path.of("/proc/self/maps")))
                for (String n : names) if (line.contains("/memfd:" + n + " ")) out.add("mapping " + line);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out;
    }

    /** A memfd the hostile peer sends; the test closes its own copy right after sending. */
    private int extraMemfd(String name) {
        return Fd.memfd(name, 1 << 20);
    }

    /**
     * Runs one control-plane attack on C and checks the whole contract: C's connection is closed, the fault is
     * named in show and in the log, nothing of the peer is left, A<->B still forward, and C takes a good peer.
     */
    private void attack(String expected, AttackBody body) {
        TestFrontend h = TestFrontend.connect(pathC);
        List<Integer> extra = new ArrayList<>();
        try {
            try {
                body.run(h, extra);
            } catch (BackendClosed closedDuringSetUp) {
                // xvio dropped the connection at a set-up step: checked just below like any other close
            }
            assertTrue(h.awaitClosed(CLOSE_MS), "xvio closes the hostile connection");
        } finally {
            for (int fd : extra) Fd.closeQuietly(fd);
            h.close();
        }
        assertFaultReported(expected);
        await("the disconnect is logged", () -> log.stream().anyMatch(l -> l.contains("port vhC: disconnected (protocol error: " + expected)
                || l.contains("port vhC: disconnected (") && l.contains(expected)), () -> String.join("\n", log));
        assertNoneLeft(h.ram().name(), "hx-" + test);
        assertPairForwards();
        assertFreshFrontendWorksOnC();
    }

    @FunctionalInterface
    private interface AttackBody {
        void run(TestFrontend h, List<Integer> extraFds);
    }

    // ================================================================================================ control plane

    @Test
    void wrongPayloadSize() {
        attack("SET_FEATURES payload is 4 bytes, expected 8",
                (h, x) -> h.sendMessage(Request.SET_FEATURES, Message.VERSION, new byte[4]));
    }

    @Test
    void wrongPayloadSizeForAVringAddress() {
        attack("SET_VRING_ADDR payload is 32 bytes, expected 40", (h, x) -> {
            h.negotiate();
            h.sendMessage(Request.SET_VRING_ADDR, Message.VERSION, new byte[32]);
        });
    }

    @Test
    void unknownRequestCode() {
        attack("unknown request code 999", (h, x) -> h.sendMessage(999, Message.VERSION, new byte[0]));
    }

    @Test
    void knownButUnofferedRequest() {
        attack("SET_BACKEND_REQ_FD is not supported", (h, x) -> {
            h.negotiate();
            h.sendMessage(Request.SET_BACKEND_REQ_FD, Message.VERSION, new byte[0]);
        });
    }

    @Test
    void versionBitsWrong() {
        attack("message GET_FEATURES has version 2, expected 1",
                (h, x) -> h.sendMessage(Request.GET_FEATURES, 0x2, new byte[0]));
    }

    @Test
    void versionBitsZero() {
        attack("message SET_OWNER has version 0, expected 1",
                (h, x) -> h.sendMessage(Request.SET_OWNER, Message.FLAG_NEED_REPLY, new byte[0]));
    }

    @Test
    void payloadLargerThan4096() {
        attack("message SET_MEM_TABLE announces a payload of 4097 bytes (at most 4096)",
                (h, x) -> h.sendMessage(Request.SET_MEM_TABLE, Message.VERSION, new byte[4097]));
    }

    @Test
    void payloadSizeNegative() {
        // 0xffffffff read as a signed int; the peer then sends nothing
        attack("announces a payload of 4294967295 bytes",
                (h, x) -> h.sendHeader(Request.SET_FEATURES, Message.VERSION, -1));
    }

    @Test
    void missingFdsOnSetMemTable() {
        attack("SET_MEM_TABLE with 1 regions carried 0 fds", (h, x) -> {
            h.negotiate();
            h.sendMessage(Request.SET_MEM_TABLE, Message.VERSION,
                    memTablePayload(new long[] {0, h.ram().size(), h.ram().base(), 0}));
        });
    }

    @Test
    void extraFdsOnSetFeatures() {
        attack("SET_FEATURES carried 2 file descriptor(s), expected none", (h, x) -> {
            int m1 = extraMemfd("hx-" + test), m2 = extraMemfd("hx-" + test);
            x.add(m1);
            x.add(m2);
            h.sendMessage(Request.SET_FEATURES, Message.VERSION, Message.u64(1L << 32), m1, m2);
        });
    }

    @Test
    void fdsAttachedToThePayloadInsteadOfTheHeader() {
        attack("file descriptors arrived with the payload of SET_MEM_TABLE, not with its header", (h, x) -> {
            int m = extraMemfd("hx-" + test);
            x.add(m);
            byte[] p = memTablePayload(new long[] {0, 1 << 20, h.ram().base(), 0});
            h.sendHeader(Request.SET_MEM_TABLE, Message.VERSION, p.length);
            sleep(50);   // let xvio take the header on its own
            h.sendRaw(p, m);
        });
    }

    @Test
    void moreThanEightFds() {
        attack("message carried more file descriptors than allowed (8)", (h, x) -> {
            int m = extraMemfd("hx-" + test);
            x.add(m);
            int[] nine = new int[9];
            Arrays.fill(nine, m);
            long[][] regions = new long[9][];
            for (int i = 0; i < 9; i++) regions[i] = new long[] {(long) i << 20, 1 << 20, h.ram().base() + ((long) i << 20), 0};
            h.sendRaw(Message.encode(Request.SET_MEM_TABLE, Message.VERSION, memTablePayload(regions)), nine);
        });
    }

    @Test
    void tooManyRegions() {
        attack("SET_MEM_TABLE with 9 regions (1..8 allowed)", (h, x) -> {
            h.negotiate();
            int m = extraMemfd("hx-" + test);
            x.add(m);
            long[][] regions = new long[9][];
            for (int i = 0; i < 9; i++) regions[i] = new long[] {(long) i << 16, 1 << 16, h.ram().base() + ((long) i << 16), 0};
            int[] eight = new int[8];
            Arrays.fill(eight, m);
            h.sendMessage(Request.SET_MEM_TABLE, Message.VERSION, memTablePayload(regions), eight);
        });
    }

    @Test
    void overlappingRegions() {
        attack("SET_MEM_TABLE region 1 (gpa 0x400000, size 0x800000): overlaps another region", (h, x) -> {
            h.negotiate();
            long base = h.ram().base();
            byte[] p = memTablePayload(new long[] {0, 8 << 20, base, 0}, new long[] {4 << 20, 8 << 20, base + (8 << 20), 8 << 20});
            h.sendMessage(Request.SET_MEM_TABLE, Message.VERSION, p, h.ram().fd(), h.ram().fd());
        });
    }

    @Test
    void overlappingVirtualAddresses() {
        attack("overlaps another region", (h, x) -> {
            h.negotiate();
            long base = h.ram().base();
            byte[] p = memTablePayload(new long[] {0, 8 << 20, base, 0}, new long[] {8 << 20, 8 << 20, base + (4 << 20), 8 << 20});
            h.sendMessage(Request.SET_MEM_TABLE, Message.VERSION, p, h.ram().fd(), h.ram().fd());
        });
    }

    @Test
    void regionBiggerThanItsMemfd() {
        attack("SET_MEM_TABLE region 0 (gpa 0x0, size 0x2000000): offset 0x0 + size exceeds the 16777216-byte file behind its fd", (h, x) -> {
            h.negotiate();
            h.sendMessage(Request.SET_MEM_TABLE, Message.VERSION, memTablePayload(new long[] {0, 32 << 20, h.ram().base(), 0}), h.ram().fd());
        });
    }

    @Test
    void regionWhoseOffsetRunsPastItsMemfd() {
        attack("exceeds the 16777216-byte file behind its fd", (h, x) -> {
            h.negotiate();
            h.sendMessage(Request.SET_MEM_TABLE, Message.VERSION, memTablePayload(new long[] {0, 8 << 20, h.ram().base(), 12 << 20}), h.ram().fd());
        });
    }

    @Test
    void regionThatWrapsTheAddressSpace() {
        attack("wraps around the address space", (h, x) -> {
            h.negotiate();
            h.sendMessage(Request.SET_MEM_TABLE, Message.VERSION, memTablePayload(new long[] {-4096, 1 << 20, h.ram().base(), 0}), h.ram().fd());
        });
    }

    @Test
    void vringNumNotAPowerOfTwo() {
        attack("port vhC queue 1: queue size 100 is not a power of two between 1 and 32768", (h, x) -> {
            h.negotiate();
            h.setMemTable();
            h.sendMessage(Request.SET_VRING_NUM, Message.VERSION, Message.state(1, 100));
        });
    }

    @Test
    void queueIndexOutOfRange() {
        attack("SET_VRING_NUM names queue 99 but the device has 4 queues", (h, x) -> {
            h.negotiate();
            h.sendMessage(Request.SET_VRING_NUM, Message.VERSION, Message.state(99, 256));
        });
    }

    @Test
    void kickForAQueueOutOfRange() {
        attack("SET_VRING_KICK names queue 200 but the device has 4 queues", (h, x) -> {
            h.negotiate();
            int m = extraMemfd("hx-" + test);
            x.add(m);
            h.sendMessage(Request.SET_VRING_KICK, Message.VERSION, Message.u64(200), m);
        });
    }

    @Test
    void ringAddressOutsideGuestMemory() {
        TestFrontend[] hh = new TestFrontend[1];
        attack("port vhC queue 1: descriptor table at 0x", (h, x) -> {
            hh[0] = h;
            h.negotiate();
            h.setMemTable();
            Vring r = h.tx(0);
            h.setVringNum(1, r.size());
            h.setVringBase(1, 0);
            h.setVringAddr(1, h.ram().base() + h.ram().size(), r.usedUva(), r.availUva());   // just past the end
            h.setVringKick(1, null);
            // the ring starts (and its addresses are checked) when it is enabled
            assertThrows(BackendClosed.class, () -> h.setVringEnable(1, true));
        });
        assertTrue(field("vhC", "last_error").contains("(4096 bytes) is outside guest memory"), portBlock("vhC"));
    }

    @Test
    void ringAddressMisaligned() {
        attack("port vhC queue 0: used ring at 0x", (h, x) -> {
            h.negotiate();
            h.setMemTable();
            Vring r = h.rx(0);
            h.setVringNum(0, r.size());
            h.setVringAddr(0, r.descUva(), r.usedUva() + 2, r.availUva());
            h.setVringKick(0, null);
            assertThrows(BackendClosed.class, () -> h.setVringEnable(0, true));
        });
        assertTrue(field("vhC", "last_error").contains("is not 4-byte aligned"), portBlock("vhC"));
    }

    @Test
    void unofferedFeatureBits() {
        attack("SET_FEATURES asks for unoffered bits ACCESS_PLATFORM", (h, x) -> {
            h.getFeatures();
            assertEquals(0, h.offeredFeatures() & (1L << 33), "xvio does not offer an IOMMU platform");
            h.sendMessage(Request.SET_FEATURES, Message.VERSION, Message.u64((1L << 32) | (1L << 33)));
        });
    }

    @Test
    void unofferedProtocolFeatureBits() {
        attack("SET_PROTOCOL_FEATURES asks for unoffered bits BACKEND_REQ", (h, x) -> {
            h.getFeatures();
            h.sendMessage(Request.SET_PROTOCOL_FEATURES, Message.VERSION, Message.u64(1L << ProtocolFeatures.BACKEND_REQ));
        });
    }

    @Test
    void vringEnableWithAValueOtherThanZeroOrOne() {
        attack("SET_VRING_ENABLE 7 for queue 0 is neither 0 nor 1", (h, x) -> {
            h.negotiate();
            h.sendMessage(Request.SET_VRING_ENABLE, Message.VERSION, Message.state(0, 7));
        });
    }

    // ================================================================================================ closing mid-message

    @Test
    void peerClosingAfterTheHeaderWithItsFds() {
        attack("connection closed after the header of SET_MEM_TABLE", (h, x) -> {
            h.negotiate();
            int m = extraMemfd("hx-" + test);
            x.add(m);
            h.sendHeader(Request.SET_MEM_TABLE, Message.VERSION, 40, m);
            h.socket().shutdown();   // header sent, payload never: then the peer goes away
        });
    }

    @Test
    void peerClosingInTheMiddleOfAHeader() {
        attack("peer closed mid-message after 6 of 12 bytes", (h, x) -> {
            h.sendRaw(Arrays.copyOf(Message.encode(Request.GET_FEATURES, Message.VERSION, new byte[0]), 6));
            h.socket().shutdown();
        });
    }

    @Test
    void peerStallingMidMessageWithRunningQueuesHurtsNoOneAndIsCleanedUpWhenItLeaves() {
        TestFrontend h = TestFrontend.connect(pathC).start();
        String ramName = h.ram().name();
        try {
            echo(h, "before the stall");
            h.sendHeader(Request.SET_VRING_NUM, Message.VERSION, 8);   // ... and the payload never comes
            assertPairForwards();   // xvio's thread for C waits; the others do not
            echo(h, "queues still run while the control channel stalls");
            assertTrue(h.isOpen(), "xvio waits for the rest of the message");
        } finally {
            h.close();   // closes the socket with the message unfinished, and unmaps our side
        }
        assertFaultReported("connection closed after the header of SET_VRING_NUM");
        assertNoneLeft(ramName);   // xvio stopped C's queues and unmapped its memory
        assertPairForwards();
        assertFreshFrontendWorksOnC();
    }

    // ================================================================================================ data plane

    /** A good front-end on C whose transmit ring (virtqueue 1) the test then corrupts. */
    private TestFrontend runningC() {
        TestFrontend h = own(TestFrontend.connect(pathC).start());
        echo(h, "before the fault");
        return h;
    }

    /** Makes descriptor d (filled as given) available on ring r, behind the driver's back. */
    private static void offerRaw(Vring r, int d, long addr, int len, int flags, int next) {
        r.setDesc(d, addr, len, flags, next);
        r.setAvailEntry(r.availIdx(), d);
        r.setAvailIdx(r.availIdx() + 1);
    }

    /**
     * Checks a data-plane fault on C's queue q: named in show and the log, that queue (only) stopped, nothing
     * completed for the broken chain, the connection left open, the pair unharmed, and C recovers.
     */
    private void assertQueueFault(TestFrontend h, int q, int usedBefore, String expected) {
        assertFaultReported(expected);
        assertTrue(field("vhC", "last_error").startsWith("port vhC queue " + q + ": "), portBlock("vhC"));
        assertTrue(log.stream().anyMatch(l -> l.contains(expected) && l.contains("queue stopped until the driver resets it")), String.join("\n", log));
        int other = q ^ 1;
        await("only queue " + q + " of vhC stopped", () -> (other + "(size 256)").equals(field("vhC", "running_queues")), () -> portBlock("vhC"));
        assertEquals(usedBefore, h.ring(q).usedIdx(), "nothing was completed for the broken chain");
        assertTrue(h.isOpen(), "a data-plane fault stops the queue, not the connection");
        assertPairForwards();
        String ramName = h.ram().name();
        h.close();
        assertNoneLeft(ramName);
        assertFreshFrontendWorksOnC();
    }

    @Test
    void descriptorChainThatLoops() {
        TestFrontend h = runningC();
        Vring tx = h.tx(0);
        int used = tx.usedIdx();
        offerRaw(tx, 100, tx.bufGpa(100), 64, DESC_F_NEXT, 100);
        assertQueueFault(h, 1, used, "descriptor chain from head 100 loops or is longer than its table (256)");
    }

    @Test
    void descriptorChainLongerThanTheRing() {
        TestFrontend h = runningC();
        Vring tx = h.tx(0);
        int used = tx.usedIdx();
        for (int i = 0; i < tx.size(); i++) tx.setDesc(i, tx.bufGpa(i), 16, DESC_F_NEXT, (i + 1) % tx.size());
        tx.setAvailEntry(tx.availIdx(), 7);
        tx.setAvailIdx(tx.availIdx() + 1);
        assertQueueFault(h, 1, used, "descriptor chain from head 7 loops or is longer than its table (256)");
    }

    @Test
    void descriptorAddressOutsideGuestMemory() {
        TestFrontend h = runningC();
        Vring tx = h.tx(0);
        int used = tx.usedIdx();
        offerRaw(tx, 100, 1L << 40, 64, 0, 0);
        assertQueueFault(h, 1, used, "buffer at guest address 0x10000000000 is outside guest memory");
    }

    @Test
    void availIndexJumpingByMoreThanTheRingSize() {
        TestFrontend h = runningC();
        Vring tx = h.tx(0);
        int used = tx.usedIdx(), from = tx.availIdx();
        tx.setAvailIdx(from + 300);
        assertQueueFault(h, 1, used, "available index jumped from " + from + " to " + (from + 300) + " (ring size 256)");
    }

    @Test
    void headIndexOutOfTheRing() {
        TestFrontend h = runningC();
        Vring tx = h.tx(0);
        int used = tx.usedIdx();
        tx.setAvailEntry(tx.availIdx(), 256);
        tx.setAvailIdx(tx.availIdx() + 1);
        assertQueueFault(h, 1, used, "descriptor head 256 out of ring size 256");
    }

    @Test
    void indirectDescriptorWithABadLength() {
        TestFrontend h = runningC();
        Vring tx = h.tx(0);
        int used = tx.usedIdx();
        offerRaw(tx, 100, tx.indirectGpa(100), 20, DESC_F_INDIRECT, 0);
        assertQueueFault(h, 1, used, "indirect table length 20 is not a multiple of 16");
    }

    @Test
    void receiveBufferOutsideGuestMemoryStopsOnlyTheReceiveQueue() {
        TestFrontend h = own(TestFrontend.connect(pathC, Options.defaults().postRx(false)).start());
        Vring rx = h.rx(0);
        offerRaw(rx, 0, 1L << 40, 2048, DESC_F_WRITE, 0);
        assertTrue(h.send(0, ethernet(0xc, 0xc, "hairpinned into a bad buffer")));
        assertQueueFault(h, 0, 0, "buffer at guest address 0x10000000000 is outside guest memory");
    }

    @Test
    void aFaultedQueueRunsAgainOnceTheDriverResetsIt() {
        TestFrontend h = runningC();
        Vring tx = h.tx(0);
        int taken = tx.availIdx();
        offerRaw(tx, 100, 1L << 40, 64, 0, 0);
        assertFaultReported("buffer at guest address 0x10000000000 is outside guest memory");
        await("queue 1 stopped", () -> "0(size 256)".equals(field("vhC", "running_queues")), () -> portBlock("vhC"));
        int base = h.resetQueue(1);
        assertEquals(taken, base, "xvio reports the ring stopped right before the broken chain");
        await("queue 1 runs again", () -> "0(size 256) 1(size 256)".equals(field("vhC", "running_queues")), () -> portBlock("vhC"));
        echo(h, "after the reset");
        assertPairForwards();
    }

    // ================================================================================================ known xvio bugs
    // Reproductions of bugs found by this suite (see the report that came with it). Each asserts the behaviour
    // xvio should have; enable it with the fix.

    @Test
    void regionBackedByAnEmptyMemfd() {
        attack("exceeds the 0-byte file behind its fd", (h, x) -> {
            h.negotiate();
            int empty = Fd.memfd("hx-" + test, 0);
            x.add(empty);
            h.request(Request.SET_MEM_TABLE, memTablePayload(new long[] {0, h.ram().size(), h.ram().base(), 0}), empty);
            for (int q = 0; q < 2; q++) h.setupQueue(q);
            h.setVringEnable(1, true);
        });
    }

    @Test
    void guestMemoryShrunkUnderXvio() {
        TestFrontend h = own(TestFrontend.connect(pathC).start());
        echo(h, "before shrinking");
        h.ram().truncate(0);    // from here on neither side may touch that memory
        await("vhC's transmit queue faults", () -> {
            String e = field("vhC", "last_error");
            return e != null && e.startsWith("port vhC queue 1: ");
        }, () -> portBlock("vhC"));
        assertPairForwards();
        String ramName = h.ram().name();
        h.close();
        assertNoneLeft(ramName);
        assertFreshFrontendWorksOnC();
    }

    @Test
    void callFdThatIsNotAnEventfd() {
        io.xvio.sys.UnixSocket[] sp = own2(io.xvio.sys.UnixSocket.pair());
        attack("is not an eventfd", (h, x) -> {
            h.negotiate();
            h.sendMessage(Request.SET_VRING_CALL, Message.VERSION, Message.u64(0), sp[0].fd());
        });
    }

    private io.xvio.sys.UnixSocket[] own2(io.xvio.sys.UnixSocket[] pair) {
        own(pair[0]);
        own(pair[1]);
        return pair;
    }


    // ================================================================================================ client mode

    @Test
    void aClientModePortReconnectsAfterAHostileFrontEndAndThenWorks() {
        String pathD = dir.resolve("d.sock").toString(), control2 = dir.resolve("ctl2.sock").toString();
        UnixServerSocket listener = own(UnixServerSocket.listen(pathD));
        Daemon second = new Daemon(Config.parse("""
                pmd-idle: adaptive
                bridges:
                  br1:
                    ports:
                      vhD: {type: vhostuser, path: %s, mode: client, queues: 1}
                    flows: ["in_port=1,actions=in_port"]
                """.formatted(pathD), "test-client"), control2);
        own(second::close);
        second.start();
        TestFrontend h = TestFrontend.accept(listener, CLOSE_MS, Options.defaults());
        assertNotNull(h, "xvio connects to the front-end's socket");
        try (h) {
            h.sendMessage(Request.SET_FEATURES, Message.VERSION, new byte[3]);
            assertTrue(h.awaitClosed(CLOSE_MS));
        }
        assertTrue(log.stream().anyMatch(l -> l.contains("port vhD: protocol error: SET_FEATURES payload is 3 bytes, expected 8")), String.join("\n", log));
        try (TestFrontend g = TestFrontend.accept(listener, CLOSE_MS, Options.defaults())) {
            assertNotNull(g, "xvio reconnects after dropping the hostile peer");
            g.start();
            byte[] f = ethernet(0xd, 0xd, "client mode");
            assertTrue(g.send(0, f));
            List<byte[]> got = g.awaitFrames(1, WAIT);
            assertEquals(1, got.size());
            assertArrayEquals(f, got.getFirst());
        }
        assertPairForwards();
    }

    // ================================================================================================ the harness itself

    @Test
    void aGoodFrontendNegotiatesWhatItAskedFor() {
        long f = a.features();
        assertTrue((f & (1L << 32)) != 0 && (f & (1L << 15)) != 0 && (f & (1L << 22)) != 0, "VERSION_1, MRG_RXBUF, MQ");
        assertTrue((a.protocolFeatures() & (1L << ProtocolFeatures.REPLY_ACK)) != 0);
        String blockA = portBlock("vhA");
        assertTrue(blockA.contains("status=up"), blockA);
        assertTrue(blockA.contains("running_queues: 0(size 256) 1(size 256) 2(size 256) 3(size 256)"), blockA);
        assertTrue(blockA.contains("protocol_features: MQ REPLY_ACK"), blockA);
        ByteBuffer q = a.call(Request.GET_QUEUE_NUM, new byte[0]);
        assertEquals(2, q.order(ByteOrder.LITTLE_ENDIAN).getLong(0), "queues: 2 in the config");
    }
}
