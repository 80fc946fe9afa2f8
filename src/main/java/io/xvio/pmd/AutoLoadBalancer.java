package io.xvio.pmd;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * pmd-auto-lb: a thread that, every interval, measures each polled queue's busy time and (when enabled) lets
 * {@link PmdSet#rebalance} move queues to a better plan. It measures even when disabled, so pmd-rxq-show always has
 * each queue's load. Never touches packets.
 */
public final class AutoLoadBalancer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.pmd");
    private final PmdSet pmds;
    private final boolean enabled;
    private final long intervalMillis;
    private final int thresholdPercent;
    private final Thread thread;
    private volatile boolean running = true;

    public AutoLoadBalancer(PmdSet pmds, boolean enabled, long intervalMillis, int thresholdPercent) {
        if (intervalMillis < 100) throw new IllegalArgumentException("pmd-auto-lb interval below 100 ms");
        this.pmds = pmds;
        this.enabled = enabled;
        this.intervalMillis = intervalMillis;
        this.thresholdPercent = thresholdPercent;
        this.thread = Thread.ofPlatform().daemon().name("pmd-auto-lb").unstarted(this::run);
    }

    public boolean enabled() { return enabled; }
    public long intervalMillis() { return intervalMillis; }
    public int thresholdPercent() { return thresholdPercent; }

    public void start() {
        LOG.info("pmd-auto-lb: " + (enabled ? "on" : "off (loads measured only)") + ", every " + intervalMillis + " ms, improvement threshold " + thresholdPercent + " %");
        thread.start();
    }

    private void run() {
        while (running) {
            try {
                Thread.sleep(intervalMillis);
            } catch (InterruptedException e) {
                return;
            }
            try {
                pmds.rebalance(enabled, thresholdPercent);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "pmd-auto-lb: balancing round failed", e);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
