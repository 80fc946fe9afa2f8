package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.*;

/**
 * Linux network interfaces by name, through ioctls on a datagram socket (the way ifconfig does it): index,
 * flags, MTU, MAC, and bringing an interface up. Control path only (allocates). Names resolve in the network
 * namespace of the calling process.
 */
public final class Netdev {
    // <linux/sockios.h>
    static final long SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914, SIOCGIFMTU = 0x8921, SIOCSIFMTU = 0x8922, SIOCGIFHWADDR = 0x8927,
            SIOCGIFINDEX = 0x8933;
    // <linux/if.h>: net_device_flags (the low 16 bits travel in ifreq.ifr_flags)
    public static final int IFF_UP = 0x1, IFF_BROADCAST = 0x2, IFF_LOOPBACK = 0x8, IFF_RUNNING = 0x40,
            IFF_PROMISC = 0x100, IFF_MULTICAST = 0x1000;
    /** IFNAMSIZ: 15 characters and the terminating NUL. */
    public static final int IFNAMSIZ = 16;
    /**
     * struct ifreq (x86-64, 40 bytes): char ifr_name[16] at 0, then a union at 16 of short ifr_flags,
     * int ifr_ifindex, int ifr_mtu, struct sockaddr ifr_hwaddr (sa_family u16 at 16, sa_data[14] at 18),
     * struct ifmap (24 bytes, the largest member).
     */
    static final int IFREQ_SIZE = 40, IFR_UNION = 16, IFR_HWADDR_DATA = 18;
    static final int AF_INET = 2, SOCK_DGRAM = 2;

    /** What {@link #query} found: index, flags (IFF_*), MTU and MAC (as a 48-bit long) of an interface. */
    public record Info(String name, int ifindex, int flags, int mtu, long mac) {
        public boolean up() { return (flags & IFF_UP) != 0; }
        public boolean running() { return (flags & IFF_RUNNING) != 0; }
        public boolean promiscuous() { return (flags & IFF_PROMISC) != 0; }
    }

    private Netdev() {}

    /** Whether name is acceptable to the kernel (dev_valid_name): 1-15 bytes, not "." or "..", no '/', ':' or space. */
    public static boolean validName(String name) {
        if (name == null || name.isEmpty() || name.equals(".") || name.equals("..")) return false;
        if (name.getBytes(StandardCharsets.UTF_8).length >= IFNAMSIZ) return false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':' || c == '%' || Character.isWhitespace(c) || c < 0x20) return false;
        }
        return true;
    }

    /** The interface's index, flags, MTU and MAC, or null if no interface has that name (ENODEV). */
    public static Info query(String name) {
        checkName(name);
        try (Arena a = Arena.ofConfined()) {
            int sock = controlSocket(name);
            try {
                MemorySegment cap = a.allocate(Native.CAPTURE);
                MemorySegment ifr = ifreq(a, name);
                int rc = ioctl(cap, sock, SIOCGIFINDEX, ifr);
                if (rc < 0) {
                    int e = NetNative.errno(cap);
                    if (e == Errno.ENODEV) return null;
                    throw new SysException("ioctl(SIOCGIFINDEX, " + name + ")", e);
                }
                int ifindex = ifr.get(JAVA_INT, IFR_UNION);
                int flags = Short.toUnsignedInt(get(cap, sock, SIOCGIFFLAGS, "SIOCGIFFLAGS", a, name).get(JAVA_SHORT, IFR_UNION));
                int mtu = get(cap, sock, SIOCGIFMTU, "SIOCGIFMTU", a, name).get(JAVA_INT, IFR_UNION);
                MemorySegment hw = get(cap, sock, SIOCGIFHWADDR, "SIOCGIFHWADDR", a, name);
                long mac = 0;
                for (int i = 0; i < 6; i++) mac = (mac << 8) | (hw.get(JAVA_BYTE, IFR_HWADDR_DATA + i) & 0xff);
                return new Info(name, ifindex, flags, mtu, mac);
            } finally {
                Fd.closeQuietly(sock);
            }
        } catch (NoSuchInterface e) {
            return null;
        }
    }

    /** Sets IFF_UP on the interface (SIOCGIFFLAGS, then SIOCSIFFLAGS). */
    public static void setUp(String name) {
        checkName(name);
        try (Arena a = Arena.ofConfined()) {
            int sock = controlSocket(name);
            try {
                MemorySegment cap = a.allocate(Native.CAPTURE);
                MemorySegment ifr = get(cap, sock, SIOCGIFFLAGS, "SIOCGIFFLAGS", a, name);
                short flags = ifr.get(JAVA_SHORT, IFR_UNION);
                if ((flags & IFF_UP) != 0) return;
                ifr.set(JAVA_SHORT, IFR_UNION, (short) (flags | IFF_UP));
                if (ioctl(cap, sock, SIOCSIFFLAGS, ifr) < 0)
                    throw new SysException("ioctl(SIOCSIFFLAGS, " + name + ", IFF_UP)", NetNative.errno(cap));
            } finally {
                Fd.closeQuietly(sock);
            }
        } catch (NoSuchInterface e) {
            throw new SysException("ioctl(SIOCGIFFLAGS, " + name + ")", Errno.ENODEV);
        }
    }

    /** SIOCSIFMTU: sets the interface's MTU (needs CAP_NET_ADMIN; EINVAL: outside what the device takes). */
    public static void setMtu(String name, int mtu) {
        checkName(name);
        try (Arena a = Arena.ofConfined()) {
            int sock = controlSocket(name);
            try {
                MemorySegment cap = a.allocate(Native.CAPTURE);
                MemorySegment ifr = ifreq(a, name);
                ifr.set(JAVA_INT, IFR_UNION, mtu);
                if (ioctl(cap, sock, SIOCSIFMTU, ifr) < 0)
                    throw new SysException("ioctl(SIOCSIFMTU, " + name + ", " + mtu + ")", NetNative.errno(cap));
            } finally {
                Fd.closeQuietly(sock);
            }
        }
    }

    /** The MAC as text, "02:00:00:00:00:0a". */
    public static String formatMac(long mac) {
        StringBuilder sb = new StringBuilder(17);
        for (int i = 5; i >= 0; i--) {
            int b = (int) (mac >>> (8 * i)) & 0xff;
            sb.append(Character.forDigit(b >> 4, 16)).append(Character.forDigit(b & 15, 16));
            if (i > 0) sb.append(':');
        }
        return sb.toString();
    }

    static void checkName(String name) {
        if (!validName(name)) throw new IllegalArgumentException("not a valid interface name: \"" + name + "\" (1-15 characters, no '/', ':', '%' or spaces)");
    }

    static MemorySegment ifreq(Arena a, String name) {
        MemorySegment ifr = a.allocate(IFREQ_SIZE, 8);
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(n, 0, ifr, JAVA_BYTE, 0, n.length);
        return ifr;
    }

    private static MemorySegment get(MemorySegment cap, int sock, long request, String what, Arena a, String name) {
        MemorySegment ifr = ifreq(a, name);
        if (ioctl(cap, sock, request, ifr) < 0) {
            int e = NetNative.errno(cap);
            if (e == Errno.ENODEV) throw new NoSuchInterface();   // vanished between two calls
            throw new SysException("ioctl(" + what + ", " + name + ")", e);
        }
        return ifr;
    }

    static int ioctl(MemorySegment cap, int fd, long request, MemorySegment arg) {
        try {
            return (int) NetNative.IOCTL.invokeExact(cap, fd, request, arg);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static int controlSocket(String forName) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            int fd = (int) Native.SOCKET.invokeExact(cap, AF_INET, SOCK_DGRAM | UnixSocket.SOCK_CLOEXEC, 0);
            if (fd < 0) throw new SysException("socket(AF_INET, SOCK_DGRAM) for ioctls on " + forName, Native.errno(cap));
            return fd;
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** ENODEV from a second ioctl: the interface went away while it was being queried. */
    private static final class NoSuchInterface extends RuntimeException {
        NoSuchInterface() { super(null, null, false, false); }
    }
}
