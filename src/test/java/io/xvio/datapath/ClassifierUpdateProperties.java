package io.xvio.datapath;

import io.xvio.datapath.action.Output;
import io.xvio.packet.FlowKey;
import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;

import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link Classifier#update}, the classifier a table change builds from the one before by copying only the subtables it
 * touches, against {@code new Classifier(all)} built whole and the plain walk: after every round of random adds,
 * removals and same-match replacements (chained, so slot arrays grow, shrink and lose entries in the middle of probe
 * runs), every lookup finds the same flow and probes the same fields (the megaflow mask).
 */
class ClassifierUpdateProperties {
    private static final int[] WORDS = {FlowKey.IN_PORT, FlowKey.DL_TYPE, FlowKey.NW_SRC, FlowKey.NW_DST, FlowKey.TP_DST};
    private static final long[] MASKS_NW = {0xffffffffL, 0xffffff00L, 0xffff0000L};

    /** A flow from a small domain, so values, masks and whole matches collide often. */
    private static Flow flow(Random r, int serial) {
        Match m = new Match();
        m.setWord(FlowKey.DL_TYPE, 0x0800, 0xffff);
        if (r.nextInt(3) == 0) m.setWord(FlowKey.IN_PORT, 1 + r.nextInt(3), 0xffff);
        if (r.nextInt(2) == 0) m.setWord(FlowKey.NW_DST, 0x0a000000L | r.nextInt(64), MASKS_NW[r.nextInt(MASKS_NW.length)]);
        if (r.nextInt(4) == 0) m.setWord(FlowKey.NW_SRC, 0xc0a80000L | r.nextInt(4), 0xffffffffL);
        if (r.nextInt(4) == 0) m.setWord(FlowKey.TP_DST, 80 + r.nextInt(3), 0xffff);
        return new Flow(0, r.nextInt(5) * 10, 0, m, List.of(new Output(1 + serial % 7)), 0, 0, "generated " + serial);
    }

    private static long[] key(Random r, List<Flow> flows) {
        long[] k = new long[FlowKey.WORDS];
        k[FlowKey.IN_PORT] = 1 + r.nextInt(3);
        k[FlowKey.DL_TYPE] = 0x0800;
        k[FlowKey.NW_DST] = 0x0a000000L | r.nextInt(70);
        k[FlowKey.NW_SRC] = 0xc0a80000L | r.nextInt(5);
        k[FlowKey.TP_DST] = 80 + r.nextInt(4);
        if (!flows.isEmpty() && r.nextBoolean()) {
            Match m = flows.get(r.nextInt(flows.size())).match;
            for (int w : WORDS) k[w] = m.value(w) | (k[w] & ~m.mask(w));
        }
        return k;
    }

    private static void same(Classifier updated, List<Flow> all, Random r) {
        Classifier whole = new Classifier(all);
        assertEquals(all.size(), updated.size());
        for (int i = 0; i < 300; i++) {
            long[] k = key(r, all);
            long[] wcU = new long[FlowKey.WORDS], wcW = new long[FlowKey.WORDS];
            Flow u = updated.lookup(k, wcU), w = whole.lookup(k, wcW), slow = Classifier.linearLookup(all, k);
            assertSame(slow, w, "the whole build agrees with the walk");
            assertSame(w, u, () -> "for " + Arrays.toString(k) + ": updated found " + u + ", built whole " + w);
            assertArrayEquals(wcW, wcU, "the same fields probed");
        }
        for (Flow f : all) {
            List<Flow> same = updated.withMatch(f.match);
            assertTrue(same.contains(f), () -> f + " is found by its match");
            for (Flow o : same) assertEquals(f.match, o.match);
        }
    }

    @Property(tries = 100)
    void anUpdatedClassifierLooksUpAsOneBuiltWhole(@ForAll long seed, @ForAll @IntRange(min = 0, max = 300) int initial,
                                                   @ForAll @IntRange(min = 1, max = 12) int rounds) {
        Random r = new Random(seed);
        List<Flow> all = new ArrayList<>();
        int serial = 0;
        for (int i = 0; i < initial; i++) all.add(flow(r, serial++));
        Classifier c = new Classifier(all);
        same(c, all, r);
        for (int round = 0; round < rounds; round++) {
            List<Flow> added = new ArrayList<>(), removed = new ArrayList<>();
            int edits = 1 + r.nextInt(Math.max(1, all.size() / 4 + 1));
            for (int e = 0; e < edits; e++) {
                int kind = r.nextInt(3);
                if (kind == 0 || all.isEmpty()) {
                    Flow f = flow(r, serial++);
                    all.add(f);
                    added.add(f);
                } else if (kind == 1) {
                    Flow f = all.remove(r.nextInt(all.size()));
                    if (!added.remove(f)) removed.add(f);
                } else {                      // a replacement: the same match and priority, new actions
                    int at = r.nextInt(all.size());
                    Flow old = all.get(at), f = old.modified(List.of(new Output(9)), "replaced " + serial++, false);
                    all.set(at, f);
                    if (!added.remove(old)) removed.add(old);
                    added.add(f);
                }
            }
            c = Classifier.update(c, all, added, removed);
            same(c, all, r);
        }
    }

    @Property(tries = 10)
    void manyFlowsOfOneMaskGrowAndShrinkInPlace(@ForAll long seed) {
        // one subtable taking batches of /32s, then losing most of them: the slot arrays grow, then shrink
        Random r = new Random(seed);
        List<Flow> all = new ArrayList<>();
        Classifier c = new Classifier(all);
        for (int batch = 0; batch < 12; batch++) {
            List<Flow> added = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                Match m = new Match().setWord(FlowKey.DL_TYPE, 0x0800, 0xffff).setWord(FlowKey.NW_DST, 0x0a000000L | (batch * 100 + i), 0xffffffffL);
                Flow f = new Flow(0, 100, 0, m, List.of(new Output(2)), 0, 0, "dst " + i);
                all.add(f);
                added.add(f);
            }
            c = Classifier.update(c, all, added, List.of());
        }
        assertEquals(1200, c.size());
        while (all.size() > 100) {
            List<Flow> removed = new ArrayList<>();
            for (int i = 0; i < 50; i++) removed.add(all.remove(r.nextInt(all.size())));
            c = Classifier.update(c, all, List.of(), removed);
            assertEquals(all.size(), c.size());
            for (Flow f : all) {
                long[] k = new long[FlowKey.WORDS];
                k[FlowKey.DL_TYPE] = 0x0800;
                k[FlowKey.NW_DST] = f.match.value(FlowKey.NW_DST);
                assertSame(f, c.lookup(k), () -> f + " is still found");
            }
            for (Flow f : removed) assertTrue(c.withMatch(f.match).isEmpty(), () -> f + " is gone");
        }
        long[] gone = new long[FlowKey.WORDS];
        gone[FlowKey.DL_TYPE] = 0x0800;
        gone[FlowKey.NW_DST] = 0x0b000000L;
        assertNull(c.lookup(gone));
    }

    /** A flow of one of three masks, most of them /32s over a range wide enough for subtables of several slot pages. */
    private static Flow spread(Random r, int serial) {
        Match m = new Match().setWord(FlowKey.DL_TYPE, 0x0800, 0xffff);
        int k = r.nextInt(10);
        if (k < 8) m.setWord(FlowKey.NW_DST, 0x0a000000L | r.nextInt(3000), 0xffffffffL);
        else if (k == 8) m.setWord(FlowKey.NW_DST, 0x0a000000L | (r.nextInt(12) << 8), 0xffffff00L);
        else m.setWord(FlowKey.IN_PORT, 1 + r.nextInt(3), 0xffff);
        return new Flow(0, 10 + r.nextInt(3) * 10, 0, m, List.of(new Output(1 + serial % 7)), 0, 0, "spread " + serial);
    }

    private static long[] spreadKey(Random r, List<Flow> flows) {
        long[] k = new long[FlowKey.WORDS];
        k[FlowKey.IN_PORT] = 1 + r.nextInt(4);
        k[FlowKey.DL_TYPE] = 0x0800;
        k[FlowKey.NW_DST] = 0x0a000000L | r.nextInt(3100);
        if (!flows.isEmpty() && r.nextBoolean()) k[FlowKey.NW_DST] = flows.get(r.nextInt(flows.size())).match.value(FlowKey.NW_DST) | (k[FlowKey.NW_DST] & 0xff);
        return k;
    }

    /**
     * One flow_mod at a time, as a controller without a bundle sends them: each update changes one flow (an add, a
     * removal, or a replacement with the same match) in subtables spanning several pages of slots, and the classifier
     * after it looks up as the reference model (the plain walk over the flows) does; the classifier before it, which a
     * poll-mode thread may still hold, answers exactly as it did (no page it reads was written).
     */
    @Property(tries = 10)
    void singleFlowModsMatchTheModelAndLeaveTheOldVersionAlone(@ForAll long seed, @ForAll @IntRange(min = 0, max = 2500) int initial) {
        Random r = new Random(seed);
        List<Flow> all = new ArrayList<>();
        int serial = 0;
        for (int i = 0; i < initial; i++) all.add(spread(r, serial++));
        Classifier c = new Classifier(all);
        for (int step = 0; step < 300; step++) {
            List<Flow> before = List.copyOf(all);
            long[][] probes = new long[8][];
            Flow[] answers = new Flow[probes.length];
            for (int i = 0; i < probes.length; i++) {
                probes[i] = spreadKey(r, before);
                answers[i] = c.lookup(probes[i]);
                assertSame(Classifier.linearLookup(before, probes[i]), answers[i], "before step " + step);
            }
            List<Flow> added = new ArrayList<>(1), removed = new ArrayList<>(1);
            int kind = r.nextInt(3);
            if (kind == 0 || all.isEmpty()) {
                Flow f = spread(r, serial++);
                all.add(f);
                added.add(f);
            } else if (kind == 1) {
                removed.add(all.remove(r.nextInt(all.size())));
            } else {
                int at = r.nextInt(all.size());
                Flow old = all.get(at), f = old.modified(List.of(new Output(9)), "replaced " + serial++, false);
                all.set(at, f);
                removed.add(old);
                added.add(f);
            }
            Classifier next = Classifier.update(c, all, added, removed);
            assertEquals(all.size(), next.size());
            for (int i = 0; i < probes.length; i++) assertSame(answers[i], c.lookup(probes[i]), "the old version, step " + step);
            for (int i = 0; i < 8; i++) {
                long[] k = spreadKey(r, all);
                Flow want = Classifier.linearLookup(all, k), got = next.lookup(k);
                int s = step;
                assertSame(want, got, () -> "step " + s + ": " + Arrays.toString(k));
            }
            for (Flow f : added) assertTrue(next.withMatch(f.match).contains(f), "an added flow is found by its match");
            for (Flow f : removed) assertFalse(next.withMatch(f.match).contains(f), "a removed flow is gone");
            c = next;
        }
        for (Flow f : all) assertTrue(c.withMatch(f.match).contains(f), () -> f + " is found by its match at the end");
        same(c, all, r);
    }
}
