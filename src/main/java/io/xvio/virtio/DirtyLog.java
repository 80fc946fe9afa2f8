package io.xvio.virtio;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The live-migration dirty bitmap shared with the front-end (VHOST_USER_SET_LOG_BASE): one bit per 4 KiB page
 * of guest-physical memory, set atomically for every page the device writes.
 */
public final class DirtyLog {
    public static final int PAGE_SHIFT = 12;
    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle();

    private final MemorySegment bitmap;

    public DirtyLog(MemorySegment bitmap) {
        this.bitmap = bitmap;
    }

    public MemorySegment bitmap() { return bitmap; }

    /** Guest-physical bytes the bitmap covers. */
    public long coveredBytes() {
        return (bitmap.byteSize() & ~7L) * 8L << PAGE_SHIFT;
    }

    /**
     * Marks every page touched by [gpa, gpa+len), after the caller wrote them. Pages beyond the bitmap are ignored
     * (the device checks the log's size at set-up). The full fence orders the caller's writes before the read of
     * the bitmap word: without it a bit seen as already set could be cleared by the front-end's sync (which then
     * copies the page) while the write still sits in this CPU's store buffer, and the write would be lost.
     */
    public void mark(long gpa, long len) {
        if (len <= 0) return;
        VarHandle.fullFence();
        long first = gpa >>> PAGE_SHIFT, last = (gpa + len - 1) >>> PAGE_SHIFT;
        long words = bitmap.byteSize() >>> 3;
        for (long page = first; page <= last; page++) {
            long word = page >>> 6;
            if (word >= words) return;
            long bit = 1L << (page & 63);
            long cur = (long) WORD.getVolatile(bitmap, word << 3);
            if ((cur & bit) == 0) WORD.getAndBitwiseOr(bitmap, word << 3, bit);
        }
    }
}
