package io.xvio.openflow;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ByteChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * A passive controller target of a bridge, as OVS's: {@code ptcp:[PORT][:IP]} (plain TCP) or {@code pssl:[PORT][:IP]}
 * (TLS: the client must present a certificate signed by the CA, see {@link OfTls}), port 6653 and every address by
 * default, an IPv6 address in brackets. Accepted connections are service connections like BRIDGE.mgmt's (OVS's
 * OFCONN_SERVICE: no packet-ins until they set a miss_send_len), each on a platform thread (see OfEndpoint), at most
 * {@link OfEndpoint#MAX_CONNECTIONS} at once; one stalled in its hello or in a message is closed (as BRIDGE.mgmt's).
 * A refused TLS peer is logged with why (no certificate, not signed by the CA) and closed.
 */
final class OfListener implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.openflow");

    private final String target;
    private final boolean tls;
    private final OfChannels channels;
    private final ServerSocket server;
    private final Set<OfConnection> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger active = new AtomicInteger();
    private final Thread acceptor, reaper;
    private volatile boolean running = true;

    private OfListener(String target, boolean tls, InetSocketAddress at, OfChannels channels) throws IOException {
        this.target = target;
        this.tls = tls;
        this.channels = channels;
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        try {
            s.bind(at, OfEndpoint.MAX_CONNECTIONS);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        server = s;
        acceptor = Thread.ofVirtual().name("openflow-listen-" + target).unstarted(this::acceptLoop);
        reaper = Thread.ofVirtual().name("openflow-listen-stalls-" + target).unstarted(this::reapLoop);
    }

    /** Whether target is passive (ptcp: or pssl:). */
    static boolean passive(String target) { return target.startsWith("ptcp:") || target.startsWith("pssl:"); }

    /** The address of ptcp:/pssl:[PORT][:IP]; IllegalArgumentException says what is wrong. */
    static InetSocketAddress parse(String target) {
        if (!passive(target)) throw new IllegalArgumentException("\"" + target + "\" is not ptcp:[PORT][:IP] or pssl:[PORT][:IP]");
        String rest = target.substring(5);
        String portText = rest, host = "";
        int colon = rest.indexOf(':');
        if (colon >= 0) {
            portText = rest.substring(0, colon);
            host = rest.substring(colon + 1);
            if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
            if (!host.matches("[0-9.]+|[0-9a-fA-F:]+"))
                throw new IllegalArgumentException("controller \"" + target + "\": the address to listen on must be an IP address");
        }
        int port = OfController.DEFAULT_PORT;
        if (!portText.isEmpty()) {
            try {
                port = Integer.parseInt(portText);
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 0 || port > 65535) throw new IllegalArgumentException("controller \"" + target + "\": bad port \"" + portText + "\"");
        }
        try {
            return new InetSocketAddress(host.isEmpty() ? InetAddress.getByAddress(new byte[4]) : InetAddress.getByName(host), port);
        } catch (IOException e) {
            throw new IllegalArgumentException("controller \"" + target + "\": " + e.getMessage());
        }
    }

    /** Listens on target for channels' bridge; IllegalStateException if the address cannot be bound. */
    static OfListener start(String target, OfChannels channels) {
        InetSocketAddress at = parse(target);
        try {
            OfListener l = new OfListener(target, target.startsWith("pssl:"), at, channels);
            l.acceptor.start();
            l.reaper.start();
            LOG.info("bridge " + channels.sw().name() + ": listening for OpenFlow connections on " + target
                    + (l.tls ? " (TLS; clients need a certificate signed by the CA)" : ""));
            return l;
        } catch (IOException e) {
            throw new IllegalStateException("bridge " + channels.sw().name() + ": cannot listen on " + target + ": " + e.getMessage(), e);
        }
    }

    String target() { return target; }

    /** The port it listens on (tests: PORT 0 picks one). */
    int port() { return server.getLocalPort(); }

    /** "listening on port P, N connection(s)", with the packet-in counters of the open ones summed. */
    String status() {
        long sent = 0, full = 0, rate = 0;
        for (OfConnection c : open) {
            sent += c.packetInsSent();
            full += c.packetInsDroppedQueueFull();
            rate += c.packetInsDroppedRateLimit();
        }
        return "listening on port " + port() + ", " + active.get() + " connection(s), packet-ins sent " + sent + ", dropped " + full + " (queue full) " + rate + " (rate limit)";
    }

    private void acceptLoop() {
        int n = 0;
        while (running) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (!running) return;
                LOG.warning("bridge " + channels.sw().name() + ": " + target + ": accept: " + e.getMessage());
                try { Thread.sleep(100); } catch (InterruptedException ie) { return; }
                continue;
            }
            String peer = "bridge " + channels.sw().name() + " " + target + " connection " + (++n) + " from "
                    + s.getInetAddress().getHostAddress() + ":" + s.getPort();
            if (active.incrementAndGet() > OfEndpoint.MAX_CONNECTIONS) {
                active.decrementAndGet();
                LOG.warning(peer + ": too many connections (limit " + OfEndpoint.MAX_CONNECTIONS + "); refused");
                try { s.close(); } catch (IOException ignored) { }
                continue;
            }
            Thread.ofPlatform().daemon().name("openflow-conn").start(() -> serve(s, peer));
        }
    }

    private void serve(Socket s, String peer) {
        try {
            ByteChannel ch;
            try {
                s.setTcpNoDelay(true);
                ch = tls ? channels.tls().accept(s) : new SocketStreams(s);
            } catch (IOException e) {
                LOG.warning(peer + ": refused: " + e.getMessage());
                try { s.close(); } catch (IOException ignored) { }
                return;
            }
            if (tls) LOG.info(peer + ": TLS peer " + ((javax.net.ssl.SSLSocket) ((SocketStreams) ch).socket()).getSession().getPeerPrincipal().getName());
            OfConnection conn = new OfConnection(ch, channels.sw(), peer, channels.startedNanos(), channels, false);
            conn.controllerTarget = true;                     // a Controller row's target: its rate limit applies
            open.add(conn);
            channels.add(conn);
            try {
                if (running) conn.run();
            } finally {
                channels.remove(conn);
                open.remove(conn);
            }
        } catch (IOException e) {
            LOG.fine(peer + ": " + e.getMessage());
        } finally {
            active.decrementAndGet();
        }
    }

    /** Once a second: closes connections stalled in their hello or a message (as BRIDGE.mgmt's). */
    private void reapLoop() {
        while (running) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            OfEndpoint.abortStalled(open, System.nanoTime(), "");
        }
    }

    @Override
    public void close() {
        running = false;
        try { server.close(); } catch (IOException ignored) { }
        acceptor.interrupt();
        reaper.interrupt();
        for (OfConnection c : open) c.abort();
    }
}
