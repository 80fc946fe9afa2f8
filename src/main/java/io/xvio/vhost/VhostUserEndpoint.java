package io.xvio.vhost;

import io.xvio.sys.Fd;
import io.xvio.sys.SysException;
import io.xvio.sys.UnixServerSocket;
import io.xvio.sys.UnixSocket;
import io.xvio.virtio.Virtqueue;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The socket side of a vhost-user port: in server mode xvio listens at the path and serves one front-end at a
 * time; in client mode it connects to a socket the front-end (QEMU with server=on) created, and reconnects
 * whenever the connection is lost. One thread per endpoint reads messages and applies them to the device.
 */
public final class VhostUserEndpoint implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.vhost");
    private static final int POLL_MS = 100;

    public enum Mode { SERVER, CLIENT }

    private final String path;
    private final Mode mode;
    private final VhostUserDevice device;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile UnixSocket current;
    private volatile UnixServerSocket server;
    private volatile String lastError;
    private volatile long connections;

    public VhostUserEndpoint(String path, Mode mode, VhostUserDevice device) {
        this.path = path;
        this.mode = mode;
        this.device = device;
        if (mode == Mode.SERVER) server = UnixServerSocket.listen(path);   // fail fast: a bad path is a config error
        this.thread = Thread.ofPlatform().daemon().name("vhost-" + device.name()).unstarted(this::run);
    }

    public void start() { thread.start(); }

    public String path() { return path; }
    public Mode mode() { return mode; }
    public VhostUserDevice device() { return device; }
    public String lastError() { return lastError; }
    public long connections() { return connections; }

    private void run() {
        long backoff = 100;
        boolean waitingLogged = false;
        while (running) {
            UnixSocket s;
            try {
                if (mode == Mode.SERVER) {
                    s = server.accept(POLL_MS);
                    if (s == null) continue;
                } else {
                    try {
                        s = UnixSocket.connect(path);
                        backoff = 100;
                        waitingLogged = false;
                    } catch (SysException e) {
                        if (!waitingLogged) {
                            LOG.info("port " + device.name() + ": waiting for front-end socket " + path + " (" + e.getMessage() + ")");
                            waitingLogged = true;
                        }
                        sleep(backoff);
                        backoff = Math.min(1000, backoff * 2);
                        continue;
                    }
                }
            } catch (RuntimeException | InternalError e) {
                if (running) {
                    LOG.log(Level.WARNING, "port " + device.name() + ": " + e.getMessage());
                    sleep(500);
                }
                continue;
            }
            serve(s);
        }
    }

    private void serve(UnixSocket s) {
        current = s;
        connections++;
        LOG.info("port " + device.name() + ": front-end connected on " + path + (mode == Mode.CLIENT ? " (client mode)" : ""));
        device.connectedNow();
        String why = "front-end closed the connection";
        try {
            while (running) {
                int ev = Fd.pollIn(s.fd(), POLL_MS);
                reportQueueFaults();
                if (ev == 0) continue;
                Message m = Message.read(s);
                if (m == null) break;
                device.handle(m, s);
            }
            if (!running) why = "port closing";
        } catch (ProtocolError e) {
            why = "protocol error: " + e.getMessage();
            lastError = e.getMessage();
            LOG.warning("port " + device.name() + ": " + why + "; closing the connection");
        } catch (UnixSocket.TooManyFdsException e) {
            why = "protocol error: " + e.getMessage();
            lastError = e.getMessage();
            LOG.warning("port " + device.name() + ": " + why + "; closing the connection");
        } catch (SysException e) {
            why = e.getMessage();
            lastError = e.getMessage();
            LOG.warning("port " + device.name() + ": connection failed: " + why);
        } catch (RuntimeException | InternalError e) {   // InternalError: SIGBUS on truncated guest memory
            why = "internal error: " + e;
            lastError = why;
            LOG.log(Level.SEVERE, "port " + device.name() + ": unexpected error, closing the connection", e);
        } finally {
            current = null;
            s.close();
            device.disconnect();
        }
        LOG.info("port " + device.name() + ": disconnected (" + why + ")");
    }

    private final boolean[] faultLogged = new boolean[64];

    /** Logs, once each, the queues a poll-mode thread stopped because the driver broke them. */
    private void reportQueueFaults() {
        for (int i = 0; i < device.queueCount(); i++) {
            Virtqueue q = device.queue(i);
            String f = q.fault();
            boolean logged = i < faultLogged.length && faultLogged[i];
            if (f != null && !logged) {
                lastError = f;
                LOG.warning(f + "; queue stopped until the driver resets it");
                if (i < faultLogged.length) faultLogged[i] = true;
            } else if (f == null && logged) {
                faultLogged[i] = false;
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        UnixSocket s = current;
        if (s != null) s.shutdown();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (server != null) server.close();
    }
}
