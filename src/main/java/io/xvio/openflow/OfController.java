package io.xvio.openflow;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;
import java.util.logging.Logger;

/**
 * One configured controller (OVS's Controller row, an active connection): {@code tcp:IP[:PORT]}, {@code ssl:IP[:PORT]}
 * (TLS with the bridge's {@link OfTls} settings: the controller's certificate must be signed by the CA) with port
 * 6653 by default, or {@code unix:PATH}. A platform thread (see OfEndpoint) connects, runs the OpenFlow connection until it ends, and connects
 * again after a backoff that doubles from 1 s up to 8 s (OVS's max_backoff), back to 1 s after a connection the
 * controller used (sent a message after its hello).
 */
public final class OfController implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.openflow");
    static final int DEFAULT_PORT = 6653;
    static final long MAX_BACKOFF_MS = 8000;

    private final String target;
    private final SocketAddress address;
    private final OfChannels channels;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile OfConnection current;
    private volatile String state = "connecting";
    /** For the OVSDB Controller row ({@link ControllerInfo}): wall-clock ms of the last connect and disconnect, why. */
    private volatile long connectedAtMillis = ControllerInfo.NEVER, disconnectedAtMillis = ControllerInfo.NEVER;
    private volatile String lastError;

    private OfController(String target, SocketAddress address, OfChannels channels) {
        this.target = target;
        this.address = address;
        this.channels = channels;
        this.thread = Thread.ofPlatform().daemon().name("openflow-controller-" + target).unstarted(this::run);
    }

    /**
     * The address of an active target (null for a passive one, which {@link OfListener} checks); IllegalArgumentException
     * (with the reason) if it is not one xvio can connect to or listen on.
     */
    static SocketAddress parse(String target) {
        if (target.startsWith("unix:") && target.length() > 5) return UnixDomainSocketAddress.of(target.substring(5));
        if (OfListener.passive(target)) {
            OfListener.parse(target);
            return null;
        }
        if (target.startsWith("tcp:") || target.startsWith("ssl:")) {
            String rest = target.substring(4);
            String host = rest;
            int port = DEFAULT_PORT;
            int colon = rest.lastIndexOf(':');
            if (rest.startsWith("[")) {                       // tcp:[IPv6]:PORT
                int close = rest.indexOf(']');
                if (close < 0) throw new IllegalArgumentException("controller \"" + target + "\": unclosed [");
                host = rest.substring(1, close);
                colon = rest.indexOf(':', close);
            } else if (colon >= 0) {
                host = rest.substring(0, colon);
            }
            if (colon >= 0) {
                try {
                    port = Integer.parseInt(rest.substring(colon + 1));
                } catch (NumberFormatException e) {
                    port = -1;
                }
                if (port < 1 || port > 65535) throw new IllegalArgumentException("controller \"" + target + "\": bad port");
            }
            if (!host.matches("[0-9.]+|[0-9a-fA-F:]+") || host.isEmpty())
                throw new IllegalArgumentException("controller \"" + target + "\": the host must be an IP address");
            return new InetSocketAddress(host, port);
        }
        throw new IllegalArgumentException("controller \"" + target + "\": targets are tcp:IP[:PORT], ssl:IP[:PORT], unix:PATH, ptcp:[PORT][:IP] or pssl:[PORT][:IP]");
    }

    /** Checks a target: IllegalArgumentException says what is wrong with it. */
    public static void check(String target) { parse(target); }

    static OfController start(String target, OfChannels channels) {
        OfController c = new OfController(target, parse(target), channels);
        c.thread.start();
        return c;
    }

    String target() { return target; }

    /** "connected, OpenFlow13, role master, packet-ins sent N, dropped N (queue full) N (rate limit)", "connecting", "backoff N s". */
    String status() {
        OfConnection c = current;
        if (c != null && c.version() >= 0) {
            int r = c.role();
            return "connected, " + OfVersion.name(c.version()) + ", role " + (r == OfConnection.ROLE_MASTER ? "master" : r == OfConnection.ROLE_SLAVE ? "slave" : "equal")
                    + ", " + c.packetInStatus();
        }
        return state;
    }

    /** The state as OVS writes it to the Controller row. */
    ControllerInfo info() {
        OfConnection c = current;
        boolean up = c != null && c.version() >= 0;
        int r = up ? c.role() : OfConnection.ROLE_EQUAL;
        String role = r == OfConnection.ROLE_MASTER ? "master" : r == OfConnection.ROLE_SLAVE ? "slave" : "other";
        String st = up ? (c.probeSentNanos != 0 ? "IDLE" : "ACTIVE") : state.startsWith("backoff") ? "BACKOFF" : "CONNECTING";
        long since = up && c.connectedAtMillis != 0 ? c.connectedAtMillis : connectedAtMillis;
        return new ControllerInfo(target, up, role, st, since, disconnectedAtMillis, lastError);
    }

    private void run() {
        long backoff = 1000;
        int n = 0;
        while (running) {
            state = "connecting";
            ByteChannel ch = null;
            try {
                if (target.startsWith("ssl:")) {
                    ch = channels.tls().connect((InetSocketAddress) address, 5000);
                } else {
                    SocketChannel sc = SocketChannel.open(address instanceof UnixDomainSocketAddress ? StandardProtocolFamily.UNIX
                            : ((InetSocketAddress) address).getAddress() instanceof java.net.Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
                    ch = sc;
                    if (address instanceof InetSocketAddress) sc.socket().connect(address, 5000);
                    else sc.connect(address);
                }
            } catch (IOException | RuntimeException e) {
                if (ch != null) try { ch.close(); } catch (IOException ignored) { }
                ch = null;
                lastError = e.getMessage() != null ? e.getMessage() : e.toString();
                disconnectedAtMillis = System.currentTimeMillis();
                boolean tlsProblem = target.startsWith("ssl:") && !(e instanceof java.net.ConnectException);   // refused, bootstrapped
                if (tlsProblem) LOG.warning("bridge " + channels.sw().name() + ": controller " + target + ": " + e.getMessage());
                else if (n == 0 || backoff == MAX_BACKOFF_MS) LOG.info("bridge " + channels.sw().name() + ": controller " + target + ": " + e.getMessage());
            }
            if (ch != null) {
                LOG.info("bridge " + channels.sw().name() + ": connected to controller " + target);
                OfConnection c = new OfConnection(ch, channels.sw(), "bridge " + channels.sw().name() + " controller " + target + " (" + (++n) + ")",
                        channels.startedNanos(), channels, true);
                current = c;
                channels.add(c);
                try {
                    if (running) c.run();
                } finally {
                    channels.remove(c);
                    current = null;
                    if (c.connectedAtMillis != 0) connectedAtMillis = c.connectedAtMillis;
                    lastError = c.endReason != null ? c.endReason : "End of file";
                    disconnectedAtMillis = System.currentTimeMillis();
                }
                LOG.info("bridge " + channels.sw().name() + ": connection to controller " + target + " closed");
                if (c.admitted) backoff = 1000;
            }
            if (!running) return;
            state = "backoff " + backoff / 1000 + " s";
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
        }
    }

    @Override
    public void close() {
        running = false;
        OfConnection c = current;
        if (c != null) c.abort();
        thread.interrupt();
    }
}
