package io.xvio.datapath;

/**
 * The register stack of one packet's translation (push:/pop:, OVS's NXAST_STACK_PUSH/POP): one per PMD thread,
 * emptied before each packet is translated. A push beyond {@link #DEPTH} entries is ignored, as is a pop of an
 * empty stack (OVS ignores both too). Values popped become constants of the cached translation: the pushed bits
 * were recorded as significant, so the cache entry covers only packets that push the same values.
 */
final class RegisterStack {
    static final int DEPTH = 64;
    /** Room for clones in clones, each with a copy of the stack it started with. */
    private static final int CAPACITY = DEPTH * 8;
    private final long[] values = new long[CAPACITY];
    /** The entries the current clone sees are values[base..size). */
    private int size, base;

    void push(long v) { if (size - base < DEPTH && size < CAPACITY) values[size++] = v; }
    long pop() { return values[--size]; }
    boolean isEmpty() { return size == base; }
    void clear() { size = base = 0; }

    /**
     * A clone starts with a copy of the stack (OVS 3.1's clone_xlate_actions: what the flow pushed, the clone can pop,
     * and the flow's entries are there again after it; OVS 3.3 started clones empty, a side effect of commit
     * 4829506b2's refactoring, not a documented change). Returns what {@link #leave} restores.
     */
    long enter() {
        long saved = (long) base << 32 | size;
        int n = Math.min(size - base, CAPACITY - size);       // clones nested beyond the room see the top entries
        System.arraycopy(values, size - n, values, size, n);
        base = size;
        size += n;
        return saved;
    }

    /** The clone ended: the stack is as it was before it, whatever the clone pushed or popped. */
    void leave(long saved) {
        base = (int) (saved >>> 32);
        size = (int) saved;
    }

    /** The values the current clone sees, bottom first, for a recirculation's frozen state (allocates unless empty). */
    java.util.List<Long> frozen() {
        if (size == base) return java.util.List.of();
        Long[] v = new Long[size - base];
        for (int x = base; x < size; x++) v[x - base] = values[x];
        return java.util.List.of(v);
    }

    /** The values the current clone sees, bottom first (a paused translation's copy: allocates). */
    long[] toArray() { return java.util.Arrays.copyOfRange(values, base, size); }
}
