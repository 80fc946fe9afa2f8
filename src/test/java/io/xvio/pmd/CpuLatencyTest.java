package io.xvio.pmd;

import io.xvio.sys.SysException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.*;

@Timeout(30)   // a side that cannot run must not leave the other spinning forever
class CpuLatencyTest {
    @Test
    void measuresARoundTripBetweenTwoCpus() throws Exception {
        int cpus = Runtime.getRuntime().availableProcessors();
        double ns = CpuLatency.roundTripNanos(0, cpus > 1 ? 1 : 0, 20_000);
        // a cache line cannot cross cores and back in under a nanosecond, nor take a millisecond when both spin
        assertTrue(ns > 1 && ns < 1_000_000, "round trip " + ns + " ns");
    }

    @Test
    void aCpuThatDoesNotExistIsAnError() {
        SysException e = assertThrows(SysException.class, () -> CpuLatency.roundTripNanos(0, 1000, 2_000));
        assertTrue(e.getMessage().contains("cpu 1000"), e.getMessage());
    }
}
