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
