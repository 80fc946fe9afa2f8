package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.*;

/**
 * A connected AF_UNIX stream socket that can carry file descriptors (SCM_RIGHTS), as vhost-user needs.
 * One thread uses a socket at a time.
 */
public final class UnixSocket implements AutoCloseable {
    static final int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1, SCM_RIGHTS = 1;
    private static final int MSG_NOSIGNAL = 0x4000, MSG_DONTWAIT = 0x40, MSG_CMSG_CLOEXEC = 0x40000000, MSG_CTRUNC = 0x8;
    /** Most fds one message may carry (vhost-user's limit: 8 memory regions). */
    public static final int MAX_FDS = 8;
    private static final int SUN_PATH_MAX = 108;

    private final int fd;
    private volatile boolean closed;

    UnixSocket(int fd) { this.fd = fd; }

    public int fd() { return fd; }

    /** Connects to a listening socket at path. */
    public static UnixSocket connect(String path) {
        if (path.getBytes(StandardCharsets.UTF_8).length >= SUN_PATH_MAX)
            throw new IllegalArgumentException("socket path longer than 107 bytes: " + path);
        int fd = newSocket("socket(AF_UNIX) for " + path);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment addr = sockaddr(a, path);
            int rc = (int) Native.CONNECT.invokeExact(cap, fd, addr, (int) addr.byteSize());
            if (rc < 0) {
                int e = Native.errno(cap);
                Fd.closeQuietly(fd);
                throw new SysException("connect(" + path + ")", e);
            }
            return new UnixSocket(fd);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            Fd.closeQuietly(fd);
            throw new IllegalStateException(t);
        }
    }

    /** A connected pair, for tests and in-process peers. */
    public static UnixSocket[] pair() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment fds = a.allocate(JAVA_INT, 2);
            int rc = (int) Native.SOCKETPAIR.invokeExact(cap, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
            if (rc < 0) throw new SysException("socketpair", Native.errno(cap));
            return new UnixSocket[] {new UnixSocket(fds.getAtIndex(JAVA_INT, 0)), new UnixSocket(fds.getAtIndex(JAVA_INT, 1))};
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int newSocket(String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            int fd = (int) Native.SOCKET.invokeExact(cap, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd < 0) throw new SysException(what, Native.errno(cap));
            return fd;
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static MemorySegment sockaddr(Arena a, String path) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length >= SUN_PATH_MAX) throw new IllegalArgumentException("socket path longer than 107 bytes: " + path);
        MemorySegment addr = a.allocate(2 + SUN_PATH_MAX, 2);
        addr.set(JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(p, 0, addr, JAVA_BYTE, 2, p.length);
        return addr;
    }

    /** Sends all of data[off, off+len) with fds attached to the first byte. */
    public void send(byte[] data, int off, int len, int[] fds) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment buf = a.allocate(Math.max(1, len));
            MemorySegment.copy(data, off, buf, JAVA_BYTE, 0, len);
            MemorySegment iov = a.allocate(16, 8);
            MemorySegment msg = a.allocate(56, 8);
            long sent = 0;
            boolean first = true;
            while (sent < len || (first && len == 0)) {
                iov.set(ADDRESS, 0, buf.asSlice(sent));
                iov.set(JAVA_LONG, 8, len - sent);
                msg.fill((byte) 0);
                msg.set(ADDRESS, 16, iov);
                msg.set(JAVA_LONG, 24, 1L);
                if (first && fds != null && fds.length > 0) {
                    if (fds.length > MAX_FDS) throw new IllegalArgumentException("at most " + MAX_FDS + " fds per message");
                    long space = 16 + align8(4L * fds.length);
                    MemorySegment ctl = a.allocate(space, 8);
                    ctl.set(JAVA_LONG, 0, 16 + 4L * fds.length);
                    ctl.set(JAVA_INT, 8, SOL_SOCKET);
                    ctl.set(JAVA_INT, 12, SCM_RIGHTS);
                    for (int i = 0; i < fds.length; i++) ctl.set(JAVA_INT, 16 + 4L * i, fds[i]);
                    msg.set(ADDRESS, 32, ctl);
                    msg.set(JAVA_LONG, 40, space);
                }
                long n = (long) Native.SENDMSG.invokeExact(cap, fd, msg, MSG_NOSIGNAL);
                if (n < 0) {
                    int e = Native.errno(cap);
                    if (e == Errno.EINTR) continue;
                    throw new SysException("sendmsg(fd " + fd + ")", e);
                }
                sent += n;
                first = false;
                if (len == 0) break;
            }
        } catch (SysException | IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public void send(byte[] data) { send(data, 0, data.length, null); }

    /**
     * Receives exactly len bytes into dst. File descriptors that arrive with them are stored in fdsOut (in
     * order) and their count returned in the result; if more than fdsOut can hold arrive, every received fd
     * is closed and a {@link SysException} with EMSGSIZE-like meaning is thrown as {@link TooManyFdsException}.
     *
     * @return the number of fds received, or -1 if the peer closed the connection before the first byte
     */
    public int recvFully(byte[] dst, int len, int[] fdsOut) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment buf = a.allocate(Math.max(1, len));
            MemorySegment iov = a.allocate(16, 8);
            MemorySegment msg = a.allocate(56, 8);
            long ctlSpace = 16 + align8(4L * MAX_FDS);
            MemorySegment ctl = a.allocate(ctlSpace, 8);
            long got = 0;
            int nfds = 0;
            boolean tooMany = false;
            while (got < len) {
                iov.set(ADDRESS, 0, buf.asSlice(got));
                iov.set(JAVA_LONG, 8, len - got);
                msg.fill((byte) 0);
                msg.set(ADDRESS, 16, iov);
                msg.set(JAVA_LONG, 24, 1L);
                ctl.fill((byte) 0);
                msg.set(ADDRESS, 32, ctl);
                msg.set(JAVA_LONG, 40, ctlSpace);
                long n = (long) Native.RECVMSG.invokeExact(cap, fd, msg, MSG_CMSG_CLOEXEC);
                if (n < 0) {
                    int e = Native.errno(cap);
                    if (e == Errno.EINTR) continue;
                    closeAll(fdsOut, nfds);
                    throw new SysException("recvmsg(fd " + fd + ")", e);
                }
                if (n == 0) {
                    closeAll(fdsOut, nfds);
                    if (got == 0) return -1;
                    throw new SysException("recvmsg(fd " + fd + "): peer closed mid-message after " + got + " of " + len + " bytes", Errno.ECONNRESET);
                }
                // walk the control messages
                long controllen = msg.get(JAVA_LONG, 40);
                if ((msg.get(JAVA_INT, 48) & MSG_CTRUNC) != 0) tooMany = true;
                long off = 0;
                while (off + 16 <= controllen) {
                    long clen = ctl.get(JAVA_LONG, off);
                    if (clen < 16 || off + clen > controllen) break;
                    if (ctl.get(JAVA_INT, off + 8) == SOL_SOCKET && ctl.get(JAVA_INT, off + 12) == SCM_RIGHTS) {
                        int count = (int) ((clen - 16) / 4);
                        for (int i = 0; i < count; i++) {
                            int rfd = ctl.get(JAVA_INT, off + 16 + 4L * i);
                            if (fdsOut != null && nfds < fdsOut.length) fdsOut[nfds++] = rfd;
                            else { Fd.closeQuietly(rfd); tooMany = true; }
                        }
                    }
                    off += align8(clen);
                }
                got += n;
            }
            MemorySegment.copy(buf, JAVA_BYTE, 0, dst, 0, len);
            if (tooMany) {
                closeAll(fdsOut, nfds);
                throw new TooManyFdsException("message carried more file descriptors than allowed (" +
                        (fdsOut == null ? 0 : fdsOut.length) + ")");
            }
            return nfds;
        } catch (SysException | TooManyFdsException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * One recv(2) of up to len bytes into dst[off..]: waits until something arrives (a blocking socket). Returns the
     * count, or -1 at end of stream (the peer closed or shut down its side, or {@link #shutdown} was called here).
     * A control-path call: it allocates.
     */
    public int read(byte[] dst, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, dst.length);
        if (len == 0) return 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment buf = a.allocate(len);
            while (true) {
                long n = (long) NetNative.RECVFROM_AT.invokeExact(cap, fd, buf.address(), (long) len, 0, 0L, 0L);
                if (n < 0) {
                    int e = Native.errno(cap);
                    if (e == Errno.EINTR) continue;
                    throw new SysException("recv(fd " + fd + ")", e);
                }
                if (n == 0) return -1;
                MemorySegment.copy(buf, JAVA_BYTE, 0, dst, off, (int) n);
                return (int) n;
            }
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * One send(2) of up to len bytes of src[off..] (MSG_NOSIGNAL: a gone peer is EPIPE, never a signal). With wait,
     * blocks until some room; without, takes what fits now and returns 0 if nothing does. Returns the count sent.
     */
    public int write(byte[] src, int off, int len, boolean wait) {
        java.util.Objects.checkFromIndexSize(off, len, src.length);
        if (len == 0) return 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment buf = a.allocate(len);
            MemorySegment.copy(src, off, buf, JAVA_BYTE, 0, len);
            int flags = MSG_NOSIGNAL | (wait ? 0 : MSG_DONTWAIT);
            while (true) {
                long n = (long) NetNative.SENDTO_AT.invokeExact(cap, fd, buf.address(), (long) len, flags, 0L, 0);
                if (n >= 0) return (int) n;
                int e = Native.errno(cap);
                if (e == Errno.EINTR) continue;
                if (e == Errno.EAGAIN && !wait) return 0;
                throw new SysException("send(fd " + fd + ")", e);
            }
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void closeAll(int[] fds, int n) {
        for (int i = 0; i < n; i++) Fd.closeQuietly(fds[i]);
    }

    private static long align8(long n) { return (n + 7) & ~7L; }

    /** Wakes a thread blocked in recv on this socket (shutdown(SHUT_RDWR)); close() follows. */
    public void shutdown() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            int ignored = (int) Native.SHUTDOWN.invokeExact(cap, fd, 2);
        } catch (Throwable ignored) {
        }
    }

    /** Shuts down the sending side (shutdown(SHUT_WR)): the peer reads end-of-file, this side can still receive. */
    public void shutdownOutput() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            int ignored = (int) Native.SHUTDOWN.invokeExact(cap, fd, 1);
        } catch (Throwable ignored) {
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Fd.closeQuietly(fd);
    }

    /** A message arrived with more fds than the receiver allows; all of them were closed. */
    public static final class TooManyFdsException extends RuntimeException {
        public TooManyFdsException(String m) { super(m); }
    }
}
