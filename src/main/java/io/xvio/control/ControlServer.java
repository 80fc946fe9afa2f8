package io.xvio.control;

import io.xvio.sys.SocketFile;
import io.xvio.sys.SysException;
import io.xvio.sys.UnixServerSocket;
import io.xvio.sys.UnixSocket;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The daemon's local control socket ({@link ControlProtocol} says what goes over it). Each connection carries
 * one request and its reply, on a thread of its own: at most {@link Limits#connections} at a time (more
 * are answered "too many connections" and closed). The sockets are xvio's own (sys: FFM), not JDK channels, so a
 * command can take a descriptor passed over its connection (SCM_RIGHTS: `xvio capture`); their blocking calls
 * would pin a virtual thread's carrier, so the connection threads are platform threads. A connection must deliver its request, and take its reply,
 * without pausing longer than {@link Limits#ioTimeout} (and the whole request within {@link Limits#requestTime}),
 * else it is dropped; no lock is held while a connection reads or writes, so a stalled client delays nobody.
 * Requests are untrusted: a malformed one, one too long or a command that fails gets an ERROR, never a crash.
 * <p>
 * The socket is created with mode 0660 whatever the umask (owner: the daemon's user; group: control-group if
 * set, else the daemon's), in a directory it creates 0755 if missing; an existing file that is not a stale socket
 * is refused, never replaced.
 */
final class ControlServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.control");
    /** Bytes of a log line that quote a request. */
    static final int LOGGED = 200;

    /**
     * maxRequest: longest request body; connections: most served at once; ioTimeout: longest pause in a read or
     * write; requestTime: longest time to deliver a whole request; requestBytes: the bodies read at once, together.
     */
    record Limits(int maxRequest, int connections, Duration ioTimeout, Duration requestTime, long requestBytes) {
        static final Limits DEFAULT = new Limits(16 << 20, 256, Duration.ofSeconds(5), Duration.ofSeconds(30), 48L << 20);
    }

    /**
     * The connection whose request the handler runs, while it runs: a command that goes on after its answer
     * (`capture-start ... fd`, {@link Captures}) dups its descriptor; everyone else ignores it.
     */
    static final ScopedValue<UnixSocket> CONNECTION = ScopedValue.newInstance();

    private final Path path;
    private final Function<List<String>, String> handler;
    private final Limits limits;
    private final UnixServerSocket server;
    private final Thread acceptor, reaper;
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger active = new AtomicInteger();
    private final Semaphore requestKiB;
    private volatile boolean running = true;
    private long refused, lastRefusalLogged = System.nanoTime() - 2_000_000_000L;   // the accept thread's

    ControlServer(String path, Function<List<String>, String> handler) { this(path, null, handler, Limits.DEFAULT); }

    ControlServer(String path, String group, Function<List<String>, String> handler) { this(path, group, handler, Limits.DEFAULT); }

    ControlServer(String path, String group, Function<List<String>, String> handler, Limits limits) {
        this.path = Path.of(path);
        this.handler = handler;
        this.limits = limits;
        this.requestKiB = new Semaphore((int) (limits.requestBytes() >> 10));
        GroupPrincipal owner = null;
        try {
            if (group != null) owner = this.path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
        } catch (UserPrincipalNotFoundException e) {
            throw new ConfigException("control-group: no group named \"" + group + "\"");
        } catch (IOException e) {
            throw new ConfigException("control-group " + group + ": " + e.getMessage());
        }
        try {
            createParents(this.path.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new ConfigException("cannot create control socket " + path + ": " + e.getMessage());
        }
        UnixServerSocket s;
        // bind creates the file with 0777 & ~umask: with 0177 it is 0600 until chmod makes it 0660, never wider.
        // The umask is the process's: this runs at start, before any other thread creates files.
        int old = SocketFile.umask(0177);
        try {
            s = UnixServerSocket.listen(path, limits.connections());     // refuses a file that is not a stale socket
        } catch (SocketFile.RefusedException | SysException | IllegalArgumentException e) {
            throw new ConfigException("cannot create control socket " + path + ": " + e.getMessage());
        } finally {
            SocketFile.umask(old);
        }
        try {
            if (owner != null) Files.getFileAttributeView(this.path, java.nio.file.attribute.PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(owner);
            Files.setPosixFilePermissions(this.path, PosixFilePermissions.fromString("rw-rw----"));
        } catch (IOException e) {
            s.close();                                   // removes the file: ours, never another's
            throw new ConfigException("cannot create control socket " + path + ": " + e);
        }
        server = s;
        acceptor = Thread.ofPlatform().daemon().name("control").unstarted(this::acceptLoop);
        reaper = Thread.ofPlatform().daemon().name("control-timeouts").unstarted(this::reapLoop);
    }

    /** Creates the missing directories above the socket, 0755 whatever the umask (0777 would let anyone replace it). */
    private static void createParents(Path dir) throws IOException {
        if (dir == null || Files.isDirectory(dir)) return;
        createParents(dir.getParent());
        Files.createDirectory(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    void start() {
        acceptor.start();
        reaper.start();
    }

    /** Connections open now (for tests). */
    int openConnections() { return active.get(); }

    private void acceptLoop() {
        while (running) {
            UnixSocket c;
            try {
                c = server.accept(200);                  // a bounded wait: close() stops the loop before closing the socket
            } catch (RuntimeException e) {
                LOG.warning("control socket: accept: " + e.getMessage());
                sleepQuietly(100);
                continue;
            }
            if (c == null) continue;
            if (active.incrementAndGet() > limits.connections()) {
                active.decrementAndGet();
                refuse(c);
                continue;
            }
            Connection conn = new Connection(c);
            open.add(conn);
            Thread.ofPlatform().daemon().name("control-conn").start(() -> {
                try {
                    serve(conn);
                } finally {
                    conn.close();
                    open.remove(conn);
                    active.decrementAndGet();
                }
            });
        }
    }

    /**
     * Over the limit: a short error, written without blocking (it fits an empty socket buffer), then close. Logged
     * at most once a second, with the count since (a flood of connections must not flood the log).
     */
    private void refuse(UnixSocket c) {
        refused++;
        long now = System.nanoTime();
        if (now - lastRefusalLogged > 1_000_000_000L) {
            LOG.warning("control socket: too many connections (limit " + limits.connections() + "): " + refused + " refused");
            lastRefusalLogged = now;
            refused = 0;
        }
        try (c) {
            byte[] why = ControlProtocol.encodeReply(false, "too many control connections (limit " + limits.connections() + "); try again");
            c.write(why, 0, why.length, false);
        } catch (RuntimeException ignored) {
        }
    }

    private void serve(Connection conn) {
        List<String> args = null;
        int permits = 0;
        try {
            long length;
            try {
                length = ControlProtocol.readRequestHeader(conn.in);
            } catch (EOFException e) {
                LOG.fine("control connection closed without a request");   // e.g. another daemon checking the path is in use
                return;
            }
            if (length > limits.maxRequest()) {
                reject(conn, "request too long (" + length + " bytes, limit " + limits.maxRequest() + ")", null);
                return;
            }
            permits = (int) ((length + 1023) >> 10);
            if (!requestKiB.tryAcquire(permits)) {        // memory for request bodies is bounded; no queue to wait in
                permits = 0;
                reject(conn, "daemon busy: too many large requests at once; try again", null);
                return;
            }
            args = ControlProtocol.readRequestBody(conn.in, length);
            conn.requestRead();
            String reply;
            boolean ok = false;
            try {
                List<String> request = args;
                reply = ScopedValue.where(CONNECTION, conn.socket).call(() -> handler.apply(request));
                ok = true;
            } catch (ControlException | IllegalArgumentException e) {
                reply = e.getMessage() == null ? e.toString() : e.getMessage();
                LOG.info("control request " + quote(args) + " failed: " + Logging.excerpt(reply, LOGGED));
            } catch (RuntimeException | StackOverflowError e) {
                LOG.log(Level.WARNING, "control request " + quote(args) + " failed", e);
                reply = "internal error: " + e;
            }
            requestKiB.release(permits);
            permits = 0;
            conn.write(ControlProtocol.encodeReply(ok, reply));
        } catch (ControlProtocol.FrameException e) {
            reject(conn, e.getMessage(), args);
        } catch (IOException e) {
            long ms = limits.ioTimeout().toMillis();
            if (conn.timedOut) LOG.info("control connection dropped: " + conn.stalledWhere() + " (timeout " + (ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms") + ")");
            else if (running) LOG.info("control connection: " + (args == null ? "reading the request: " : "writing the reply to " + quote(args) + ": ") + e.getMessage());
        } finally {
            if (permits > 0) requestKiB.release(permits);
        }
    }

    /** A request the daemon will not run: logged (quoted, cut and escaped) and answered with the reason. */
    private void reject(Connection conn, String why, List<String> args) {
        LOG.info("control request rejected: " + Logging.excerpt(why, LOGGED) + (args == null ? "" : ": " + quote(args)));
        try {
            conn.write(ControlProtocol.encodeReply(false, why));
        } catch (IOException ignored) {
            // the client went away; it will not see the reason
        }
    }

    private static String quote(List<String> args) {
        return "\"" + Logging.excerpt(String.join(" ", args), LOGGED) + "\"";
    }

    /** Shuts down connections that passed their deadline; their blocked read or write then fails. */
    private void reapLoop() {
        while (running) {
            sleepQuietly(100);
            long now = System.nanoTime();
            for (Connection c : open) if (now - c.deadline > 0) c.timeOut();
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * One client. deadline: when the current read or write must have made progress by (far in the future while
     * the command runs); the request as a whole must arrive by requestDeadline.
     */
    private final class Connection implements AutoCloseable {
        private static final long NONE = Long.MAX_VALUE / 4;
        final UnixSocket socket;
        final InputStream in;
        final long requestDeadline;
        volatile long deadline;
        volatile boolean timedOut;
        volatile boolean replying;
        volatile long received, sent;
        private boolean closed;                  // guarded by this: shutdown never meets a descriptor closed (and reused)

        Connection(UnixSocket socket) {
            this.socket = socket;
            long now = System.nanoTime();
            this.requestDeadline = now + limits.requestTime().toNanos();
            this.deadline = now + NONE;
            this.in = new BufferedInputStream(new InputStream() {
                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    arm(Math.min(System.nanoTime() + limits.ioTimeout().toNanos(), requestDeadline));
                    int n;
                    try {
                        n = socket.read(b, off, len);
                    } catch (SysException e) {
                        throw new IOException(e.getMessage(), e);
                    }
                    arm(System.nanoTime() + NONE);
                    if (n < 0 && timedOut) throw new IOException("timed out");   // the reaper shut the socket down
                    if (n > 0) received += n;
                    return n;
                }
            }, 65536);
        }

        private void arm(long when) { deadline = when; }

        void requestRead() { deadline = System.nanoTime() + NONE; }

        /** Writes in chunks, each within ioTimeout (a blocking channel write of everything would have no progress). */
        void write(byte[] data) throws IOException {
            replying = true;
            int off = 0;
            try {
                while (off < data.length) {
                    int end = Math.min(data.length, off + 65536);
                    deadline = System.nanoTime() + limits.ioTimeout().toNanos();
                    while (off < end) off += socket.write(data, off, end - off, true);
                    sent = off;
                }
            } catch (SysException e) {
                throw new IOException(timedOut ? "timed out" : e.getMessage(), e);
            }
            deadline = System.nanoTime() + NONE;
        }

        /** From the reaper: wakes the connection's thread, which closes it. */
        synchronized void timeOut() {
            if (closed) return;
            timedOut = true;
            socket.shutdown();
        }

        String stalledWhere() {
            return replying ? "the client did not read its reply (" + sent + " bytes taken)"
                    : "no complete request in time (" + received + " bytes received)";
        }

        /** The connection's thread, once done with it. */
        @Override
        public synchronized void close() {
            closed = true;
            socket.close();
        }

        /** From {@link ControlServer#close}: wakes the connection's thread, which closes it. */
        synchronized void shutdown() {
            if (!closed) socket.shutdown();
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            if (acceptor.isAlive()) acceptor.join(2000);   // it waits at most 200 ms in accept
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close();                                    // removes the socket file if it is still ours
        for (Connection c : new ArrayList<>(open)) c.shutdown();
        reaper.interrupt();
    }
}
