package io.xvio.control.ovsdb;

import java.time.Duration;

/**
 * The agent's timers, as ovs-vswitchd's OVSDB client keeps them: after {@code probe} without a message from the
 * database it sends an {@code echo}, after twice that it drops the session; a lost session is retried after
 * {@code firstBackoff}, doubling on each failed attempt up to {@code maxBackoff}, and back to {@code firstBackoff}
 * after a session that worked. Tests pass shorter ones.
 */
record OvsdbTimers(Duration probe, Duration firstBackoff, Duration maxBackoff) {
    /** 5 s probe, reconnect after 1 s doubling to 8 s. */
    static final OvsdbTimers DEFAULT = new OvsdbTimers(Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(8));

    OvsdbTimers {
        if (probe.isNegative() || probe.isZero() || firstBackoff.isNegative() || firstBackoff.isZero() || maxBackoff.compareTo(firstBackoff) < 0)
            throw new IllegalArgumentException("probe and backoffs must be positive, maxBackoff >= firstBackoff: " + probe + " " + firstBackoff + " " + maxBackoff);
    }

    /** The backoff after one of backoff failed: doubled, at most maxBackoff. */
    Duration next(Duration backoff) {
        Duration d = backoff.multipliedBy(2);
        return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
    }

    /** How often the session loop wakes up when nothing arrives: often enough to probe on time, at most once a second. */
    long pollMillis() {
        return Math.max(10, Math.min(1000, probe.toMillis() / 4));
    }
}
