package io.xvio.sys;

/** A failed system call: names the call, the errno and its text, e.g. "connect(/tmp/a.sock): ENOENT (No such file or directory)". */
public final class SysException extends RuntimeException {
    private final String call;
    private final int errno;

    public SysException(String call, int errno) {
        super(call + ": " + Errno.name(errno) + " (" + Errno.describe(errno) + ")");
        this.call = call;
        this.errno = errno;
    }

    public String call() { return call; }

    public int errno() { return errno; }
}
