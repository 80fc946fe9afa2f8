package io.xvio.control;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.*;

/** Read-only commands run alongside each other; a change waits for them and they wait for a change. */
class CommandLockTest {
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch slowStarted = new CountDownLatch(1);
    private final CommandLock lock = new CommandLock(args -> {
        if (args.get(1).equals("slow")) {
            slowStarted.countDown();
            try {
                assertTrue(release.await(30, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
        return args.getFirst() + " done";
    }, Set.of("show"));

    private CompletableFuture<String> run(String... args) {
        return CompletableFuture.supplyAsync(() -> lock.apply(List.of(args)), r -> Thread.ofPlatform().daemon().start(r));
    }

    @Test
    void readsShareAndChangesWaitForThem() throws Exception {
        CompletableFuture<String> slowRead = run("show", "slow");
        assertTrue(slowStarted.await(10, TimeUnit.SECONDS));
        assertEquals("show done", run("show", "fast").get(10, TimeUnit.SECONDS), "a read runs beside a read");
        CompletableFuture<String> change = run("add-flow", "fast");
        assertThrows(TimeoutException.class, () -> change.get(300, TimeUnit.MILLISECONDS), "a change waits for the read");
        release.countDown();
        assertEquals("show done", slowRead.get(10, TimeUnit.SECONDS));
        assertEquals("add-flow done", change.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aReadWaitsForAChange() throws Exception {
        CompletableFuture<String> slowChange = run("add-port", "slow");
        assertTrue(slowStarted.await(10, TimeUnit.SECONDS));
        CompletableFuture<String> read = run("show", "fast");
        assertThrows(TimeoutException.class, () -> read.get(300, TimeUnit.MILLISECONDS));
        release.countDown();
        assertEquals("add-port done", slowChange.get(10, TimeUnit.SECONDS));
        assertEquals("show done", read.get(10, TimeUnit.SECONDS));
    }
}
