package io.xvio.sys;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

class MembarrierTest {
    @Test
    void registersAndFencesWhileAnotherThreadSpins() throws Exception {
        Membarrier.register();
        Membarrier.register();   // a second registration is allowed (the daemon may make several PMD sets in tests)
        AtomicBoolean stop = new AtomicBoolean();
        Thread spinner = Thread.ofPlatform().start(() -> { while (!stop.get()) Thread.onSpinWait(); });
        try {
            for (int i = 0; i < 100; i++) Membarrier.privateExpedited();
        } finally {
            stop.set(true);
            spinner.join();
        }
    }

    @Test
    void theQueryNamesTheCommandsThisKernelHas() {
        long supported = (long) assertDoesNotThrow(() -> callQuery());
        assertNotEquals(0, supported & Membarrier.CMD_PRIVATE_EXPEDITED, "this kernel (>= 4.14) has private expedited barriers");
    }

    private static long callQuery() throws Throwable {
        var m = Membarrier.class.getDeclaredMethod("call", long.class, String.class);
        m.setAccessible(true);
        return (long) m.invoke(null, Membarrier.CMD_QUERY, "membarrier(QUERY)");
    }
}
