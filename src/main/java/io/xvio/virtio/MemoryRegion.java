package io.xvio.virtio;

import java.lang.foreign.MemorySegment;

/**
 * One region of the guest memory table: guest-physical [gpa, gpa+size) is mapped at {@code view}; the
 * front-end's own virtual address for it is uva (rings are given in that space).
 *
 * @param mapping the whole mmap (from offset 0 of the fd), kept so it can be unmapped
 */
public record MemoryRegion(long gpa, long size, long uva, long mmapOffset, MemorySegment mapping, MemorySegment view) {
    /** Whether [addr, addr+len) lies inside this region's guest-physical range (unsigned arithmetic). */
    public boolean containsGpa(long addr, long len) {
        return within(addr - gpa, len);
    }

    public boolean containsUva(long addr, long len) {
        return within(addr - uva, len);
    }

    private boolean within(long off, long len) {
        return Long.compareUnsigned(off, size) < 0 && len >= 0 && Long.compareUnsigned(len, size - off) <= 0;
    }

    /** True if the two regions share any guest-physical or user-virtual byte. */
    public boolean overlaps(MemoryRegion o) {
        return rangesOverlap(gpa, size, o.gpa, o.size) || rangesOverlap(uva, size, o.uva, o.size);
    }

    private static boolean rangesOverlap(long a, long alen, long b, long blen) {
        return Long.compareUnsigned(a - b, blen) < 0 || Long.compareUnsigned(b - a, alen) < 0;
    }
}
