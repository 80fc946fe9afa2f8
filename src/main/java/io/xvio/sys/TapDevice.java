package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.*;

/**
 * A TAP interface this process created ({@code /dev/net/tun}, TUNSETIFF with IFF_TAP|IFF_NO_PI): each read
 * returns one Ethernet frame the host sent to the interface, each write hands one frame to the host stack. The
 * fd is non-blocking. The device is not persistent: the kernel deletes it when the fd is closed.
 *
 * <p>{@link #read} and {@link #write} are the hot path: they allocate nothing and return {@code -errno}
 * instead of throwing. One thread reads; any number write, each with its own thread index (errno is captured
 * per thread).
 */
public final class TapDevice implements AutoCloseable {
    // <linux/if_tun.h>
    static final long TUNSETIFF = 0x400454caL;   // _IOW('T', 202, int)
    static final long TUNGETIFF = 0x800454d2L;   // _IOR('T', 210, unsigned int)
    static final short IFF_TAP = 0x0002, IFF_NO_PI = 0x1000;
    // <asm-generic/fcntl.h>
    static final int O_RDWR = 2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    /** EBADFD: the fd's device was deleted (tun_get() found no device). */
    public static final int EBADFD = 77;
    /** Index of the errno capture slot the reading thread uses; writers use their thread index below it. */
    public static final int READER = 64;

    private final int fd;
    private final String name;
    private final int ifindex;
    private final MemorySegment[] capture = new MemorySegment[READER + 1];
    private volatile boolean closed;

    private TapDevice(int fd, String name, int ifindex) {
        this.fd = fd;
        this.name = name;
        this.ifindex = ifindex;
        long stride = Math.max(64, NetNative.CAPTURE_SIZE);
        MemorySegment slab = Arena.ofAuto().allocate(stride * capture.length, 64);
        for (int i = 0; i < capture.length; i++) capture[i] = slab.asSlice(i * stride, NetNative.CAPTURE_SIZE);
    }

    /**
     * Creates the TAP interface name and attaches to it. Fails with EBUSY if another process holds an interface
     * of that name, EINVAL or EEXIST if a non-TAP interface has it, EPERM without CAP_NET_ADMIN.
     */
    public static TapDevice create(String name) {
        Netdev.checkName(name);
        int fd;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            fd = (int) NetNative.OPEN.invokeExact(cap, a.allocateFrom("/dev/net/tun"), O_RDWR | O_NONBLOCK | O_CLOEXEC, 0);
            if (fd < 0) throw new SysException("open(/dev/net/tun)", NetNative.errno(cap));
            MemorySegment ifr = Netdev.ifreq(a, name);
            ifr.set(JAVA_SHORT, Netdev.IFR_UNION, (short) (IFF_TAP | IFF_NO_PI));
            if (Netdev.ioctl(cap, fd, TUNSETIFF, ifr) < 0) {
                int e = NetNative.errno(cap);
                Fd.closeQuietly(fd);
                throw new SysException("ioctl(TUNSETIFF, " + name + ", IFF_TAP|IFF_NO_PI)", e);
            }
        } catch (SysException | IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        try {
            Netdev.Info info = Netdev.query(name);
            if (info == null) throw new SysException("ioctl(SIOCGIFINDEX, " + name + ") right after creating it", Errno.ENODEV);
            return new TapDevice(fd, name, info.ifindex());
        } catch (RuntimeException e) {
            Fd.closeQuietly(fd);
            throw e;
        }
    }

    public int fd() { return fd; }

    public String name() { return name; }

    /** The interface index the TAP got when it was created. */
    public int ifindex() { return ifindex; }

    /**
     * 0 while the interface is still attached to this fd; EBADFD once someone deleted it (the fd is then useless:
     * close it and create the device again), another errno for other failures.
     */
    public int attachedErrno() {
        if (closed) return Errno.EBADF;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment ifr = a.allocate(Netdev.IFREQ_SIZE, 8);
            return Netdev.ioctl(cap, fd, TUNGETIFF, ifr) < 0 ? NetNative.errno(cap) : 0;
        }
    }

    /**
     * Reads one frame into buf[off, off+capacity). Returns its length, or -errno: -EAGAIN when nothing is
     * waiting, -EBADFD when the interface was deleted. Called by one thread at a time.
     */
    public int read(MemorySegment buf, long off, int capacity) {
        if (off < 0 || capacity < 0 || off + capacity > buf.byteSize() || !buf.isNative()) throw new IndexOutOfBoundsException();
        MemorySegment cap = capture[READER];
        try {
            long n = (long) NetNative.READ_AT.invokeExact(cap, fd, buf.address() + off, (long) capacity);
            return n < 0 ? -NetNative.errno(cap) : (int) n;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Writes one frame buf[off, off+len). Returns len, or -errno: -EIO while the interface is down, -EBADFD
     * when it was deleted, -EINVAL for a frame the kernel refuses. thread (0..63) picks the errno slot.
     */
    public int write(int thread, MemorySegment buf, long off, int len) {
        if (off < 0 || len < 0 || off + len > buf.byteSize() || !buf.isNative()) throw new IndexOutOfBoundsException();
        MemorySegment cap = capture[thread];
        try {
            long n = (long) NetNative.WRITE_AT.invokeExact(cap, fd, buf.address() + off, (long) len);
            return n < 0 ? -NetNative.errno(cap) : (int) n;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Closes the fd, which deletes the interface. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Fd.closeQuietly(fd);
    }
}
