package io.xvio.datapath.bfd;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.random.RandomGenerator;
import java.util.logging.Logger;

import static io.xvio.datapath.bfd.BfdMessage.*;

/**
 * One port's BFD session (RFC 5880 asynchronous mode, as OVS's lib/bfd.c runs it on tunnels: ovn-controller reads
 * {@code bfd_status} to tell which gateway chassis are alive). Driven by one thread (the daemon's BFD loop): it is
 * told the time ({@code now}, milliseconds), the messages received ({@link #receive}) and asked when to send
 * ({@link #shouldSend}, {@link #compose}). Not thread-safe. Not implemented, as OVS's options of the same names:
 * decay_min_rx and forwarding_if_rx (data-traffic refinements), demand mode, echo, authentication.
 */
public final class BfdSession {
    private static final Logger LOG = Logger.getLogger("xvio.bfd");

    private final String name;
    private final long disc;
    private final int udpSrc;
    private final RandomGenerator random;
    private BfdSettings cfg = BfdSettings.DISABLED;

    private int state = DOWN, diag = DIAG_NONE, rmtState = DOWN, rmtDiag = DIAG_NONE, flags, rmtFlags, rmtMult;
    private long rmtDisc;
    /** Timers in milliseconds: RemoteMinRxInterval, the remote's min tx, DesiredMinTx, RequiredMinRx, in a poll. */
    private long rmtMinRx = 1, rmtMinTx, minTx = 1000, minRx, pollMinTx, pollMinRx;
    private long lastTx, nextTx, detectTime;
    private boolean lastForwarding, statusChanged = true;
    private long flapCount, received, sent, refused;

    /** A session in state down; udpSrc in 49152-65535 (RFC 5881), disc non-zero and unique on the host. */
    public BfdSession(String name, long disc, int udpSrc, RandomGenerator random, BfdSettings settings) {
        if (disc == 0 || disc >>> 32 != 0) throw new IllegalArgumentException("discriminator " + disc);
        this.name = name;
        this.disc = disc;
        this.udpSrc = udpSrc;
        this.random = random;
        configure(settings);
    }

    public long discriminator() { return disc; }
    public BfdSettings settings() { return cfg; }
    public boolean oam() { return cfg.oam(); }
    public int state() { return state; }

    /** Takes a new configuration; a change of the timers starts a poll sequence (RFC 5880 section 6.8.3), as OVS. */
    public void configure(BfdSettings s) {
        BfdSettings old = cfg;
        cfg = s;
        boolean poll = false;
        if (s.minTx() != old.minTx() || old == BfdSettings.DISABLED) {
            if (state != UP || (!inPoll() && s.minTx() < minTx)) minTx = s.minTx();
            poll = true;
        }
        if (s.minRx() != old.minRx() || old == BfdSettings.DISABLED) {
            if (state != UP || (!inPoll() && s.minRx() > minRx)) minRx = s.minRx();
            poll = true;
        }
        if (s.cpathDown() != old.cpathDown()) {
            setState(state, DIAG_NONE);
            poll = true;
        }
        if (poll) poll();
    }

    /**
     * Whether a frame for BFD's UDP port (IPv4, not a later fragment) received on the port belongs to this session:
     * OVS's bfd_should_process_flow (the remote's Ethernet destination if configured, the inner destination address
     * if bfd_src_ip is not the default, a zero tunnel key with check_tnl_key).
     */
    public boolean wants(long ethDst, int ipDst, long tunId) {
        if (cfg.remoteEthDst() != 0 && ethDst != cfg.remoteEthDst()) return false;
        if (cfg.ipSrc() != DEFAULT_SRC_IP && ipDst != cfg.ipSrc()) return false;
        return !cfg.checkTunnelKey() || tunId == 0;
    }

    /**
     * A control message received in an IPv4 packet of this TTL; returns null or why it was dropped (the caller logs
     * it, rate-limited). RFC 5880 section 6.8.6, as OVS: a TTL other than 255 (RFC 5881's GTSM) and a your
     * discriminator not ours are dropped too.
     */
    public String receive(BfdMessage m, int ttl, long now) {
        forwarding(now);
        if (ttl != 255) return refuse("TTL " + ttl + ", not 255");
        if (m.yourDisc != 0 && m.yourDisc != disc) return refuse("your discriminator 0x" + Long.toHexString(m.yourDisc) + " is not ours (0x" + Long.toHexString(disc) + ")");
        received++;
        if (rmtState != m.state) statusChanged = true;
        rmtDisc = m.myDisc;
        rmtState = m.state;
        rmtFlags = m.flags;
        rmtDiag = m.diag;
        if ((m.flags & F_FINAL) != 0 && inPoll()) {
            minTx = pollMinTx;
            minRx = pollMinRx;
            flags &= ~F_POLL;
            LOG.fine(() -> name + ": BFD poll sequence terminated");
        }
        if ((m.flags & F_POLL) != 0) {                  // answer at once with the final bit
            flags &= ~F_POLL;
            flags |= F_FINAL;
        }
        if (rmtMult != m.mult) rmtMult = m.mult;
        long rx = Math.max(m.minRxMicros / 1000, 1);
        if (rmtMinRx != rx) {
            rmtMinRx = rx;
            if (nextTx != 0) setNextTx();
        }
        rmtMinTx = Math.max(m.minTxMicros / 1000, 1);
        detectTime = rxInterval() * rmtMult + now;
        if (state == ADMIN_DOWN) return null;
        if (m.state == ADMIN_DOWN) {
            if (state != DOWN) setState(DOWN, DIAG_RMT_DOWN);
        } else {
            switch (state) {
                case DOWN -> {
                    if (m.state == DOWN) setState(INIT, diag);
                    else if (m.state == INIT) setState(UP, diag);
                }
                case INIT -> {
                    if (m.state > DOWN) setState(UP, diag);
                }
                case UP -> {
                    if (m.state <= DOWN) setState(DOWN, DIAG_RMT_DOWN);
                }
                default -> { }
            }
        }
        forwarding(now);
        return null;
    }

    private String refuse(String why) {
        refused++;
        return why;
    }

    /** Timer work: the detection time running out takes the session down (diagnostic: expired). */
    public void run(long now) {
        if (state > DOWN && now >= detectTime) setState(DOWN, DIAG_EXPIRED);
        forwarding(now);
        if (minTx != cfg.minTx() || minRx != cfg.minRx()) poll();
    }

    /** Whether a control message is due (the next periodic one, or a final answer to a poll). */
    public boolean shouldSend(long now) { return (flags & F_FINAL) != 0 || now >= nextTx; }

    /** When {@link #run} or {@link #shouldSend} next has work (milliseconds; 0: at once). */
    public long wakeTime() {
        if ((flags & F_FINAL) != 0) return 0;
        return state > DOWN ? Math.min(detectTime, nextTx) : nextTx;
    }

    /**
     * Writes the next control message's frame into out (at least {@link BfdMessage#FRAME_LENGTH} bytes) with
     * portMac as its Ethernet source unless configured; returns its length. Schedules the next one (the interval less
     * a random 0-25 %, RFC 5880 section 6.8.7).
     */
    public int compose(byte[] out, long portMac, long now) {
        BfdMessage m = new BfdMessage();
        m.diag = diag;
        m.state = state;
        m.flags = flags;
        m.mult = cfg.mult();
        m.myDisc = disc;
        m.yourDisc = rmtDisc;
        boolean polling = inPoll();
        m.minTxMicros = (polling ? pollMinTx : effectiveMinTx()) * 1000;
        m.minRxMicros = (polling ? pollMinRx : minRx) * 1000;
        m.writeFrame(out, cfg.localEthDst() != 0 ? cfg.localEthDst() : ETH_DST, cfg.localEthSrc() != 0 ? cfg.localEthSrc() : portMac,
                cfg.ipSrc(), cfg.ipDst(), udpSrc);
        flags &= ~F_FINAL;
        lastTx = now;
        setNextTx();
        sent++;
        return FRAME_LENGTH;
    }

    /** Whether the path is usable: state up and the remote not reporting a path down (OVS's bfd_forwarding). */
    public boolean forwarding(long now) {
        boolean was = lastForwarding;
        lastForwarding = state == UP && rmtDiag != DIAG_PATH_DOWN && rmtDiag != DIAG_CPATH_DOWN && rmtDiag != DIAG_RCPATH_DOWN;
        if (lastForwarding != was) {
            flapCount++;
            statusChanged = true;
        }
        return lastForwarding;
    }

    /** Whether {@link #status} changed since the last call (the caller then writes it to bfd_status). */
    public boolean takeStatusChange() {
        boolean c = statusChanged;
        statusChanged = false;
        return c;
    }

    /** The Interface's {@code bfd_status}, with OVS's keys and values. */
    public Map<String, String> status() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("forwarding", Boolean.toString(lastForwarding));
        m.put("state", stateName(state));
        m.put("diagnostic", diagName(diag));
        m.put("flap_count", Long.toString(flapCount));
        m.put("remote_state", stateName(rmtState));
        m.put("remote_diagnostic", diagName(rmtDiag));
        return m;
    }

    /** Counters for show: control messages received, sent, refused. */
    public long received() { return received; }
    public long sent() { return sent; }
    public long refused() { return refused; }

    /** One line for {@code xvio bfd/show}: OVS's bfd/show details, shortened. */
    public String describe(long now) {
        return name + ": forwarding " + lastForwarding + ", state " + stateName(state) + " (" + diagName(diag) + "), remote " + stateName(rmtState)
                + " (" + diagName(rmtDiag) + "), local disc 0x" + Long.toHexString(disc) + ", remote disc 0x" + Long.toHexString(rmtDisc)
                + ", tx interval " + txInterval() + " ms, rx interval " + rxInterval() + " ms, detect mult " + cfg.mult() + " (remote " + rmtMult
                + "), flap count " + flapCount + ", received " + received + ", sent " + sent + ", refused " + refused;
    }

    private boolean inPoll() { return (flags & F_POLL) != 0; }

    private void poll() {
        if (state > DOWN && !inPoll() && (flags & F_FINAL) == 0) {
            pollMinTx = cfg.minTx();
            pollMinRx = cfg.minRx();
            flags |= F_POLL;
            nextTx = 0;
        }
    }

    /** RFC 5880 section 6.8.3: at least a second between messages while the session is not up. */
    private long effectiveMinTx() { return state == UP ? minTx : Math.max(minTx, 1000); }

    private long txInterval() { return Math.max(effectiveMinTx(), rmtMinRx); }

    private long rxInterval() { return Math.max(minRx, rmtMinTx); }

    private void setNextTx() {
        long interval = txInterval();
        interval -= cfg.mult() == 1 ? interval * (10 + random.nextInt(16)) / 100 : interval * random.nextInt(26) / 100;
        nextTx = lastTx + interval;
    }

    private void setState(int s, int requested) {
        int d = cfg.cpathDown() ? DIAG_CPATH_DOWN : requested;
        if (state == s && diag == d) return;
        int from = state, fromDiag = diag;
        LOG.info(() -> name + ": BFD state change: " + stateName(from) + " (\"" + diagName(fromDiag) + "\") -> " + stateName(s) + " (\"" + diagName(d) + "\")");
        state = s;
        diag = d;
        if (state <= DOWN) {
            rmtState = DOWN;
            rmtDiag = DIAG_NONE;
            rmtMinRx = 1;
            rmtFlags = 0;
            rmtDisc = 0;
            rmtMinTx = 0;
        }
        statusChanged = true;
    }
}
