package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.*;

/**
 * An epoll instance: register fds with a 64-bit tag, wait for readiness. The event buffer is allocated once,
 * so {@link #await} allocates nothing (for idle PMD threads that sleep on their queues' kick eventfds).
 */
public final class Epoll implements AutoCloseable {
    public static final int IN = 0x1, ERR = 0x8, HUP = 0x10, RDHUP = 0x2000, ET = 1 << 31;
    private static final int CTL_ADD = 1, CTL_DEL = 2, CTL_MOD = 3;
    private static final int EVENT_SIZE = 12;    // struct epoll_event is packed on x86-64: u32 events, u64 data

    private final int fd;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment events;
    private final MemorySegment capture;
    private final int max;
    private boolean closed;

    public Epoll(int maxEvents) {
        this.max = maxEvents;
        this.events = arena.allocate((long) EVENT_SIZE * maxEvents, 8);
        this.capture = arena.allocate(Native.CAPTURE);
        try {
            int rc = (int) Native.EPOLL_CREATE1.invokeExact(capture, 0x80000 /* EPOLL_CLOEXEC */);
            if (rc < 0) throw new SysException("epoll_create1", Native.errno(capture));
            fd = rc;
        } catch (SysException e) {
            arena.close();
            throw e;
        } catch (Throwable t) {
            arena.close();
            throw new IllegalStateException(t);
        }
    }

    public void add(int target, int events, long tag) { ctl(CTL_ADD, target, events, tag, "EPOLL_CTL_ADD"); }

    public void modify(int target, int events, long tag) { ctl(CTL_MOD, target, events, tag, "EPOLL_CTL_MOD"); }

    public void remove(int target) { ctl(CTL_DEL, target, 0, 0, "EPOLL_CTL_DEL"); }

    private void ctl(int op, int target, int ev, long tag, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment e = a.allocate(EVENT_SIZE, 4);
            e.set(JAVA_INT_UNALIGNED, 0, ev);
            e.set(JAVA_LONG_UNALIGNED, 4, tag);
            int rc = (int) Native.EPOLL_CTL.invokeExact(cap, fd, op, target, e);
            if (rc < 0) throw new SysException("epoll_ctl(" + what + ", fd " + target + ")", Native.errno(cap));
        } catch (SysException x) {
            throw x;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Waits up to timeoutMs (-1: forever) for events; returns how many are ready (0 on timeout or EINTR).
     * Read them with {@link #tag} and {@link #events}.
     */
    public int await(int timeoutMs) {
        try {
            int n = (int) Native.EPOLL_WAIT.invokeExact(capture, fd, events, max, timeoutMs);
            if (n < 0) {
                int e = Native.errno(capture);
                if (e == Errno.EINTR) return 0;
                throw new SysException("epoll_wait", e);
            }
            return n;
        } catch (SysException x) {
            throw x;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public long tag(int i) { return events.get(JAVA_LONG_UNALIGNED, (long) EVENT_SIZE * i + 4); }

    public int events(int i) { return events.get(JAVA_INT_UNALIGNED, (long) EVENT_SIZE * i); }

    /** Closes the instance once (a second call does nothing: the fd number may already be another file's). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Fd.closeQuietly(fd);
        arena.close();
    }
}
