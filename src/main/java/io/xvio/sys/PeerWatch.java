package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.*;

/**
 * A connected stream socket whose peer is expected to stay silent until it leaves: {@link #left} waits for it with
 * poll(2), allocating nothing, and doubles as the wait of a thread that has nothing else to do (the capture writer
 * between drains of its ring). The peer "leaves" when it closes the connection, shuts down its sending side, sends
 * anything, or the socket fails. {@link #send} writes a last message back (MSG_NOSIGNAL: a gone peer is an error,
 * never a signal). Takes the descriptor (closed by {@link #close}); one thread uses it at a time.
 */
public final class PeerWatch implements AutoCloseable {
    private static final short POLLIN = 1, POLLOUT = 4, POLLERR = 8, POLLHUP = 0x10, POLLRDHUP = 0x2000;
    private static final int MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000;

    private final int fd;
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment cap = arena.allocate(Native.CAPTURE);
    private final MemorySegment pfd = arena.allocate(16, 4);          // the peer; the watched output
    private final MemorySegment sink = arena.allocate(64, 8);
    private int output = -1;
    private boolean closed;

    public PeerWatch(int fd) {
        this.fd = fd;
        pfd.set(JAVA_INT, 0, fd);
    }

    public int fd() { return fd; }

    /**
     * Also watches fd, an output the caller writes (not owned): {@link #left} returns true as well when it reports an
     * error or hang-up, as a pipe whose reader exited does, and {@link #outputBroken} says so. A regular file never.
     */
    public void watchOutput(int fd) {
        output = fd;
        pfd.set(JAVA_INT, 8, fd);
        pfd.set(JAVA_SHORT, 12, (short) 0);             // no events: only POLLERR/POLLHUP, which poll always reports
    }

    /** After {@link #left} returned true: whether it was the watched output that broke. */
    public boolean outputBroken() { return output >= 0 && (pfd.get(JAVA_SHORT, 14) & (POLLERR | POLLHUP)) != 0; }

    /** Waits up to timeoutMs (0: only looks); true once the peer has left (or the watched output broke). */
    public boolean left(int timeoutMs) {
        try {
            pfd.set(JAVA_SHORT, 4, (short) (POLLIN | POLLRDHUP));
            pfd.set(JAVA_SHORT, 6, (short) 0);
            pfd.set(JAVA_SHORT, 14, (short) 0);
            int rc = (int) Native.POLL.invokeExact(cap, pfd, output >= 0 ? 2L : 1L, timeoutMs);
            if (rc < 0) return Native.errno(cap) != Errno.EINTR;
            if (rc == 0) return false;
            if (outputBroken()) return true;
            short re = pfd.get(JAVA_SHORT, 6);
            if (re == 0) return false;
            if ((re & (POLLHUP | POLLERR | POLLRDHUP | 0x20)) != 0) return true;    // 0x20: POLLNVAL
            long n = (long) NetNative.RECVFROM_AT.invokeExact(cap, fd, sink.address(), sink.byteSize(), MSG_DONTWAIT, 0L, 0L);
            return n >= 0 || (Native.errno(cap) != Errno.EAGAIN && Native.errno(cap) != Errno.EINTR);   // EOF, data, or an error
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Sends all of data, waiting up to timeoutMs for room; false if the peer is gone or the time passed. */
    public boolean send(byte[] data, int timeoutMs) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, buf, JAVA_BYTE, 0, data.length);
            long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
            long off = 0;
            while (off < data.length) {
                long n = (long) NetNative.SENDTO_AT.invokeExact(cap, fd, buf.address() + off, data.length - off, MSG_NOSIGNAL | MSG_DONTWAIT, 0L, 0);
                if (n > 0) {
                    off += n;
                    continue;
                }
                int e = n < 0 ? Native.errno(cap) : Errno.EIO;
                if (e == Errno.EINTR) continue;
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (e != Errno.EAGAIN || left <= 0) return false;
                pfd.set(JAVA_SHORT, 4, POLLOUT);
                int ignored = (int) Native.POLL.invokeExact(cap, pfd, 1L, (int) Math.min(left, 1000));
            }
            return true;
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
