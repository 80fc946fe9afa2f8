package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.*;

/**
 * A file descriptor written from off-heap memory in large chunks, allocating nothing per call: the capture writer's
 * output (a file, a pipe, a terminal, a socket). {@link #write} writes everything it is given: it retries after
 * EINTR and partial writes, and waits with poll(2) when the descriptor is non-blocking and full (EAGAIN). A failure
 * (EPIPE: the reader went away; ENOSPC ...) is a {@link SysException}. One thread uses it at a time.
 *
 * <p>EPIPE comes back as an error because the JVM ignores SIGPIPE (HotSpot installs a handler that does nothing
 * with it; a JVM run with -Xrs would die of it instead).
 */
public final class OutputFd implements AutoCloseable {
    private static final int O_WRONLY = 1, O_CREAT = 0x40, O_TRUNC = 0x200, O_CLOEXEC = 0x80000;
    private static final short POLLOUT = 4;

    private final int fd;
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment cap = arena.allocate(Native.CAPTURE);
    private final MemorySegment pfd = arena.allocate(8, 4);
    private long written;
    private boolean closed;

    /** Takes fd (closed by {@link #close}). */
    public OutputFd(int fd) {
        this.fd = fd;
        pfd.set(JAVA_INT, 0, fd);
        pfd.set(JAVA_SHORT, 4, POLLOUT);
    }

    public int fd() { return fd; }

    /** Bytes written so far. */
    public long written() { return written; }

    /**
     * Creates (or truncates) path for writing, mode 0666 less the umask, as a shell's {@code >} does; the descriptor is
     * close-on-exec and owned by the caller.
     */
    public static int create(String path) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(Native.CAPTURE);
            int fd = (int) NetNative.OPEN.invokeExact(c, a.allocateFrom(path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
            if (fd < 0) throw new SysException("open(" + path + ")", Native.errno(c));
            return fd;
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Writes all of buf[off, off+len) (buf native). */
    public void write(MemorySegment buf, long off, long len) {
        if (off < 0 || len < 0 || off + len > buf.byteSize() || !buf.isNative()) throw new IndexOutOfBoundsException();
        long addr = buf.address() + off, end = addr + len;
        try {
            while (addr < end) {
                long n = (long) NetNative.WRITE_AT.invokeExact(cap, fd, addr, end - addr);
                if (n > 0) {
                    addr += n;
                    written += n;
                    continue;
                }
                int e = n < 0 ? Native.errno(cap) : Errno.EIO;
                if (e == Errno.EINTR) continue;
                if (e != Errno.EAGAIN) throw new SysException("write(fd " + fd + ")", e);
                int rc = (int) Native.POLL.invokeExact(cap, pfd, 1L, 1000);   // non-blocking and full: wait for room
                if (rc < 0 && Native.errno(cap) != Errno.EINTR) throw new SysException("poll(fd " + fd + ")", Native.errno(cap));
            }
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

    }
}
