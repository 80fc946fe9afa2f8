package io.xvio.control.ovsdb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xvio.control.Config;
import io.xvio.control.Daemon;
import io.xvio.port.Port;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.*;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.xvio.control.ovsdb.JsonRpcConnectionTest.write;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The agent against a fake database that, as ovsdb-server, sends only the columns the monitor asks for: one netdev
 * bridge whose Interface rows hold the ofports an earlier xvio wrote (xvio started again on the same database).
 */
@org.junit.jupiter.api.Timeout(60)
class OvsdbAgentTest {
    static final String OVS = "11111111-2222-3333-4444-555555555555", BR = "11111111-2222-3333-4444-000000000001";
    @TempDir Path dir;
    private Daemon daemon;
    private OvsdbAgent agent;
    private ServerSocketChannel server;
    private Thread fake;
    /** The transactions the agent sent and the fake database took, in order. */
    final List<JsonNode> transactions = new CopyOnWriteArrayList<>();
    /** How many of the next transactions the fake database answers with an error (taking nothing). */
    final java.util.concurrent.atomic.AtomicInteger failNext = new java.util.concurrent.atomic.AtomicInteger();

    @AfterEach
    void stop() throws IOException, InterruptedException {
        if (agent != null) agent.close();
        if (daemon != null) daemon.close();
        if (server != null) server.close();
        if (fake != null) fake.join(5000);
    }

    /** Every column of every row; the monitor reply keeps the tables and columns asked for. */
    private static ObjectNode database(Map<String, Integer> ifaceOfports) {
        ObjectNode t = JsonRpc.NODES.objectNode();
        t.with("Open_vSwitch").putObject(OVS).put("next_cfg", 1).set("bridges", Datum.uuidRef(BR));
        ObjectNode br = t.with("Bridge").putObject(BR).put("name", "brdb").put("datapath_type", "netdev");
        var ports = JsonRpc.NODES.arrayNode();
        int i = 0;
        for (var e : ifaceOfports.entrySet()) {
            i++;
            String pu = String.format("22222222-0000-0000-0000-%012d", i), iu = String.format("33333333-0000-0000-0000-%012d", i);
            ports.add(Datum.uuidRef(pu));
            t.with("Port").putObject(pu).put("name", e.getKey()).set("interfaces", Datum.uuidRef(iu));
            t.with("Interface").putObject(iu).put("name", e.getKey()).put("type", "dpdkvhostuser").put("ofport", e.getValue());
        }
        br.set("ports", JsonRpc.NODES.arrayNode().add("set").add(ports));
        return t;
    }

    /** The monitor reply for request (table: {columns: [...]}) from the rows of db. */
    private static ObjectNode reply(ObjectNode db, JsonNode request) {
        ObjectNode out = JsonRpc.NODES.objectNode();
        for (var table : db.properties()) {
            JsonNode cols = request.path(table.getKey()).path("columns");
            if (cols.isMissingNode()) continue;
            Set<String> wanted = new HashSet<>();
            cols.forEach(c -> wanted.add(c.asText()));
            for (var row : table.getValue().properties()) {
                ObjectNode n = out.with(table.getKey()).putObject(row.getKey()).putObject("new");
                for (var c : row.getValue().properties()) if (wanted.contains(c.getKey())) n.set(c.getKey(), c.getValue());
            }
        }
        return out;
    }

    private void start(ObjectNode db) throws IOException {
        Path sock = dir.resolve("db.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(sock));
        fake = Thread.ofPlatform().daemon().start(() -> {
            try (SocketChannel s = server.accept()) {
                MessageReader in = new MessageReader(Channels.newInputStream(s));
                JsonRpc.Message m;
                while ((m = in.next()) != null) {
                    if (!(m instanceof JsonRpc.Request r)) continue;
                    ObjectNode resp = JsonRpc.NODES.objectNode().set("id", r.id());
                    resp.putNull("error");
                    switch (r.method()) {
                        case "monitor" -> resp.set("result", reply(db, r.params().get(2)));
                        case "transact" -> {
                            var res = resp.putArray("result");
                            if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                                res.addObject().put("error", "timed out").put("details", "the fake database is busy");
                            } else {
                                transactions.add(r.params());
                                for (int i = 1; i < r.params().size(); i++) res.addObject().put("count", 1);
                            }
                        }
                        case "echo" -> resp.set("result", r.params());
                        default -> resp.put("error", "unexpected " + r.method());
                    }
                    write(s, resp.toString());
                }
            } catch (IOException | OvsdbException e) {
                // the agent hung up
            }
        });
        daemon = new Daemon(Config.empty(), dir.resolve("ctl.sock").toString());
        daemon.start();
        agent = new OvsdbAgent(OvsdbRemote.parse("unix:" + sock), daemon, dir.resolve("vhost"));
        agent.start();
    }

    private Port await(String bridge, String name) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            Port p = daemon.bridgeNames().contains(bridge) ? daemon.port(bridge, name) : null;
            if (p != null) return p;
            Thread.sleep(50);
        }
        return fail("no port " + name + " on " + bridge + " after 10 s");
    }

    /** The last value the agent wrote to column of the row uuid, or null. */
    private String written(String uuid, String column) {
        String v = null;
        for (JsonNode t : transactions)
            for (JsonNode op : t)
                if (op.path("where").path(0).path(2).path(1).asText().equals(uuid) && op.path("row").has(column)) v = op.path("row").get(column).asText();
        return v;
    }

    private long awaitWritten(String uuid, String column, String value) throws InterruptedException {
        long start = System.nanoTime();
        while (!value.equals(written(uuid, column))) {
            if (System.nanoTime() - start > 15_000_000_000L) fail(column + " of " + uuid + " is not " + value + " after 15 s: " + written(uuid, column));
            Thread.sleep(20);
        }
        return (System.nanoTime() - start) / 1_000_000L;
    }

    /**
     * As OVS, which writes each connectivity change (not only with the statistics every 5 s): a port whose guest
     * comes up has link_state up in the database at once.
     */
    @Test
    void aPortsLinkComingUpIsWrittenAtOnce() throws Exception {
        start(database(Map.of("vdl1", 1)));
        String iface = "33333333-0000-0000-0000-000000000001";
        await("brdb", "vdl1");
        awaitWritten(iface, "link_state", "down");          // the first sync, with the statistics: the next tick is 5 s away
        try (io.xvio.testing.TestFrontend f = io.xvio.testing.TestFrontend.connect(dir.resolve("vhost/vdl1").toString()).start()) {
            long ms = awaitWritten(iface, "link_state", "up");
            assertTrue(ms < 2500, "link_state up written " + ms + " ms after the front-end started its queues");
        }
        long ms = awaitWritten(iface, "link_state", "down");
        assertTrue(ms < 2500, "link_state down written " + ms + " ms after the front-end went away");
    }

    /**
     * A status transaction the database refuses (a transient error) is sent again within a second, not only with the
     * next statistics 5 s later: the ofport ovn-controller waits for gets written.
     */
    @Test
    void aFailedStatusWriteIsTriedAgainSoon() throws Exception {
        failNext.set(2);
        long t0 = System.nanoTime();
        start(database(Map.of("vdf1", 4)));
        await("brdb", "vdf1");
        awaitWritten("33333333-0000-0000-0000-000000000001", "ofport", "4");
        long ms = (System.nanoTime() - t0) / 1_000_000L;
        assertEquals(0, failNext.get(), "both failures met");
        assertTrue(ms < 2500, "ofport written " + ms + " ms after the start, two failed transactions before it");
    }

    /** xvio started again on a database it wrote before: ports without ofport_request keep their numbers (OVS's iface_pick_ofport). */
    @Test
    void portsGetTheOfportsTheDatabaseHoldsAfterARestart() throws Exception {
        Map<String, Integer> held = new LinkedHashMap<>();
        held.put("vdb1", 5);
        held.put("vdb2", 3);
        start(database(held));
        assertEquals(5, await("brdb", "vdb1").ofport());
        assertEquals(3, await("brdb", "vdb2").ofport());
    }
}
