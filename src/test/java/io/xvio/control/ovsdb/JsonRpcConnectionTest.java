package io.xvio.control.ovsdb;

import com.fasterxml.jackson.databind.JsonNode;
import io.xvio.control.Config;
import io.xvio.control.Daemon;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The JSON-RPC session against a scripted peer on a Unix socket: echo answered, replies matched to requests,
 * errors and malformed input ending the session with a reason; and the agent reconnecting after a broken
 * session and resynchronising from the next one.
 */
@org.junit.jupiter.api.Timeout(60)
class JsonRpcConnectionTest {

    static void write(SocketChannel c, String s) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) c.write(b);
    }

    static SocketChannel[] pair(Path dir) throws IOException {
        Path p = dir.resolve("peer.sock");
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(p));
            SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX);
            client.connect(UnixDomainSocketAddress.of(p));
            return new SocketChannel[] {client, s.accept()};
        }
    }

    @Test
    void echoIsAnsweredAndRepliesCompleteTheirRequests(@TempDir Path dir) throws Exception {
        SocketChannel[] p = pair(dir);
        BlockingQueue<JsonRpcConnection.Event> events = new LinkedBlockingQueue<>();
        try (JsonRpcConnection c = JsonRpcConnection.over(p[0], events::add); SocketChannel peer = p[1]) {
            MessageReader fromClient = new MessageReader(Channels.newInputStream(peer));
            write(peer, "{\"method\":\"echo\",\"params\":[\"hi\"],\"id\":\"e1\"}");
            JsonRpc.Response echo = assertInstanceOf(JsonRpc.Response.class, fromClient.next());
            assertEquals("e1", echo.id().asText());
            assertEquals("[\"hi\"]", echo.result().toString());

            CompletableFuture<JsonNode> ok = c.call("transact", JsonRpc.NODES.textNode("Open_vSwitch"));
            CompletableFuture<JsonNode> bad = c.call("transact", JsonRpc.NODES.textNode("Nope"));
            JsonRpc.Request r1 = assertInstanceOf(JsonRpc.Request.class, fromClient.next());
            JsonRpc.Request r2 = assertInstanceOf(JsonRpc.Request.class, fromClient.next());
            assertEquals("transact", r1.method());
            // answered out of order, the second with an RFC 7047 error object
            write(peer, "{\"id\":" + r2.id() + ",\"result\":null,\"error\":{\"error\":\"unknown database\",\"details\":\"Nope\"}}");
            write(peer, "{\"id\":" + r1.id() + ",\"result\":[{}],\"error\":null}");
            assertEquals("[{}]", ok.get(5, TimeUnit.SECONDS).toString());
            ExecutionException e = assertThrows(ExecutionException.class, () -> bad.get(5, TimeUnit.SECONDS));
            assertEquals("unknown database: Nope", e.getCause().getMessage());

            write(peer, "{\"method\":\"update\",\"params\":[\"xvio\",{}],\"id\":null}");
            JsonRpcConnection.Notified n = assertInstanceOf(JsonRpcConnection.Notified.class, events.poll(5, TimeUnit.SECONDS));
            assertEquals("update", n.notification().method());
        }
    }

    @Test
    void malformedInputEndsTheSessionWithTheReasonAndFailsWhatWasPending(@TempDir Path dir) throws Exception {
        SocketChannel[] p = pair(dir);
        BlockingQueue<JsonRpcConnection.Event> events = new LinkedBlockingQueue<>();
        try (JsonRpcConnection c = JsonRpcConnection.over(p[0], events::add); SocketChannel peer = p[1]) {
            CompletableFuture<JsonNode> pending = c.call("monitor");
            write(peer, "{\"id\":1,\"result\":{\"Bridge\":[}");
            JsonRpcConnection.Closed closed = assertInstanceOf(JsonRpcConnection.Closed.class, events.poll(5, TimeUnit.SECONDS));
            assertTrue(closed.reason().startsWith("malformed JSON"), closed.reason());
            assertThrows(ExecutionException.class, () -> pending.get(5, TimeUnit.SECONDS));
            assertTrue(c.isClosed());
            assertTrue(c.call("echo").isCompletedExceptionally(), "a closed session fails new requests at once");
        }
    }

    @Test
    void aReplyToNoRequestAndAPeerThatHangsUpEndTheSession(@TempDir Path dir) throws Exception {
        SocketChannel[] p = pair(dir);
        BlockingQueue<JsonRpcConnection.Event> events = new LinkedBlockingQueue<>();
        try (JsonRpcConnection c = JsonRpcConnection.over(p[0], events::add); SocketChannel peer = p[1]) {
            write(peer, "{\"id\":99,\"result\":[],\"error\":null}");
            JsonRpcConnection.Closed closed = assertInstanceOf(JsonRpcConnection.Closed.class, events.poll(5, TimeUnit.SECONDS));
            assertEquals("response to an unknown request id 99", closed.reason());
        }
        SocketChannel[] q = pair(java.nio.file.Files.createDirectories(dir.resolve("second")));
        q[1].close();
        try (JsonRpcConnection c = JsonRpcConnection.over(q[0], events::add)) {
            JsonRpcConnection.Closed closed = assertInstanceOf(JsonRpcConnection.Closed.class, events.poll(5, TimeUnit.SECONDS));
            assertEquals("closed by the peer", closed.reason());
        }
    }

    /**
     * A scripted database: the first session answers the monitor with rows of the wrong shape, the second properly (next_cfg 7);
     * the agent reconnects and writes cur_cfg 7 and its identification back.
     */
    @Test
    void theAgentReconnectsAfterABrokenSessionAndResyncs(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("db.sock");
        Daemon d = new Daemon(Config.empty(), dir.resolve("ctl.sock").toString());
        BlockingQueue<String> transacts = new LinkedBlockingQueue<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            d.start();
            OvsdbAgent agent = new OvsdbAgent(OvsdbRemote.parse("unix:" + sock), d, dir.resolve("vhost"));
            agent.start();
            try {
                try (SocketChannel s1 = server.accept()) {
                    JsonRpc.Request mon = assertInstanceOf(JsonRpc.Request.class, new MessageReader(Channels.newInputStream(s1)).next());
                    assertEquals("monitor", mon.method());
                    assertEquals("[\"name\",\"datapath_type\",\"ports\",\"controller\",\"fail_mode\",\"mirrors\",\"protocols\",\"other_config\",\"external_ids\"]", mon.params().get(2).get("Bridge").get("columns").toString());
                    assertEquals("[\"name\",\"select_all\",\"select_src_port\",\"select_dst_port\",\"select_vlan\",\"output_port\",\"output_vlan\"]",
                            mon.params().get(2).get("Mirror").get("columns").toString());
                    assertEquals("[\"target\",\"inactivity_probe\",\"controller_rate_limit\",\"controller_burst_limit\"]", mon.params().get(2).get("Controller").get("columns").toString());
                    write(s1, "{\"id\":" + mon.id() + ",\"error\":null,\"result\":{\"Open_vSwitch\":[1,2,3]}}");   // not table updates
                    // the agent drops the session: the read side sees the end
                    assertNull(new MessageReader(Channels.newInputStream(s1)).next());
                }
                String ovs = "11111111-2222-3333-4444-555555555555", br = "11111111-2222-3333-4444-666666666666";
                try (SocketChannel s2 = server.accept()) {
                    MessageReader in = new MessageReader(Channels.newInputStream(s2));
                    JsonRpc.Request mon = assertInstanceOf(JsonRpc.Request.class, in.next());
                    write(s2, "{\"id\":" + mon.id() + ",\"error\":null,\"result\":{\"Open_vSwitch\":{\"" + ovs + "\":{\"new\":{\"next_cfg\":7,"
                            + "\"bridges\":[\"uuid\",\"" + br + "\"],\"other_config\":[\"map\",[]]}}},"
                            + "\"Bridge\":{\"" + br + "\":{\"new\":{\"name\":\"sys0\",\"datapath_type\":\"system\",\"ports\":[\"set\",[]]}}}}}");
                    JsonRpc.Request tx = assertInstanceOf(JsonRpc.Request.class, in.next());
                    assertEquals("transact", tx.method());
                    transacts.add(tx.params().toString());
                    write(s2, "{\"id\":" + tx.id() + ",\"error\":null,\"result\":[{\"count\":1}]}");
                }
            } finally {
                agent.close();
                d.close();
            }
        }
        String tx = transacts.poll();
        assertNotNull(tx);
        assertTrue(tx.contains("\"cur_cfg\":7") && tx.contains("\"ovs_version\":\"xvio 0.1.0\"") && tx.contains("\"datapath_types\":[\"set\",[\"netdev\"]]"), tx);
        assertFalse(tx.contains("\"Bridge\""), "a system bridge is not xvio's: " + tx);
        assertEquals(java.util.List.of(), d.bridgeNames());
    }
}
