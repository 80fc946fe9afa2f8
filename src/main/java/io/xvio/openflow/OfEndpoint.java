package io.xvio.openflow;

import io.xvio.sys.SocketFile;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * A bridge's passive OpenFlow socket, {@code BRIDGE.mgmt} next to the control socket (as OVS's
 * /run/openvswitch/br0.mgmt), for ovs-ofctl and other local clients. Each connection runs on a platform thread of
 * its own (a virtual thread's park and wake-up on every socket read cost half of ovs-ofctl add-flows' time, which
 * waits for a barrier reply after each flow_mod); at most {@link #MAX_CONNECTIONS} at once (more are closed at once). The socket is 0660, like the control
 * socket; an existing file that is not a stale socket is refused, never replaced.
 */
public final class OfEndpoint implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.openflow");
    public static final int MAX_CONNECTIONS = 64;

    private final Path path;
    private final OfSwitch sw;
    private final ServerSocketChannel server;
    private final Object identity;
    private final Thread acceptor;
    private final Set<OfConnection> open = ConcurrentHashMap.newKeySet();
    /** How long a peer may take to say hello, or to finish a message it started. */
    static final long STALL_NANOS = 10_000_000_000L;
    private final Thread reaper;
    private final AtomicInteger active = new AtomicInteger();
    private final long startedNanos = System.nanoTime();
    private volatile boolean running = true;
    /** The bridge's connections (packet-ins, roles); null: this endpoint's own connections only. */
    private final OfChannels channels;

    private OfEndpoint(Path path, OfSwitch sw, OfChannels channels) throws IOException {
        this.path = path;
        this.sw = sw;
        this.channels = channels;
        SocketFile.claim(path.toString());
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        int old = SocketFile.umask(0177);
        try {
            s.bind(UnixDomainSocketAddress.of(path), MAX_CONNECTIONS);
        } catch (IOException e) {
            s.close();
            throw e;
        } finally {
            SocketFile.umask(old);
        }
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
        server = s;
        identity = SocketFile.identity(path.toString());
        acceptor = Thread.ofPlatform().daemon().name("openflow-" + sw.name()).unstarted(this::acceptLoop);
        reaper = Thread.ofVirtual().name("openflow-stalls-" + sw.name()).unstarted(this::reapLoop);
    }

    /** Once a second: drops connections that stall (see {@link OfConnection#stalled}), so they cannot pile up. */
    private void reapLoop() {
        while (running) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            if (channels == null) for (OfConnection c : open) c.expireBundles(now);     // else the bridge's channels expire them
            abortStalled(open, now, "bridge " + sw.name() + ": ");
        }
    }

    /** Aborts the connections stalled for {@link #STALL_NANOS} (see {@link OfConnection#stalled}), each with a log line after prefix. */
    static void abortStalled(Iterable<OfConnection> open, long now, String prefix) {
        for (OfConnection c : open) {
            String why = c.stalled(now, STALL_NANOS);
            if (why != null) {
                LOG.warning(prefix + "closing " + c.peer() + ": " + why + " in " + STALL_NANOS / 1_000_000_000L + " s");
                c.abort();
            }
        }
    }

    /** The socket path for bridge in the directory of controlSocket. */
    public static Path pathFor(String controlSocket, String bridge) {
        Path dir = Path.of(controlSocket).toAbsolutePath().getParent();
        return dir.resolve(bridge + ".mgmt");
    }

    /** Opens and starts the endpoint of sw next to controlSocket. */
    public static OfEndpoint start(String controlSocket, OfSwitch sw) { return start(controlSocket, sw, null); }

    /** As {@link #start(String, OfSwitch)}, its connections joining channels (packet-ins go to them too). */
    public static OfEndpoint start(String controlSocket, OfSwitch sw, OfChannels channels) {
        Path p = pathFor(controlSocket, sw.name());
        try {
            OfEndpoint e = new OfEndpoint(p, sw, channels);
            e.acceptor.start();
            e.reaper.start();
            LOG.info("bridge " + sw.name() + ": OpenFlow socket " + p + " (OpenFlow 1.0, 1.3, 1.4, 1.5)");
            return e;
        } catch (IOException | SocketFile.RefusedException e) {
            throw new IllegalStateException("cannot create OpenFlow socket " + p + ": " + e.getMessage(), e);
        }
    }

    public Path path() { return path; }

    /** A stable 48-bit datapath id from the bridge name (OVS derives it from a MAC address). */
    static long datapathId(String bridge) {
        long h = 1125899906842597L;
        for (int i = 0; i < bridge.length(); i++) h = 31 * h + bridge.charAt(i);
        return h & 0xffffffffffffL;
    }

    private void acceptLoop() {
        int n = 0;
        while (running) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                if (!running) return;
                LOG.warning("OpenFlow socket " + path + ": accept: " + e.getMessage());
                try { Thread.sleep(100); } catch (InterruptedException ie) { return; }
                continue;
            }
            if (active.incrementAndGet() > MAX_CONNECTIONS) {
                active.decrementAndGet();
                LOG.warning("OpenFlow socket " + path + ": too many connections (limit " + MAX_CONNECTIONS + "); one refused");
                try { c.close(); } catch (IOException ignored) { }
                continue;
            }
            OfConnection conn = new OfConnection(c, sw, "bridge " + sw.name() + " OpenFlow connection " + (++n), startedNanos, channels, false);
            open.add(conn);
            if (channels != null) channels.add(conn);
            Thread.ofPlatform().daemon().name("openflow-conn").start(() -> {
                try {
                    conn.run();
                } finally {
                    if (channels != null) channels.remove(conn);
                    open.remove(conn);
                    active.decrementAndGet();
                }
            });
        }
    }

    /** Connections open now (for tests). */
    public int openConnections() { return active.get(); }

    @Override
    public void close() {
        running = false;
        try { server.close(); } catch (IOException ignored) { }
        reaper.interrupt();
        for (OfConnection c : open) c.abort();
        SocketFile.removeIfSame(path.toString(), identity);
    }
}
