package io.xvio.datapath.conntrack;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An array of tiny test-and-set locks for sections of a few dozen instructions. Unlike ReentrantLock they never
 * allocate (no queue node under contention) and never park: a PMD thread waiting spins. stride spaces the words
 * (16 ints = one cache line) where locks are hot and few.
 */
final class SpinLocks {
    private static final VarHandle AA = MethodHandles.arrayElementVarHandle(int[].class);
    private final int[] words;
    private final int stride;

    SpinLocks(int n, int stride) {
        this.words = new int[n * stride];
        this.stride = stride;
    }

    void lock(int i) {
        int at = i * stride;
        while (!AA.compareAndSet(words, at, 0, 1)) {
            while ((int) AA.getOpaque(words, at) != 0) Thread.onSpinWait();
        }
    }

    boolean tryLock(int i) { return AA.compareAndSet(words, i * stride, 0, 1); }

    void unlock(int i) { AA.setRelease(words, i * stride, 0); }
}
