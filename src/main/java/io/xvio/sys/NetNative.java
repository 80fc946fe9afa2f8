package io.xvio.sys;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.*;

/**
 * Downcall handles for network devices: ioctl, open, setsockopt/getsockopt, and the hot-path read/write/sendto
 * used by TAP and AF_PACKET ports. Every handle captures errno. The hot-path ones take buffer addresses as
 * {@code long} (a pointer is an integer register on x86-64 and aarch64), so a call needs no MemorySegment per
 * packet; callers check the bounds themselves.
 */
final class NetNative {
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** int ioctl(int fd, unsigned long request, void *arg): variadic after the request. */
    static final MethodHandle IOCTL = variadic("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);
    /** int open(const char *path, int flags, mode_t mode): variadic after the flags. */
    static final MethodHandle OPEN = variadic("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 2);
    static final MethodHandle SETSOCKOPT = errno("setsockopt", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    static final MethodHandle GETSOCKOPT = errno("getsockopt", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));

    // hot path: addresses as longs
    /** ssize_t read(int fd, void *buf, size_t n) */
    static final MethodHandle READ_AT = errno("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    /** ssize_t write(int fd, const void *buf, size_t n) */
    static final MethodHandle WRITE_AT = errno("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    /** ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to, socklen_t tolen) */
    static final MethodHandle SENDTO_AT = errno("sendto", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));

    /** ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *from, socklen_t *fromlen) */
    static final MethodHandle RECVFROM_AT = errno("recvfrom", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));

    /** Size of the errno capture area (one per calling thread). */
    static final long CAPTURE_SIZE = Native.CAPTURE.byteSize();

    private NetNative() {}

    private static MethodHandle errno(String name, FunctionDescriptor fd) {
        return Native.LINKER.downcallHandle(Native.LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name)), fd, CAPTURE_ERRNO);
    }

    private static MethodHandle variadic(String name, FunctionDescriptor fd, int firstVariadic) {
        return Native.LINKER.downcallHandle(Native.LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name)), fd,
                CAPTURE_ERRNO, Linker.Option.firstVariadicArg(firstVariadic));
    }

    static int errno(MemorySegment capture) {
        return Native.errno(capture);
    }
}
