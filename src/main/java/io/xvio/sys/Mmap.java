package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** mmap/munmap of shared file mappings (guest memory regions, dirty logs, AF_XDP rings) and anonymous memory. */
public final class Mmap {
    public static final int PROT_READ = 1, PROT_WRITE = 2;
    private static final int MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20;

    private Mmap() {}

    /**
     * Maps size bytes of fd at offset, read/write, shared. The segment is bounded to exactly size bytes, so an
     * access outside it throws instead of touching other memory. Unmap with {@link #unmap}.
     */
    public static MemorySegment mapShared(int fd, long size, long offset) {
        if (size <= 0) throw new IllegalArgumentException("mmap size must be positive: " + size);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment p = (MemorySegment) Native.MMAP.invokeExact(cap, MemorySegment.NULL, size,
                    PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
            if (p.address() == -1L) throw new SysException("mmap(fd " + fd + ", size " + size + ", offset " + offset + ")", Native.errno(cap));
            return p.reinterpret(size);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Maps size bytes of fresh zeroed anonymous memory, read/write, page aligned (AF_XDP UMEM: the kernel pins its
     * pages when it is registered). Unmap with {@link #unmap}.
     */
    public static MemorySegment mapAnonymous(long size) {
        if (size <= 0) throw new IllegalArgumentException("mmap size must be positive: " + size);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment p = (MemorySegment) Native.MMAP.invokeExact(cap, MemorySegment.NULL, size,
                    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
            if (p.address() == -1L) throw new SysException("mmap(anonymous, size " + size + ")", Native.errno(cap));
            return p.reinterpret(size);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Transparent huge pages are this size on x86-64 and arm64 with 4 KiB pages. */
    public static final long HUGE_PAGE = 2L << 20;
    private static final int MADV_HUGEPAGE = 14;

    /**
     * Asks the kernel to back seg with transparent huge pages where it can (madvise MADV_HUGEPAGE): buffers a PMD
     * thread walks every burst then cost a few TLB entries instead of one per 4 KiB page. Best effort: false where
     * the kernel says no (THP off or not built); the memory works the same either way. Only the 2 MiB-aligned parts
     * of seg can become huge pages.
     */
    public static boolean adviseHugePages(MemorySegment seg) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            long start = seg.address() & -4096L;
            int rc = (int) Native.MADVISE.invokeExact(cap, MemorySegment.ofAddress(start), seg.address() + seg.byteSize() - start, MADV_HUGEPAGE);
            return rc == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /**
     * {@link #mapAnonymous} on transparent huge pages where the kernel has them: the mapping starts at a 2 MiB
     * boundary (mapped larger, the ends trimmed) and is {@linkplain #adviseHugePages advised} before any page is
     * touched. Unmap with {@link #unmap}.
     */
    public static MemorySegment mapAnonymousHuge(long size) {
        MemorySegment big = mapAnonymous(size + HUGE_PAGE);
        long start = (big.address() + HUGE_PAGE - 1) & -HUGE_PAGE, end = big.address() + big.byteSize();
        if (start > big.address()) unmap(MemorySegment.ofAddress(big.address()).reinterpret(start - big.address()));
        long tail = (start + size + 4095) & -4096L;
        if (end > tail) unmap(MemorySegment.ofAddress(tail).reinterpret(end - tail));
        MemorySegment seg = MemorySegment.ofAddress(start).reinterpret(size);
        adviseHugePages(seg);
        return seg;
    }

    public static void unmap(MemorySegment seg) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            int rc = (int) Native.MUNMAP.invokeExact(cap, MemorySegment.ofAddress(seg.address()), seg.byteSize());
            if (rc < 0) throw new SysException("munmap", Native.errno(cap));
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
