package io.xvio.datapath;

import io.xvio.packet.FlowKey;

import java.util.Arrays;

/**
 * A flow's match: for every key word a value and a mask (mask bit 1 = must equal). Values are stored already
 * masked. Immutable once built (the arrays are never handed out for writing).
 */
public final class Match {
    final long[] value = new long[FlowKey.WORDS];
    /** Once a flow holds this match, the {@link MaskPool}'s array for it (shared: copied before any write). */
    long[] mask;
    private boolean maskShared;
    /** The pool's array {@link #sharedCopy} gave last: a scratch match decoding flows of one shape finds it without hashing. */
    private long[] lastShared;

    public Match() { mask = new long[FlowKey.WORDS]; }

    private Match(long[] mask, boolean shared) {
        this.mask = mask;
        this.maskShared = shared;
    }

    /**
     * Shares this match's mask array with every match of the same mask (a flow's constructor calls it, before the
     * flow is published). Equal and hashCode are by content, so nothing else changes.
     */
    void shareMask() {
        if (maskShared) return;
        long[] c = MaskPool.intern(mask);
        if (c == null) return;
        mask = c;
        maskShared = true;
    }

    private void unshare() {
        if (!maskShared) return;
        mask = mask.clone();
        maskShared = false;
    }

    /** Empties this match (matches everything) to decode another into it: a scratch match allocates nothing. */
    public Match clear() {
        if (maskShared) {
            mask = new long[FlowKey.WORDS];
            maskShared = false;
        } else {
            Arrays.fill(mask, 0);
        }
        Arrays.fill(value, 0);
        return this;
    }

    /** A copy of its own (of a scratch match, to keep). */
    public Match copy() {
        Match m = new Match();
        System.arraycopy(value, 0, m.value, 0, FlowKey.WORDS);
        System.arraycopy(mask, 0, m.mask, 0, FlowKey.WORDS);
        return m;
    }

    /**
     * A copy to keep whose mask is already the {@link MaskPool}'s (of a scratch match a flow will hold): only the
     * value array is new, where a fresh match and {@link #shareMask} make a mask array to throw away.
     */
    public Match sharedCopy() {
        long[] c = lastShared != null && Arrays.equals(mask, lastShared) ? lastShared : MaskPool.intern(mask);
        lastShared = c;
        Match m = c == null ? new Match(mask.clone(), false) : new Match(c, true);
        System.arraycopy(value, 0, m.value, 0, FlowKey.WORDS);
        return m;
    }

    /** Adds field = v under m (bits in one word; use the hi/lo variant for IPv6). */
    public Match set(Field f, long v, long m) {
        unshare();
        int w = f.word;
        m &= f.fullMask();
        mask[w] |= m;
        value[w] = (value[w] & ~m) | (v & m);
        return this;
    }

    /** Sets one word directly (for IPv6 halves and VLAN views). */
    public Match setWord(int w, long v, long m) {
        unshare();
        mask[w] |= m;
        value[w] = (value[w] & ~m) | (v & m);
        return this;
    }

    public long value(int w) { return value[w]; }
    public long mask(int w) { return mask[w]; }
    public boolean isWild(int w) { return mask[w] == 0; }

    /** Whether a packet with key k matches. */
    public boolean matches(long[] k) {
        for (int i = 0; i < FlowKey.WORDS; i++) if ((k[i] & mask[i]) != value[i]) return false;
        return true;
    }

    /** Equal value and mask (OpenFlow "strict" identity, with priority). */
    @Override
    public boolean equals(Object o) {
        return o instanceof Match m && Arrays.equals(value, m.value) && Arrays.equals(mask, m.mask);
    }

    @Override
    public int hashCode() { return 31 * Arrays.hashCode(value) + Arrays.hashCode(mask); }

    /** True if every packet this match accepts is accepted by other (other is equal or wider). */
    public boolean isSubsetOf(Match other) {
        for (int i = 0; i < FlowKey.WORDS; i++) {
            if ((other.mask[i] & ~mask[i]) != 0) return false;
            if ((value[i] & other.mask[i]) != other.value[i]) return false;
        }
        return true;
    }

    public long[] maskCopy() { return mask.clone(); }
    public long[] valueCopy() { return value.clone(); }
}
