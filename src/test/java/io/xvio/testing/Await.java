package io.xvio.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;

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

    /**
     * Polls probe (a command's output, a log) every 200 ms until want is found in what it returns, and returns that;
     * a probe that throws counts as not yet. Fails after timeout with the last output and why.get().
     */
    public static String awaitMatch(Supplier<String> probe, Pattern want, Duration timeout, Supplier<String> why) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String got = "";
        while (System.nanoTime() < deadline) {
            try {
                got = probe.get();
                if (want.matcher(got).find()) return got;
            } catch (RuntimeException | AssertionError notYet) {
                got = notYet.toString();
            }
            Thread.sleep(200);
        }
        throw new AssertionError("/" + want + "/ not seen in " + timeout.toSeconds() + " s, last: " + got + "\n" + why.get());
    }
}
