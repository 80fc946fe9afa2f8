package io.xvio.e2e;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Live migration of a running guest through xvio (LAB.md recipe, QEMU TCG): guest A runs in a QEMU on port vh1,
 * a second QEMU on port vh2 waits with {@code -incoming tcp:127.0.0.1:PORT}, and {@code migrate -d} on the source's
 * monitor moves A while its traffic with guest B (port vhb, same NORMAL bridge) goes on. The source then logs
 * every page xvio writes into A's memory (VHOST_USER_SET_LOG_BASE, LOG_ALL), stops its rings (GET_VRING_BASE)
 * for the final pause, and the destination resumes them where they stopped (SET_VRING_BASE).
 *
 * <p>Each test prints one {@code MIGRATION ...} line with what it measured: QEMU's downtime and total time, the
 * pings sent and lost (by sequence number, so the ping still in flight when it was stopped does not count) or
 * the stream's size and checksums.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.GuestsThroughXvioIT#enabled")
class MigrationIT {
    static final Duration BOOT = Duration.ofSeconds(120);
    static final Duration CMD = Duration.ofSeconds(60);
    static final String MAC_A = "52:54:00:00:0a:01", MAC_B = "52:54:00:00:0b:01";
    static final String IP_A = "10.0.6.1", IP_B = "10.0.6.2";

    /**
     * Guest A's RAM: 256 MiB and 8 KiB, not a multiple of 256 KiB, so that QEMU tracks the pages A's CPU writes
     * during a migration. QEMU 7.2 (Debian 12's 7.2.22) loses them for a RAM block that is a whole number of 64
     * pages: its dirty-bitmap sync (cpu_physical_memory_sync_dirty_bitmap) then clears the migration bits a word
     * at a time without resetting the vCPUs' TLB entries, and a store through an entry filled before the sync
     * marks nothing until that entry leaves the TLB (fixed in QEMU 9.0, "physmem: Fix migration dirty bitmap
     * coherency with TCG memory access", not backported to 7.2). For any other size QEMU takes its page-by-page
     * path, which resets the TLB entries of every page it clears. What that looked like here: the destination
     * stuck in a soft lockup, oopsing or dying after the migration, or 30-66 pages older at the destination than
     * at the source, all written by A's CPU (xvio's writes had arrived). Measured 2026-12-03 on a loaded machine
     * (load 18-25), the stream case with sizes alternating in one run: 256 MiB failed 3 of 4 (destination soft
     * lockups, a QEMU exit, 33 pages older), 256 MiB with {@code -accel tcg,thread=single} lost 34 pages too (not
     * a multi-threaded TCG race), 256 MiB + 8 KiB passed 5 of 5 with every page equal (3 of them with offloads).
     */
    static final long A_MEMORY_KB = 256 * 1024 + 8;

    /** One configuration of guest A: mergeable receive buffers or not, queue pairs, packed rings. */
    record Setup(String name, boolean mergeable, int queues, boolean packed, boolean guestAnnounce) {
        Setup(String name, boolean mergeable, int queues) { this(name, mergeable, queues, false, true); }
        Setup(String name, boolean mergeable, int queues, boolean packed) { this(name, mergeable, queues, packed, true); }
        @Override public String toString() { return name; }
    }

    static Stream<Setup> setups() {
        return Stream.of(new Setup("mergeable", true, 1), new Setup("no-mergeable", false, 1), new Setup("2-queue-pairs", true, 2));
    }

    static Stream<Setup> ringLayouts() {
        return Stream.concat(setups(), Stream.of(new Setup("packed", true, 1, true)));
    }

    /**
     * Every port offers the guests checksum and TSO offloads (the default); {@code -Dxvio.e2e.migration.offloads=false}
     * runs the class with {@code offloads: false} on every port, as before offloads were the default.
     */
    static final boolean OFFLOADS = !"false".equals(System.getProperty("xvio.e2e.migration.offloads"));

    static String config(Path dir) {
        return """
                pmd-idle: adaptive
                bridges:
                  br0:
                    ports:
                      vh1: {type: vhostuser, path: %1$s/a1.sock, mode: server, ofport: 1%2$s}
                      vh2: {type: vhostuser, path: %1$s/a2.sock, mode: server, ofport: 2%2$s}
                      vhb: {type: vhostuser, path: %1$s/b.sock, mode: server, ofport: 3%2$s}
                """.formatted(dir, OFFLOADS ? "" : ", offloads: false");
    }

    /** Guest A on socket sock; with incoming set, the same machine waiting for A's state instead of booting. */
    static QemuGuest startA(Path dir, String sock, Setup s, String name, String incoming) {
        return startA(dir, sock, s, name, incoming, false);
    }

    /** paused: {@code -S}, the destination stays paused after the migration until {@code cont}. */
    static QemuGuest startA(Path dir, String sock, Setup s, String name, String incoming, boolean paused) {
        QemuGuest.Builder b = QemuGuest.builder(dir.resolve(sock)).name(name).mac(MAC_A).ip(IP_A + "/24")
                .queues(s.queues()).mrgRxbuf(s.mergeable()).monitor(true).serve().workDir(dir.resolve(name)).memoryKb(A_MEMORY_KB);
        if (s.packed()) b.packed(true);
        if (!s.guestAnnounce()) b.deviceOption("guest_announce", "off");
        if (incoming != null) b.incoming(incoming);
        if (paused) b.qemuArg("-S");
        return b.start();
    }

    static QemuGuest startB(Path dir) {
        return QemuGuest.builder(dir.resolve("b.sock")).name("b").mac(MAC_B).ip(IP_B + "/24").serve()
                .workDir(dir.resolve("b")).start();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    // ================================================================================================ migration

    /** What {@code info migrate} said at the end. */
    record Migration(long totalMs, long downtimeMs, long setupMs, String info) {}

    /** Starts the destination QEMU on sock and waits until it listens for the migration stream. */
    static QemuGuest startDestination(Path dir, String sock, Setup s, String name, int port) {
        return startDestination(dir, sock, s, name, port, false);
    }

    static QemuGuest startDestination(Path dir, String sock, Setup s, String name, int port, boolean paused) {
        QemuGuest dst = startA(dir, sock, s, name, "tcp:127.0.0.1:" + port, paused);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                String st = dst.hmp("info status", Duration.ofSeconds(5));
                if (st.contains("inmigrate")) return dst;
            } catch (RuntimeException notYet) {
                // monitor socket not there yet
            }
            if (System.nanoTime() > deadline) throw new AssertionError("destination " + name + " not waiting for a migration:\n" + dst.consoleTail(2000));
            sleep(100);
        }
    }

    /** migrate -d from src to port, polls info migrate until it completed (or failed), checks dst runs. */
    static Migration migrate(QemuGuest src, QemuGuest dst, int port) {
        return migrate(src, dst, port, "running");
    }

    /** ... and waits for dst's {@code info status} to say dstState ("running", or "paused" for a -S destination). */
    static Migration migrate(QemuGuest src, QemuGuest dst, int port, String dstState) {
        src.hmp("migrate_set_parameter max-bandwidth 1G", CMD);   // QEMU's default is 32 MiB/s
        String out = src.hmp("migrate -d tcp:127.0.0.1:" + port, CMD);
        assertFalse(out.toLowerCase().contains("error"), "migrate: " + out);
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        String info;
        while (true) {
            info = src.hmp("info migrate", CMD);
            Matcher st = Pattern.compile("Migration status: (\\S+)").matcher(info);
            String status = st.find() ? st.group(1) : "?";
            if (status.equals("completed")) break;
            if (status.equals("failed") || status.equals("cancelled") || System.nanoTime() > deadline)
                throw new AssertionError("migration " + status + ":\n" + info + "\nsource:\n" + src.consoleTail(2000) + "\ndestination:\n" + dst.consoleTail(2000));
            sleep(20);
        }
        // the destination runs A now (it may take a moment to leave the inmigrate state). "paused (inmigrate)" is a
        // destination still loading the last pages: its memory is not the source's yet
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String st;
        while (!(st = dst.hmp("info status", CMD)).contains("VM status: " + dstState) || st.contains("inmigrate")) {
            if (System.nanoTime() > until) throw new AssertionError("destination not running after the migration: " + st);
            sleep(20);
        }
        return new Migration(num(info, "total time: (\\d+) ms"), num(info, "downtime: (\\d+) ms"),
                num(info, "setup: (\\d+) ms"), info);
    }

    static long num(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    interface Scenario { void run(Path dir) throws Exception; }

    /**
     * Runs a migration scenario, up to twice more (each in a fresh directory) if a migrated guest itself failed (a-dst, or a-back
     * after a migration back):
     * a QEMU TCG destination sometimes never answered on its console after the migration, died, or oopsed in its own
     * kernel (seen 2026-12-02 and 03; "console closed": its QEMU exited). Those were QEMU losing pages A's CPU wrote
     * (see {@link #A_MEMORY_KB}, which made them go away); the retry stays for a destination starved of CPU on a
     * loaded machine, and says so on stdout. Any other failure (lost pings, wrong bytes, memory that
     * differs, xvio's counters) fails at once; a third failure of the destination fails too.
     */
    static void retried(Path dir, Scenario scenario) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                scenario.run(Files.createDirectories(dir.resolve("try" + attempt)));
                return;
            } catch (AssertionError | RuntimeException e) {
                String m = String.valueOf(e.getMessage());
                boolean migratedGuest = m.contains("a-dst") || m.contains("a-back") || m.contains("not running after the migration");
                if (attempt == 3 || !(migratedGuest && (m.contains("XVIO-SERVE") || m.contains("XVIO-EXEC") || m.contains("monitor")
                        || m.contains("console closed") || m.contains("not running after the migration")))) throw e;
                System.out.println("MIGRATION retry: the destination guest failed (" + m.lines().findFirst().orElse("") + ")");
            }
        }
    }

    /** Lets exec() work on a migrated guest: the serve loop's marker was printed on the source's console. */
    static void adopt(QemuGuest migrated) {
        migrated.sendLine("echo XVIO-SERVE");
        migrated.waitFor("^XVIO-SERVE", CMD);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ================================================================================================ ping

    static final String PING_STATS = "awk '/seq=/ { if ($0 ~ /DUP/) dup++; else for (i = 1; i <= NF; i++) if ($i ~ /^seq=/) { s = substr($i, 5) + 0; seen[s] = 1; n++; if (s > max) max = s } }"
            + " END { m = 0; l = \"\"; for (i = 0; i <= max; i++) if (!(i in seen)) { m++; if (m <= 40) l = l \" \" i }"
            + " print \"XVIO-PINGSTAT sent=\" max + 1 \" received=\" n \" lost=\" m \" dup=\" dup + 0 \" lostseqs=\" l }' /tmp/ping.out";

    /** Counts from a ping's output up to its last reply: sent = highest sequence number answered + 1. */
    record PingStat(int sent, int received, int lost, int dup, String lostSeqs) {
        static PingStat parse(String out) {
            Matcher m = Pattern.compile("XVIO-PINGSTAT sent=(\\d+) received=(\\d+) lost=(\\d+) dup=(\\d+) lostseqs=([ \\d]*)").matcher(out);
            if (!m.find()) throw new AssertionError("no ping statistics in:\n" + out);
            return new PingStat(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    Integer.parseInt(m.group(4)), m.group(5).strip());
        }
    }

    /**
     * A pings B every 10 ms while it migrates from vh1 to vh2; the ping goes on on the destination. With 2 queue
     * pairs, A pings from its second vCPU (so its second transmit ring carries it), and then migrates back to a
     * fresh QEMU on vh1: the port takes the new front-end, and its counters and a flow on it keep counting.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("setups")
    void pingGoesOnWhileTheGuestMigrates(Setup s, @TempDir Path dir) throws Exception {
        retried(dir, d -> pingGoesOnWhileTheGuestMigratesOnce(s, d));
    }

    private void pingGoesOnWhileTheGuestMigratesOnce(Setup s, Path dir) throws Exception {
        boolean roundTrip = s.queues() > 1;
        int port = freePort();
        QemuGuest dst = null, back = null;
        try (XvioDaemon xvio = XvioDaemon.start(dir, config(dir));
             QemuGuest b = startB(dir);
             QemuGuest a = startA(dir, "a1.sock", s, "a", null)) {
            a.waitForReady(BOOT);
            b.waitForReady(BOOT);
            if (s.queues() > 1) a.waitFor("^XVIO-QUEUES rx=2 tx=2\n", CMD);
            assertEquals(0, a.ping(IP_B, 3, 0.1, CMD).lost(), () -> "A reaches B before the migration\n" + xvio.log());
            // a flow on vh1 (ofport 1), to see it count across the guest leaving and coming back
            xvio.call("add-flow", "br0", "priority=100,in_port=1,icmp,actions=NORMAL");
            dst = startDestination(dir, "a2.sock", s, "a-dst", port);

            String pinger = s.queues() > 1 ? "taskset 2 ping" : "ping";
            a.exec(pinger + " -i 0.01 " + IP_B + " > /tmp/ping.out 2>&1 & echo $! > /tmp/ping.pid", CMD);
            sleep(1500);
            Migration mig = migrate(a, dst, port);
            sleep(1500);
            long fdbLearned = xvio.call("fdb/show", "br0").lines().filter(l -> l.contains(MAC_A)).findFirst()
                    .map(l -> Long.parseLong(l.strip().split("\\s+")[0])).orElse(-1L);
            QemuGuest now = dst;
            Migration mig2 = null;
            long vh1Rx = xvio.counter("vh1", "rx_packets");
            long flowBefore = flowPackets(xvio);
            if (roundTrip) {
                a.close();                                  // the source is done: vh1's front-end goes away
                assertTrue(xvio.awaitLog("port vh1: disconnected", Duration.ofSeconds(10)), xvio.log());
                int port2 = freePort();
                back = startDestination(dir, "a1.sock", s, "a-back", port2);
                mig2 = migrate(dst, back, port2);
                sleep(1500);
                now = back;
            }
            adopt(now);
            QemuGuest.ExecResult r = now.exec("kill -INT $(cat /tmp/ping.pid); sleep 0.5; " + PING_STATS
                    + "; tail -3 /tmp/ping.out; dmesg | grep -ciE 'virtio|eth0' ; dmesg | grep -iE 'virtio|eth0|net' | tail -5", CMD);
            PingStat p = PingStat.parse(r.output());
            String report = String.format("MIGRATION ping %s: sent=%d received=%d lost=%d (%.1f%%, seq%s) dup=%d downtime=%d ms total=%d ms setup=%d ms%s; fdb: A on ofport %d after",
                    s, p.sent(), p.received(), p.lost(), 100.0 * p.lost() / Math.max(1, p.sent()), p.lostSeqs().isEmpty() ? " none" : " " + p.lostSeqs(), p.dup(),
                    mig.downtimeMs(), mig.totalMs(), mig.setupMs(),
                    mig2 == null ? "" : String.format("; back to vh1: downtime=%d ms total=%d ms", mig2.downtimeMs(), mig2.totalMs()),
                    fdbLearned);
            System.out.println(report);
            String ctx = report + "\n" + r.output() + "\n" + xvio.call("stats") + "\n" + mig.info();
            assertTrue(p.sent() > 200, "the ping ran through the migration and after it\n" + ctx);
            assertEquals(0, p.dup(), "no duplicate replies: no descriptor was replayed\n" + ctx);
            assertTrue(p.lost() * 20 < p.sent(), "fewer than 5% of the pings lost\n" + ctx);
            long pauses = mig.downtimeMs() + (mig2 == null ? 0 : mig2.downtimeMs());
            assertTrue(p.lost() <= pauses / 10 + 10, "at most the pings of the pause (A's clock stops with it)\n" + ctx);
            // replies after the migration: the last 100 sequence numbers all came back
            assertTrue(lostAfter(p, p.sent() - 100) == 0, "the ping goes on on the destination\n" + ctx);
            assertEquals(2, fdbLearned, "NORMAL learned A on vh2\n" + xvio.call("fdb/show", "br0"));
            String show = xvio.call("show");
            assertFalse(show.contains("last_error"), "no port reported an error\n" + show + "\n" + xvio.log());
            if (roundTrip) {
                // vh1 took a new front-end: counters and the flow on it kept their totals and counted on
                long vh1RxAfter = xvio.counter("vh1", "rx_packets");
                long flowAfter = flowPackets(xvio);
                assertTrue(vh1RxAfter > vh1Rx + 50, "vh1's counters go on from " + vh1Rx + ": " + vh1RxAfter + "\n" + xvio.call("stats"));
                assertTrue(flowBefore > 50 && flowAfter > flowBefore + 50, "the in_port=1 flow counted before (" + flowBefore
                        + ") and after (" + flowAfter + ") the guest came back\n" + xvio.call("dump-flows", "br0"));
                assertEquals(2, xvio.log().split("port vh1: front-end connected", -1).length - 1, xvio.log());
            }
        } finally {
            if (back != null) back.close();
            if (dst != null) dst.close();
        }
    }

    /**
     * A guest that sends nothing while B pings it: after the migration only an announcement can tell the bridge
     * that A's MAC now lives on vh2. With GUEST_ANNOUNCE (xvio offers it, the Linux driver takes it) the guest
     * sends gratuitous ARPs itself once it runs on the destination; with {@code guest_announce=off} on the device
     * QEMU asks xvio instead (VHOST_USER_SEND_RARP), and xvio injects a RARP from A on vh2. Either way B's pings
     * reach A again at once: B loses the pings it sent while A was paused (its clock runs on) and hardly more,
     * and the fdb has A on vh2 within milliseconds.
     */
    @ParameterizedTest(name = "guest announces itself: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void theBridgeLearnsTheMigratedGuestAtOnce(boolean guestAnnounce, @TempDir Path dir) throws Exception {
        retried(dir, d -> theBridgeLearnsTheMigratedGuestAtOnceOnce(guestAnnounce, d));
    }

    private void theBridgeLearnsTheMigratedGuestAtOnceOnce(boolean guestAnnounce, Path dir) throws Exception {
        Setup s = new Setup(guestAnnounce ? "guest-announce" : "send-rarp", true, 1, false, guestAnnounce);
        int port = freePort();
        QemuGuest dst = null;
        try (XvioDaemon xvio = XvioDaemon.start(dir, config(dir));
             QemuGuest b = startB(dir);
             QemuGuest a = startA(dir, "a1.sock", s, "a", null)) {
            a.waitForReady(BOOT);
            b.waitForReady(BOOT);
            assertEquals(0, b.ping(IP_A, 3, 0.1, CMD).lost(), () -> "B reaches A before the migration\n" + xvio.log());
            dst = startDestination(dir, "a2.sock", s, "a-dst", port);
            long repliesBefore = snmp(b.exec("grep -E '^Icmp:' /proc/net/snmp", CMD).output(), "Icmp", "InEchoReps");
            b.exec("ping -i 0.01 " + IP_A + " > /tmp/ping.out 2>&1 & echo $! > /tmp/ping.pid", CMD);
            sleep(1500);
            Migration mig = migrate(a, dst, port);
            long done = System.nanoTime();   // (the fdb is polled from here)
            String fdb;
            long learnedMs = -1;
            while (true) {
                fdb = xvio.call("fdb/show", "br0");
                if (fdb.lines().anyMatch(l -> l.contains(MAC_A) && l.strip().startsWith("2 "))) {
                    learnedMs = (System.nanoTime() - done) / 1_000_000;
                    break;
                }
                if (System.nanoTime() - done > 10_000_000_000L) break;
                sleep(5);
            }
            sleep(2500);
            QemuGuest.ExecResult r = b.exec("kill -INT $(cat /tmp/ping.pid); sleep 0.5; " + PING_STATS + "; tail -3 /tmp/ping.out; "
                    + "grep -E '^Icmp:' /proc/net/snmp", CMD);
            PingStat p = PingStat.parse(r.output());
            // replies that reached B's kernel: a TCG guest starved of CPU may drop some at its ping's socket, which
            // ping then counts as lost although the network (xvio) delivered them
            long replies = snmp(r.output(), "Icmp", "InEchoReps") - repliesBefore, lostOnTheWay = Math.max(0, p.sent() - replies);
            String report = String.format("MIGRATION announce (%s): B pings silent A: sent=%d received=%d lost=%d (%.1f%%, seq%s) dup=%d;"
                            + " echo replies reaching B's kernel %d (lost on the way %d); downtime=%d ms total=%d ms;"
                            + " fdb had A on vh2 %d ms after info migrate said completed",
                    s, p.sent(), p.received(), p.lost(), 100.0 * p.lost() / Math.max(1, p.sent()), p.lostSeqs().isEmpty() ? " none" : " " + p.lostSeqs(), p.dup(),
                    replies, lostOnTheWay, mig.downtimeMs(), mig.totalMs(), learnedMs);
            System.out.println(report);
            String ctx = report + "\n" + r.output() + "\n" + xvio.call("stats") + "\n" + fdb + "\n" + xvio.log();
            assertTrue(learnedMs >= 0, "NORMAL learned A on vh2 (ofport 2)\n" + ctx);
            // which way it went: QEMU sends SEND_RARP only to a guest without GUEST_ANNOUNCE
            assertEquals(!guestAnnounce, xvio.log().contains("port vh2: front-end announces " + MAC_A), ctx);
            assertEquals(guestAnnounce, xvio.log().matches("(?s).*port vh2: features [^\n]*GUEST_ANNOUNCE.*"), ctx);
            assertTrue(p.sent() > 200, "the ping ran through the migration and after it\n" + ctx);
            assertEquals(0, p.dup(), ctx);
            // B's clock ran while A was paused: the pings of the pause are lost, and little more (100 ms for the
            // destination to start its rings and for the bridge to learn A there)
            assertTrue(lostOnTheWay <= mig.downtimeMs() / 10 + 10, "only the pings sent during the pause are lost\n" + ctx);
            assertTrue(lostOnTheWay * 10 < p.sent(), "fewer than 10% of the pings lost\n" + ctx);
            assertTrue(lostAfter(p, p.sent() - 100) == 0, "A answers on the destination\n" + ctx);
        } finally {
            if (dst != null) dst.close();
        }
    }

    // ================================================================================================ dirty log

    /**
     * The dirty log itself, seen through QEMU: pages xvio writes into A while the migration runs must be sent
     * (again). A Linux guest hides a missing log in normal traffic (it writes into the same pages right after
     * each packet, so QEMU resends them anyway), so here A's eth0 is down: its receive buffers stay posted but
     * the guest touches neither them nor the rings any more, and only xvio writes there. B pings A every 10 ms
     * all through the migration, xvio puts each request into A's receive ring (buffer and used ring), and the
     * destination waits paused ({@code -S}) when the migration completes: both memories are dumped
     * ({@code pmemsave}) and must be equal page for page. (With the log disabled, the used ring's page and
     * buffers written after QEMU's first pass differ.) Then A comes up on vh2 and reaches B.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("ringLayouts")
    void pagesXvioWritesDuringTheMigrationArrive(Setup s, @TempDir Path dir) throws Exception {
        retried(dir, d -> pagesXvioWritesDuringTheMigrationArriveOnce(s, d));
    }

    private void pagesXvioWritesDuringTheMigrationArriveOnce(Setup s, Path dir) throws Exception {
        int port = freePort();
        QemuGuest dst = null;
        try (XvioDaemon xvio = XvioDaemon.start(dir, config(dir));
             QemuGuest b = startB(dir);
             QemuGuest a = startA(dir, "a1.sock", s, "a", null)) {
            a.waitForReady(BOOT);
            b.waitForReady(BOOT);
            assertEquals(0, b.ping(IP_A, 3, 0.1, CMD).lost(), () -> "B reaches A before the migration\n" + xvio.log());
            dst = startDestination(dir, "a2.sock", s, "a-dst", port, true);
            assertEquals(0, a.exec("ip link set eth0 down", CMD).rc());
            b.exec("ping -i 0.01 -s 1000 " + IP_A + " > /dev/null 2>&1 & echo $! > /tmp/ping.pid", CMD);
            sleep(300);
            long tx0 = xvio.counter("vh1", "tx_packets");
            Migration mig = migrate(a, dst, port, "paused");
            long written = xvio.counter("vh1", "tx_packets") - tx0;
            b.exec("kill $(cat /tmp/ping.pid)", CMD);
            MemoryDiff diff = compareMemory(a, dst, dir);
            dst.hmp("cont", CMD);
            adopt(dst);
            assertEquals(0, dst.exec("ip link set eth0 up", CMD).rc());
            QemuGuest.PingResult p = dst.ping(IP_B, 5, 0.2, CMD);
            String report = String.format("MIGRATION dirty log %s: xvio wrote %d frames into A (eth0 down) while it migrated; memory: %s;"
                    + " downtime=%d ms total=%d ms; A pings B afterwards: %d/%d", s, written, diff, mig.downtimeMs(), mig.totalMs(),
                    p.received(), p.sent());
            System.out.println(report);
            String ctx = report + "\n" + xvio.call("stats") + "\n" + mig.info() + "\n" + xvio.log();
            assertTrue(written >= 10, "xvio wrote into A's receive ring while the migration ran\n" + ctx);
            assertEquals(0, diff.pages(), "every page xvio wrote was logged and sent again\n" + ctx);
            assertTrue(p.received() >= 4, "A works on the destination\n" + ctx + "\n" + dst.consoleTail(3000));
        } finally {
            if (dst != null) dst.close();
        }
    }

    // ================================================================================================ stream

    /**
     * B streams into A over TCP (busybox nc, 128 KiB of random data again and again, paced) from before the
     * migration until after it. A's checksum of what arrived equals B's of what it sent, A's TCP saw no checksum
     * errors and its virtio driver no ring error. TCP retransmits, and the guest's own writes next to each
     * packet make QEMU resend most pages anyway, so a stream alone rarely notices a page the dirty log missed:
     * the destination waits paused and both memories are compared too (and see
     * {@link #pagesXvioWritesDuringTheMigrationArrive}).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("setups")
    void streamIntoTheGuestArrivesIntact(Setup s, @TempDir Path dir) throws Exception {
        // A memory difference fails at once. The ones seen until 2026-12-03 (30-66 pages the guest's CPU wrote last,
        // older at the destination; and earlier in CI one or two pages of the 2-queue-pairs setup) came with QEMU's
        // lost TCG dirty tracking that A_MEMORY_KB avoids: a difference now is a page xvio or QEMU failed to log.
        retried(dir, d -> streamIntoTheGuestArrivesIntactOnce(s, d));
    }

    private void streamIntoTheGuestArrivesIntactOnce(Setup s, Path dir) throws Exception {
        int port = freePort();
        QemuGuest dst = null;
        try (XvioDaemon xvio = XvioDaemon.start(dir, config(dir));
             QemuGuest b = startB(dir);
             QemuGuest a = startA(dir, "a1.sock", s, "a", null)) {
            a.waitForReady(BOOT);
            b.waitForReady(BOOT);
            assertEquals(0, a.ping(IP_B, 3, 0.1, CMD).lost(), () -> "A reaches B before the migration\n" + xvio.log());
            dst = startDestination(dir, "a2.sock", s, "a-dst", port, true);
            // nc's stdin must stay open: at its end busybox nc shuts the connection's sending side, and B's nc quits
            assertEquals(0, a.exec("sleep 3600 | nc -l -p 5001 > /tmp/recv 2>/tmp/nc.err & echo $! > /tmp/nc.pid", CMD).rc());
            assertEquals(0, b.exec("dd if=/dev/urandom of=/tmp/src bs=4096 count=32 2>/dev/null; usleep 300000; "
                    + "( i=0; while [ ! -e /tmp/stop ]; do cat /tmp/src; i=$((i+1)); echo $i > /tmp/sent.count; usleep 30000; done )"
                    + " | nc " + IP_A + " 5001 > /dev/null 2>/tmp/nc.err & echo $! > /tmp/nc.pid", CMD).rc());
            sleep(2000);
            long chunksBefore = chunks(b);
            Migration mig = migrate(a, dst, port, "paused");
            long chunksAtEnd = chunks(b);
            // Before A runs again: its memory as the source left it (the truth: the guest is stopped, xvio stopped its
            // rings) and as it arrived. A page xvio wrote without logging it would differ.
            MemoryDiff diff = compareMemory(a, dst, dir);
            dst.hmp("cont", CMD);
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!dst.hmp("info status", CMD).contains("running")) {
                assertTrue(System.nanoTime() < until, "destination runs after cont");
                sleep(20);
            }
            sleep(2000);
            assertEquals(0, b.exec("touch /tmp/stop", CMD).rc());
            // B's nc ends once A's has read everything and closed
            QemuGuest.ExecResult sent = b.exec("t=0; while kill -0 $(cat /tmp/nc.pid) 2>/dev/null && [ $t -lt 300 ]; do usleep 100000; t=$((t+1)); done; "
                    + "n=$(cat /tmp/sent.count); echo XVIO-SENT chunks=$n bytes=$((n * 131072)); "
                    + "i=0; while [ $i -lt $n ]; do cat /tmp/src; i=$((i+1)); done | sha256sum; cat /tmp/nc.err", Duration.ofSeconds(120));
            adopt(dst);
            QemuGuest.ExecResult got = dst.exec("t=0; while kill -0 $(cat /tmp/nc.pid) 2>/dev/null && [ $t -lt 300 ]; do usleep 100000; t=$((t+1)); done; "
                    + "echo XVIO-GOT bytes=$(wc -c < /tmp/recv); sha256sum /tmp/recv; cat /tmp/nc.err; grep -E '^(Tcp|Ip):' /proc/net/snmp; "
                    + "echo XVIO-DMESG; dmesg | grep -iE 'virtio|eth0' | tail -5", Duration.ofSeconds(120));
            long bytesSent = num(sent.output(), "XVIO-SENT chunks=\\d+ bytes=(\\d+)");
            long bytesGot = num(got.output(), "XVIO-GOT bytes=(\\d+)");
            String shaSent = sha(sent.output()), shaGot = sha(got.output());
            long tcpCsumErrors = snmp(got.output(), "Tcp", "InCsumErrors"), ipCsumErrors = snmp(got.output(), "Ip", "InHdrErrors");
            String report = String.format("MIGRATION stream %s: %d bytes sent, %d received, %d sent before the migration, %d while it ran;"
                            + " sha256 %s; A's TCP checksum errors %d; downtime=%d ms total=%d ms; memory: %s",
                    s, bytesSent, bytesGot, chunksBefore * 131072, (chunksAtEnd - chunksBefore) * 131072,
                    shaSent.equals(shaGot) ? "equal" : "DIFFERENT (sent " + shaSent + ", got " + shaGot + ")",
                    tcpCsumErrors, mig.downtimeMs(), mig.totalMs(), diff);
            System.out.println(report);
            String ctx = report + "\n" + sent.output() + "\n" + got.output() + "\n" + xvio.call("stats");
            if (OFFLOADS) {   // the run is worth its name only if A took TSO on both sides
                String show = xvio.call("show");
                for (String vh : new String[] {"vh1", "vh2"}) {
                    int at = show.indexOf(": " + vh + " type="), end = show.indexOf("\n  port ", at + 1);
                    String block = at < 0 ? "" : show.substring(at, end < 0 ? show.length() : end);
                    assertTrue(block.matches("(?s).*offloads: [A-Z0-9_ ]*\\bGUEST_TSO4\\b.*"), vh + " negotiated GUEST_TSO4\n" + show);
                }
            }
            assertTrue(bytesSent > 0 && chunksBefore > 0 && bytesSent > chunksAtEnd * 131072, "the stream ran before, during and after the migration\n" + ctx);
            assertEquals(0, diff.pages(), "A's memory arrived as the source left it\n" + ctx);
            assertEquals(bytesSent, bytesGot, "every byte arrived\n" + ctx);
            assertEquals(shaSent, shaGot, "what arrived is what was sent\n" + ctx);
            assertEquals(0, tcpCsumErrors, "A's TCP saw no corrupt segment\n" + ctx);
            String dmesg = got.output().substring(got.output().indexOf("XVIO-DMESG"));
            assertFalse(dmesg.matches("(?s).*(not a head|out of range|corrupted|unexpected|error).*"), "A's virtio driver is happy\n" + ctx);
        } finally {
            if (dst != null) dst.close();
        }
    }

    /** Pages (4 KiB) that differ between the two memory dumps, and the first few guest-physical addresses. */
    record MemoryDiff(long pages, long comparedPages, String first) {
        @Override public String toString() {
            return pages == 0 ? "all " + comparedPages + " pages equal" : pages + " of " + comparedPages + " pages differ (" + first + ")";
        }
    }

    static final long DUMP_FROM = 0x100000, DUMP_LEN = (A_MEMORY_KB << 10) - DUMP_FROM;   // A's RAM above the legacy 1 MiB

    /** pmemsave of guest RAM on both sides, compared page by page. */
    static MemoryDiff compareMemory(QemuGuest src, QemuGuest dst, Path dir) throws IOException {
        Path fs = dir.resolve("src.mem"), fd = dir.resolve("dst.mem");
        String cmd = "pmemsave 0x" + Long.toHexString(DUMP_FROM) + " 0x" + Long.toHexString(DUMP_LEN) + " \"%s\"";
        src.hmp(cmd.formatted(fs), Duration.ofSeconds(120));
        dst.hmp(cmd.formatted(fd), Duration.ofSeconds(120));
        long pages = 0, compared = 0;
        StringBuilder first = new StringBuilder();
        try (var a = java.nio.channels.FileChannel.open(fs); var b = java.nio.channels.FileChannel.open(fd)) {
            assertEquals(DUMP_LEN, a.size(), "source dump size");
            assertEquals(DUMP_LEN, b.size(), "destination dump size");
            java.nio.ByteBuffer x = java.nio.ByteBuffer.allocate(1 << 20), y = java.nio.ByteBuffer.allocate(1 << 20);
            for (long at = 0; at < DUMP_LEN; at += x.capacity()) {
                x.clear();
                y.clear();
                while (x.hasRemaining() && a.read(x, at + x.position()) > 0) { }
                while (y.hasRemaining() && b.read(y, at + y.position()) > 0) { }
                long n = Math.min(x.capacity(), DUMP_LEN - at);   // the last chunk: what is left of the dump
                for (int p = 0; p < n; p += 4096) {
                    compared++;
                    if (!x.slice(p, 4096).equals(y.slice(p, 4096))) {
                        if (pages < 4) first.append(first.isEmpty() ? "" : "; ").append(pageDiff(DUMP_FROM + at + p, x.slice(p, 4096), y.slice(p, 4096)));
                        else if (pages < 8) first.append("; 0x").append(Long.toHexString(DUMP_FROM + at + p));
                        pages++;
                    }
                }
            }
        } finally {
            java.nio.file.Files.deleteIfExists(fs);
            java.nio.file.Files.deleteIfExists(fd);
        }
        return new MemoryDiff(pages, compared, first.toString());
    }

    /**
     * One differing page: its address, the byte spans that differ (up to 6) and the first span's bytes on each side,
     * so a failure says what was lost (a used-ring entry, a frame's bytes, a virtio-net header...).
     */
    static String pageDiff(long gpa, java.nio.ByteBuffer src, java.nio.ByteBuffer dst) {
        StringBuilder b = new StringBuilder("0x").append(Long.toHexString(gpa)).append(" bytes");
        int spans = 0, firstFrom = -1, firstTo = -1;
        for (int i = 0; i < 4096; ) {
            if (src.get(i) == dst.get(i)) { i++; continue; }
            int j = i;
            while (j < 4096 && (src.get(j) != dst.get(j) || j + 1 < 4096 && src.get(j + 1) != dst.get(j + 1))) j++;
            if (spans++ < 6) b.append(' ').append(Integer.toHexString(i)).append('-').append(Integer.toHexString(j - 1));
            if (firstFrom < 0) { firstFrom = i; firstTo = j; }
            i = j;
        }
        if (spans > 6) b.append(" (").append(spans).append(" spans)");
        int from = firstFrom & ~7, to = Math.min(firstTo, from + 32);
        b.append(" src[").append(Integer.toHexString(from)).append("..]=").append(hex(src, from, to))
                .append(" dst=").append(hex(dst, from, to));
        return b.toString();
    }

    static String hex(java.nio.ByteBuffer b, int from, int to) {
        StringBuilder s = new StringBuilder();
        for (int i = from; i < to; i++) s.append(String.format("%02x", b.get(i)));
        return s.toString();
    }

    static long chunks(QemuGuest b) {
        QemuGuest.ExecResult r = b.exec("echo XVIO-CHUNKS $(cat /tmp/sent.count 2>/dev/null || echo 0)", CMD);
        return num(r.output(), "XVIO-CHUNKS (\\d+)");
    }

    static String sha(String out) {
        Matcher m = Pattern.compile("(?m)^([0-9a-f]{64})\\s").matcher(out);
        if (!m.find()) throw new AssertionError("no sha256sum in:\n" + out);
        return m.group(1);
    }

    /** A counter from /proc/net/snmp's "Proto: names" / "Proto: values" line pair. */
    static long snmp(String out, String proto, String name) {
        String[] lines = out.split("\n");
        for (int i = 0; i + 1 < lines.length; i++) {
            if (lines[i].startsWith(proto + ": ") && lines[i + 1].startsWith(proto + ": ")) {
                String[] k = lines[i].split("\\s+"), v = lines[i + 1].split("\\s+");
                for (int j = 1; j < k.length && j < v.length; j++) if (k[j].equals(name)) return Long.parseLong(v[j]);
            }
        }
        throw new AssertionError("no " + proto + " " + name + " in:\n" + out);
    }

    static int lostAfter(PingStat p, int fromSeq) {
        int n = 0;
        for (String t : p.lostSeqs().split(" ")) if (!t.isEmpty() && Integer.parseInt(t) >= fromSeq) n++;
        return n;
    }

    static long flowPackets(XvioDaemon xvio) throws IOException {
        for (String l : xvio.call("dump-flows", "br0").split("\n")) {
            if (l.contains("in_port=1")) {
                Matcher m = Pattern.compile("n_packets=(\\d+)").matcher(l);
                if (m.find()) return Long.parseLong(m.group(1));
            }
        }
        return -1;
    }
}
