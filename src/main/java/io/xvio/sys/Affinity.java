package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** Pins the calling thread to one CPU (sched_setaffinity on its tid); tells which CPUs it may run on. */
public final class Affinity {
    private Affinity() {}

    public static void pinCurrentThread(int cpu) {
        if (cpu < 0 || cpu >= 1024) throw new IllegalArgumentException("cpu out of range: " + cpu);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment mask = a.allocate(128, 8);
            mask.set(JAVA_LONG, (cpu / 64) * 8L, 1L << (cpu % 64));
            int rc = (int) Native.SCHED_SETAFFINITY.invokeExact(cap, 0, 128L, mask);
            if (rc < 0) throw new SysException("sched_setaffinity(cpu " + cpu + ")", Native.errno(cap));
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * The CPUs the calling thread may run on (sched_getaffinity: what taskset or a cgroup cpuset allowed), in
     * increasing order. A CPU outside this set cannot be pinned to, even if the machine has it.
     */
    public static List<Integer> allowedCpus() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment mask = a.allocate(128, 8);
            int rc = (int) Native.SCHED_GETAFFINITY.invokeExact(cap, 0, 128L, mask);
            if (rc < 0) throw new SysException("sched_getaffinity", Native.errno(cap));
            List<Integer> cpus = new ArrayList<>();
            for (int cpu = 0; cpu < 1024; cpu++) if ((mask.get(JAVA_LONG, (cpu / 64) * 8L) & (1L << (cpu % 64))) != 0) cpus.add(cpu);
            return cpus;
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
