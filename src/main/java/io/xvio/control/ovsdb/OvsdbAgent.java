package io.xvio.control.ovsdb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xvio.control.Daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * xvio as a client of ovsdb-server, in the place of ovs-vswitchd: connects (retrying with backoff, 1 s doubling to
 * 8 s: {@link OvsdbTimers}), monitors the Open_vSwitch, Bridge, Port and Interface columns it reads, applies every change to the daemon
 * ({@link Reconciler}) and writes the status columns back ({@link StatusWriter}): a port's link change within
 * {@link LinkStates#CHECK_MILLIS}, statistics every few seconds. After
 * a reconnect the cache is rebuilt from scratch (full resync) while the ports keep forwarding. The connection is
 * probed with "echo" when quiet and dropped when the database stops answering.
 */
public final class OvsdbAgent implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.ovsdb");
    static final String DB = "Open_vSwitch";
    static final long STATS_INTERVAL_NANOS = 5_000_000_000L;
    private static final JsonNode MONITOR_ID = JsonRpc.NODES.textNode("xvio");

    private final OvsdbRemote remote;
    private final OvsdbTimers timers;
    private final Daemon daemon;
    private final Path vhostSockDir;
    private final TableCache cache = new TableCache();
    private final Reconciler reconciler;
    private final StatusWriter writer = new StatusWriter();
    private final LinkStates links = new LinkStates();
    /** The outcome of the last apply and the bridges then: what a link change is written for. */
    private List<Reconciler.IfaceResult> lastResults = List.of();
    private Map<String, String> lastBridges = Map.of();
    /**
     * After a failed status transaction: when to write everything again (System.nanoTime), 0 while none failed. The
     * first retry follows in 100 ms, each next one after twice the wait, at most the 5 s statistics interval.
     */
    private long retryAt;
    private long retryWait;
    static final long FIRST_RETRY_NANOS = 100_000_000L;
    private final LinkedBlockingQueue<JsonRpcConnection.Event> events = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile JsonRpcConnection conn;
    private boolean synced;
    private String loggedMask, loggedRxqAssign, appliedTxFlush;
    /** other_config:userspace-tso-enable as first read (read once, as OVS does), and the last value logged. */
    private boolean tsoRead;
    private String tsoStarted, loggedTso;

    public OvsdbAgent(OvsdbRemote remote, Daemon daemon, Path vhostSockDir) {
        this(remote, daemon, vhostSockDir, OvsdbTimers.DEFAULT);
    }

    /** With other timers than OVS's (tests). */
    OvsdbAgent(OvsdbRemote remote, Daemon daemon, Path vhostSockDir, OvsdbTimers timers) {
        this.remote = remote;
        this.timers = timers;
        this.daemon = daemon;
        this.vhostSockDir = vhostSockDir;
        this.reconciler = new Reconciler(daemon, vhostSockDir);
        this.thread = Thread.ofPlatform().daemon().name("ovsdb").unstarted(this::run);
    }

    public void start() {
        try {
            Files.createDirectories(vhostSockDir);
        } catch (IOException e) {
            LOG.warning("ovsdb: cannot create the vhost socket directory " + vhostSockDir + ": " + e.getMessage()
                    + " (dpdkvhostuser ports will fail)");
        }
        thread.start();
    }

    /**
     * The monitored columns: what xvio reads. Status columns it writes are not monitored (no echo of its own writes),
     * but for Interface ofport: the number a port held, which it gets again when xvio starts again (as OVS).
     */
    static ObjectNode monitorRequests() {
        ObjectNode m = JsonRpc.NODES.objectNode();
        columns(m, "Open_vSwitch", "bridges", "next_cfg", "other_config", "datapaths");
        columns(m, "Bridge", "name", "datapath_type", "ports", "controller", "fail_mode", "mirrors", "protocols", "other_config", "external_ids");
        columns(m, "Mirror", "name", "select_all", "select_src_port", "select_dst_port", "select_vlan", "output_port", "output_vlan");
        columns(m, "Controller", "target", "inactivity_probe", "controller_rate_limit", "controller_burst_limit");
        columns(m, "Port", "name", "interfaces", "tag", "trunks", "vlan_mode", "qos");
        columns(m, "QoS", "type", "other_config");
        columns(m, "Interface", "name", "type", "options", "ofport_request", "ingress_policing_rate", "ingress_policing_burst", "external_ids", "mtu_request", "ofport",
                "bfd");
        return m;
    }

    private static void columns(ObjectNode m, String table, String... cols) {
        ArrayNode a = m.putObject(table).putArray("columns");
        for (String c : cols) a.add(c);
    }

    private void run() {
        java.time.Duration backoff = timers.firstBackoff();
        while (running) {
            String why;
            synced = false;
            try {
                session();
                why = "connection closed";
            } catch (IOException | OvsdbException e) {
                why = synced || conn != null ? e.getMessage() : "cannot connect: " + e.getMessage();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "ovsdb: internal error, reconnecting", e);
                why = e.toString();
            }
            JsonRpcConnection c = conn;
            if (c != null) c.close();
            conn = null;
            if (synced) backoff = timers.firstBackoff();       // a session that worked: retry soon
            if (!running) break;
            LOG.warning("ovsdb " + remote + ": " + why + "; reconnecting in " + backoff.toMillis() / 1000.0 + " s (ports keep forwarding)");
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                break;
            }
            backoff = timers.next(backoff);
        }
    }

    /** One connection: monitor, then apply updates until it ends. Returns normally when the peer closed it. */
    private void session() throws IOException, OvsdbException {
        events.clear();
        JsonRpcConnection c = JsonRpcConnection.open(remote, events::add);
        conn = c;
        JsonNode initial = c.callAndWait("monitor", 10_000, JsonRpc.NODES.textNode(DB), MONITOR_ID, monitorRequests());
        cache.clear();
        cache.apply(initial);
        writer.forget();
        retryAt = 0;
        retryWait = 0;
        reconciler.resync();
        LOG.info("ovsdb " + remote + ": connected, monitoring " + cache.size() + " row(s)");
        sync(true);
        synced = true;
        long lastStats = System.nanoTime();
        boolean probing = false;
        while (running) {
            JsonRpcConnection.Event ev;
            try {
                ev = events.poll(Math.min(timers.pollMillis(), LinkStates.CHECK_MILLIS), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            boolean changed = false;
            while (ev != null) {
                switch (ev) {
                    case JsonRpcConnection.Closed cl -> throw new IOException("connection lost: " + cl.reason());
                    case JsonRpcConnection.Notified n -> changed |= notification(n.notification());
                }
                ev = events.poll();
            }
            long now = System.nanoTime();
            boolean stats = now - lastStats >= STATS_INTERVAL_NANOS;
            if (changed || stats || (retryAt != 0 && now - retryAt >= 0)) {
                if (stats) lastStats = now;
                sync(stats);
            } else if (links.changed(lastResults, daemon)) {
                transact(writer.operations(null, null, lastResults, lastBridges, daemon, false));
            }
            long quiet = now - c.lastReceivedNanos(), probe = timers.probe().toNanos();
            if (quiet > 2 * probe) throw new IOException("no answer to echo: nothing received for " + quiet / 1_000_000L + " ms");
            if (quiet > probe && !probing) {
                probing = true;
                c.call("echo", JsonRpc.NODES.textNode("xvio")).whenComplete((r, e) -> { });
            } else if (quiet < probe) {
                probing = false;
            }
        }
    }

    private boolean notification(JsonRpc.Notification n) throws OvsdbException {
        switch (n.method()) {
            case "update" -> {
                if (n.params().size() != 2) throw new OvsdbException("\"update\" needs [monitor-id, table-updates]: " + JsonRpc.brief(n.params()));
                if (!MONITOR_ID.equals(n.params().get(0))) throw new OvsdbException("\"update\" for an unknown monitor " + JsonRpc.brief(n.params().get(0)));
                cache.apply(n.params().get(1));
                return true;
            }
            case "locked", "stolen" -> { return false; }
            default -> {
                LOG.info("ovsdb: notification \"" + n.method() + "\" ignored");
                return false;
            }
        }
    }

    /** Applies the cache to the daemon and writes the status back in one transaction. */
    private void sync(boolean statistics) throws IOException, OvsdbException {
        String ovsUuid = null;
        Long nextCfg = null;
        String netdevDatapath = null;
        for (TableCache.Row r : cache.rows("Open_vSwitch")) {
            ovsUuid = r.uuid();
            netdevDatapath = Datum.uuidMap(r.get("datapaths"), "Open_vSwitch datapaths").get("netdev");
            nextCfg = Datum.optionalInteger(r.get("next_cfg"), "Open_vSwitch next_cfg");
            Map<String, String> oc = Datum.stringMap(r.get("other_config"), "Open_vSwitch other_config");
            pmdCpuMask(oc.get("pmd-cpu-mask"));
            pmdRxqAssign(oc.get("pmd-rxq-assign"));
            txFlushInterval(oc.get("tx-flush-interval"));
            userspaceTso(oc.get("userspace-tso-enable"));
        }
        List<Reconciler.IfaceResult> results = reconciler.apply(cache);
        Map<String, String> bridges = reconciler.bridges(cache);
        lastResults = results;
        lastBridges = bridges;
        links.changed(results, daemon);                 // the states written now
        ArrayNode ops = writer.operations(ovsUuid, nextCfg, results, bridges, daemon, statistics);
        writer.datapath(ops, netdevDatapath);
        if (statistics) writer.controllers(ops, cache, bridges, daemon, System.currentTimeMillis());
        transact(ops);
    }

    /** Sends ops (nothing if empty); a failure is logged and everything is written again next time. */
    private void transact(ArrayNode ops) throws IOException, OvsdbException {
        if (ops.isEmpty()) return;
        JsonNode[] params = new JsonNode[ops.size() + 1];
        params[0] = JsonRpc.NODES.textNode(DB);
        for (int i = 0; i < ops.size(); i++) params[i + 1] = ops.get(i);
        JsonNode reply;
        try {
            reply = conn.callAndWait("transact", 10_000, params);
        } catch (OvsdbException e) {
            statusFailed(e.getMessage());
            return;
        }
        if (!reply.isArray()) throw new OvsdbException("transact reply is not an array: " + JsonRpc.brief(reply));
        for (JsonNode r : reply) {
            if (r != null && r.has("error")) {
                statusFailed(JsonRpcConnection.describeError(r));
                return;
            }
        }
        if (retryAt != 0) LOG.info("ovsdb: the status columns are written again");
        retryAt = 0;
        retryWait = 0;
    }

    /** A status transaction failed: everything is written again after a wait (logged when a run of failures starts). */
    private void statusFailed(String why) {
        writer.forget();
        retryWait = retryWait == 0 ? FIRST_RETRY_NANOS : Math.min(2 * retryWait, STATS_INTERVAL_NANOS);
        if (retryAt == 0) LOG.warning("ovsdb: writing the status columns failed: " + why + "; trying again in " + retryWait / 1_000_000L + " ms");
        retryAt = System.nanoTime() + retryWait;
    }

    /** PMD threads are made at start; a different mask takes effect when xvio restarts (logged once per value). */
    private void pmdCpuMask(String mask) {
        if (Objects.equals(mask, loggedMask)) return;
        loggedMask = mask;
        if (mask == null) return;
        List<Integer> cpus;
        try {
            cpus = PmdCpuMask.parse(mask);
        } catch (IllegalArgumentException e) {
            LOG.warning("ovsdb: other_config:pmd-cpu-mask: " + e.getMessage() + ": ignored");
            return;
        }
        List<Integer> running = daemon.pmdCpus();
        if (!running.equals(cpus))
            LOG.warning("ovsdb: other_config:pmd-cpu-mask=" + mask + " (CPUs " + cpus + ") needs a restart of xvio: its PMD threads run on "
                    + (running.equals(List.of(-1)) ? "any CPU (one unpinned thread)" : "CPUs " + running));
    }

    /** The first value decides for good whether vhost-user ports offer offloads; a change is logged as needing a restart. */
    private void userspaceTso(String value) {
        if (!tsoRead) {
            tsoRead = true;
            tsoStarted = value;
            loggedTso = value;
            reconciler.vhostOffloads(UserspaceTso.offloads(value));
            String line = UserspaceTso.describe(value);
            if (line == null) return;
            if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) LOG.info("ovsdb: " + line);
            else LOG.warning("ovsdb: " + line);
            return;
        }
        if (Objects.equals(value, loggedTso)) return;
        loggedTso = value;
        if (UserspaceTso.offloads(value) != UserspaceTso.offloads(tsoStarted)) LOG.warning("ovsdb: " + UserspaceTso.changed(tsoStarted, value));
    }

    /** What xvio does for pmd-rxq-assign (logged once per value; unset: nothing to say). */
    private void pmdRxqAssign(String value) {
        if (Objects.equals(value, loggedRxqAssign)) return;
        loggedRxqAssign = value;
        String line = PmdRxqAssign.describe(value);
        if (line == null) return;
        if (value.equals("roundrobin") || value.equals("cycles") || value.equals("group")) LOG.info("ovsdb: " + line);
        else LOG.warning("ovsdb: " + line);
    }

    /** Applies other_config:tx-flush-interval when it changes (the config's value when it goes away); a bad one is logged and ignored. */
    private void txFlushInterval(String value) {
        if (Objects.equals(value, appliedTxFlush)) return;
        appliedTxFlush = value;
        int us;
        if (value == null) {
            us = daemon.configuredTxFlushInterval();
        } else {
            try {
                us = TxFlushInterval.parse(value);
            } catch (IllegalArgumentException e) {
                LOG.warning("ovsdb: other_config:tx-flush-interval: " + e.getMessage() + ": ignored");
                return;
            }
        }
        io.xvio.port.HeldTx.setMaxHoldMicros(us);
        LOG.info("ovsdb: tx-flush-interval " + us + " us" + (value == null ? " (the config's: other_config has none)" : ""));
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        JsonRpcConnection c = conn;
        if (c != null) c.close();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
