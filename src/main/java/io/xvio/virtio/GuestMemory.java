package io.xvio.virtio;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * A front-end's memory table: translates guest-physical (and, for ring addresses, front-end virtual) addresses
 * into mapped memory, with bounds checks. Every byte the device writes into guest memory goes through
 * {@link #copyIn} or {@link #logWrite}, so dirty-page logging for migration sits in one place.
 * Immutable except for the dirty log; a new table replaces it on SET_MEM_TABLE.
 */
public final class GuestMemory {
    private final MemoryRegion[] regions;
    private final long[] gpaStart, gpaSize;
    private final MemorySegment[] views;
    private int last;                       // index of the region hit last: packets cluster
    private volatile DirtyLog log;

    public GuestMemory(List<MemoryRegion> list) {
        regions = list.toArray(MemoryRegion[]::new);
        gpaStart = new long[regions.length];
        gpaSize = new long[regions.length];
        views = new MemorySegment[regions.length];
        for (int i = 0; i < regions.length; i++) {
            gpaStart[i] = regions[i].gpa();
            gpaSize[i] = regions[i].size();
            views[i] = regions[i].view();
        }
    }

    public List<MemoryRegion> regions() { return List.of(regions); }

    public void setLog(DirtyLog log) { this.log = log; }

    public DirtyLog log() { return log; }

    /** Index of the region holding all of [gpa, gpa+len), or -1. */
    public int regionOf(long gpa, long len) {
        int i = last;
        if (i < regions.length && inside(i, gpa, len)) return i;
        for (i = 0; i < regions.length; i++) {
            if (inside(i, gpa, len)) { last = i; return i; }
        }
        return -1;
    }

    private boolean inside(int i, long gpa, long len) {
        long off = gpa - gpaStart[i];
        return Long.compareUnsigned(off, gpaSize[i]) < 0 && Long.compareUnsigned(len, gpaSize[i] - off) <= 0;
    }

    /** The mapped view of region i; offsets into it are gpa - {@link #gpaBase}. */
    public MemorySegment view(int i) { return views[i]; }

    public long gpaBase(int i) { return gpaStart[i]; }

    /** A view of [uva, uva+len) in the front-end's virtual address space, for ring set-up; null if unmapped. */
    public MemorySegment sliceUva(long uva, long len) {
        for (MemoryRegion r : regions) {
            if (r.containsUva(uva, len)) return r.view().asSlice(uva - r.uva(), len);
        }
        return null;
    }

    /** uva to gpa, for used-ring logging when the front-end gave no log address; -1 if unmapped. */
    public long uvaToGpa(long uva) {
        for (MemoryRegion r : regions) {
            if (r.containsUva(uva, 1)) return r.gpa() + (uva - r.uva());
        }
        return -1;
    }

    /** How frames are copied in and out of guest memory on this JVM and CPU (for the start-up log). */
    public static String copyMethod() { return SmallCopy.DESCRIPTION; }

    /** Copies len bytes from src at srcOff into guest memory at gpa; the buffer may straddle regions. */
    public void copyIn(MemorySegment src, long srcOff, long gpa, int len) {
        long done = 0;
        while (done < len) {
            long a = gpa + done;
            int r = regionOf(a, 1);
            if (r < 0) throw new VirtqueueFault("buffer at guest address 0x" + Long.toHexString(a) + " is outside guest memory");
            long off = a - gpaStart[r];
            long n = Math.min(len - done, gpaSize[r] - off);
            SmallCopy.copy(src, srcOff + done, views[r], off, (int) n);
            done += n;
        }
        DirtyLog l = log;
        if (l != null) l.mark(gpa, len);
    }

    /**
     * Copies len bytes from src at srcOff into region r at offset off, which the caller found with
     * {@link #regionOf}(gpa, len) == r and gpa - {@link #gpaBase}(r) == off.
     */
    public void copyIn(int r, long off, MemorySegment src, long srcOff, int len, long gpa) {
        SmallCopy.copy(src, srcOff, views[r], off, len);
        DirtyLog l = log;
        if (l != null) l.mark(gpa, len);
    }

    /** Copies len bytes from guest memory at gpa into dst at dstOff. */
    public void copyOut(long gpa, MemorySegment dst, long dstOff, int len) {
        long done = 0;
        while (done < len) {
            long a = gpa + done;
            int r = regionOf(a, 1);
            if (r < 0) throw new VirtqueueFault("buffer at guest address 0x" + Long.toHexString(a) + " is outside guest memory");
            long off = a - gpaStart[r];
            long n = Math.min(len - done, gpaSize[r] - off);
            SmallCopy.copy(views[r], off, dst, dstOff + done, (int) n);
            done += n;
        }
    }

    /** Writes a 16-bit little-endian value at gpa (the virtio-net header's num_buffers). */
    public void putShort(long gpa, short v) {
        int r = regionOf(gpa, 2);
        if (r < 0) throw new VirtqueueFault("header at guest address 0x" + Long.toHexString(gpa) + " is outside guest memory");
        views[r].set(ValueLayout.JAVA_SHORT_UNALIGNED, gpa - gpaStart[r], v);
        DirtyLog l = log;
        if (l != null) l.mark(gpa, 2);
    }

    /** Writes one byte at gpa. */
    public void putByte(long gpa, byte v) {
        int r = regionOf(gpa, 1);
        if (r < 0) throw new VirtqueueFault("header at guest address 0x" + Long.toHexString(gpa) + " is outside guest memory");
        views[r].set(ValueLayout.JAVA_BYTE, gpa - gpaStart[r], v);
        DirtyLog l = log;
        if (l != null) l.mark(gpa, 1);
    }

    /** Records a device write the caller made directly into a ring (used ring updates). */
    public void logWrite(long gpa, long len) {
        DirtyLog l = log;
        if (l != null && gpa >= 0) l.mark(gpa, len);
    }
}
