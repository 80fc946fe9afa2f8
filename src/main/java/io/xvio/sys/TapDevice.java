package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.*;

/**
 * A TAP interface this process created ({@code /dev/net/tun}, TUNSETIFF with IFF_TAP|IFF_NO_PI): each read
 * returns one Ethernet frame the host sent to the interface, each write hands one frame to the host stack. The
 * fd is non-blocking. The device is not persistent: the kernel deletes it when the fd is closed.
 *
 * <p>With virtio-net headers ({@link #create(String, boolean)}: IFF_VNET_HDR, then TUNSETOFFLOAD with TUN_F_CSUM,
 * TUN_F_TSO4, TUN_F_TSO6 and TUN_F_TSO_ECN) every read and write starts with a {@code struct virtio_net_hdr}
 * (10 bytes, little-endian on this host): the host stack hands over partial checksums and TCP frames of up to
 * 64 KB, and takes them. If TUNSETOFFLOAD fails the headers stay (the kernel then completes and segments what it
 * sends, and still takes large frames): {@link #offloads()} is 0 and {@link #offloadError()} says why.
 *
 * <p>{@link #read} and {@link #write} are the hot path: they allocate nothing and return {@code -errno}
 * instead of throwing. One thread reads; any number write, each with its own thread index (errno is captured
 * per thread).
 */
public final class TapDevice implements AutoCloseable {
    // <linux/if_tun.h>
    static final long TUNSETIFF = 0x400454caL;   // _IOW('T', 202, int)
    static final long TUNGETIFF = 0x800454d2L;   // _IOR('T', 210, unsigned int)
    static final long TUNSETOFFLOAD = 0x400454d0L;   // _IOW('T', 208, unsigned int)
    static final short IFF_TAP = 0x0002, IFF_NO_PI = 0x1000, IFF_VNET_HDR = 0x4000;
    /** TUNSETOFFLOAD bits: what the host may hand over unfinished (partial checksums, TCP GSO frames, with ECN). */
    public static final int TUN_F_CSUM = 1, TUN_F_TSO4 = 2, TUN_F_TSO6 = 4, TUN_F_TSO_ECN = 8;
    /** The offloads {@link #create(String, boolean)} asks for. */
    public static final int OFFLOADS = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    /** Size of the virtio-net header before each frame with IFF_VNET_HDR (TUNSETVNETHDRSZ's default). */
    public static final int VNET_HDR_SIZE = 10;
    // <asm-generic/fcntl.h>
    static final int O_RDWR = 2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    /** EBADFD: the fd's device was deleted (tun_get() found no device). */
    public static final int EBADFD = 77;
    /** Index of the errno capture slot the reading thread uses; writers use their thread index below it. */
    public static final int READER = io.xvio.util.PmdThreadLimit.MAX_THREADS;

    private final int fd;
    private final String name;
    private final int ifindex;
    private final boolean vnet;
    private final int offloads;
    private final String offloadError;
    private final MemorySegment[] capture = new MemorySegment[READER + 1];
    private volatile boolean closed;

    private TapDevice(int fd, String name, int ifindex, boolean vnet, int offloads, String offloadError) {
        this.fd = fd;
        this.vnet = vnet;
        this.offloads = offloads;
        this.offloadError = offloadError;
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
        return create(name, false);
    }

    /**
     * Creates the TAP interface as {@link #create(String)} does, with virtio-net headers and offloads if
     * vnetHeaders (IFF_VNET_HDR, TUNSETOFFLOAD {@link #OFFLOADS}). A kernel that refuses TUNSETOFFLOAD leaves a
     * device with headers and no offloads ({@link #offloadError()}); one that refuses IFF_VNET_HDR fails with
     * EINVAL, and the caller may create the device without.
     */
    public static TapDevice create(String name, boolean vnetHeaders) {
        Netdev.checkName(name);
        int fd, offloads = 0;
        String offloadError = null;
        short flags = (short) (IFF_TAP | IFF_NO_PI | (vnetHeaders ? IFF_VNET_HDR : 0));
        String flagNames = "IFF_TAP|IFF_NO_PI" + (vnetHeaders ? "|IFF_VNET_HDR" : "");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            fd = (int) NetNative.OPEN.invokeExact(cap, a.allocateFrom("/dev/net/tun"), O_RDWR | O_NONBLOCK | O_CLOEXEC, 0);
            if (fd < 0) throw new SysException("open(/dev/net/tun)", NetNative.errno(cap));
            MemorySegment ifr = Netdev.ifreq(a, name);
            ifr.set(JAVA_SHORT, Netdev.IFR_UNION, flags);
            if (Netdev.ioctl(cap, fd, TUNSETIFF, ifr) < 0) {
                int e = NetNative.errno(cap);
                Fd.closeQuietly(fd);
                throw new SysException("ioctl(TUNSETIFF, " + name + ", " + flagNames + ")", e);
            }
            if (vnetHeaders) {
                // the argument is the value itself (an unsigned long), not a pointer to it
                if (Netdev.ioctl(cap, fd, TUNSETOFFLOAD, MemorySegment.ofAddress(OFFLOADS)) < 0) {
                    int e = NetNative.errno(cap);
                    offloadError = "ioctl(TUNSETOFFLOAD, TUN_F_CSUM|TUN_F_TSO4|TUN_F_TSO6|TUN_F_TSO_ECN): " + Errno.name(e) + " (" + Errno.describe(e) + ")";
                } else {
                    offloads = OFFLOADS;
                }
            }
        } catch (SysException | IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        try {
            Netdev.Info info = Netdev.query(name);
            if (info == null) throw new SysException("ioctl(SIOCGIFINDEX, " + name + ") right after creating it", Errno.ENODEV);
            return new TapDevice(fd, name, info.ifindex(), vnetHeaders, offloads, offloadError);
        } catch (RuntimeException e) {
            Fd.closeQuietly(fd);
            throw e;
        }
    }

    public int fd() { return fd; }

    public String name() { return name; }

    /** Whether every read and write starts with a virtio-net header ({@link #VNET_HDR_SIZE} bytes). */
    public boolean vnetHeaders() { return vnet; }

    /** The TUNSETOFFLOAD bits in effect ({@link #TUN_F_CSUM} ...), 0 if none. */
    public int offloads() { return offloads; }

    /** Why TUNSETOFFLOAD failed, or null. */
    public String offloadError() { return offloadError; }

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
