package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * membarrier(2), private expedited: makes every other running thread of this process execute a full memory barrier
 * before the call returns. The control plane uses it so that the PMD threads' hot loop needs no fence of its own
 * (an asymmetric fence: the rare side pays, as RCU implementations do).
 */
public final class Membarrier {
    /** long syscall(long number, ...): glibc has no membarrier wrapper. */
    private static final MethodHandle SYSCALL = Native.LINKER.downcallHandle(Native.LIBC.find("syscall").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(1));
    static final long SYS_MEMBARRIER = 324;   // x86-64
    static final long CMD_QUERY = 0, CMD_PRIVATE_EXPEDITED = 1 << 3, CMD_REGISTER_PRIVATE_EXPEDITED = 1 << 4;

    private Membarrier() {}

    /**
     * Registers this process for private expedited barriers (once; later calls are cheap no-ops in the kernel).
     * Throws SysException if the kernel cannot (before 4.14, or a seccomp filter forbids it).
     */
    public static void register() {
        long supported = call(CMD_QUERY, "membarrier(QUERY)");
        if ((supported & CMD_PRIVATE_EXPEDITED) == 0)
            throw new SysException("membarrier(QUERY): no MEMBARRIER_CMD_PRIVATE_EXPEDITED in 0x" + Long.toHexString(supported), Errno.EINVAL);
        call(CMD_REGISTER_PRIVATE_EXPEDITED, "membarrier(REGISTER_PRIVATE_EXPEDITED)");
    }

    /** A full memory barrier on every CPU that runs one of this process's threads, done when this returns. */
    public static void privateExpedited() {
        call(CMD_PRIVATE_EXPEDITED, "membarrier(PRIVATE_EXPEDITED)");
    }

    private static long call(long cmd, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            long rc;
            try {
                rc = (long) SYSCALL.invokeExact(cap, SYS_MEMBARRIER, cmd, 0L, 0L);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            if (rc < 0) throw new SysException(what, Native.errno(cap));
            return rc;
        }
    }
}
