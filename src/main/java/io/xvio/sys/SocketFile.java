package io.xvio.sys;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The file-system side of a listening AF_UNIX socket. Before binding, {@link #claim} makes room at a path
 * without harming anything there: a file that is not a socket is refused (never deleted), a socket someone
 * listens on is refused (another daemon keeps it), and only a stale socket (nobody listens) is removed. On close,
 * {@link #removeIfSame} removes the path only if it is still the socket this process bound.
 */
public final class SocketFile {
    private static final int S_IFMT = 0170000, S_IFSOCK = 0140000, S_IFREG = 0100000, S_IFDIR = 0040000,
            S_IFLNK = 0120000, S_IFIFO = 0010000, S_IFCHR = 0020000, S_IFBLK = 0060000;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final MethodHandle UMASK = Native.LINKER.downcallHandle(Native.LIBC.find("umask").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    /** The path cannot be used for a new listening socket; the message says why. Nothing was changed. */
    public static final class RefusedException extends RuntimeException {
        public RefusedException(String message) { super(message); }
    }

    private SocketFile() {}

    /** Frees path for bind(): nothing there, or a stale socket (removed); refuses anything else. */
    public static void claim(String path) {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(Path.of(path), "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw new RefusedException("cannot inspect " + path + ": " + e.getMessage());
        }
        if ((mode & S_IFMT) != S_IFSOCK)
            throw new RefusedException(path + " exists and is not a socket (" + kind(mode) + "): refusing to replace it");
        int probe = probe(path);
        if (probe == 0 || probe == Errno.EAGAIN)   // EAGAIN: a listener whose backlog is full
            throw new RefusedException("another xvio (or program) is listening on " + path);
        if (probe == Errno.ENOENT) return;         // removed meanwhile
        if (probe != Errno.ECONNREFUSED)
            throw new RefusedException("cannot tell whether someone listens on " + path + ": connect: "
                    + Errno.name(probe) + " (" + Errno.describe(probe) + ")");
        Fd.unlinkIfExists(path);                   // a stale socket from a run that did not end cleanly
    }

    /** The file's identity (device and inode), or null if there is none. */
    public static Object identity(String path) {
        try {
            return Files.readAttributes(Path.of(path), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /** Removes path if it is still the file identity names (not a socket someone else created since). */
    public static void removeIfSame(String path, Object identity) {
        if (identity != null && identity.equals(identity(path))) Fd.unlinkIfExists(path);
    }

    /** Sets the process's file-mode creation mask; returns the previous one. */
    public static int umask(int mask) {
        try {
            return (int) UMASK.invokeExact(mask);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A non-blocking connect to path: 0 if someone accepted, else the errno (ECONNREFUSED: nobody listens). */
    private static int probe(String path) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            int fd = (int) Native.SOCKET.invokeExact(cap, UnixSocket.AF_UNIX, UnixSocket.SOCK_STREAM | UnixSocket.SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            if (fd < 0) throw new SysException("socket(AF_UNIX) for " + path, Native.errno(cap));
            try {
                MemorySegment addr = UnixSocket.sockaddr(a, path);
                int rc = (int) Native.CONNECT.invokeExact(cap, fd, addr, (int) addr.byteSize());
                return rc == 0 ? 0 : Native.errno(cap);
            } finally {
                Fd.closeQuietly(fd);
            }
        } catch (SysException | IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static String kind(int mode) {
        return switch (mode & S_IFMT) {
            case S_IFREG -> "a regular file";
            case S_IFDIR -> "a directory";
            case S_IFLNK -> "a symbolic link";
            case S_IFIFO -> "a FIFO";
            case S_IFCHR, S_IFBLK -> "a device";
            default -> "file type " + Integer.toOctalString(mode & S_IFMT);
        };
    }
}
