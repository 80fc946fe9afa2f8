package io.xvio.control;

import io.xvio.port.CaptureRing;
import io.xvio.port.Port;
import io.xvio.sys.Fd;
import io.xvio.sys.UnixSocket;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.ValueLayout;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * The daemon's running captures (`xvio capture`). A capture is a {@link CaptureRing} on one port's receive and/or
 * transmit tap, filled by the PMD threads. Two ways out of the ring:
 * <ul>
 * <li>Streamed ({@link CaptureStream}): the client asks with "fd" as last argument; the answer "fd ID" tells it to
 *   pass its output's descriptor over the same connection (SCM_RIGHTS), and the capture's own thread writes the
 *   pcap into it, allocating nothing; the connection's last reply is the summary. The capture keeps a dup of the
 *   connection's descriptor (the control server's sockets are xvio's own, {@link ControlServer#CONNECTION}).</li>
 * <li>Polled (the fallback, and what an older client asks for): the client drains the ring by polling
 *   (`capture-read`, every 100 ms or so: the control connection's thread takes the ring's frames and answers them as
 *   pcap bytes, base64; this allocates, so a long capture causes GCs) and ends it with `capture-stop`. A capture
 *   whose client stops polling for {@link #LEASE_NANOS} (killed, gone) is ended by the lease thread, so nothing is
 *   left on the port. A client that asked for "fd" but is answered "poll ID" falls back to this.</li>
 * </ul>
 * Several captures may run at once, on one port too (each has its own ring and sees every frame).
 *
 * <pre>
 * capture-start PORT rx|tx|both SNAPLEN COUNT nano|micro [fd]  -> ID, or "fd ID" / "poll ID" when fd was asked
 * capture-read ID                                          -> "CAPTURED DROPPED running|done\n" BASE64-PCAP-BYTES
 * capture-stop ID                                          -> "N captured, M dropped by the capture ring"
 * </pre>
 */
final class Captures {
    private static final Logger LOG = Logger.getLogger("xvio.capture");
    static final int RING_BYTES = 8 << 20;
    static final int MAX_SNAPLEN = 262144;
    static final long LEASE_NANOS = 5_000_000_000L;
    /** Most pcap bytes one read answers (the rest waits in the ring for the next read). */
    static final int READ_BYTES = 4 << 20;
    private static final int MAX_CAPTURES = 16;

    private final Map<Integer, Session> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private volatile Thread leases;

    /** A capture; stream is null for a polled one. */
    private static final class Session {
        final int id;
        final Port port;
        final CaptureRing ring;
        final long count;
        final boolean nano;
        final long wallBase = epochNanos(), monoBase = System.nanoTime();
        final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        PcapWriter pcap;
        CaptureStream stream;
        long captured;
        volatile long lastPoll = System.nanoTime();
        boolean done;

        Session(int id, Port port, CaptureRing ring, long count, boolean nano) {
            this.id = id;
            this.port = port;
            this.ring = ring;
            this.count = count;
            this.nano = nano;
        }

        String name() { return "capture " + id + " on port " + port.name(); }

        String summary() { return stream != null ? stream.summary() : captured + " captured, " + ring.dropped() + " dropped by the capture ring"; }
    }

    private static long epochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /**
     * capture-start PORT rx|tx|both SNAPLEN COUNT nano|micro [fd]: port is the named port (the caller found it).
     * With fd, the capture is streamed to the descriptor the client passes next on this connection (the
     * connection comes from {@link ControlServer#CONNECTION}), or polled when that cannot be.
     */
    String start(Port port, List<String> args) {
        boolean fd = args.size() == 7 && args.get(6).equals("fd");
        if (args.size() != 6 && !fd) throw new ControlException("capture-start needs PORT rx|tx|both SNAPLEN COUNT nano|micro [fd]");
        String dir = args.get(2);
        if (!List.of("rx", "tx", "both").contains(dir)) throw new ControlException("capture direction must be rx, tx or both, not \"" + dir + "\"");
        int snaplen = (int) number(args.get(3), "snaplen", 1, MAX_SNAPLEN);
        long count = number(args.get(4), "count", 0, Long.MAX_VALUE);
        String unit = args.get(5);
        if (!unit.equals("nano") && !unit.equals("micro")) throw new ControlException("time precision must be nano or micro, not \"" + unit + "\"");
        if (sessions.size() >= MAX_CAPTURES) throw new ControlException("too many captures at once (limit " + MAX_CAPTURES + ")");
        int client = -1;
        String why = null;
        if (fd) {
            UnixSocket conn = ControlServer.CONNECTION.isBound() ? ControlServer.CONNECTION.get() : null;
            if (conn == null) why = "not asked over the control socket";
            else {
                try {
                    client = Fd.dup(conn.fd());   // the capture's own: the control server closes its socket after the answer
                } catch (RuntimeException e) {
                    why = e.getMessage();
                }
            }
        }
        Session s = new Session(ids.incrementAndGet(), port, new CaptureRing(RING_BYTES, snaplen), count, unit.equals("nano"));
        if (client >= 0) {
            s.stream = new CaptureStream(s.name(), s.ring, count, s.nano, s.wallBase, s.monoBase, client,
                    () -> port.counters().taps.removeRing(s.ring), st -> sessions.remove(s.id, s));
        } else {
            s.pcap = new PcapWriter((b, len) -> s.pending.writeBytes(b.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE)), snaplen, s.nano);
        }
        sessions.put(s.id, s);
        port.counters().taps.addRing(s.ring, !dir.equals("tx"), !dir.equals("rx"));
        LOG.info(s.name() + " (" + dir + ", snaplen " + snaplen + (count > 0 ? ", count " + count : "") + ") started");
        if (s.stream != null) {
            s.stream.start();
            return "fd " + s.id;
        }
        startLeases();
        if (!fd) return String.valueOf(s.id);
        LOG.warning(s.name() + ": its client's output cannot be passed to the daemon (" + why + "); the frames go base64 over the control socket (this allocates: GCs while it runs)");
        return "poll " + s.id;
    }

    private static long number(String s, String what, long min, long max) {
        long v;
        try {
            v = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new ControlException(what + " must be a number, not \"" + s + "\"");
        }
        if (v < min || v > max) throw new ControlException(what + " must be " + min + " to " + max + ", not " + v);
        return v;
    }

    private Session session(List<String> args) {
        if (args.size() != 2) throw new ControlException(args.getFirst() + " needs a capture id");
        Session s;
        try {
            s = sessions.get(Integer.parseInt(args.get(1)));
        } catch (NumberFormatException e) {
            s = null;
        }
        if (s == null) throw new ControlException("no capture " + args.get(1) + " (ended, or its client stopped polling for " + LEASE_NANOS / 1_000_000_000L + " s)");
        return s;
    }

    /** capture-read ID: the frames taken since the last read, as pcap bytes (the first read starts with the file header). */
    String read(List<String> args) {
        Session s = session(args);
        if (s.stream != null) throw new ControlException("capture " + s.id + " is written by the daemon into its client's output: nothing to read");
        byte[] bytes;
        synchronized (s) {
            s.lastPoll = System.nanoTime();
            drain(s);
            s.pcap.flush();
            bytes = s.pending.toByteArray();
            s.pending.reset();
        }
        return s.captured + " " + s.ring.dropped() + " " + (s.done ? "done" : "running") + "\n" + Base64.getEncoder().encodeToString(bytes);
    }

    private void drain(Session s) {
        while (!s.done && s.pending.size() + s.pcap.buffered() < READ_BYTES && s.ring.poll((data, off, cap, orig, nanos) -> {
            s.pcap.frame(data, off, cap, orig, s.wallBase + (nanos - s.monoBase));
            s.captured++;
        })) {
            if (s.count > 0 && s.captured >= s.count) {
                s.done = true;
                s.port.counters().taps.removeRing(s.ring);   // the PMD threads stop copying for it
            }
        }
    }

    /** capture-stop ID: ends the capture; a polled one's last frames are lost unless read before. */
    String stop(List<String> args) {
        Session s = session(args);
        end(s, "stopped by its client");
        if (s.stream != null) {
            try {
                s.stream.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return s.summary();
    }

    private void end(Session s, String why) {
        if (s.stream != null) {
            s.stream.stop(why);             // its thread takes the ring off, writes what is left, answers, logs
            return;
        }
        s.port.counters().taps.removeRing(s.ring);
        sessions.remove(s.id);
        LOG.info(s.name() + " " + why + ": " + s.summary());
    }

    /** Ends the captures on port (it is being removed). */
    void portRemoved(Port port) {
        for (Session s : sessions.values()) if (s.port == port) end(s, "ended: port removed");
    }

    /** Ends every capture (the daemon stops): streamed ones answer their clients first, for up to 2 s. */
    void close() {
        for (Session s : sessions.values()) end(s, "ended: the daemon stops");
        long deadline = System.nanoTime() + 2_000_000_000L;
        for (Session s : sessions.values()) {
            if (s.stream == null) continue;
            try {
                s.stream.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        Thread l = leases;
        if (l != null) l.interrupt();
    }

    private synchronized void startLeases() {
        if (leases != null) return;
        leases = Thread.ofPlatform().daemon().name("capture-leases").start(() -> {
            while (true) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                long now = System.nanoTime();
                for (Session s : sessions.values()) if (s.stream == null && now - s.lastPoll > LEASE_NANOS) end(s, "ended: its client stopped polling");
            }
        });
    }

    /** Captures running now (for tests and show). */
    int running() { return sessions.size(); }
}
