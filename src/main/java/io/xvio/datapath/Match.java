package io.xvio.datapath;

import io.xvio.packet.FlowKey;

import java.util.Arrays;

/**
 * A flow's match: for every key word a value and a mask (mask bit 1 = must equal). Values are stored already
 * masked. Built with {@link #set}/{@link #setWord}, then frozen when a flow takes it ({@link #shareMask}); immutable
 * from then on (a later write copies first).
 *
 * <p>Frozen, the mask is the {@link MaskPool}'s array for it and the values are compact: only the words the mask
 * covers, in word order ({@link #present} says which), so a /32 destination match holds two words instead of 57
 * (a 100,000-flow table was 470 bytes a flow of zeros). A classifier subtable's word list is exactly its mask's
 * covered words, so it reads {@link #compact} by position.
 */
public final class Match {
    /** While built: the value of every word. Frozen: the covered words' values, in word order. */
    long[] value;
    /** Once a flow holds this match, the {@link MaskPool}'s array for it (shared: copied before any write). */
    long[] mask;
    private boolean maskShared;
    /** Frozen: bit w set if mask word w is not 0 (value is then compact). 0 while built (FlowKey.WORDS < 64). */
    private long present;
    private boolean compacted;
    /** The pool's array {@link #sharedCopy} gave last: a scratch match decoding flows of one shape finds it without hashing. */
    private long[] lastShared;

    public Match() {
        value = new long[FlowKey.WORDS];
        mask = new long[FlowKey.WORDS];
    }

    private Match(long[] value, long[] mask, boolean shared) {
        this.value = value;
        this.mask = mask;
        this.maskShared = shared;
    }

    /**
     * Freezes this match (a flow's constructor calls it, before the flow is published): its mask array becomes the
     * one every match of the same mask shares, its values compact. Equal and hashCode are by content, so nothing
     * else changes.
     */
    void shareMask() {
        if (!maskShared) {
            long[] c = MaskPool.intern(mask);
            if (c != null) {
                mask = c;
                maskShared = true;
            }
        }
        freeze();
    }

    private void freeze() {
        if (compacted) return;
        value = compacted(value, mask);
        present = presentBits(mask);
        compacted = true;
    }

    private static long presentBits(long[] mask) {
        long p = 0;
        for (int w = 0; w < FlowKey.WORDS; w++) if (mask[w] != 0) p |= 1L << w;
        return p;
    }

    private static long[] compacted(long[] full, long[] mask) {
        int n = 0;
        for (int w = 0; w < FlowKey.WORDS; w++) if (mask[w] != 0) n++;
        long[] c = new long[n];
        for (int w = 0, i = 0; w < FlowKey.WORDS; w++) if (mask[w] != 0) c[i++] = full[w];
        return c;
    }

    /** Back to one value per word, to be written (a frozen match written again: copies, never the shared arrays). */
    private void expand() {
        if (!compacted) return;
        long[] full = new long[FlowKey.WORDS];
        for (int w = 0; w < FlowKey.WORDS; w++) full[w] = value(w);
        value = full;
        present = 0;
        compacted = false;
    }

    private void unshare() {
        expand();
        if (!maskShared) return;
        mask = mask.clone();
        maskShared = false;
    }

    /** Empties this match (matches everything) to decode another into it: a scratch match allocates nothing. */
    public Match clear() {
        if (compacted) {
            value = new long[FlowKey.WORDS];
            present = 0;
            compacted = false;
        } else {
            Arrays.fill(value, 0);
        }
        if (maskShared) {
            mask = new long[FlowKey.WORDS];
            maskShared = false;
        } else {
            Arrays.fill(mask, 0);
        }
        return this;
    }

    /** A copy of its own, not frozen (of a scratch match, to keep). */
    public Match copy() {
        Match m = new Match();
        for (int w = 0; w < FlowKey.WORDS; w++) m.value[w] = value(w);
        System.arraycopy(mask, 0, m.mask, 0, FlowKey.WORDS);
        return m;
    }

    /**
     * A frozen copy (of a scratch match a flow will hold): the pool's mask array and compact values, so only the
     * few covered words are allocated, where a fresh match makes two 57-word arrays to freeze.
     */
    public Match sharedCopy() {
        long[] c = lastShared != null && Arrays.equals(mask, lastShared) ? lastShared : MaskPool.intern(mask);
        lastShared = c;
        Match m = c == null ? new Match(null, mask.clone(), false) : new Match(null, c, true);
        m.value = compacted ? value.clone() : compacted(value, mask);
        m.present = presentBits(mask);
        m.compacted = true;
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

    public long value(int w) {
        if (!compacted) return value[w];
        long bit = 1L << w;
        return (present & bit) == 0 ? 0 : value[Long.bitCount(present & (bit - 1))];
    }

    public long mask(int w) { return mask[w]; }
    public boolean isWild(int w) { return mask[w] == 0; }

    /**
     * The covered words' values in word order (the layout a classifier subtable of this mask reads by position);
     * the match must be frozen (every flow's is).
     */
    long[] compact() {
        if (!compacted) throw new IllegalStateException("match not frozen");
        return value;
    }

    /** Whether a packet with key k matches. */
    public boolean matches(long[] k) {
        if (!compacted) {
            for (int i = 0; i < FlowKey.WORDS; i++) if ((k[i] & mask[i]) != value[i]) return false;
            return true;
        }
        int i = 0;
        for (long p = present; p != 0; p &= p - 1) {            // the uncovered words match any key
            int w = Long.numberOfTrailingZeros(p);
            if ((k[w] & mask[w]) != value[i++]) return false;
        }
        return true;
    }

    /** Equal value and mask (OpenFlow "strict" identity, with priority). */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Match m)) return false;
        if (mask != m.mask && !Arrays.equals(mask, m.mask)) return false;
        if (compacted && m.compacted) return Arrays.equals(value, m.value);      // equal masks: the same layout
        for (int w = 0; w < FlowKey.WORDS; w++) if (value(w) != m.value(w)) return false;
        return true;
    }

    /** By content, whatever the layout: the covered words' values (the others are 0) and the mask. */
    @Override
    public int hashCode() {
        int h = 1;
        for (int w = 0; w < FlowKey.WORDS; w++) if (mask[w] != 0) h = 31 * h + Long.hashCode(value(w));
        return 31 * h + Arrays.hashCode(mask);
    }

    /** True if every packet this match accepts is accepted by other (other is equal or wider). */
    public boolean isSubsetOf(Match other) {
        for (int i = 0; i < FlowKey.WORDS; i++) {
            long om = other.mask[i];
            if (om == 0) continue;
            if ((om & ~mask[i]) != 0) return false;
            if ((value(i) & om) != other.value(i)) return false;
        }
        return true;
    }

    public long[] maskCopy() { return mask.clone(); }

    public long[] valueCopy() {
        long[] v = new long[FlowKey.WORDS];
        for (int w = 0; w < FlowKey.WORDS; w++) v[w] = value(w);
        return v;
    }
}
