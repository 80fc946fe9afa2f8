package io.xvio.pmd;

import java.util.concurrent.locks.LockSupport;

/**
 * What a PMD thread does after a loop that found no work. {@code busy} spins (lowest latency, one full core);
 * {@code adaptive} spins a little, then yields, then parks for growing intervals up to 500 microseconds, and
 * snaps back to spinning on the first packet.
 */
public abstract sealed class IdleStrategy {
    public abstract void idle(int workDone);

    public static IdleStrategy of(String name) {
        return switch (name) {
            case "busy" -> new Busy();
            case "adaptive" -> new Adaptive();
            default -> throw new IllegalArgumentException("unknown idle strategy \"" + name + "\" (busy or adaptive)");
        };
    }

    static final class Busy extends IdleStrategy {
        @Override public void idle(int workDone) { if (workDone == 0) Thread.onSpinWait(); }
    }

    static final class Adaptive extends IdleStrategy {
        private static final int SPINS = 2000, YIELDS = 200;
        private static final long MIN_PARK_NS = 1_000, MAX_PARK_NS = 500_000;
        private int idleLoops;
        private long parkNs = MIN_PARK_NS;

        @Override
        public void idle(int workDone) {
            if (workDone > 0) { idleLoops = 0; parkNs = MIN_PARK_NS; return; }
            int n = ++idleLoops;
            if (n < SPINS) Thread.onSpinWait();
            else if (n < SPINS + YIELDS) Thread.yield();
            else {
                LockSupport.parkNanos(parkNs);
                parkNs = Math.min(MAX_PARK_NS, parkNs * 2);
            }
        }
    }
}
