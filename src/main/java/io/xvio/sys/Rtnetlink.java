package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.*;

/**
 * The kernel's addresses and routes, through an rtnetlink socket (NETLINK_ROUTE), as OVS's route table reads them:
 * {@link #addresses} and {@link #routes} dump them (every family, the calling process's network namespace);
 * {@link #monitor} opens a socket subscribed to their changes, which {@link #changed} reads without blocking. Control
 * path only (allocates). A monitor is used by one thread at a time.
 */
public final class Rtnetlink implements AutoCloseable {
    static final int AF_NETLINK = 16, SOCK_RAW = 3, SOCK_NONBLOCK = 0x800, NETLINK_ROUTE = 0;
    // <linux/rtnetlink.h> RTMGRP_*: the multicast groups of address and route changes
    static final int RTMGRP_LINK = 1, RTMGRP_IPV4_IFADDR = 0x10, RTMGRP_IPV4_ROUTE = 0x40, RTMGRP_IPV6_IFADDR = 0x100, RTMGRP_IPV6_ROUTE = 0x400;
    private static final int MSG_DONTWAIT = 0x40, SOCKADDR_NL = 12, BUF = 64 * 1024, SOL_SOCKET = 1, SO_RCVTIMEO = 20;
    private static final long DUMP_TIMEOUT_S = 5;
    private static int nextSeq = (int) (System.nanoTime() & 0x3fffffff);

    private final int fd;
    private final Arena arena;
    private final MemorySegment cap, buf;
    private final byte[] bytes = new byte[BUF];
    private boolean closed;

    /**
     * arena: a confined one for a dump (opened, read and closed by one thread, its memory freed at once) or an automatic
     * one for a monitor (read by the tunnel timer, closed by whoever stops the daemon; never a shared arena, whose
     * close would stop every thread, the PMD threads included, for a moment).
     */
    private Rtnetlink(int groups, boolean nonblocking, Arena arena) {
        this.arena = arena;
        try {
            cap = arena.allocate(Native.CAPTURE);
            buf = arena.allocate(BUF, 8);
            fd = open(groups, nonblocking, arena, cap);
        } catch (RuntimeException e) {
            closeArena(arena);
            throw e;
        }
    }

    private static void closeArena(Arena a) {
        try {
            a.close();
        } catch (UnsupportedOperationException e) {
            // an automatic arena: the garbage collector frees it
        }
    }

    /** Every address of every interface. */
    public static List<NetlinkMessages.Address> addresses() {
        List<NetlinkMessages.Address> out = new ArrayList<>();
        try (Rtnetlink n = new Rtnetlink(0, false, Arena.ofConfined())) {
            n.dump(NetlinkMessages.RTM_GETADDR, out, new ArrayList<>());
        }
        return out;
    }

    /** Every route of every table. */
    public static List<NetlinkMessages.Route> routes() {
        List<NetlinkMessages.Route> out = new ArrayList<>();
        try (Rtnetlink n = new Rtnetlink(0, false, Arena.ofConfined())) {
            n.dump(NetlinkMessages.RTM_GETROUTE, new ArrayList<>(), out);
        }
        return out;
    }

    /** A socket told of every link and every IPv4 and IPv6 address and route change from now on ({@link #changed}). */
    public static Rtnetlink monitor() {
        return new Rtnetlink(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE, true, Arena.ofAuto());
    }

    /**
     * Reads every notification waiting, without blocking: true if a link, an address or a route changed since the last call
     * (or the socket overflowed, ENOBUFS: changes were lost, so read everything again).
     */
    public synchronized boolean changed() {
        boolean any = false;
        try {
            while (true) {
                long n = (long) NetNative.RECVFROM_AT.invokeExact(cap, fd, buf.address(), (long) BUF, MSG_DONTWAIT, 0L, 0L);
                if (n < 0) {
                    int e = Native.errno(cap);
                    if (e == Errno.EAGAIN) return any;
                    if (e == Errno.EINTR) continue;
                    if (e == Errno.ENOBUFS) { any = true; continue; }
                    throw new SysException("recvfrom(netlink route monitor)", e);
                }
                MemorySegment.copy(buf, JAVA_BYTE, 0, bytes, 0, (int) n);
                any |= NetlinkMessages.anyChange(bytes, (int) n);
            }
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private void dump(int type, List<NetlinkMessages.Address> addresses, List<NetlinkMessages.Route> routes) {
        int seq;
        synchronized (Rtnetlink.class) { seq = ++nextSeq; }
        byte[] req = NetlinkMessages.dumpRequest(type, seq);
        try {
            MemorySegment.copy(req, 0, buf, JAVA_BYTE, 0, req.length);
            MemorySegment to = arena.allocate(SOCKADDR_NL, 4);
            to.set(JAVA_SHORT, 0, (short) AF_NETLINK);      // pid 0: the kernel
            long rc = (long) NetNative.SENDTO_AT.invokeExact(cap, fd, buf.address(), (long) req.length, 0, to.address(), SOCKADDR_NL);
            if (rc < 0) throw new SysException("sendto(netlink dump " + type + ")", Native.errno(cap));
            while (true) {
                long n = (long) NetNative.RECVFROM_AT.invokeExact(cap, fd, buf.address(), (long) BUF, 0, 0L, 0L);
                if (n < 0) {
                    int e = Native.errno(cap);
                    if (e == Errno.EINTR) continue;
                    throw new SysException("recvfrom(netlink dump " + type + (e == Errno.EAGAIN ? ", no answer in " + DUMP_TIMEOUT_S + " s)" : ")"), e);
                }
                if (n == 0) throw new SysException("recvfrom(netlink dump " + type + "): the socket closed", Errno.EIO);
                MemorySegment.copy(buf, JAVA_BYTE, 0, bytes, 0, (int) n);
                if (NetlinkMessages.parseDump(bytes, (int) n, seq, addresses, routes)) return;
            }
        } catch (SysException | NetlinkMessages.NetlinkException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static int open(int groups, boolean nonblocking, Arena arena, MemorySegment cap) {
        try {
            int fd = (int) Native.SOCKET.invokeExact(cap, AF_NETLINK, SOCK_RAW | UnixSocket.SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), NETLINK_ROUTE);
            if (fd < 0) throw new SysException("socket(AF_NETLINK, NETLINK_ROUTE)", Native.errno(cap));
            MemorySegment sa = arena.allocate(SOCKADDR_NL, 4);
            sa.set(JAVA_SHORT, 0, (short) AF_NETLINK);
            sa.set(JAVA_INT, 8, groups);                    // pid 0: the kernel assigns one
            int rc = (int) Native.BIND.invokeExact(cap, fd, sa, SOCKADDR_NL);
            if (rc < 0) {
                int e = Native.errno(cap);
                Fd.closeQuietly(fd);
                throw new SysException("bind(netlink, groups 0x" + Integer.toHexString(groups) + ")", e);
            }
            if (!nonblocking) {                              // a dump the kernel never finishes fails, it does not hang
                MemorySegment tv = arena.allocate(16, 8);
                tv.set(JAVA_LONG, 0, DUMP_TIMEOUT_S);
                rc = (int) NetNative.SETSOCKOPT.invokeExact(cap, fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16);
                if (rc < 0) {
                    int e = Native.errno(cap);
                    Fd.closeQuietly(fd);
                    throw new SysException("setsockopt(netlink, SO_RCVTIMEO)", e);
                }
            }
            return fd;
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Fd.closeQuietly(fd);
        closeArena(arena);
    }
}
