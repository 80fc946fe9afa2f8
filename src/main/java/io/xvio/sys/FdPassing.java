package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.*;

/**
 * Hands one file descriptor to the process at the other end of a connected AF_UNIX stream socket: one byte with an
 * SCM_RIGHTS control message (sendmsg/recvmsg). The receiver gets its own descriptor for the same open file (a
 * file, a pipe, a terminal), as if dup'ed; the sender may close its copy. `xvio capture` passes its output this way,
 * so the daemon writes the pcap itself. Works on blocking and non-blocking sockets (a JDK channel's socket is
 * non-blocking under virtual threads). Control path: these calls allocate.
 *
 * <p>Linux x86_64 layouts: struct msghdr {name 0, namelen 8, iov 16, iovlen 24, control 32, controllen 40, flags 48}
 * (56 bytes); struct cmsghdr {len 0 (size_t), level 8, type 12, data 16}; CMSG_SPACE(4) = 24, CMSG_LEN(4) = 20.
 */
public final class FdPassing {
    private static final int SOL_SOCKET = 1, SCM_RIGHTS = 1;
    private static final int MSG_NOSIGNAL = 0x4000, MSG_DONTWAIT = 0x40, MSG_CMSG_CLOEXEC = 0x40000000, MSG_CTRUNC = 0x8;
    private static final short POLLIN = 1, POLLOUT = 4;
    private static final int MSGHDR = 56, CMSG_HEADER = 16;
    /** Room for a few descriptors: a peer that sends more than one gets all of them closed, never leaked. */
    private static final int ROOM = 8;

    /** The peer closed, sent no descriptor, or sent too many: nothing was kept. */
    public static final class NoFdException extends RuntimeException {
        NoFdException(String m) { super(m); }
    }

    private FdPassing() {}

    /** Sends one byte (tag) with fd attached over the connected AF_UNIX socket sock. */
    public static void send(int sock, int fd, byte tag) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment data = a.allocate(1);
            data.set(JAVA_BYTE, 0, tag);
            MemorySegment iov = a.allocate(16, 8);
            iov.set(ADDRESS, 0, data);
            iov.set(JAVA_LONG, 8, 1L);
            MemorySegment ctl = a.allocate(CMSG_HEADER + 8, 8);
            ctl.set(JAVA_LONG, 0, CMSG_HEADER + 4L);
            ctl.set(JAVA_INT, 8, SOL_SOCKET);
            ctl.set(JAVA_INT, 12, SCM_RIGHTS);
            ctl.set(JAVA_INT, 16, fd);
            MemorySegment msg = a.allocate(MSGHDR, 8);
            msg.set(ADDRESS, 16, iov);
            msg.set(JAVA_LONG, 24, 1L);
            msg.set(ADDRESS, 32, ctl);
            msg.set(JAVA_LONG, 40, CMSG_HEADER + 8L);
            while (true) {
                long n = (long) Native.SENDMSG.invokeExact(cap, sock, msg, MSG_NOSIGNAL);
                if (n == 1) return;
                int e = n < 0 ? Native.errno(cap) : Errno.EIO;
                if (e == Errno.EINTR) continue;
                if (e == Errno.EAGAIN) {
                    await(a, sock, POLLOUT, 1000);
                    continue;
                }
                throw new SysException("sendmsg(fd " + sock + ", SCM_RIGHTS " + fd + ")", e);
            }
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Receives the byte and the one descriptor sent with it ({@link #send}), waiting up to timeoutMs; the
     * descriptor is close-on-exec. {@link NoFdException} if the peer closes first, the time passes, or the message
     * carries no descriptor or more than one (all closed).
     */
    public static int receive(int sock, int timeoutMs) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment data = a.allocate(1);
            MemorySegment iov = a.allocate(16, 8);
            iov.set(ADDRESS, 0, data);
            iov.set(JAVA_LONG, 8, 1L);
            long room = CMSG_HEADER + 4L * ROOM;
            MemorySegment ctl = a.allocate(room, 8);
            MemorySegment msg = a.allocate(MSGHDR, 8);
            long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
            while (true) {
                msg.fill((byte) 0);
                ctl.fill((byte) 0);
                msg.set(ADDRESS, 16, iov);
                msg.set(JAVA_LONG, 24, 1L);
                msg.set(ADDRESS, 32, ctl);
                msg.set(JAVA_LONG, 40, room);
                long n = (long) Native.RECVMSG.invokeExact(cap, sock, msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
                if (n < 0) {
                    int e = Native.errno(cap);
                    if (e == Errno.EINTR) continue;
                    if (e != Errno.EAGAIN) throw new SysException("recvmsg(fd " + sock + ")", e);
                    long left = (deadline - System.nanoTime()) / 1_000_000L;
                    if (left <= 0) throw new NoFdException("no file descriptor within " + timeoutMs + " ms");
                    await(a, sock, POLLIN, (int) Math.min(left, Integer.MAX_VALUE));
                    continue;
                }
                if (n == 0) throw new NoFdException("the peer closed the connection without sending a file descriptor");
                return take(ctl, msg.get(JAVA_LONG, 40), (msg.get(JAVA_INT, 48) & MSG_CTRUNC) != 0);
            }
        } catch (SysException | NoFdException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The one descriptor in the control messages; every other one is closed. */
    private static int take(MemorySegment ctl, long len, boolean truncated) {
        int fd = -1, count = 0;
        for (long off = 0; off + CMSG_HEADER <= len; ) {
            long clen = ctl.get(JAVA_LONG, off);
            if (clen < CMSG_HEADER || off + clen > len) break;
            if (ctl.get(JAVA_INT, off + 8) == SOL_SOCKET && ctl.get(JAVA_INT, off + 12) == SCM_RIGHTS) {
                for (long i = off + CMSG_HEADER; i + 4 <= off + clen; i += 4) {
                    int f = ctl.get(JAVA_INT, i);
                    if (count++ == 0) fd = f;
                    else Fd.closeQuietly(f);
                }
            }
            off += (clen + 7) & ~7L;
        }
        if (count == 1 && !truncated) return fd;
        if (fd >= 0) Fd.closeQuietly(fd);
        throw new NoFdException(count == 0 ? "the message carried no file descriptor" : "the message carried " + (truncated ? "too many" : count) + " file descriptors, not one");
    }

    private static void await(Arena a, int fd, short events, int timeoutMs) throws Throwable {
        MemorySegment cap = a.allocate(Native.CAPTURE);
        MemorySegment pfd = a.allocate(8, 4);
        pfd.set(JAVA_INT, 0, fd);
        pfd.set(JAVA_SHORT, 4, events);
        int rc = (int) Native.POLL.invokeExact(cap, pfd, 1L, timeoutMs);
        if (rc < 0 && Native.errno(cap) != Errno.EINTR) throw new SysException("poll(fd " + fd + ")", Native.errno(cap));
    }
}
