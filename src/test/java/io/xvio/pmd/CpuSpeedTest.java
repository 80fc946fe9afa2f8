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
        long[] total = new long[cpus.length];
        for (long[] s : seconds) {
            assertEquals(cpus.length, s.length);
            // a round is about a millisecond of work: none completes a million in a second; a CPU the host (or the
            // other programs of a loaded machine) takes away for a whole second completes none in it
            for (int i = 0; i < s.length; i++) {
                assertTrue(s[i] >= 0 && s[i] < 1_000_000, "rounds " + s[i]);
                total[i] += s[i];
            }
        }
        for (long t : total) assertTrue(t > 0, "every CPU completed rounds: " + java.util.Arrays.toString(total));
    }

    @Test
    void aCpuThatDoesNotExistIsAnError() {
        SysException e = assertThrows(SysException.class, () -> CpuSpeed.measure(new int[] {0, 1000}, 1, s -> fail("measured")));
        assertTrue(e.getMessage().contains("cpu 1000"), e.getMessage());
    }
}
