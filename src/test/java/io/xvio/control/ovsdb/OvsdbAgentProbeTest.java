package io.xvio.control.ovsdb;

import io.xvio.control.Config;
import io.xvio.control.Daemon;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.xvio.control.ovsdb.JsonRpcConnectionTest.write;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The agent's liveness probe and reconnect backoff against a fake database on a Unix socket, with OVS's timers
 * scaled down (probe 300 ms instead of 5 s; backoff 250 ms doubling to 1 s instead of 1 s to 8 s): a database that
 * goes silent gets an "echo" after the probe interval and, never answering it, is dropped after twice that; the
 * agent then connects again, and sessions that fail before their monitor is answered are retried after a backoff
 * that doubles up to its cap. Times are lower bounds (sleeps are never short); the cap is checked where an uncapped
 * backoff would be four times it (2 s of margin for a loaded machine).
 */
@org.junit.jupiter.api.Timeout(60)
class OvsdbAgentProbeTest {
    static final OvsdbTimers FAST = new OvsdbTimers(Duration.ofMillis(300), Duration.ofMillis(250), Duration.ofMillis(1000));
    static final String OVS = "11111111-2222-3333-4444-555555555555";

    /** What the fake database saw in one session: when it last wrote, the echo requests (when), when the agent hung up. */
    record Session(long lastSentNanos, List<Long> echoNanos, long endNanos) {}

    /**
     * Answers monitor (one Open_vSwitch row, next_cfg 1) and transact, and nothing else: an echo is noted and left
     * unanswered. Returns when the agent closes the connection.
     */
    static Session silentDatabase(SocketChannel s) throws IOException, OvsdbException {
        MessageReader in = new MessageReader(Channels.newInputStream(s));
        long lastSent = System.nanoTime();
        List<Long> echoes = new ArrayList<>();
        JsonRpc.Message m;
        while ((m = in.next()) != null) {
            if (!(m instanceof JsonRpc.Request r)) continue;
            // read before the write: the agent cannot hear an answer earlier (after it, a busy machine may preempt
            // this thread between the write and the clock, and the agent's silence looks shorter than it was)
            long before = System.nanoTime();
            switch (r.method()) {
                case "monitor" -> write(s, "{\"id\":" + r.id() + ",\"error\":null,\"result\":{\"Open_vSwitch\":{\"" + OVS
                        + "\":{\"new\":{\"next_cfg\":1,\"bridges\":[\"set\",[]],\"other_config\":[\"map\",[]]}}}}}");
                case "transact" -> write(s, "{\"id\":" + r.id() + ",\"error\":null,\"result\":[{\"count\":1}]}");
                case "echo" -> {
                    echoes.add(System.nanoTime());
                    continue;
                }
                default -> fail("unexpected request " + r.method());
            }
            lastSent = before;
        }
        return new Session(lastSent, echoes, System.nanoTime());
    }

    static long ms(long nanos) { return nanos / 1_000_000L; }

    @Test
    void aSilentDatabaseGetsAnEchoIsDroppedAndTheAgentReconnectsWithBackoff(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("db.sock");
        Daemon d = new Daemon(Config.empty(), dir.resolve("ctl.sock").toString());
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            d.start();
            OvsdbAgent agent = new OvsdbAgent(OvsdbRemote.parse("unix:" + sock), d, dir.resolve("vhost"), FAST);
            agent.start();
            try {
                Session s1;
                try (SocketChannel c = server.accept()) {
                    s1 = silentDatabase(c);
                }
                // one echo, sent after the probe interval of silence; the session dropped after twice that
                assertEquals(1, s1.echoNanos().size(), "echo requests: " + s1.echoNanos().size());
                long echoAfter = ms(s1.echoNanos().getFirst() - s1.lastSentNanos()), dropAfter = ms(s1.endNanos() - s1.lastSentNanos());
                assertTrue(echoAfter >= 300, "echo " + echoAfter + " ms after the database's last message (probe 300 ms)");
                assertTrue(dropAfter >= 600, "dropped " + dropAfter + " ms after the database's last message (2 x probe)");
                assertTrue(dropAfter < 30_000, "dropped at all (" + dropAfter + " ms)");

                // reconnected after the first backoff (the session had worked); then four sessions hung up before the
                // monitor reply: each retried after twice the wait before, up to the cap
                List<Long> connected = new ArrayList<>();
                long previousEnd = s1.endNanos();
                List<Long> gaps = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    SocketChannel c = server.accept();
                    long at = System.nanoTime();
                    connected.add(at);
                    gaps.add(ms(at - previousEnd));
                    JsonRpc.Request mon = assertInstanceOf(JsonRpc.Request.class, new MessageReader(Channels.newInputStream(c)).next());
                    assertEquals("monitor", mon.method(), "each new session starts with a monitor (a full resync)");
                    c.close();
                    previousEnd = System.nanoTime();
                }
                String seen = "waits before each reconnect (ms): " + gaps;
                assertTrue(gaps.get(0) >= 250, seen);                   // 250: a session that worked resets the backoff
                assertTrue(gaps.get(1) >= 500, seen);                   // 500
                assertTrue(gaps.get(2) >= 1000, seen);                  // 1000, the cap
                assertTrue(gaps.get(3) >= 1000, seen);                  // 1000
                assertTrue(gaps.get(4) >= 1000 && gaps.get(4) < 3000, seen);   // still 1000: without the cap 4000
            } finally {
                agent.close();
                d.close();
            }
        }
    }

    @Test
    void timersDoubleUpToTheirCap() {
        assertEquals(Duration.ofSeconds(2), OvsdbTimers.DEFAULT.next(Duration.ofSeconds(1)));
        assertEquals(Duration.ofSeconds(8), OvsdbTimers.DEFAULT.next(Duration.ofSeconds(4)));
        assertEquals(Duration.ofSeconds(8), OvsdbTimers.DEFAULT.next(Duration.ofSeconds(8)));
        assertEquals(1000, OvsdbTimers.DEFAULT.pollMillis());
        assertEquals(75, FAST.pollMillis());
        assertThrows(IllegalArgumentException.class, () -> new OvsdbTimers(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(8)));
        assertThrows(IllegalArgumentException.class, () -> new OvsdbTimers(Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofSeconds(1)));
    }
}
