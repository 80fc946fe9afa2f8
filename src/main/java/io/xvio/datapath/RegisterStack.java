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
    private int size;

    void push(long v) { if (size < DEPTH) values[size++] = v; }
    long pop() { return values[--size]; }
    boolean isEmpty() { return size == 0; }
    void clear() { size = 0; }
    /** The values, bottom first (a paused translation's copy: allocates). */
    long[] toArray() { return java.util.Arrays.copyOf(values, size); }
}
