package io.xvio.pmd;

import io.xvio.sys.SysException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

@Timeout(30)
class CpuSpeedTest {
    @Test
    void countsRoundsOnEveryCpuEverySecond() throws Exception {
        int[] cpus = Runtime.getRuntime().availableProcessors() > 1 ? new int[] {0, 1} : new int[] {0};
        List<long[]> seconds = new ArrayList<>();
        CpuSpeed.measure(cpus, 2, seconds::add);
        assertEquals(2, seconds.size());
        for (long[] s : seconds) {
            assertEquals(cpus.length, s.length);
            // a round is about a millisecond of work: a running CPU completes some, none completes a million
            for (long r : s) assertTrue(r > 0 && r < 1_000_000, "rounds " + r);
        }
    }

    @Test
    void aCpuThatDoesNotExistIsAnError() {
        SysException e = assertThrows(SysException.class, () -> CpuSpeed.measure(new int[] {0, 1000}, 1, s -> fail("measured")));
        assertTrue(e.getMessage().contains("cpu 1000"), e.getMessage());
    }
}
