package io.xvio.datapath;

import io.xvio.packet.FlowKey;

import java.util.Arrays;

/**
 * A flow's match: for every key word a value and a mask (mask bit 1 = must equal). Values are stored already
 * masked. Immutable once built (the arrays are never handed out for writing).
 */
public final class Match {
    final long[] value = new long[FlowKey.WORDS];
    final long[] mask = new long[FlowKey.WORDS];

    public Match() {}

    /** Adds field = v under m (bits in one word; use the hi/lo variant for IPv6). */
    public Match set(Field f, long v, long m) {
        int w = f.word;
        m &= f.fullMask();
        mask[w] |= m;
        value[w] = (value[w] & ~m) | (v & m);
        return this;
    }

    /** Sets one word directly (for IPv6 halves and VLAN views). */
    public Match setWord(int w, long v, long m) {
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
