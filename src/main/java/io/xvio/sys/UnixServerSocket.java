package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** A listening AF_UNIX stream socket at a filesystem path; the path is removed on close (if still ours). */
public final class UnixServerSocket implements AutoCloseable {
    private final int fd;
    private final String path;
    private final Object identity;
    private volatile boolean closed;

    private UnixServerSocket(int fd, String path) {
        this.fd = fd;
        this.path = path;
        this.identity = SocketFile.identity(path);
    }

    /**
     * Binds path and listens. A stale socket file left by a previous run is replaced; anything else there (a
     * file that is not a socket, a socket someone listens on) is refused with {@link SocketFile.RefusedException}.
     */
    public static UnixServerSocket listen(String path) { return listen(path, 16); }

    /** As {@link #listen(String)}, with room for backlog connections not yet accepted. */
    public static UnixServerSocket listen(String path, int backlog) {
        SocketFile.claim(path);
        int fd = UnixSocket.newSocket("socket(AF_UNIX) for " + path);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment addr = UnixSocket.sockaddr(a, path);
            int rc = (int) Native.BIND.invokeExact(cap, fd, addr, (int) addr.byteSize());
            if (rc < 0) throw new SysException("bind(" + path + ")", Native.errno(cap));
            rc = (int) Native.LISTEN.invokeExact(cap, fd, backlog);
            if (rc < 0) throw new SysException("listen(" + path + ")", Native.errno(cap));
            return new UnixServerSocket(fd, path);
        } catch (SysException | IllegalArgumentException e) {
            Fd.closeQuietly(fd);
            throw e;
        } catch (Throwable t) {
            Fd.closeQuietly(fd);
            throw new IllegalStateException(t);
        }
    }

    public String path() { return path; }

    /** Waits up to timeoutMs for a connection; null on timeout. */
    public UnixSocket accept(int timeoutMs) {
        if (Fd.pollIn(fd, timeoutMs) == 0) return null;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            int c = (int) Native.ACCEPT4.invokeExact(cap, fd, MemorySegment.NULL, MemorySegment.NULL, UnixSocket.SOCK_CLOEXEC);
            if (c < 0) {
                int e = Native.errno(cap);
                if (e == Errno.EAGAIN || e == Errno.EINTR) return null;
                throw new SysException("accept(" + path + ")", e);
            }
            return new UnixSocket(c);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Fd.closeQuietly(fd);
        try { SocketFile.removeIfSame(path, identity); } catch (RuntimeException ignored) { }
    }
}
