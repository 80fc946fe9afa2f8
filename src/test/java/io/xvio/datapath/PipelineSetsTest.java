package io.xvio.datapath;

import io.xvio.packet.FlowKey;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A run of register and metadata writes merged into one op ({@link MegaflowCache.PipelineSets}) leaves the key as the
 * writes one by one do (setField's masked write per word): the same word written twice (the later bits win),
 * halves of one word, a 128-bit register, random runs; a merge never changes the set it started from.
 */
class PipelineSetsTest {
    private static final Field[] FIELDS = {Field.METADATA, Field.REG0, Field.REG13, Field.XREG0, Field.XXREG0, Field.REG14, Field.REG15};

    private static void oneByOne(FlowKey k, Field f, long value, long mask, long valueLo, long maskLo) {
        long[] w = k.w;
        w[f.word] = (w[f.word] & ~mask) | (value & mask);
        if (f.words() == 2) w[f.word + 1] = (w[f.word + 1] & ~maskLo) | (valueLo & maskLo);
        if (f.word >= FlowKey.PACKET_WORDS) k.extended = true;
    }

    @Test
    void mergedWritesLeaveTheKeyAsTheWritesOneByOne() {
        Random r = new Random(7);
        for (int round = 0; round < 2000; round++) {
            FlowKey merged = new FlowKey(), plain = new FlowKey();
            for (int w = 0; w < FlowKey.WORDS; w++) merged.w[w] = plain.w[w] = r.nextLong();
            MegaflowCache.PipelineSets s = MegaflowCache.PipelineSets.EMPTY;
            int n = 1 + r.nextInt(12);
            for (int j = 0; j < n; j++) {
                Field f = FIELDS[r.nextInt(FIELDS.length)];
                long mask = r.nextBoolean() ? f.fullMask() : r.nextLong() & f.fullMask(), value = r.nextLong();
                long maskLo = f.words() == 2 ? (r.nextBoolean() ? -1L : r.nextLong()) : 0, valueLo = r.nextLong();
                MegaflowCache.PipelineSets before = s;
                long[] wordsBefore = before.words.clone();
                s = s.with(f, value, mask, valueLo, maskLo);
                assertArrayEquals(wordsBefore, before.words, "a merge makes a new set");
                oneByOne(plain, f, value, mask, valueLo, maskLo);
            }
            s.apply(merged);
            assertArrayEquals(plain.w, merged.w, "round " + round);
            assertEquals(plain.extended, merged.extended);
            assertEquals(n * 3, s.writes.length, "every write kept for the trace");
        }
    }

    @Test
    void theSameRegisterTwiceAndTheOtherHalfOfItsWord() {
        FlowKey k = new FlowKey();
        k.w[FlowKey.XREG0] = 0x1111_1111_2222_2222L;
        MegaflowCache.PipelineSets s = MegaflowCache.PipelineSets.EMPTY
                .with(Field.REG0, 5L << 32, 0xffff_ffffL << 32, 0, 0)       // reg0 is xreg0's high half
                .with(Field.REG0, 0x80L << 32, 0xf0L << 32, 0, 0)           // then four bits of it
                .with(Field.REG1, 9, 0xffff_ffffL, 0, 0);                    // and the low half
        assertEquals(3, s.words.length, "one word written");
        s.apply(k);
        assertEquals(0x0000_0085_0000_0009L, k.w[FlowKey.XREG0]);
        assertFalse(k.extended, "registers are not the extended (tunnel, conntrack) part of the key");
    }
}
