package io.xvio.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Waits in tests for what another thread or process does: polls a condition until it holds or time runs out. */
public final class Await {
    public static final Duration DEFAULT = Duration.ofSeconds(5);

    private Await() {}

    /** Waits up to {@link #DEFAULT} until cond holds; else fails naming what and the state then. */
    public static void await(String what, BooleanSupplier cond, Supplier<String> state) {
        await(what, DEFAULT, cond, state);
    }

    /** Waits up to timeout until cond holds; else fails naming what and the state then. */
    public static void await(String what, Duration timeout, BooleanSupplier cond, Supplier<String> state) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline)
                fail("timed out after " + timeout.toMillis() + " ms waiting until " + what + "; state:\n" + state.get());
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                throw new AssertionError("interrupted while waiting until " + what, e);
            }
        }
    }
}
