package io.xvio.openflow;

import io.xvio.datapath.Flow;

import io.xvio.datapath.PacketIns;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Every OpenFlow connection of one bridge, passive (BRIDGE.mgmt clients) and active (the configured controllers,
 * {@link OfController}), and what they share, as OVS's connmgr: the packet-ins, the master election (generation
 * id; one master at a time), the inactivity probes and fail mode.
 *
 * <p>One virtual thread per bridge: while some connection takes packet-ins it drains the datapath's packet-in rings
 * every millisecond and sends each one to every such connection (in its version's format); and every 100 ms it sends
 * an echo request on a controller connection silent for the probe interval, drops one silent for another interval,
 * and applies the fail mode. Standalone (OVS's default): once controllers are configured and none has been
 * connected for three probe intervals, the bridge forwards by NORMAL ({@link OfSwitch#setFailOpen}) until one is
 * back and has sent a message. Secure: the flows stay as they are.
 */
public final class OfChannels implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.openflow");
    public static final long DEFAULT_PROBE_MS = 5000;

    public enum FailMode {
        STANDALONE, SECURE;

        public static FailMode parse(String s) {
            return switch (s) {
                case "standalone" -> STANDALONE;
                case "secure" -> SECURE;
                default -> throw new IllegalArgumentException("fail mode \"" + s + "\" (standalone or secure)");
            };
        }

        public String text() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    private final OfSwitch sw;
    private final Set<OfConnection> connections = ConcurrentHashMap.newKeySet();
    private final List<OfController> controllers = new ArrayList<>();
    /** The passive targets (ptcp:, pssl:). */
    private final List<OfListener> listeners = new ArrayList<>();
    /** Passive targets that could not listen, and why. */
    private final java.util.Map<String, String> unbound = new java.util.LinkedHashMap<>();
    private List<String> configured = List.of();
    private volatile OfTls tls = new OfTls(TlsSettings.NONE);
    private final long startedNanos;
    private volatile FailMode failMode = FailMode.STANDALONE;
    private volatile long probeNanos = DEFAULT_PROBE_MS * 1_000_000L;
    /** The controller connections' packet-in rate limit (null: none). */
    private volatile PacketInLimits limits;
    /** When a controller connection was last up (or the controllers were configured). */
    private volatile long lastConnectedNanos = System.nanoTime();
    private volatile boolean failOpen, running = true;
    private long electionId;
    private boolean electionDefined;
    private final Thread worker;
    private volatile List<OfConnection> receivers = List.of();
    private final PortStatus ports;
    /** The connections' flow monitors (ovs-ofctl monitor, NXST/ONFST/OFPMP_FLOW_MONITOR). */
    final FlowMonitors monitors;
    /** Flows added over OpenFlow with send_flow_rem, by (table, priority, match); their removal is reported. */
    private final Set<RemKey> sendFlowRem = ConcurrentHashMap.newKeySet();
    /** Flows removed by a timeout, queued by the expiry thread for this bridge's thread to report. */
    private final java.util.concurrent.ConcurrentLinkedQueue<Flow> expired = new java.util.concurrent.ConcurrentLinkedQueue<>();

    private record RemKey(int table, int priority, io.xvio.datapath.Match match) {
        static RemKey of(Flow f) { return new RemKey(f.table, f.priority, f.match); }
    }

    public OfChannels(OfSwitch sw, long startedNanos) {
        this.sw = sw;
        this.startedNanos = startedNanos;
        this.ports = new PortStatus(sw);
        this.monitors = new FlowMonitors(sw);
        worker = Thread.ofVirtual().name("openflow-channels-" + sw.name()).start(this::work);
    }

    OfSwitch sw() { return sw; }
    long startedNanos() { return startedNanos; }

    void add(OfConnection c) {
        connections.add(c);
        changed();
    }

    void remove(OfConnection c) {
        connections.remove(c);
        monitors.remove(c);
        if (c.primary && c.admitted) lastConnectedNanos = System.nanoTime();
        changed();
    }

    /** A connection came or went, or its version, role, miss_send_len or controller id changed: who takes packet-ins now. */
    synchronized void changed() {
        List<OfConnection> r = new ArrayList<>();
        boolean misses = false;
        for (OfConnection c : connections) {
            if (c.wantsPacketIns()) r.add(c);
            misses |= c.wantsMisses();
        }
        receivers = List.copyOf(r);
        PacketIns p = sw.packetIns();
        if (p != null) p.setWanted(!r.isEmpty());
        sw.setPacketInOnMiss(misses);
    }

    /** OVS's master election id: false if gen is older than the newest seen (a stale request). */
    synchronized boolean election(long gen) {
        if (electionDefined && gen - electionId < 0) return false;
        electionId = gen;
        electionDefined = true;
        return true;
    }

    /** The election id, or all ones (OVS's UINT64_MAX in a role reply) while none was given. */
    synchronized long electionId() { return electionDefined ? electionId : -1L; }

    /** c becomes master: any other master becomes slave. */
    void newMaster(OfConnection c) {
        for (OfConnection o : connections) if (o != c && o.role() == OfConnection.ROLE_MASTER) o.demote();
    }

    // ------------------------------------------------------------------------------------------ flow removed

    /** A flow was added over OpenFlow: its removal is reported if it asked for it (send_flow_rem), else no more. */
    void flowAdded(Flow f, boolean sendFlowRemoved) {
        if (sendFlowRemoved) sendFlowRem.add(RemKey.of(f));
        else if (!sendFlowRem.isEmpty()) sendFlowRem.remove(RemKey.of(f));
    }

    /** Flows that went (reason OFPRR_*): an OFPT_FLOW_REMOVED to every connection that takes it, for each that asked. */
    void flowsRemoved(List<Flow> flows, int reason) {
        if (sendFlowRem.isEmpty()) return;
        long now = System.nanoTime();
        for (Flow f : flows) {
            if (!sendFlowRem.remove(RemKey.of(f))) continue;
            for (OfConnection c : connections)
                if (c.wantsAsync(AsyncConfig.FLOW_REMOVED, reason)) c.sendAsync(FlowRemoved.encode(f, reason, c.version(), c.nxm(), now));
        }
    }

    /**
     * Flows removed by their idle or hard timeout (called by the bridge's expiry, under its lock): queued, and
     * reported by this bridge's thread within 100 ms.
     */
    public void flowsExpired(List<Flow> flows) {
        if (!sendFlowRem.isEmpty()) expired.addAll(flows);
    }

    private void reportExpired() {
        long now = System.nanoTime();
        for (Flow f; (f = expired.poll()) != null; ) {
            boolean hard = f.hardTimeout > 0 && now - f.createdNanos() >= f.hardTimeout * 1_000_000_000L;
            flowsRemoved(List.of(f), hard ? AsyncConfig.RR_HARD : AsyncConfig.RR_IDLE);
        }
    }

    // ------------------------------------------------------------------------------------------ controllers

    /**
     * Replaces the controllers: active targets (tcp:IP[:PORT], ssl:IP[:PORT], unix:PATH; checked by
     * {@link OfController#parse}) to connect to, passive ones (ptcp:[PORT][:IP], pssl:[PORT][:IP], {@link OfListener})
     * to listen on. One that cannot listen (address in use) is logged and shown so by {@link #controllerStatus}.
     */
    public synchronized void setControllers(List<String> targets) {
        for (OfController c : controllers) c.close();
        controllers.clear();
        for (OfListener l : listeners) l.close();
        listeners.clear();
        unbound.clear();
        configured = List.copyOf(targets);
        for (String t : targets) {
            if (!OfListener.passive(t)) {
                controllers.add(OfController.start(t, this));
                continue;
            }
            try {
                listeners.add(OfListener.start(t, this));
            } catch (IllegalStateException e) {
                LOG.warning(e.getMessage());
                unbound.put(t, e.getMessage());
            }
        }
        lastConnectedNanos = System.nanoTime();
        if (!targets.isEmpty()) LOG.info("bridge " + sw.name() + ": controllers " + String.join(", ", targets) + " (fail mode " + failMode.text() + ")");
    }

    /** The targets as configured, in order. */
    public synchronized List<String> controllers() {
        return configured;
    }

    /**
     * The controllers with their state (connected, role; listening) and packet-in counters (sent, dropped because 100
     * were queued, dropped by the rate limit), then the BRIDGE.mgmt connections that take packet-ins with theirs:
     * get-controller --status.
     */
    public synchronized List<String> controllerStatus() {
        List<String> t = new ArrayList<>();
        for (OfController c : controllers) t.add(c.target() + " " + c.status());
        for (OfListener l : listeners) t.add(l.target() + " " + l.status());
        for (var e : unbound.entrySet()) t.add(e.getKey() + " not listening: " + e.getValue());
        // BRIDGE.mgmt clients that take packet-ins (ovs-ofctl monitor, ovn-controller): their counters too
        for (OfConnection c : receivers) if (!c.primary && !c.controllerTarget) t.add(c.peer() + ": " + c.packetInStatus());
        return t;
    }

    /** The port a passive target listens on (ptcp:0 / pssl:0 pick one), or -1. */
    public synchronized int listeningPort(String target) {
        for (OfListener l : listeners) if (l.target().equals(target)) return l.port();
        return -1;
    }

    /** The SSL/TLS settings of this bridge's ssl: and pssl: connections from now on (OVS's SSL table; global there). */
    public void setTls(OfTls t) { tls = t; }

    OfTls tls() { return tls; }

    /** The worker applies it within 100 ms (it alone turns fail-open on and off, outside every caller's locks). */
    public void setFailMode(FailMode m) { failMode = m; }

    public FailMode failMode() { return failMode; }

    /**
     * The packet-in rate limit of the controller connections (active ones and those accepted by ptcp:/pssl:; never
     * BRIDGE.mgmt's, as in OVS) from now on; null: none. The bridge's OpenFlow thread applies it; what waits under
     * the old limit is sent on.
     */
    public void setPacketInLimits(PacketInLimits l) {
        if (java.util.Objects.equals(l, limits)) return;
        limits = l;
        LOG.info("bridge " + sw.name() + ": packet-in rate limit " + (l == null ? "none" : l));
    }

    public PacketInLimits packetInLimits() { return limits; }

    /** OVS's inactivity_probe, in ms (at least 1000). */
    public void setProbeMillis(long ms) { probeNanos = Math.max(1000, ms) * 1_000_000L; }

    public boolean failOpen() { return failOpen; }

    /** Only the worker thread calls it. */
    private void setFailOpen(boolean on) {
        if (failOpen == on) return;
        failOpen = on;
        LOG.warning("bridge " + sw.name() + ": " + (on ? "no controller for " + 3 * probeNanos / 1_000_000_000L + " s: fail-open, forwarding by NORMAL"
                : "controller back: leaving fail-open"));
        sw.setFailOpen(on);
    }

    // ------------------------------------------------------------------------------------------ the thread

    private void work() {
        long nextCheck = 0;
        while (running) {
            List<OfConnection> r = receivers;
            PacketIns p = sw.packetIns();
            try {
                // packet-ins nobody has room for stay in the PMD threads' rings, which then refuse more (counted as
                // "packet-in queue full"): a slow controller costs the PMD a failed claim per frame, nothing else
                int drained = !r.isEmpty() && p != null && anyRoom(r) ? p.drain(sink) : 0;
                long now = System.nanoTime();
                PacketInLimits l = limits;
                for (OfConnection c : r) c.runSchedulers(now, l);
                if (now >= nextCheck) {
                    nextCheck = now + 100_000_000L;
                    probe(now);
                    failMode(now);
                    ports.poll(connections);
                    reportExpired();
                    monitors.poll();
                    for (OfConnection c : connections) {
                        c.expireBundles(now);
                        c.logDrops(now);
                    }
                }
                // a ring holds 64 packet-ins per PMD thread: while they come, drain ten times as often
                if (drained > 0) java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                else Thread.sleep(r.isEmpty() ? 100 : 1);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warning("bridge " + sw.name() + ": OpenFlow channels: " + e);
            }
        }
    }

    /** Whether some receiver can take a packet-in now (a rate-limited one always can: its scheduler decides). */
    private boolean anyRoom(List<OfConnection> r) {
        for (OfConnection c : r) if (c.packetInRoom(limits)) return true;
        return false;
    }

    /** The packet-in consumer: with the controller action's userdata. */
    private final PacketIns.Sink sink = new PacketIns.Sink() {
        @Override public void packetIn(byte[] frame, int len, int totalLen, int reason, int table, long cookie, long[] key) {
            sendPacketIn(frame, len, totalLen, reason, table, cookie, key, null, 0);
        }

        @Override public void packetIn(byte[] frame, int len, int totalLen, int reason, int table, long cookie, long[] key, String userdata) {
            sendPacketIn(frame, len, totalLen, reason, table, cookie, key, userdata, 0);
        }

        @Override public void packetIn(byte[] frame, int len, int totalLen, int reason, int table, long cookie, long[] key, String userdata,
                                       io.xvio.datapath.Paused paused) {
            sendPaused(frame, len, totalLen, reason, table, cookie, key, userdata, paused, 0);
        }

        @Override public void packetIn(byte[] frame, int len, int totalLen, int reason, int table, long cookie, long[] key, String userdata,
                                       io.xvio.datapath.Paused paused, int controllerId) {
            if (paused == null) sendPacketIn(frame, len, totalLen, reason, table, cookie, key, userdata, controllerId);
            else sendPaused(frame, len, totalLen, reason, table, cookie, key, userdata, paused, controllerId);
        }
    };

    /**
     * A packet-in of a paused translation: NXT_PACKET_IN2 connections get its continuation (NXPINT_CONTINUATION, one
     * NXCPT frame per unrolled action list), the others the plain packet-in, as OVS sends them.
     */
    private void sendPaused(byte[] frame, int len, int totalLen, int reason, int table, long cookie, long[] key, String userdata,
                            io.xvio.datapath.Paused p, int controllerId) {
        List<Long> stack = new ArrayList<>();
        for (long v : p.stack()) stack.add(v);
        List<Continuation.Frame> frames = new ArrayList<>();
        for (io.xvio.datapath.Paused.Frame f : p.frames()) frames.add(new Continuation.Frame(f.table(), f.cookie(), f.rest()));
        Continuation c = new Continuation(Continuation.bridgeId(sw.name()), stack, 0, p.conntracked(), frames, List.of(),
                key[io.xvio.packet.FlowKey.IN_PORT]);
        PacketIn pi = new PacketIn(totalLen, reason, table, cookie, PacketIn.metadata(key), java.util.Arrays.copyOf(frame, len),
                userdata == null ? null : io.xvio.datapath.action.Controller.bytes(userdata));
        for (OfConnection k : receivers) {
            if (k.controllerId != controllerId || !k.wantsAsync(AsyncConfig.PACKET_IN, reason)) continue;
            try {
                OfConnection to = k;
                k.packetIn(encode(key, () -> pi.encode(to.version(), to.packetInFormat, 0, c)), key[io.xvio.packet.FlowKey.IN_PORT], reason, System.nanoTime(), limits);
            } catch (OfError.Failure e) {        // an action the connection's version cannot encode
                LOG.warning(k.peer() + ": paused packet-in not sent: " + e.getMessage());
            }
        }
    }

    /** To every connection that takes it whose controller id (NXT_SET_CONTROLLER_ID) is controllerId, as OVS's connmgr. */
    private void sendPacketIn(byte[] frame, int len, int totalLen, int reason, int table, long cookie, long[] key, String userdata, int controllerId) {
        PacketIn pi = null;                         // made only for a connection that can take it
        long now = System.nanoTime();
        PacketInLimits l = limits;
        for (OfConnection c : receivers) {
            if (c.controllerId != controllerId || !c.wantsAsync(AsyncConfig.PACKET_IN, reason) || c.dropsPacketIn(now, l)) continue;
            if (pi == null) pi = new PacketIn(totalLen, reason, table, cookie, PacketIn.metadata(key), java.util.Arrays.copyOf(frame, len),
                    userdata == null ? null : io.xvio.datapath.action.Controller.bytes(userdata));
            PacketIn in = pi;
            c.packetIn(encode(key, () -> in.encode(c.version(), c.packetInFormat, 0)), key[io.xvio.packet.FlowKey.IN_PORT], reason, now, l);
        }
    }

    /**
     * A packet-in's encoding: a packet with Geneve options (tun_metadata present) has them at the lengths the bridge's
     * TLV map gives them, as OVS encodes them; without, the map is not looked up.
     */
    private byte[] encode(long[] key, java.util.function.Supplier<byte[]> encoding) {
        int misc = io.xvio.packet.FlowKey.TUN_MISC;
        boolean options = key.length > misc && (key[misc] >>> io.xvio.packet.FlowKey.TUN_METADATA_PRESENT & 0xff) != 0;
        return options ? TlvLengths.with(TlvLengths.of(sw.read(sw::tlvMappings)), encoding) : encoding.get();
    }

    /** Echo requests on silent controller connections; a connection silent for two intervals is dropped. */
    private void probe(long now) {
        long limit = probeNanos;
        for (OfConnection c : connections) {
            if (!c.primary) continue;
            String why = c.stalled(now, Math.max(2 * limit, 10_000_000_000L));
            if (why != null) {                         // a controller that accepted but never says hello, say
                LOG.warning(c.peer() + ": " + why + ", disconnecting");
                c.abort();
                continue;
            }
            if (c.version() < 0) continue;
            long sent = c.probeSentNanos;
            if (sent != 0 && now - sent > limit) {
                LOG.warning(c.peer() + ": no response to inactivity probe after " + limit / 1_000_000_000L + " s, disconnecting");
                c.ended("Connection timed out");
                c.abort();
            } else if (sent == 0 && now - c.lastReceivedNanos > limit) {
                c.probeSentNanos = now;
                c.sendAsync(new Wire.Writer(c.version(), OfType.ECHO_REQUEST, 0).finish());
            }
        }
    }

    /** Fail-open exactly while standalone controllers are configured and none has been up for three probe intervals. */
    private void failMode(long now) {
        boolean configured, up = false;
        synchronized (this) { configured = !controllers.isEmpty(); }
        for (OfConnection c : connections) if (c.primary && c.admitted) up = true;
        if (up) lastConnectedNanos = now;
        setFailOpen(configured && failMode == FailMode.STANDALONE && !up && now - lastConnectedNanos >= 3 * probeNanos);
    }

    /** Connections open now (tests). */
    public int connections() { return connections.size(); }

    // ------------------------------------------------------------------------------------------ identity (OVSDB)

    /** The OpenFlow versions the bridge's connections may negotiate (OVS's Bridge protocols); all xvio speaks by default. */
    private volatile int versions = OfVersion.BITMAP;
    /** The features reply's datapath id (OVS's other_config:datapath-id or hwaddr); 0: derived from the bridge's name. */
    private volatile long datapathId;

    int versions() { return versions; }

    /**
     * The versions (bitmap of wire versions, a subset of {@link OfVersion#BITMAP}) the bridge's endpoint and
     * controller connections may negotiate from now on. A change drops every connection (controllers reconnect),
     * as OVS re-creates its OpenFlow services when a bridge's protocols change.
     */
    public void setVersions(int bitmap) {
        int v = bitmap & OfVersion.BITMAP;
        if (v == versions) return;
        versions = v;
        for (OfConnection c : connections) {
            c.ended("OpenFlow versions changed");
            c.abort();
        }
    }

    /** The datapath id a bridge of this name has by default (a stable hash of the name). */
    public static long defaultDatapathId(String bridge) { return OfEndpoint.datapathId(bridge); }

    /** The datapath id of this bridge's features replies. */
    public long datapathId() {
        long d = datapathId;
        return d != 0 ? d : OfEndpoint.datapathId(sw.name());
    }

    /** Sets the datapath id (0: the default); a change drops the controller connections, as OVS does (they reconnect). */
    public void setDatapathId(long id) {
        long old = datapathId();
        datapathId = id;
        if (datapathId() == old) return;
        for (OfConnection c : connections) {
            if (!c.primary) continue;
            c.ended("datapath id changed");
            c.abort();
        }
    }

    /** Each configured controller's state, as ovs-vswitchd writes its Controller row. */
    public synchronized List<ControllerInfo> controllerInfo() {
        List<ControllerInfo> out = new ArrayList<>();
        for (OfController c : controllers) out.add(c.info());
        return out;
    }

    @Override
    public void close() {
        running = false;
        worker.interrupt();
        synchronized (this) {
            for (OfController c : controllers) c.close();
            controllers.clear();
            for (OfListener l : listeners) l.close();
            listeners.clear();
        }
        for (OfConnection c : connections) c.abort();
    }
}
