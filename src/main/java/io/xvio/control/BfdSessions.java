package io.xvio.control;

import io.xvio.datapath.action.Output;
import io.xvio.datapath.bfd.BfdMessage;
import io.xvio.datapath.bfd.BfdSession;
import io.xvio.datapath.bfd.BfdSettings;
import io.xvio.pmd.PmdSet;
import io.xvio.port.Port;
import io.xvio.port.TunnelPort;

import java.security.SecureRandom;
import java.util.*;
import java.util.logging.Logger;

/**
 * The BFD sessions of the daemon's tunnel ports (the Interface table's {@code bfd} column, what ovn-controller sets
 * between chassis of an HA gateway group; OVS's lib/bfd.c in ofproto-dpif's monitor thread). Its own thread wakes every
 * {@link #TICK_MS}: it reads what each port's PMD threads took out of their bursts ({@link io.xvio.datapath.bfd.BfdInbox}),
 * runs the sessions' timers and sends their control messages as packet-outs on the tunnel port (a PMD thread
 * encapsulates them toward the port's remote). {@link #status} is the row's {@code bfd_status}.
 */
final class BfdSessions implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.bfd");
    static final long TICK_MS = 10;
    private static final int OFPP_CONTROLLER = 0xfffd;

    private record Entry(Bridge bridge, TunnelPort port, BfdSession session) {}

    private final Map<String, Entry> sessions = new LinkedHashMap<>();
    /** Each port's settings as last given, by bridge/port (set-port changes them key by key). */
    private final Map<String, Map<String, String>> configs = new LinkedHashMap<>();
    private final PmdSet pmds;
    private final SecureRandom random = new SecureRandom();
    private final Set<String> warned = new HashSet<>();
    private final byte[] frame = new byte[BfdMessage.FRAME_LENGTH];
    private final BfdMessage msg = new BfdMessage();
    private int udpSrc;
    private long lastRefusalLog, lastErrorLog;
    private volatile boolean running = true;
    private Thread thread;

    BfdSessions(PmdSet pmds) { this.pmds = pmds; }

    private static String key(String bridge, String port) { return bridge + "/" + port; }

    /**
     * Applies a port's {@code bfd} column: enable=true starts (or retunes) its session, anything else stops it. BFD
     * runs on tunnel ports only (a warning, once, for another kind); settings OVS has that xvio does not act on, or
     * values out of range, are logged once each, as OVS does, and the defaults used.
     */
    synchronized void configure(Bridge br, Port p, Map<String, String> cfg) {
        String k = key(br.name, p.name());
        if (cfg == null || cfg.isEmpty()) configs.remove(k);
        else configs.put(k, Map.copyOf(cfg));
        BfdSettings s = BfdSettings.of(cfg);
        Entry e = sessions.get(k);
        if (!s.enabled()) {
            if (e != null) {
                sessions.remove(k);
                e.port().bfdInbox().setEnabled(false);
                LOG.info("port " + p.name() + ": BFD stopped");
            }
            return;
        }
        if (!(p instanceof TunnelPort tp)) {
            if (warned.add(k + " type")) LOG.warning("port " + p.name() + ": bfd:enable on a " + p.type() + " port: xvio runs BFD on tunnel ports only");
            return;
        }
        for (String w : s.warnings()) if (warned.add(k + " " + w)) LOG.warning("port " + p.name() + ": bfd: " + w);
        if (e != null && e.port() == tp && e.bridge() == br) {
            if (!e.session().settings().equals(s)) e.session().configure(s);
            return;
        }
        if (e != null) e.port().bfdInbox().setEnabled(false);          // the port was made again
        BfdSession session = new BfdSession(p.name(), discriminator(), 49152 + (udpSrc++ % 16384), random, s);
        sessions.put(k, new Entry(br, tp, session));
        tp.bfdInbox().setEnabled(true);
        LOG.info("port " + p.name() + ": BFD started (min_tx " + s.minTx() + " ms, min_rx " + s.minRx() + " ms, mult " + s.mult() + ")");
        if (thread == null) thread = Thread.ofPlatform().daemon().name("bfd").start(this::loop);
    }

    /** The bfd settings last given for a port (its column, the config file's, set-port's), empty if none. */
    synchronized Map<String, String> config(String bridge, String port) { return configs.getOrDefault(key(bridge, port), Map.of()); }

    /** Forgets the sessions of ports no longer in any bridge. */
    synchronized void retain(Collection<Bridge> bridges) {
        Set<Port> live = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Bridge b : bridges) live.addAll(b.ports);
        sessions.values().removeIf(e -> !live.contains(e.port()));
        Set<String> names = new java.util.HashSet<>();
        for (Bridge b : bridges) for (Port p : b.ports) names.add(key(b.name, p.name()));
        configs.keySet().retainAll(names);
    }

    private long discriminator() {
        while (true) {
            long d = random.nextInt() & 0xffffffffL;
            if (d != 0 && sessions.values().stream().noneMatch(e -> e.session().discriminator() == d)) return d;
        }
    }

    /** The Interface's bfd_status: OVS's keys, empty when the port runs no session. */
    synchronized Map<String, String> status(String bridge, String port) {
        Entry e = sessions.get(key(bridge, port));
        return e == null ? Map.of() : e.session().status();
    }

    /** {@code xvio bfd/show}: one line per session. */
    synchronized String show() {
        if (sessions.isEmpty()) return "no BFD sessions\n";
        long now = System.currentTimeMillis();
        StringBuilder s = new StringBuilder();
        for (Entry e : sessions.values())
            s.append(e.bridge().name).append(' ').append(e.session().describe(now)).append(", inbox drops ").append(e.port().bfdInbox().dropped()).append('\n');
        return s.toString();
    }

    private void loop() {
        while (running) {
            try {
                Thread.sleep(TICK_MS);
                tick(System.currentTimeMillis());
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                error(null, e);
            }
        }
    }

    /** Logs a failure, at most once a second (the sessions go on next tick). */
    private void error(Entry e, RuntimeException x) {
        long now = System.currentTimeMillis();
        if (now - lastErrorLog < 1000) return;
        lastErrorLog = now;
        LOG.warning("bfd" + (e == null ? "" : " on port " + e.port().name()) + ": " + x);
    }

    synchronized void tick(long now) {
        for (Entry e : sessions.values()) {
            try {
                tick(e, now);
            } catch (RuntimeException x) {
                error(e, x);                              // one session's trouble: the others go on
            }
        }
    }

    private void tick(Entry e, long now) {
        BfdSession s = e.session();
        e.port().bfdInbox().drain((ethDst, ipDst, ttl, tunId, payload, len) -> {
            if (!s.wants(ethDst, ipDst, tunId)) return;
            String why = msg.parse(payload, 0, len);
            if (why == null) why = s.receive(msg, ttl, now);
            if (why != null && now - lastRefusalLog > 1000) {
                lastRefusalLog = now;
                LOG.info("port " + e.port().name() + ": BFD control message dropped: " + why);
            }
        });
        s.run(now);
        if (s.shouldSend(now)) send(e, s.compose(frame, 0x020000000000L | s.discriminator() & 0xffffffL, now));
    }

    /** A packet-out of the frame on the tunnel port: a PMD thread runs it, as OpenFlow's (only PMD threads transmit). */
    private void send(Entry e, int len) {
        if (pmds == null) return;
        PacketOutTask t = new PacketOutTask(e.bridge().datapath, e.bridge().sendArray(), OFPP_CONTROLLER, Arrays.copyOf(frame, len),
                List.of(new Output(e.port().ofport())));
        pmds.submit(t);                                   // none running: this one is lost, as a message on a down link
    }

    @Override
    public void close() {
        running = false;
        Thread t = thread;
        if (t != null) t.interrupt();
    }
}
