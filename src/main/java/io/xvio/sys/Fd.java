package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/** Plain file-descriptor calls: close, read, write, poll, unlink, memfd. Control path only (they allocate). */
public final class Fd {
    public static final short POLLIN = 1, POLLERR = 8, POLLHUP = 0x10, POLLNVAL = 0x20;

    private Fd() {}

    public static void close(int fd) {
        if (fd < 0) return;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            int rc = (int) Native.CLOSE.invokeExact(cap, fd);
            if (rc < 0 && Native.errno(cap) != Errno.EINTR) throw new SysException("close(" + fd + ")", Native.errno(cap));
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Closes, ignoring errors: for cleanup paths. */
    public static void closeQuietly(int fd) {
        try { close(fd); } catch (RuntimeException ignored) { }
    }

    public static int dup(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            int rc = (int) Native.DUP.invokeExact(cap, fd);
            if (rc < 0) throw new SysException("dup(" + fd + ")", Native.errno(cap));
            return rc;
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Waits until fd is readable or hung up. Returns the revents, or 0 on timeout.
     */
    public static int pollIn(int fd, int timeoutMs) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment pfd = a.allocate(8, 4);
            pfd.set(JAVA_INT, 0, fd);
            pfd.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 4, POLLIN);
            while (true) {
                int rc = (int) Native.POLL.invokeExact(cap, pfd, 1L, timeoutMs);
                if (rc < 0) {
                    int e = Native.errno(cap);
                    if (e == Errno.EINTR) continue;
                    throw new SysException("poll(" + fd + ")", e);
                }
                return rc == 0 ? 0 : pfd.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 6);
            }
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static void unlinkIfExists(String path) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            int rc = (int) Native.UNLINK.invokeExact(cap, a.allocateFrom(path));
            if (rc < 0 && Native.errno(cap) != Errno.ENOENT) throw new SysException("unlink(" + path + ")", Native.errno(cap));
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** memfd_create + ftruncate: anonymous shared memory that can be passed over a Unix socket. */
    public static int memfd(String name, long size) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            int fd = (int) Native.MEMFD_CREATE.invokeExact(cap, a.allocateFrom(name), 1 /* MFD_CLOEXEC */);
            if (fd < 0) throw new SysException("memfd_create(" + name + ")", Native.errno(cap));
            int rc = (int) Native.FTRUNCATE.invokeExact(cap, fd, size);
            if (rc < 0) {
                int e = Native.errno(cap);
                closeQuietly(fd);
                throw new SysException("ftruncate(memfd " + name + ", " + size + ")", e);
            }
            return fd;
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Size in bytes of the file behind fd if it is a regular file (memfd, tmpfs, hugetlbfs), else -1. */
    public static long regularFileSize(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment st = a.allocate(256, 8);
            int rc = (int) Native.FSTAT.invokeExact(cap, fd, st);
            if (rc < 0) throw new SysException("fstat(fd " + fd + ")", Native.errno(cap));
            int mode = st.get(JAVA_INT, 24);                                    // struct stat.st_mode on x86_64
            return (mode & 0xf000) == 0x8000 ? st.get(java.lang.foreign.ValueLayout.JAVA_LONG, 48) : -1;   // S_ISREG
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Size in bytes of the file behind fd (fstat st_size). */
    public static long size(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment st = a.allocate(256, 8);
            int rc = (int) Native.FSTAT.invokeExact(cap, fd, st);
            if (rc < 0) throw new SysException("fstat(fd " + fd + ")", Native.errno(cap));
            return st.get(java.lang.foreign.ValueLayout.JAVA_LONG, 48);   // struct stat.st_size on x86_64
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static int getpid() {
        try {
            return (int) Native.GETPID.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static int gettid() {
        try {
            return (int) Native.GETTID.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
