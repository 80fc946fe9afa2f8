package io.xvio.datapath;

/**
 * One PMD thread's megaflow cache for one bridge: packets that hit (of which emcHits through the exact-match
 * cache in front of it) and missed, translations not cacheable (longer than an entry holds), masks and entries now; table versions it met, the entries those evicted and kept, and how often
 * one emptied the whole cache (a port change, too many flows changed, or versions missed).
 */
public record MegaflowStats(long hits, long misses, long uncacheable, long masks, long entries, long revalidations,
                            long evicted, long kept, long flushes, long emcHits) {}
