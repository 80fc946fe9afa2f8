package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * An eventfd, owned (created here) or received from a peer (call/kick fds). {@link #signal()} is the hot-path
 * notification: no allocation, no errno capture.
 */
public final class EventFd implements AutoCloseable {
    private final int fd;
    private final MemorySegment one;   // 8 bytes holding 1, the value written to signal
    private final Arena arena = Arena.ofShared();
    private volatile boolean closed;

    private EventFd(int fd) {
        this.fd = fd;
        this.one = arena.allocate(8, 8);
        one.set(JAVA_LONG, 0, 1L);
    }

    public static EventFd create() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            int fd = (int) Native.EVENTFD.invokeExact(cap, 0, 0x80000 | 0x800 /* EFD_CLOEXEC|EFD_NONBLOCK */);
            if (fd < 0) throw new SysException("eventfd", Native.errno(cap));
            return new EventFd(fd);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Takes ownership of an eventfd received from a peer. Anything else (a socket or pipe that could block the
     * hot path's write) is refused: the fd is closed and IllegalArgumentException says what it was.
     */
    public static EventFd adopt(int fd) {
        String what;
        try {
            what = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/" + fd)).toString();
        } catch (java.io.IOException | UnsupportedOperationException e) {
            what = "unknown (" + e.getMessage() + ")";
        }
        if (!what.equals("anon_inode:[eventfd]")) {
            Fd.closeQuietly(fd);
            throw new IllegalArgumentException("fd is not an eventfd but " + what);
        }
        return new EventFd(fd);
    }

    public int fd() { return fd; }

    /**
     * Adds 1 to the counter. Errors are ignored: the ring state is what matters. The call skips the JVM's
     * thread-state transition (critical), which is safe only because {@link #adopt} admits nothing but
     * eventfds, whose write does not block.
     */
    public void signal() {
        try {
            long ignored = (long) Native.WRITE_CRITICAL.invokeExact(fd, one, 8L);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Reads and resets the counter; returns 0 if it was 0 (non-blocking fds) . */
    public long drain() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment buf = a.allocate(8, 8);
            long n = (long) Native.READ.invokeExact(cap, fd, buf, 8L);
            if (n < 0) {
                int e = Native.errno(cap);
                if (e == Errno.EAGAIN) return 0;
                throw new SysException("read(eventfd " + fd + ")", e);
            }
            return buf.get(JAVA_LONG, 0);
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
        // the 8-byte buffer is left to the shared arena's owner: closing it here could race a PMD's signal()
    }
}
