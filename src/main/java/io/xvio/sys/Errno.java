package io.xvio.sys;

import java.lang.foreign.MemorySegment;

/** errno values the code reacts to, and their names for messages. */
public final class Errno {
    public static final int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, EBADF = 9, EAGAIN = 11, ENOMEM = 12,
            EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17, ENODEV = 19, EINVAL = 22, EMFILE = 24, ENOSPC = 28,
            EPIPE = 32, ENOSYS = 38, ENOTCONN = 107, ECONNRESET = 104, ECONNREFUSED = 111, EADDRINUSE = 98,
            ENETDOWN = 100, ENXIO = 6, EOPNOTSUPP = 95, ENOBUFS = 105;

    private Errno() {}

    public static String name(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM"; case ENOENT -> "ENOENT"; case EINTR -> "EINTR"; case EIO -> "EIO";
            case EBADF -> "EBADF"; case EAGAIN -> "EAGAIN"; case ENOMEM -> "ENOMEM"; case EACCES -> "EACCES";
            case EFAULT -> "EFAULT"; case EBUSY -> "EBUSY"; case EEXIST -> "EEXIST"; case ENODEV -> "ENODEV";
            case EINVAL -> "EINVAL"; case EMFILE -> "EMFILE"; case ENOSPC -> "ENOSPC"; case EPIPE -> "EPIPE";
            case ENOSYS -> "ENOSYS"; case ENOTCONN -> "ENOTCONN"; case ECONNRESET -> "ECONNRESET";
            case ECONNREFUSED -> "ECONNREFUSED"; case EADDRINUSE -> "EADDRINUSE"; case ENETDOWN -> "ENETDOWN";
            case ENXIO -> "ENXIO"; case EOPNOTSUPP -> "EOPNOTSUPP"; case ENOBUFS -> "ENOBUFS";
            default -> "errno " + errno;
        };
    }

    /** The C library's text for errno (strerror). */
    public static String describe(int errno) {
        try {
            MemorySegment s = (MemorySegment) Native.STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "unknown error";
        }
    }
}
