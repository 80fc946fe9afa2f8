package io.xvio.datapath;

import io.xvio.packet.FlowKey;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** A scratch match (cleared and decoded into again) and the copies taken of it: the copies never move with it. */
class MatchCopiesTest {
    private static Match dst(int ip) { return FlowParser.parse("ip,nw_dst=10.0.0." + ip + ",actions=drop").match; }

    @Test
    void copiesKeepTheirContentWhileTheScratchIsReused() {
        Match scratch = new Match();
        Match[] copies = new Match[4], shared = new Match[4];
        for (int i = 0; i < 4; i++) {
            Match want = dst(i + 1);
            scratch.clear();
            for (int w = 0; w < FlowKey.WORDS; w++) scratch.setWord(w, want.value(w), want.mask(w));
            copies[i] = scratch.copy();
            shared[i] = scratch.sharedCopy();
            assertEquals(want, copies[i]);
            assertEquals(want, shared[i]);
        }
        for (int i = 0; i < 4; i++) {
            assertEquals(dst(i + 1), copies[i]);
            assertEquals(dst(i + 1), shared[i]);
        }
        assertSame(shared[0].mask, shared[3].mask, "the shared copies' masks are the pool's one array");
        assertNotSame(copies[0].mask, copies[3].mask);
    }

    @Test
    void aClearedMatchMatchesEverythingEvenAfterItsMaskWasShared() {
        Match m = dst(9);
        new Flow(0, 1, 0, m, java.util.List.of(), 0, 0, "");      // shares its mask with the pool
        long[] pooled = m.mask;
        m.clear();
        assertTrue(m.matches(new long[FlowKey.WORDS]));
        for (int w = 0; w < FlowKey.WORDS; w++) assertEquals(0, m.mask(w));
        assertNotEquals(0, pooled[FlowKey.DL_TYPE], "the pool's array was not cleared with it");
        assertEquals(dst(9), dst(9).sharedCopy());
    }

    /** A frozen match (compact values) answers every question as the same match being built (a value per word). */
    @Test
    void aFrozenMatchAnswersAsItsUnfrozenCopy() {
        java.util.Random rnd = new java.util.Random(5);
        for (int round = 0; round < 500; round++) {
            Match built = new Match(), other = new Match();
            for (int n = rnd.nextInt(6); n > 0; n--) built.setWord(rnd.nextInt(FlowKey.WORDS), rnd.nextLong(), rnd.nextInt(3) == 0 ? -1L : rnd.nextLong());
            for (int n = rnd.nextInt(3); n > 0; n--) other.setWord(rnd.nextInt(FlowKey.WORDS), rnd.nextLong(), rnd.nextLong());
            Match frozen = built.copy();
            new Flow(0, 1, 0, frozen, java.util.List.of(), 0, 0, "");      // freezes it
            assertEquals(built, frozen);
            assertEquals(frozen, built);
            assertEquals(built.hashCode(), frozen.hashCode());
            assertEquals(built, frozen.copy());
            assertEquals(built, frozen.sharedCopy());
            long[] key = new long[FlowKey.WORDS];
            for (int w = 0; w < FlowKey.WORDS; w++) {
                assertEquals(built.value(w), frozen.value(w));
                key[w] = rnd.nextBoolean() ? built.value(w) | (rnd.nextLong() & ~built.mask(w)) : rnd.nextLong();
            }
            assertEquals(built.matches(key), frozen.matches(key));
            assertEquals(built.isSubsetOf(other), frozen.isSubsetOf(other));
            assertEquals(other.isSubsetOf(built), other.isSubsetOf(frozen));
            assertArrayEquals(built.valueCopy(), frozen.valueCopy());
            frozen.setWord(3, 1, 1);                     // writing a frozen match copies its arrays first
            built.setWord(3, 1, 1);
            assertEquals(built, frozen);
        }
    }
}
