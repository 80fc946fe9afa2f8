package io.xvio.openflow;

import io.xvio.datapath.action.*;

import io.xvio.datapath.Flow;
import io.xvio.datapath.Match;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * One OpenFlow connection to a bridge: hello and version negotiation, then one message at a time, each answered
 * in order. A message that fails to decode or apply gets the OFPT_ERROR OVS would send and the connection goes
 * on; a header that cannot be trusted (length below 8, a first message that is not a hello, no common version)
 * ends the connection. Nothing a peer sends can throw out of {@link #run}.
 */
final class OfConnection implements Runnable {
    private static final Logger LOG = Logger.getLogger("xvio.openflow");

    /** The socket (BRIDGE.mgmt, tcp:, unix:) or TLS stream (ssl:, pssl:); null in codec tests. */
    private final ByteChannel ch;
    private final OfSwitch sw;
    private final String peer;
    private final long startedNanos;
    private int version = -1;
    private boolean nxm;               // NXT_SET_FLOW_FORMAT nxm (OpenFlow 1.0)
    private boolean tableIdExt;        // NXT_FLOW_MOD_TABLE_ID
    private int missSendLen = 128;
    int packetInFormat;
    /** Set when the replies of the last message are the last ones (no common version). */
    boolean closing;
    /** When the message being read started to arrive (0: between messages), for the endpoint's stall check. */
    private volatile long partialSince;
    private final long openedNanos = System.nanoTime();
    /** The bridge's connections (packet-ins, roles), or null (tests of the codec alone). */
    private final OfChannels channels;
    /** A controller xvio connected to (OVS's primary connection), not a client of BRIDGE.mgmt (a service one). */
    final boolean primary;
    /** OFPCR_ROLE_*: EQUAL, MASTER or SLAVE. */
    static final int ROLE_NOCHANGE = 0, ROLE_EQUAL = 1, ROLE_MASTER = 2, ROLE_SLAVE = 3;
    private volatile int role = ROLE_EQUAL;
    /** When the last message arrived, and when an inactivity probe went out unanswered (0: none). */
    volatile long lastReceivedNanos = System.nanoTime(), probeSentNanos;
    /** When the hello exchange ended (wall clock, ms; 0: not yet), and why the connection ended (first reason): Controller status. */
    volatile long connectedAtMillis;
    volatile String endReason;
    /** Whether the peer sent something after its hello (OVS's "admitted"): it counts as a working controller. */
    volatile boolean admitted;
    private final Object sendLock = new Object();
    /** Which asynchronous messages this connection takes (OVS's defaults for the version once negotiated). */
    private volatile AsyncConfig async = AsyncConfig.defaults(OfVersion.OF15);
    /** This connection's open bundles (discarded when it closes). */
    final Bundles bundles = new Bundles();
    /** How long a bundle may stay idle (OVS's bundle-idle-timeout); tests shorten it. */
    volatile long bundleIdleNanos = Bundles.IDLE_NANOS;

    OfConnection(ByteChannel ch, OfSwitch sw, String peer, long startedNanos) {
        this(ch, sw, peer, startedNanos, null, false);
    }

    OfConnection(ByteChannel ch, OfSwitch sw, String peer, long startedNanos, OfChannels channels, boolean primary) {
        this.ch = ch;
        this.sw = sw;
        this.peer = peer;
        this.startedNanos = startedNanos;
        this.channels = channels;
        this.primary = primary;
        if (!primary) missSendLen = 0;       // OVS: a service connection gets no packet-ins until it sets miss_send_len
        this.outbox = ch == null ? null : new Outbox(peer, this::send, this::abort);
    }

    int version() { return version; }
    boolean nxm() { return nxm; }
    int role() { return role; }

    /**
     * Whether packet-ins go to this connection (OVS's rules): the version is negotiated, the role is not slave, and a
     * BRIDGE.mgmt client asked for them with a non-zero miss_send_len.
     */
    boolean wantsPacketIns() {
        return takesAsync() && async.wantsAny(AsyncConfig.PACKET_IN, role == ROLE_SLAVE);
    }

    /** NXT_SET_CONTROLLER_ID's id (0 by default): packet-ins of controller actions with this id come here only. */
    volatile int controllerId;

    /**
     * Whether an asynchronous message of kind ({@link AsyncConfig}) for reason goes to this connection, as OVS's
     * ofconn_receives_async_msg: the version is negotiated, a BRIDGE.mgmt client set a non-zero miss_send_len, and
     * the connection's async config for its role has the reason.
     */
    boolean wantsAsync(int kind, int reason) {
        if (kind == AsyncConfig.PACKET_IN) reason = PacketIn.asyncReason(reason, version);
        return reason >= 0 && takesAsync() && async.wants(kind, reason, role == ROLE_SLAVE);
    }

    /**
     * Whether this connection makes table misses go to the controllers (OVS's update_want_packet_in_on_miss):
     * controller id 0 and OpenFlow 1.0-1.2, or no version yet.
     */
    boolean wantsMisses() { return controllerId == 0 && version < OfVersion.OF13; }

    private boolean takesAsync() { return version >= 0 && (primary || missSendLen != 0); }

    /**
     * Queues an asynchronous message (flow_removed, port status, an inactivity probe ...) for this connection's writer
     * ({@link Outbox}): the caller never waits on the peer. False if the connection is closed.
     */
    boolean sendAsync(byte[] m) {
        if (outbox == null) return unsent.add(m);      // a codec test's connection
        return outbox.offer(m);
    }

    /** The asynchronous messages waiting for the socket (null in codec tests). */
    private final Outbox outbox;
    /** A connection of a configured controller target (active, or accepted by a ptcp:/pssl: listener): rate limited. */
    volatile boolean controllerTarget;
    /** The packet-in schedulers (misses, actions) for the limits in force (null: unlimited); the OpenFlow thread's. */
    private PacketInScheduler[] schedulers;
    private Object schedulersFor;
    private long rateLimitDrops;
    /** The drop counts last logged, and when (the OpenFlow thread's). */
    private long loggedDrops, loggedNanos;
    private final java.util.function.Consumer<byte[]> toOutbox = this::queuePacketIn;

    private void queuePacketIn(byte[] m) {
        if (outbox != null) outbox.offerPacketIn(m);
        else unsent.add(m);                            // a codec test's connection
    }

    /**
     * A packet-in for this connection (the bridge's OpenFlow thread): through the rate limit of limits (null: none;
     * a connection that is not a configured controller's is never limited, as in OVS), then into the bounded outbox.
     */
    void packetIn(byte[] m, long inPort, int reason, long nowNanos, PacketInLimits limits) {
        PacketInScheduler[] s = schedulers(limits, nowNanos);
        if (s == null) toOutbox.accept(m);
        else s[PacketIn.isMiss(reason) ? 0 : 1].send(inPort, m, nowNanos, toOutbox);
    }

    /**
     * True if a packet-in for this connection would be dropped anyway (no rate limit, and 100 packet-ins wait): it is
     * counted as dropped and need not be encoded. With a rate limit, the scheduler decides (it drops the oldest).
     */
    boolean dropsPacketIn(long nowNanos, PacketInLimits limits) {
        return schedulers(limits, nowNanos) == null && outbox != null && outbox.dropIfFull();
    }

    /** Whether a packet-in would be taken now: a scheduler (rate limit) takes any, else the outbox while under 100. */
    boolean packetInRoom(PacketInLimits limits) {
        return outbox == null || schedulers(limits, System.nanoTime()) != null || outbox.hasRoom();
    }

    /** Sends what the rate limit lets out now (the OpenFlow thread, every millisecond). */
    void runSchedulers(long nowNanos, PacketInLimits limits) {
        PacketInScheduler[] s = schedulers(limits, nowNanos);
        if (s != null) for (PacketInScheduler p : s) p.run(nowNanos, toOutbox);
    }

    private PacketInScheduler[] schedulers(PacketInLimits limits, long now) {
        PacketInLimits l = primary || controllerTarget ? limits : null;
        if (l == schedulersFor) return schedulers;
        if (schedulers != null) for (PacketInScheduler p : schedulers) {          // limits changed: what waits goes on
            rateLimitDrops += p.dropped();
            p.flush(toOutbox);
        }
        schedulersFor = l;
        schedulers = l == null ? null : new PacketInScheduler[] {new PacketInScheduler(l.rate(), l.burst(), now), new PacketInScheduler(l.rate(), l.burst(), now)};
        return schedulers;
    }

    /** Packet-ins written to the socket, dropped because 100 waited, dropped by the rate limit (racy reads). */
    long packetInsSent() { return outbox == null ? 0 : outbox.sent(); }
    long packetInsDroppedQueueFull() { return outbox == null ? 0 : outbox.droppedQueueFull(); }
    long packetInsDroppedRateLimit() {
        long d = rateLimitDrops;
        PacketInScheduler[] s = schedulers;
        if (s != null) for (PacketInScheduler p : s) d += p.dropped();
        return d;
    }

    /** The packet-in counters as status text. */
    String packetInStatus() {
        return "packet-ins sent " + packetInsSent() + ", dropped " + packetInsDroppedQueueFull() + " (queue full) " + packetInsDroppedRateLimit() + " (rate limit)";
    }

    /** Logs new packet-in drops, at most once per 10 s per connection (the OpenFlow thread, every 100 ms). */
    void logDrops(long nowNanos) {
        long full = packetInsDroppedQueueFull(), rate = packetInsDroppedRateLimit(), d = full + rate;
        if (d == loggedDrops || (loggedNanos != 0 && nowNanos - loggedNanos < 10_000_000_000L)) return;
        LOG.warning(peer + ": " + (d - loggedDrops) + " packet-in(s) dropped" + (loggedDrops == 0 ? "" : " in the last " + (nowNanos - loggedNanos) / 1_000_000_000L + " s")
                + " (in all: " + full + " because 100 were queued for a slow controller, " + rate + " over the rate limit)");
        loggedDrops = d;
        loggedNanos = nowNanos;
    }

    /**
     * Another connection became master: this one is slave now (OVS demotes the old master) and is told so with a
     * role status message (1.3+), as OVS's ofconn_set_role.
     */
    void demote() {
        role = ROLE_SLAVE;
        byte[] m = RoleStatus.encode(version, ROLE_SLAVE, RoleStatus.REASON_MASTER_REQUEST, channels == null ? -1L : channels.electionId());
        if (m == null) return;
        LOG.info(peer + ": demoted to slave by another master; role status sent");
        if (ch == null) unsent.add(m);                // a codec test's connection
        else sendAsync(m);
    }

    /** Asynchronous messages of a connection without a socket (codec tests). */
    final List<byte[]> unsent = java.util.Collections.synchronizedList(new ArrayList<>());

    @Override
    public void run() {
        try (ch) {
            send(helloMessage(allowedVersions()));
            if (outbox != null) outbox.start();
            // messages are read as they come, many per read: consecutive flow adds in one read are applied together
            ByteBuffer in = ByteBuffer.allocate(2 * 65536);
            while (true) {
                if (ch.read(in) < 0) {
                    ended("End of file");
                    if (in.position() > 0) LOG.info(peer + ": closed in the middle of a message");
                    return;
                }
                in.flip();
                lastReceivedNanos = System.nanoTime();
                probeSentNanos = 0;
                List<byte[]> msgs = new ArrayList<>();
                while (in.remaining() >= 8) {
                    int len = in.getShort(in.position() + 2) & 0xffff;
                    if (len < 8) {
                        LOG.warning(peer + ": message length " + len + " is shorter than a header; closing");
                        closing = true;
                        break;
                    }
                    if (in.remaining() < len) break;
                    byte[] m = new byte[len];
                    in.get(m);
                    msgs.add(m);
                }
                in.compact();
                // the stall clock runs only while waiting for the rest of a message, not while this side works
                boolean partial = in.position() > 0, badHeader = closing;
                long since = partialSince;
                partialSince = 0;
                List<byte[]> replies = handleAll(msgs);
                if (replies == null) return;
                if (channels != null && channels.monitors.queues(this)) channels.monitors.send(this, replies);
                else for (byte[] r : replies) send(r);
                if (closing || badHeader) return;
                partialSince = !partial ? 0 : msgs.isEmpty() && since != 0 ? since : System.nanoTime();
            }
        } catch (IOException e) {
            ended(e.getMessage() != null ? e.getMessage() : e.toString());
            LOG.fine(peer + ": " + e.getMessage());
        } catch (InterruptedException e) {
            LOG.fine(peer + ": interrupted");
        } catch (RuntimeException e) {
            LOG.warning(peer + ": closing after an internal error: " + e);
        } finally {
            if (outbox != null) outbox.close();
            if (bundles.size() > 0) LOG.info(peer + ": closed with " + bundles.size() + " open bundle(s); discarded");
            bundles.clear();
        }
    }

    static byte[] helloMessage() { return helloMessage(OfVersion.BITMAP); }

    /** A hello offering the versions of bitmap (its highest in the header, as OVS); none: xvio's own set. */
    static byte[] helloMessage(int bitmap) {
        int offer = bitmap != 0 ? bitmap : OfVersion.BITMAP;
        Wire.Writer w = new Wire.Writer(31 - Integer.numberOfLeadingZeros(offer), OfType.HELLO, 0);
        w.u16(1).u16(8).u32(offer);
        return w.finish();
    }

    /** The versions this connection may negotiate: its bridge's (OVS's Bridge protocols), else all xvio speaks. */
    int allowedVersions() { return channels == null ? OfVersion.BITMAP : channels.versions(); }

    /** Records why the connection ends (the first reason given wins). */
    void ended(String why) {
        if (endReason == null) endReason = why;
    }

    /**
     * Sends a message of this connection's flow monitor queue (its own writer thread, which counts what the socket
     * took: so it writes, blocking, rather than queue); false if the connection failed.
     */
    boolean sendQueued(byte[] m) {
        if (ch == null) {                              // a codec test's connection
            unsent.add(m);
            return true;
        }
        try {
            send(m);
            return true;
        } catch (IOException e) {
            LOG.fine(peer + ": " + e.getMessage());
            abort();
            return false;
        }
    }

    private void send(byte[] m) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(m);
        synchronized (sendLock) {
            while (b.hasRemaining()) ch.write(b);
        }
    }

    /**
     * The replies to messages received together, in order; null to close. A run of plain flow adds (no
     * check_overlap, no buffer) is applied as one change of the bridge (one table publication), as the CLI's
     * add-flows is; any other message first applies the adds before it.
     */
    List<byte[]> handleAll(List<byte[]> msgs) {
        if (!TlvLengths.bound()) return TlvLengths.with(tlvLengths(), () -> handleAll(msgs));
        List<byte[]> out = new ArrayList<>();
        List<Flow> pending = new ArrayList<>();
        List<byte[]> pendingMsgs = new ArrayList<>();
        for (byte[] m : msgs) {
            FlowMod add = plainAdd(m);
            if (add != null) {
                Flow f = add.toFlow();
                pending.add(f);
                pendingMsgs.add(m);
                if (channels != null) channels.flowAdded(f, (add.flags() & FlowMod.SEND_FLOW_REM) != 0);
                continue;
            }
            addAll(pending, pendingMsgs, out);
            List<byte[]> r = handle(m);
            if (r == null) return null;
            out.addAll(r);
            if (closing) return out;
        }
        addAll(pending, pendingMsgs, out);
        return out;
    }

    /**
     * Adds the pending flows as one change; if the bridge refuses the batch (a flow names a group or meter that does
     * not exist), nothing of it was applied and each message is applied alone, so each refused one gets its error.
     */
    private void addAll(List<Flow> pending, List<byte[]> msgs, List<byte[]> out) {
        if (pending.isEmpty()) return;
        List<Flow> fs = List.copyOf(pending);
        List<byte[]> ms = List.copyOf(msgs);
        pending.clear();
        msgs.clear();
        try {
            sw.change(() -> {
                sw.addFlows(fs, addsResetCounts());
                if (channels != null && channels.monitors.active()) {
                    // the monitors' updates: one abbreviated update per request for this connection's own monitors
                    java.util.Map<Flow, Integer> xids = new java.util.IdentityHashMap<>();
                    for (int k = 0; k < fs.size(); k++) xids.put(fs.get(k), xidOf(ms.get(k)));
                    channels.monitors.sync(this, xids, xidOf(ms.getLast()), AsyncConfig.RR_DELETE);
                }
                return null;
            });
            LOG.fine(peer + ": added " + fs.size() + " flow(s)");
        } catch (OfError.Failure f) {
            for (byte[] m : ms) {
                List<byte[]> r = handle(m);
                if (r != null) out.addAll(r);
            }
        }
    }

    /** m decoded, if it is a valid flow add that can join a batch; else null (handle() answers it). */
    private void setFragMode(SwitchConfig cfg) {
        io.xvio.datapath.FragMode m = cfg.fragMode();
        if (m == null) LOG.warning(peer + ": " + sw.name() + ": unsupported fragment handling mode reassemble");
        else if (m != sw.fragMode() && !sw.setFragMode(m)) LOG.warning(peer + ": " + sw.name() + ": fragment handling cannot be set here");
        else LOG.fine(peer + ": " + sw.name() + ": fragment handling " + m.text);
    }

    /** Whether this connection's plain adds reset the counters of flows they replace: 1.0's always do (FlowMod.resetCounts). */
    private boolean addsResetCounts() { return version == OfVersion.OF10; }

    private FlowMod plainAdd(byte[] m) {
        if (version < 0 || (m[0] & 0xff) != version || role == ROLE_SLAVE) return null;
        int type = m[1] & 0xff;
        try {
            Wire.Reader r = new Wire.Reader(m);
            r.skip(8);
            FlowMod fm;
            if (type == OfType.FLOW_MOD) {
                fm = version == OfVersion.OF10 ? FlowModCodec.decode10(r, tableIdExt) : FlowModCodec.decode11(r, version);
            } else if (type == OfType.VENDOR && m.length >= 16 && r.u32() == OfVersion.NX_VENDOR && r.u32() == OfType.NXT_FLOW_MOD) {
                fm = FlowModCodec.decodeNx(r, tableIdExt);
            } else {
                return null;
            }
            if (fm.command() != FlowMod.ADD || (fm.flags() & FlowMod.CHECK_OVERLAP) != 0 || fm.bufferId() != FlowMod.NO_BUFFER) return null;
            if (fm.newCookie() == FlowMod.NO_COOKIE) return null;          // keeps an identical flow's cookie: FlowMods.apply
            if (fm.resetCounts() != addsResetCounts()) return null;     // a 1.3+ add with OFPFF_RESET_COUNTS goes alone
            CliCheck.check(fm);
            return fm;
        } catch (OfError.Failure f) {
            return null;
        }
    }

    /**
     * Why the endpoint should drop this connection now, or null: no hello within limitNanos of opening, or a
     * message that started to arrive limitNanos ago and is still incomplete (a stalled or slow-drip peer).
     */
    String stalled(long now, long limitNanos) {
        if (version < 0 && now - openedNanos > limitNanos) return "no hello";
        long p = partialSince;
        if (p != 0 && now - p > limitNanos) return "a message stalled half-sent";
        return null;
    }

    void abort() {
        if (ch == null) return;                      // a codec test's connection
        outbox.close();
        try { ch.close(); } catch (IOException ignored) { }
    }

    /** The bridge's Geneve option lengths, for tun_metadataN in matches and actions (read once per batch of messages). */
    private int[] tlvLengths() { return TlvLengths.of(sw.read(sw::tlvMappings)); }

    /** The replies to one message; null to close the connection. Visible for the codec tests. */
    List<byte[]> handle(byte[] msg) {
        if (!TlvLengths.bound()) return TlvLengths.with(tlvLengths(), () -> handle(msg));
        int v = msg[0] & 0xff, type = msg[1] & 0xff;
        long xidL = ((msg[4] & 0xffL) << 24) | ((msg[5] & 0xff) << 16) | ((msg[6] & 0xff) << 8) | (msg[7] & 0xff);
        int xid = (int) xidL;
        if (version < 0) {
            List<byte[]> r = hello(msg, v, type, xid);
            if (version >= 0 && channels != null) channels.changed();
            return r;
        }
        if (type != OfType.HELLO && !admitted) {
            admitted = true;
            if (channels != null) channels.changed();
        }
        if (v != version) {
            LOG.info(peer + ": message of " + OfVersion.name(v) + " on a " + OfVersion.name(version) + " connection");
            return List.of(OfError.BAD_VERSION.encode(version, xid, msg));
        }
        try {
            if (!pipelined(type, msg)) sw.settle();
            Wire.Reader r = new Wire.Reader(msg);
            r.skip(8);
            if (channels != null && channels.monitors.active() && mayChange(type)) {
                // a change and the monitor updates it causes, attributed to this request, under one command lock
                int reason = type == OfType.GROUP_MOD && version != OfVersion.OF10 ? AsyncConfig.RR_GROUP_DELETE
                        : type == OfType.METER_MOD ? AsyncConfig.RR_METER_DELETE : AsyncConfig.RR_DELETE;
                return sw.change(() -> {
                    List<byte[]> out = dispatch(type, xid, r, msg);
                    channels.monitors.sync(this, xid, reason);
                    return out;
                });
            }
            return dispatch(type, xid, r, msg);
        } catch (OfError.Failure f) {
            LOG.info(peer + ": " + OfVersion.name(version) + " message type " + type + " rejected (" + f.error + "): " + f.getMessage());
            return List.of(f.error.encode(version, xid, msg));
        }
    }

    private List<byte[]> hello(byte[] msg, int v, int type, int xid) {
        if (type != OfType.HELLO) {
            LOG.warning(peer + ": first message is type " + type + ", not a hello; closing");
            return null;
        }
        int common = -1;
        Integer bitmap = null;
        try {
            Wire.Reader r = new Wire.Reader(msg);
            r.skip(8);
            while (r.remaining() >= 4) {
                int et = r.u16(), el = r.u16();
                if (el < 4) break;
                Wire.Reader e = r.sub(Math.min(el - 4, r.remaining()), OfError.BAD_LEN, "hello element");
                r.skip(Math.min((8 - el % 8) % 8, r.remaining()));
                if (et == 1 && e.remaining() >= 4) bitmap = e.s32();
            }
        } catch (OfError.Failure ignored) {
            // a malformed element: negotiate from the header's version alone, as OVS does
        }
        int allowed = allowedVersions();
        if (bitmap != null) {
            int both = bitmap & allowed;
            common = both == 0 ? -1 : 31 - Integer.numberOfLeadingZeros(both);
        } else {
            for (int c = Math.min(v, OfVersion.OF15); c >= OfVersion.OF10; c--) if ((allowed & (1 << c)) != 0) { common = c; break; }
        }
        if (common < 0) {
            LOG.warning(peer + ": no common OpenFlow version (peer offers " + (bitmap != null ? "bitmap 0x" + Integer.toHexString(bitmap) : OfVersion.name(v)) + "); closing");
            Wire.Writer w = new Wire.Writer(Math.max(OfVersion.OF10, Math.min(v, OfVersion.OF15)), OfType.ERROR, xid);
            w.u16(0).u16(0).bytes(supportText(allowed).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            ended("version negotiation failed");
            closing = true;
            return List.of(w.finish());
        }
        version = common;
        connectedAtMillis = System.currentTimeMillis();
        async = AsyncConfig.defaults(common);
        LOG.fine(peer + ": " + OfVersion.name(version) + " negotiated");
        return List.of();
    }

    /** "We support versions 0x01, 0x04, 0x05 and 0x06" for the versions of bitmap. */
    static String supportText(int bitmap) {
        List<String> v = new ArrayList<>();
        for (int c = 1; c < 32; c++) if ((bitmap & (1 << c)) != 0) v.add(String.format("0x%02x", c));
        if (v.isEmpty()) return "We support no version";
        if (v.size() == 1) return "We support version " + v.getFirst();
        return "We support versions " + String.join(", ", v.subList(0, v.size() - 1)) + " and " + v.getLast();
    }

    /**
     * Messages that need not wait for the packet-outs before them ({@link OfSwitch#settle}): packet-outs and resumes
     * themselves (they run in order) and echoes.
     */
    private static boolean pipelined(int type, byte[] msg) {
        return type == OfType.PACKET_OUT || type == OfType.ECHO_REQUEST || type == OfType.ECHO_REPLY
                || type == OfType.VENDOR && msg.length >= 16 && (msg[12] | msg[13] | msg[14]) == 0 && msg[15] == Resume.NXT_RESUME;
    }

    /** Message types that may change the flow tables (flow_mod, group_mod, meter_mod, bundles, Nicira's and ONF's). */
    private static boolean mayChange(int type) {
        return type == OfType.FLOW_MOD || type == OfType.VENDOR || type == OfType.GROUP_MOD || type == OfType.METER_MOD
                || type == OfType.BUNDLE_CONTROL;
    }

    /** A flow monitor request (NXST 1.0, ONFST 1.3, OFPMP 1.4+): see {@link FlowMonitors#request}. */
    private List<byte[]> monitorRequest(byte[] msg, int xid) {
        if (channels == null) throw OfError.BAD_STAT.fail("flow monitors need the bridge's OpenFlow channels");
        List<byte[]> r = channels.monitors.request(this, msg, xid);
        LOG.fine(peer + ": flow monitor request");
        return r;
    }

    private List<byte[]> dispatch(int type, int xid, Wire.Reader r, byte[] msg) {
        boolean of10 = version == OfVersion.OF10;
        switch (type) {
            case OfType.HELLO, OfType.ECHO_REPLY -> { return List.of(); }
            case OfType.ERROR -> {
                LOG.info(peer + ": peer sent an error " + (r.remaining() >= 4 ? r.u16() + "/" + r.u16() : ""));
                return List.of();
            }
            case OfType.ECHO_REQUEST -> {
                Wire.Writer w = new Wire.Writer(version, OfType.ECHO_REPLY, xid);
                w.bytes(msg, 8, msg.length - 8);
                return List.of(w.finish());
            }
            case OfType.FEATURES_REQUEST -> { return List.of(features(xid)); }
            case OfType.GET_CONFIG_REQUEST -> {
                // invalid_ttl_to_controller is the async mask's bit, as OVS's ofconn_get_invalid_ttl_to_controller
                return List.of(SwitchConfig.reply(version, xid, sw.fragMode(), async.wants(AsyncConfig.PACKET_IN, 2, false), missSendLen));
            }
            case OfType.SET_CONFIG -> {
                SwitchConfig cfg = SwitchConfig.decode(r, version);
                // the bridge's fragment handling, which a slave controller does not change (OVS's handle_set_config)
                if (!primary || role != ROLE_SLAVE) setFragMode(cfg);
                missSendLen = cfg.missSendLen();
                // OFPC_INVALID_TTL_TO_CONTROLLER (1.0-1.2): packet-ins of reason invalid_ttl, as OVS's async mask bit
                if (cfg.invalidTtl() >= 0) async.setInvalidTtl(cfg.invalidTtl() > 0);
                if (channels != null) channels.changed();
                return List.of();
            }
            case OfType.PACKET_OUT -> {
                PacketOut po = PacketOut.decode(r, version);
                notSlave();
                PacketOutCheck.check(po);
                sw.read(() -> { PacketOutCheck.checkReferences(po, sw); return null; });
                sw.packetOut(po.inPort(), po.metadata(), po.data(), po.actions());
                LOG.fine(peer + ": " + po);
                return List.of();
            }
            case OfType.FLOW_MOD -> {
                notSlave();
                FlowMod fm = of10 ? FlowModCodec.decode10(r, tableIdExt) : FlowModCodec.decode11(r, version);
                apply(fm);
                return List.of();
            }
            case OfType.VENDOR -> { return vendor(xid, r, msg); }
            default -> { }
        }
        if (version >= OfVersion.OF14 && (type == OfType.BUNDLE_CONTROL || type == OfType.BUNDLE_ADD_MESSAGE)) return bundle(type == OfType.BUNDLE_CONTROL, xid, r, msg);
        if (!of10 && type == OfType.ROLE_REQUEST) return List.of(roleRequest(xid, r));
        if (!of10 && type == OfType.SET_ASYNC) {
            if (version < OfVersion.OF14) async.setLegacy(r, version);
            else async.setProperties(r, version);
            if (channels != null) channels.changed();
            return List.of();
        }
        if (!of10 && type == OfType.GET_ASYNC_REQUEST) return List.of(async.reply(version, xid));
        if (!of10 && type == OfType.GROUP_MOD) {
            notSlave();
            GroupMod gm = GroupMod.decode(r, version);
            List<Flow> gone = new ArrayList<>();
            LOG.fine(peer + ": " + OfGroups.apply(gm, sw, gone));
            if (channels != null) channels.flowsRemoved(gone, AsyncConfig.RR_GROUP_DELETE);
            return List.of();
        }
        if (!of10 && type == OfType.METER_MOD) {
            notSlave();
            MeterMod mm = MeterMod.decode(r, version);
            List<Flow> gone = new ArrayList<>();
            LOG.fine(peer + ": " + mm.apply(sw, gone));
            if (channels != null) channels.flowsRemoved(gone, AsyncConfig.RR_METER_DELETE);
            return List.of();
        }
        if (of10 ? type == OfType.OF10_BARRIER_REQUEST : type == OfType.BARRIER_REQUEST)
            return List.of(new Wire.Writer(version, of10 ? OfType.OF10_BARRIER_REPLY : OfType.BARRIER_REPLY, xid).finish());
        if (of10 ? type == OfType.OF10_STATS_REQUEST : type == OfType.MULTIPART_REQUEST)
            return FlowMonitor.isRequest(version, msg) ? monitorRequest(msg, xid) : stats(xid, r);
        throw OfError.BAD_TYPE.fail("message type " + type + " is not supported by xvio");
    }

    private byte[] features(int xid) {
        Wire.Writer w = new Wire.Writer(version, OfType.FEATURES_REPLY, xid);
        w.u64(channels != null ? channels.datapathId() : OfEndpoint.datapathId(sw.name())).u32(0).u8(OfStats.TABLES);
        if (version == OfVersion.OF10) {
            w.zeros(3).u32(0x87).u32(0x7ff);
            for (OfSwitch.PortInfo p : sw.read(sw::ports)) w.bytes(OfStats.portDesc(p, version));
        } else {
            w.u8(0).zeros(2).u32(0x7).u32(0);
        }
        return w.finish();
    }

    private List<byte[]> vendor(int xid, Wire.Reader r, byte[] msg) {
        long vendor = r.u32();
        if (vendor == OfError.ONF_VENDOR) return onf(xid, r, msg);
        if (vendor != OfVersion.NX_VENDOR) throw OfError.BAD_VENDOR.fail("vendor 0x" + Long.toHexString(vendor) + " is not supported");
        long sub = r.u32();
        switch ((int) sub) {
            case OfType.NXT_SET_FLOW_FORMAT -> {
                long f = r.u32();
                if (f != 0 && f != 2) throw OfError.BAD_SUBTYPE.fail("flow format " + f + " (0: OpenFlow 1.0, 2: NXM)");
                nxm = f == 2;
                return List.of();
            }
            case OfType.NXT_FLOW_MOD_TABLE_ID -> {
                tableIdExt = r.u8() != 0;
                return List.of();
            }
            case OfType.NXT_SET_PACKET_IN_FORMAT -> {
                long f = r.u32();
                if (f > 2) throw OfError.BAD_SUBTYPE.fail("packet-in format " + f);
                packetInFormat = (int) f;
                return List.of();
            }
            case OfType.NXT_SET_CONTROLLER_ID -> {           // nx_controller_id: 6 zero bytes, the id
                if (r.remaining() != 8) throw OfError.BAD_LEN.fail("NXT_SET_CONTROLLER_ID of " + r.remaining() + " bytes (8)");
                r.skip(6);
                controllerId = r.u16();
                if (channels != null) channels.changed();     // whether table misses go to the controllers
                return List.of();
            }
            case OfType.NXT_SET_ASYNC_CONFIG -> {
                async.setLegacy(r, version);
                if (channels != null) channels.changed();
                return List.of();
            }
            case OfType.NXT_SET_ASYNC_CONFIG2 -> {
                // OVS: Nicira's property form of set_async, for OpenFlow 1.0-1.3 (1.4+ has OFPT_SET_ASYNC for it)
                if (version >= OfVersion.OF14) throw OfError.BAD_SUBTYPE.fail("NXT_SET_ASYNC_CONFIG2 in " + OfVersion.name(version));
                async.setProperties(r, version);
                if (channels != null) channels.changed();
                return List.of();
            }
            case OfType.NXT_ROLE_REQUEST -> {
                long nx = r.u32();
                if (nx > 2) throw OfError.BAD_ROLE.fail("Nicira role " + nx);
                setRole(nx == 0 ? ROLE_EQUAL : nx == 1 ? ROLE_MASTER : ROLE_SLAVE);
                int cur = role;
                Wire.Writer w = new Wire.Writer(version, OfType.VENDOR, xid);
                w.u32(OfVersion.NX_VENDOR).u32(OfType.NXT_ROLE_REPLY).u32(cur == ROLE_EQUAL ? 0 : cur == ROLE_MASTER ? 1 : 2);
                return List.of(w.finish());
            }
            case OfType.NXT_FLOW_MOD -> {
                notSlave();
                apply(FlowModCodec.decodeNx(r, tableIdExt));
                return List.of();
            }
            case Resume.NXT_RESUME -> {
                // decoded and checked as untrusted input; only a continuation this bridge made in this run resumes,
                // as a packet-out of its actions with the metadata the controller sent back
                notSlave();
                Resume res = Resume.decode(r, version);
                Continuation c = res.continuation();
                if (!c.from(sw.name())) throw OfError.NXR_STALE.fail("continuation not made by bridge " + sw.name() + " in this run of xvio");
                if (!c.actionSet().isEmpty()) throw OfError.NXR_NOT_SUPPORTED.fail("continuation with an action set");
                List<io.xvio.datapath.Paused.Frame> frames = new java.util.ArrayList<>();
                for (Continuation.Frame f : c.frames()) frames.add(new io.xvio.datapath.Paused.Frame(f.table(), f.cookie(), f.actions()));
                long[] stack = new long[c.stack().size()];
                for (int k = 0; k < stack.length; k++) stack[k] = c.stack().get(k);
                int inPort = (int) io.xvio.datapath.Field.IN_PORT.get(res.metadata().value(io.xvio.packet.FlowKey.IN_PORT));
                sw.resume(inPort, res.packet(), res.metadata(), stack, frames);
                LOG.fine(peer + ": NXT_RESUME of " + res.packet().length + " bytes, " + frames.size() + " unrolled action lists");
                return List.of();
            }
            case FlowMonitor.NXT_FLOW_MONITOR_CANCEL -> {
                // OVS: NXT 1.0-1.2; OpenFlow 1.3 has ONF's, 1.4+ a monitor request with the DELETE command
                if (version != OfVersion.OF10 || channels == null) throw OfError.BAD_SUBTYPE.fail("NXT_FLOW_MONITOR_CANCEL in " + OfVersion.name(version));
                channels.monitors.cancel(this, FlowMonitor.decodeCancel(r));
                return List.of();
            }
            case TlvTable.NXT_TLV_TABLE_REQUEST -> {
                // OVS: the request has no body; anything after the subtype is OFPBRC_BAD_LEN
                if (r.remaining() != 0) throw OfError.BAD_LEN.fail("NXT_TLV_TABLE_REQUEST with a body of " + r.remaining() + " bytes");
                return List.of(TlvTable.encodeReply(version, xid, TlvTable.MAX_SPACE, TlvTable.MAX_FIELDS, sw.read(sw::tlvMappings)));
            }
            case TlvTable.NXT_TLV_TABLE_MOD -> {
                notSlave();
                TlvTable.Mod mod = TlvTable.decodeMod(r);
                sw.tlvTableMod(mod.command(), mod.mappings());
                TlvLengths.update(tlvLengths());             // the messages after it in this batch see the new map
                LOG.fine(peer + ": NXT_TLV_TABLE_MOD command " + mod.command() + " " + mod.mappings());
                return List.of();
            }
            case OfType.NXT_CT_FLUSH_ZONE -> {
                // nx_zone_id: 6 bytes that must be zero, the zone (OVS: NXBRC_MUST_BE_ZERO otherwise)
                for (int k = 0; k < 6; k++) if (r.u8() != 0) throw OfError.MUST_BE_ZERO.fail("NXT_CT_FLUSH_ZONE: nonzero padding");
                int zone = r.u16();
                sw.ctFlushZone(zone);
                return List.of();
            }
            default -> throw OfError.BAD_SUBTYPE.fail("Nicira message subtype " + sub + " is not supported by xvio");
        }
    }

    /** ONF's experimenter messages: OpenFlow 1.3's bundle extension (OVS knows no other, nor them in other versions). */
    private List<byte[]> onf(int xid, Wire.Reader r, byte[] msg) {
        long sub = r.u32();
        if (version == OfVersion.OF13 && sub == FlowMonitor.ONF_FLOW_MONITOR && channels != null) {
            channels.monitors.cancel(this, FlowMonitor.decodeCancel(r));     // ONFT_FLOW_MONITOR_CANCEL
            return List.of();
        }
        if (version != OfVersion.OF13 || (sub != BundleMsg.ONFT_BUNDLE_CONTROL && sub != BundleMsg.ONFT_BUNDLE_ADD_MESSAGE))
            throw OfError.BAD_SUBTYPE.fail("ONF experimenter message " + sub + " in " + OfVersion.name(version));
        return bundle(sub == BundleMsg.ONFT_BUNDLE_CONTROL, xid, r, msg);
    }

    /**
     * The match a bundled flow_mod is decoded into when it is added, to check it, and at the commit, before it is
     * copied ({@link Match#sharedCopy}): a 100,000-flow bundle made 150 MB of garbage otherwise. Only this
     * connection's thread uses it.
     */
    private final Match checkScratch = new Match();

    /** A bundle control or add message, r at its body ({@link Bundles}, {@link BundleCommit}). */
    private List<byte[]> bundle(boolean control, int xid, Wire.Reader r, byte[] msg) {
        notSlave();
        long now = System.nanoTime();
        if (!control) {
            BundleMsg.Add a = BundleMsg.decodeAdd(r, msg);
            Object m = decodeBundled(msg, a.innerAt(), a.innerLength(), checkScratch);
            if (m instanceof FlowMod fm && fm.command() < FlowMod.DELETE) CliCheck.check(fm);
            else if (m instanceof PacketOut po) PacketOutCheck.check(po);
            bundles.add(a.id(), a.flags(), msg, a.innerAt(), a.innerLength(), now);
            return List.of();
        }
        BundleMsg.Control c = BundleMsg.decodeControl(r);
        switch (c.type()) {
            case BundleMsg.OPEN_REQUEST -> bundles.open(c.id(), c.flags(), msg, now);
            case BundleMsg.CLOSE_REQUEST -> bundles.close(c.id(), c.flags(), now);
            case BundleMsg.DISCARD_REQUEST -> bundles.discard(c.id());
            case BundleMsg.COMMIT_REQUEST -> {
                Bundles.Bundle b = bundles.take(c.id());
                if (b.flags != c.flags()) throw OfError.BUNDLE_BAD_FLAGS.fail("bundle " + Bundles.hex(c.id()) + " has flags " + b.flags + ", the commit " + c.flags() + "; it is discarded");
                BundleCommit.Outcome o = BundleCommit.run(b, sw, e -> {
                    Object m = decodeBundled(e.add(), e.innerAt(), e.innerLength(), checkScratch);
                    return m instanceof FlowMod fm ? fm.withMatch(fm.match().sharedCopy()) : m;
                }, events());
                if (!o.ok()) {
                    LOG.info(peer + ": bundle " + Bundles.hex(c.id()) + " not committed, nothing of it applied: " + o.failure().getMessage());
                    List<byte[]> out = new ArrayList<>();
                    byte[] failed = o.failedAdd() == null ? msg : o.failedAdd();
                    out.add(o.failure().error.encode(version, xidOf(failed), failed));
                    out.add(OfError.BUNDLE_MSG_FAILED.encode(version, xid, msg));
                    return out;
                }
                for (Runnable e : o.events()) e.run();
                for (PacketOut po : o.packetOuts()) sw.packetOut(po.inPort(), po.metadata(), po.data(), po.actions());
                sw.settle();                                // the commit reply comes after its packet-outs ran
                LOG.fine(peer + ": bundle " + Bundles.hex(c.id()) + " committed: " + o.applied() + " message(s) in one table publication");
            }
            default -> throw OfError.BUNDLE_BAD_TYPE.fail("bundle control " + BundleMsg.typeName(c.type()));
        }
        return List.of(BundleMsg.control(version, xid, new BundleMsg.Control(c.id(), c.type() + 1, 0)));
    }

    /** A bundled message decoded as it would be alone: a flow_mod, group_mod or packet_out (else OFPBFC_MSG_UNSUP). */
    private Object decodeBundled(byte[] msg, int at, int length, Match scratch) {
        int type = msg[at + 1] & 0xff;
        Wire.Reader r = new Wire.Reader(msg, at, at + length, OfError.BAD_LEN);
        r.skip(8);
        switch (type) {
            case OfType.FLOW_MOD -> { return FlowModCodec.decode11(r, version, scratch); }
            case OfType.GROUP_MOD -> { return GroupMod.decode(r, version); }
            case OfType.PACKET_OUT -> { return PacketOut.decode(r, version); }
            case OfType.VENDOR -> {
                if (length >= 16 && r.u32() == OfVersion.NX_VENDOR && r.u32() == OfType.NXT_FLOW_MOD) return FlowModCodec.decodeNx(r, tableIdExt);
            }
            default -> { }
        }
        throw OfError.BUNDLE_MSG_UNSUP.fail("message type " + type + " cannot go in a bundle (flow_mod, group_mod and packet_out can)");
    }

    static int xidOf(byte[] m) { return ((m[4] & 0xff) << 24) | ((m[5] & 0xff) << 16) | ((m[6] & 0xff) << 8) | (m[7] & 0xff); }

    /** Drops the bundles idle for {@link #bundleIdleNanos}, each with OFPBFC_TIMEOUT (as OVS's bundle_remove_expired). */
    void expireBundles(long now) {
        for (byte[] e : expiredBundles(now, bundleIdleNanos)) if (!sendAsync(e)) return;
    }

    /** The OFPBFC_TIMEOUT errors for the bundles idle for idleNanos, which are gone. */
    List<byte[]> expiredBundles(long now, long idleNanos) {
        List<byte[]> out = new ArrayList<>();
        for (Bundles.Bundle b : bundles.expired(now, idleNanos)) {
            LOG.info(peer + ": bundle " + Bundles.hex(b.id) + " idle for " + idleNanos / 1_000_000L + " ms; discarded (OFPBFC_TIMEOUT)");
            out.add(OfError.BUNDLE_TIMEOUT.encode(version, xidOf(b.opener), b.opener));
        }
        return out;
    }

    /** A slave controller may read but not change the switch (OFPBRC_IS_SLAVE, as OVS). */
    private void notSlave() {
        if (role == ROLE_SLAVE) throw OfError.IS_SLAVE.fail("this connection is a slave controller");
    }

    /**
     * OFPT_ROLE_REQUEST (1.2+) as OVS answers it: master and slave requests carry a generation id that must not be
     * older than the last one seen (OFPRRFC_STALE); a new master makes the old one slave; the reply tells the role now.
     */
    private byte[] roleRequest(int xid, Wire.Reader r) {
        long want = r.u32();
        r.skip(4);
        long gen = r.u64();
        if (want > ROLE_SLAVE) throw OfError.BAD_ROLE.fail("role " + want);
        if (want == ROLE_MASTER || want == ROLE_SLAVE) {
            if (channels != null && !channels.election(gen)) throw OfError.ROLE_STALE.fail("generation id " + Long.toUnsignedString(gen) + " is stale");
        }
        if (want != ROLE_NOCHANGE) setRole((int) want);
        Wire.Writer w = new Wire.Writer(version, OfType.ROLE_REPLY, xid);
        long cur = channels == null ? -1L : channels.electionId();
        w.u32(role).zeros(4).u64(cur);
        return w.finish();
    }

    private void setRole(int r) {
        if (r == ROLE_MASTER && channels != null) channels.newMaster(this);
        if (role != r) LOG.info(peer + ": role " + (r == ROLE_MASTER ? "master" : r == ROLE_SLAVE ? "slave" : "equal"));
        role = r;
        if (channels != null) channels.changed();
    }

    /** Applies a flow_mod to the bridge as the CLI's flow commands do, under the daemon's command lock. */
    private void apply(FlowMod fm) {
        LOG.fine(peer + ": " + FlowMods.apply(fm, sw, events()));
    }

    /** The flow_removed bookkeeping of this bridge's connections (none without channels). */
    private FlowMods.Events events() {
        if (channels == null) return FlowMods.Events.NONE;
        return new FlowMods.Events() {
            @Override public void flowAdded(Flow f, boolean sendFlowRemoved) { channels.flowAdded(f, sendFlowRemoved); }
            @Override public void flowsRemoved(List<Flow> flows, int reason) { channels.flowsRemoved(flows, reason); }
        };
    }

    private List<byte[]> stats(int xid, Wire.Reader r) {
        int type = r.u16();
        r.u16();                                   // request flags (REQ_MORE is not used by xvio's peers)
        if (version != OfVersion.OF10) r.skip(4);
        long now = System.nanoTime();
        switch (type) {
            case OfType.MP_DESC -> { return List.of(OfStats.desc(version, xid, sw.name())); }
            case OfType.MP_FLOW, OfType.MP_AGGREGATE -> {
                OfStats.Selection s = version == OfVersion.OF10 ? OfStats.selection10(r) : OfStats.selection11(r);
                List<Flow> fs = OfStats.selected(sw.read(sw::flows), s);
                OfStats.Replies out = OfStats.replies(version, xid, type);
                if (type == OfType.MP_FLOW) for (Flow f : fs) out.add(OfStats.flowEntry(f, version, false, now));
                else out.add(OfStats.aggregateBody(fs, version));
                return out.finish();
            }
            case OfType.MP_TABLE -> {
                List<Flow> fs = sw.read(sw::flows);
                int[] count = new int[OfStats.TABLES];
                for (Flow f : fs) if (f.table < count.length) count[f.table]++;
                OfStats.Replies out = OfStats.replies(version, xid, type);
                for (int t = 0; t < OfStats.TABLES; t++) out.add(OfStats.tableEntry(t, count[t], version));
                return out.finish();
            }
            case OfType.MP_TABLE_FEATURES -> {
                if (version == OfVersion.OF10) throw OfError.BAD_STAT.fail("stats type 12 in OpenFlow 1.0");
                if (r.remaining() > 0) throw OfError.BAD_STAT.fail("setting table features is not supported by xvio");
                OfStats.Replies out = OfStats.replies(version, xid, type);
                for (int t = 0; t < OfStats.TABLES; t++) out.add(OfStats.tableFeatures(t, version));
                return out.finish();
            }
            case OfType.MP_PORT_STATS -> {
                int port = Ports.read(r, version);
                OfStats.Replies out = OfStats.replies(version, xid, type);
                boolean any = port == Ports.NONE;
                for (OfSwitch.PortInfo p : sw.read(sw::ports))
                    if (any || p.ofport() == port) out.add(OfStats.portStats(p, version, now - startedNanos));
                return out.finish();
            }
            case OfType.MP_PORT_DESC -> {
                OfStats.Replies out = OfStats.replies(version, xid, type);
                for (OfSwitch.PortInfo p : sw.read(sw::ports)) out.add(OfStats.portDesc(p, version));
                return out.finish();
            }
            case OfType.MP_VENDOR -> { return nxStats(xid, r, now); }
            case OfType.MP_GROUP, OfType.MP_GROUP_DESC, OfType.MP_GROUP_FEATURES -> { return groupStats(type, xid, r, now); }
            case OfType.MP_METER, OfType.MP_METER_CONFIG, OfType.MP_METER_FEATURES -> { return meterStats(type, xid, r, now); }
            default -> throw OfError.BAD_STAT.fail("multipart type " + type + " is not supported by xvio");
        }
    }

    private List<byte[]> groupStats(int type, int xid, Wire.Reader r, long now) {
        if (version == OfVersion.OF10) throw OfError.BAD_STAT.fail("stats type " + type + " in OpenFlow 1.0");
        OfStats.Replies out = OfStats.replies(version, xid, type);
        if (type == OfType.MP_GROUP_FEATURES) {
            out.add(GroupStats.features());
            return out.finish();
        }
        long id = GroupStats.requestedGroup(r, version, type == OfType.MP_GROUP_DESC);
        List<io.xvio.datapath.Group> gs = GroupStats.selected(sw.read(sw::groups), id);
        List<Flow> flows = type == OfType.MP_GROUP ? sw.read(sw::flows) : List.of();
        for (io.xvio.datapath.Group g : gs)
            out.add(type == OfType.MP_GROUP_DESC ? GroupStats.desc(g, version) : GroupStats.stats(g, GroupStats.refCount(flows, g.id), version, now));
        return out.finish();
    }

    private List<byte[]> meterStats(int type, int xid, Wire.Reader r, long now) {
        if (version < OfVersion.OF13) throw OfError.BAD_STAT.fail("stats type " + type + " in " + OfVersion.name(version));
        OfStats.Replies out = OfStats.replies(version, xid, type);
        if (type == OfType.MP_METER_FEATURES) {
            out.add(MeterStats.features());
            return out.finish();
        }
        long id = MeterStats.requestedMeter(r);
        List<io.xvio.datapath.meter.LiveMeter> ms = MeterStats.selected(sw.read(sw::meters), id);
        // as OVS's handle_meter_request: a meter that does not exist is an error, not an empty reply
        if (ms.isEmpty() && id != MeterMod.ALL) throw OfError.UNKNOWN_METER.fail("meter " + id + " does not exist");
        java.util.Map<Long, Integer> named = type == OfType.MP_METER ? io.xvio.datapath.ActionOutputs.meterFlowCounts(sw.read(sw::flows)) : java.util.Map.of();
        for (io.xvio.datapath.meter.LiveMeter m : ms)
            out.add(type == OfType.MP_METER_CONFIG ? MeterStats.config(m.config()) : MeterStats.stats(m, named.getOrDefault(m.id(), 0), now));
        return out.finish();
    }

    private List<byte[]> nxStats(int xid, Wire.Reader r, long now) {
        long vendor = r.u32();
        if (vendor != OfVersion.NX_VENDOR) throw OfError.BAD_VENDOR.fail("stats vendor 0x" + Long.toHexString(vendor));
        long sub = r.u32();
        r.skip(4);
        if (sub != OfType.NXST_FLOW && sub != OfType.NXST_AGGREGATE) throw OfError.BAD_SUBTYPE.fail("Nicira stats subtype " + sub + " is not supported by xvio");
        OfStats.Selection s = OfStats.selectionNx(r);
        List<Flow> fs = OfStats.selected(sw.read(sw::flows), s);
        OfStats.Replies out = new OfStats.Replies(version, xid, OfType.MP_VENDOR, sub);
        if (sub == OfType.NXST_FLOW) for (Flow f : fs) out.add(OfStats.flowEntry(f, version, true, now));
        else out.add(OfStats.aggregateBody(fs, OfVersion.OF10));
        return out.finish();
    }

    String peer() { return peer; }

    List<String> state() { return new ArrayList<>(List.of(OfVersion.name(version), nxm ? "nxm" : "openflow10")); }
}
