package io.xvio.datapath;

/**
 * The register stack of one packet's translation (push:/pop:, OVS's NXAST_STACK_PUSH/POP): one per PMD thread,
 * emptied before each packet is translated. A push beyond {@link #DEPTH} entries is ignored, as is a pop of an
 * empty stack (OVS ignores both too). Values popped become constants of the cached translation: the pushed bits
 * were recorded as significant, so the cache entry covers only packets that push the same values.
 */
final class RegisterStack {
    static final int DEPTH = 64;
    private final long[] values = new long[DEPTH];
    private int size, base;

    void push(long v) { if (size < DEPTH) values[size++] = v; }
    long pop() { return values[--size]; }
    /** Empty as the current clone sees it: a clone's actions neither see nor pop what was pushed before it. */
    boolean isEmpty() { return size == base; }
    void clear() { size = base = 0; }

    /** A clone starts: its actions see an empty stack (OVS's clone_xlate_actions); returns what {@link #leave} restores. */
    long enter() {
        long saved = (long) base << 32 | size;
        base = size;
        return saved;
    }

    /** The clone ended: the stack is as it was before it, whatever the clone pushed or popped. */
    void leave(long saved) {
        base = (int) (saved >>> 32);
        size = (int) saved;
    }
    /** The values, bottom first, for a recirculation's frozen state (allocates unless empty). */
    java.util.List<Long> frozen() {
        if (size == 0) return java.util.List.of();
        Long[] v = new Long[size];
        for (int x = 0; x < size; x++) v[x] = values[x];
        return java.util.List.of(v);
    }

    /** The values, bottom first (a paused translation's copy: allocates). */
    long[] toArray() { return java.util.Arrays.copyOf(values, size); }
}
