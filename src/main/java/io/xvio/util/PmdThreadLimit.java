package io.xvio.util;

/**
 * The most PMD threads a daemon runs. Every per-thread table (counters, caches, scratch, errno capture slots) is
 * sized from it, so a thread index below it is valid everywhere; the config refuses more pmd-cpus.
 */
public final class PmdThreadLimit {
    private PmdThreadLimit() {}

    public static final int MAX_THREADS = 64;
}
