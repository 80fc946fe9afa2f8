package io.xvio.datapath;

/**
 * One PMD thread's megaflow cache for one bridge: lookups that hit and missed, translations not cacheable
 * (NORMAL), masks and entries now; table versions it met, the entries those evicted and kept, and how often
 * one emptied the whole cache (a port change, too many flows changed, or versions missed).
 */
public record MegaflowStats(long hits, long misses, long uncacheable, long masks, long entries, long revalidations,
                            long evicted, long kept, long flushes) {}
