package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.*;

/**
 * The few bpf(2) commands an AF_XDP port needs: an XSKMAP, a program that redirects into it, the map entry for
 * a socket, and a BPF link that attaches the program to an interface. Layouts of {@code union bpf_attr} from
 * {@code /usr/include/linux/bpf.h}. Control path only (allocates). Every file descriptor returned is the
 * caller's to close; closing the link detaches the program, so nothing stays on the interface when xvio dies.
 */
public final class Bpf {
    /** long syscall(long number, ...): bpf has no libc wrapper. */
    private static final MethodHandle SYSCALL = Native.LINKER.downcallHandle(Native.LIBC.find("syscall").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG),
            Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(1));
    static final long SYS_BPF = 321;   // x86-64

    // enum bpf_cmd
    static final int BPF_MAP_CREATE = 0, BPF_MAP_UPDATE_ELEM = 2, BPF_PROG_LOAD = 5, BPF_LINK_CREATE = 28;
    // enum bpf_map_type, bpf_prog_type, bpf_attach_type
    static final int BPF_MAP_TYPE_XSKMAP = 17, BPF_PROG_TYPE_XDP = 6, BPF_XDP = 37;
    /** <linux/if_link.h>: where the program runs. */
    public static final int XDP_FLAGS_SKB_MODE = 1 << 1, XDP_FLAGS_DRV_MODE = 1 << 2;
    /** Bytes of bpf_attr passed: more than every member used here, zero beyond them. */
    static final int ATTR_SIZE = 128;
    static final int LOG_SIZE = 64 * 1024;

    private Bpf() {}

    /** BPF_MAP_CREATE of a BPF_MAP_TYPE_XSKMAP (u32 queue -> socket fd) with entries slots. */
    public static int createXskMap(String name, int entries) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            attr.set(JAVA_INT, 0, BPF_MAP_TYPE_XSKMAP);
            attr.set(JAVA_INT, 4, 4);            // key_size
            attr.set(JAVA_INT, 8, 4);            // value_size
            attr.set(JAVA_INT, 12, entries);     // max_entries
            objectName(attr, 28, name);          // map_name[16]
            return (int) call(a, BPF_MAP_CREATE, attr, "BPF_MAP_CREATE(XSKMAP, " + entries + " entries)");
        }
    }

    /** BPF_MAP_UPDATE_ELEM: map[key] = value (u32 each; for an XSKMAP the value is the AF_XDP socket's fd). */
    public static void updateElem(int mapFd, int key, int value, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = a.allocate(JAVA_INT), v = a.allocate(JAVA_INT);
            k.set(JAVA_INT, 0, key);
            v.set(JAVA_INT, 0, value);
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            attr.set(JAVA_INT, 0, mapFd);
            attr.set(JAVA_LONG, 8, k.address());
            attr.set(JAVA_LONG, 16, v.address());
            attr.set(JAVA_LONG, 24, 0L);          // BPF_ANY
            call(a, BPF_MAP_UPDATE_ELEM, attr, "BPF_MAP_UPDATE_ELEM(" + what + ")");
        }
    }

    /**
     * BPF_PROG_LOAD of an XDP program (instructions as bytes, 8 per instruction). On failure the exception
     * carries the verifier's log (the load is repeated with logging on, as the log is only wanted then).
     */
    public static int loadXdp(String name, byte[] insns) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment code = a.allocate(insns.length, 8);
            MemorySegment.copy(insns, 0, code, JAVA_BYTE, 0, insns.length);
            MemorySegment license = a.allocateFrom("GPL");
            MemorySegment attr = progLoadAttr(a, name, code, insns.length / 8, license);
            try {
                return (int) call(a, BPF_PROG_LOAD, attr, "BPF_PROG_LOAD(XDP " + name + ")");
            } catch (SysException e) {
                MemorySegment log = a.allocate(LOG_SIZE);
                attr = progLoadAttr(a, name, code, insns.length / 8, license);
                attr.set(JAVA_INT, 24, 1);               // log_level
                attr.set(JAVA_INT, 28, LOG_SIZE);        // log_size
                attr.set(JAVA_LONG, 32, log.address());  // log_buf
                try {
                    int fd = (int) call(a, BPF_PROG_LOAD, attr, "BPF_PROG_LOAD(XDP " + name + ")");
                    return fd;                           // failed once, then passed: keep it
                } catch (SysException again) {
                    String text = log.getString(0).strip();
                    throw new BpfException(again, text.isEmpty() ? "(no verifier log)" : text);
                }
            }
        }
    }

    private static MemorySegment progLoadAttr(Arena a, String name, MemorySegment code, int count, MemorySegment license) {
        MemorySegment attr = a.allocate(ATTR_SIZE, 8);
        attr.set(JAVA_INT, 0, BPF_PROG_TYPE_XDP);
        attr.set(JAVA_INT, 4, count);                 // insn_cnt
        attr.set(JAVA_LONG, 8, code.address());       // insns
        attr.set(JAVA_LONG, 16, license.address());   // license
        objectName(attr, 48, name);                   // prog_name[16]
        attr.set(JAVA_INT, 68, BPF_XDP);              // expected_attach_type
        return attr;
    }

    /** BPF_LINK_CREATE: attaches an XDP program to interface ifindex in the mode flags name (SKB or DRV). */
    public static int linkXdp(int progFd, int ifindex, int flags, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            attr.set(JAVA_INT, 0, progFd);
            attr.set(JAVA_INT, 4, ifindex);               // target_ifindex
            attr.set(JAVA_INT, 8, BPF_XDP);               // attach_type
            attr.set(JAVA_INT, 12, flags);
            String mode = (flags & XDP_FLAGS_SKB_MODE) != 0 ? "generic" : (flags & XDP_FLAGS_DRV_MODE) != 0 ? "native" : "default";
            return (int) call(a, BPF_LINK_CREATE, attr, "BPF_LINK_CREATE(XDP, " + mode + " mode, " + what + ")");
        }
    }

    private static void objectName(MemorySegment attr, long at, String name) {
        byte[] b = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int n = Math.min(b.length, 15);                  // BPF_OBJ_NAME_LEN 16 with the NUL
        for (int i = 0; i < n; i++) {
            byte c = b[i];
            attr.set(JAVA_BYTE, at + i, Character.isLetterOrDigit(c) || c == '_' || c == '.' ? c : (byte) '_');
        }
    }

    private static long call(Arena a, int cmd, MemorySegment attr, String what) {
        MemorySegment cap = a.allocate(Native.CAPTURE);
        long rc;
        try {
            rc = (long) SYSCALL.invokeExact(cap, SYS_BPF, (long) cmd, attr, (long) ATTR_SIZE);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (rc < 0) throw new SysException("bpf(" + what + ")", Native.errno(cap));
        return rc;
    }

    /** A failed BPF_PROG_LOAD with the verifier's explanation. */
    public static final class BpfException extends RuntimeException {
        private final SysException cause;
        private final String verifierLog;

        BpfException(SysException cause, String verifierLog) {
            super(cause.getMessage() + "; verifier: " + verifierLog.replace('\n', ' '), cause);
            this.cause = cause;
            this.verifierLog = verifierLog;
        }

        public int errno() { return cause.errno(); }
        public String verifierLog() { return verifierLog; }
    }
}
