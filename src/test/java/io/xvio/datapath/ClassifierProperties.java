package io.xvio.datapath;

import io.xvio.datapath.action.*;

import io.xvio.packet.FlowKey;
import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;

import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The tuple-space classifier against the plain walk over every flow: random tables (random masks over a few
 * fields, random and often equal priorities), random packet keys biased to hit flows, then random additions and
 * deletions and a rebuild.
 */
class ClassifierProperties {
    /** One condition of a generated flow: a key word, a value and a mask, from small domains so flows overlap. */
    record Cond(int word, long value, long mask) {}

    record FlowGen(int priority, List<Cond> conds) {}

    /** An edit of the table: add a flow, or delete the flow at index (mod size). */
    record Edit(boolean add, FlowGen flow, int index) {}

    private static final int[] WORDS = {FlowKey.IN_PORT, FlowKey.DL_DST, FlowKey.DL_TYPE, FlowKey.NW_SRC, FlowKey.NW_DST,
            FlowKey.TP_DST, FlowKey.XREG0, FlowKey.VLAN_TCI, FlowKey.IPV6_SRC_LO};
    private static final long[][] VALUES = {
            {1, 2, 3, 4},
            {0x020000000001L, 0x020000000002L, 0x0180c2000000L, 0xffffffffffffL},
            {0x0800, 0x0806, 0x86dd},
            {0x0a000001L, 0x0a000002L, 0x0a000101L, 0xc0a80001L},
            {0x0a000001L, 0x0a000002L, 0x0a000101L, 0xc0a80001L},
            {22, 80, 443, 8080, 0x1f90},
            {0, 1, 2, 3, 5, 8, 13, 15},
            {0, FlowKey.VLAN_PRESENT | 10, FlowKey.VLAN_PRESENT | 20, FlowKey.VLAN_PRESENT | 0x6000 | 10},
            {0, 1, -1L, 0x8000000000000000L},
    };
    private static final long[][] MASKS = {
            {0xffff},
            {0xffffffffffffL, 0x010000000000L},
            {0xffff},
            {0xff000000L, 0xffff0000L, 0xffffff00L, 0xffffffffL},
            {0xff000000L, 0xffff0000L, 0xffffff00L, 0xffffffffL},
            {0xffff, 0xff00, 0xfff0},
            {0xf, 0x1, 0x2, 0x4, 0x8, 0x3, 0xc, 0x5},
            {0xffff, 0x1fff, FlowKey.VLAN_PRESENT, 0xe000 | FlowKey.VLAN_PRESENT},
            {-1L, 1, 0x8000000000000000L},
    };

    @Provide
    Arbitrary<FlowGen> flowGen() {
        Arbitrary<Cond> cond = Arbitraries.integers().between(0, WORDS.length - 1).flatMap(i ->
                Combinators.combine(Arbitraries.of(box(VALUES[i])), Arbitraries.of(box(MASKS[i])))
                        .as((v, m) -> new Cond(WORDS[i], v, m)));
        return Combinators.combine(Arbitraries.integers().between(0, 6), cond.list().ofMaxSize(4)).as(FlowGen::new);
    }

    @Provide
    Arbitrary<List<FlowGen>> table() {
        return flowGen().list().ofMaxSize(40);
    }

    @Provide
    Arbitrary<List<Edit>> edits() {
        Arbitrary<Edit> e = Combinators.combine(Arbitraries.of(true, false), flowGen(), Arbitraries.integers().between(0, 1000)).as(Edit::new);
        return e.list().ofMaxSize(20);
    }

    private static List<Long> box(long[] a) {
        List<Long> l = new ArrayList<>();
        for (long x : a) l.add(x);
        return l;
    }

    private static Flow flow(FlowGen g, int serial) {
        Match m = new Match();
        for (Cond c : g.conds()) m.setWord(c.word(), c.value(), c.mask());
        return new Flow(0, g.priority(), serial, m, List.of(new Output(1 + serial % 100)), 0, 0, "generated " + serial);
    }

    /** Keys that hit some flow most of the time: a flow's values, wildcarded bits random, sometimes one word disturbed. */
    private static List<long[]> keys(List<Flow> flows, Random r, int n) {
        List<long[]> keys = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long[] k = new long[FlowKey.WORDS];
            for (int w = 0; w < WORDS.length; w++) k[WORDS[w]] = VALUES[w][r.nextInt(VALUES[w].length)];
            if (!flows.isEmpty() && r.nextInt(10) < 8) {
                Match m = flows.get(r.nextInt(flows.size())).match;
                for (int w = 0; w < FlowKey.WORDS; w++) k[w] = m.value(w) | (k[w] & ~m.mask(w));
                if (r.nextInt(3) == 0) {
                    int w = r.nextInt(WORDS.length);
                    k[WORDS[w]] = r.nextBoolean() ? VALUES[w][r.nextInt(VALUES[w].length)] : r.nextLong();
                }
            }
            keys.add(k);
        }
        return keys;
    }

    private static void check(List<Flow> flows, List<long[]> keys) {
        Classifier c = new Classifier(flows);
        assertEquals(flows.size(), c.size());
        for (long[] k : keys) {
            Flow fast = c.lookup(k), slow = Classifier.linearLookup(flows, k);
            if (slow == null) {
                assertNull(fast, () -> "no flow matches " + Arrays.toString(k) + " but the classifier found " + fast);
                continue;
            }
            assertNotNull(fast, () -> "the classifier missed " + slow + " for " + Arrays.toString(k));
            assertEquals(slow.priority, fast.priority, () -> "for " + Arrays.toString(k) + ": " + fast + " instead of " + slow);
            assertTrue(fast.match.matches(k), () -> fast + " does not match " + Arrays.toString(k));
            assertTrue(flows.stream().anyMatch(f -> f == fast), "the classifier returned a flow of its table");
        }
    }

    @Property(tries = 500)
    void classifierAgreesWithTheLinearWalkBeforeAndAfterEdits(@ForAll("table") List<FlowGen> table,
                                                              @ForAll("edits") List<Edit> edits, @ForAll long seed) {
        Random r = new Random(seed);
        List<Flow> flows = new ArrayList<>();
        int serial = 0;
        for (FlowGen g : table) flows.add(flow(g, serial++));
        List<long[]> keys = keys(flows, r, 200);
        check(flows, keys);

        for (Edit e : edits) {
            if (e.add()) flows.add(flow(e.flow(), serial++));
            else if (!flows.isEmpty()) flows.remove(e.index() % flows.size());
        }
        check(flows, keys);
        check(flows, keys(flows, r, 200));
    }

    @Property(tries = 200)
    void lookupsOnOneTableAreStable(@ForAll("table") List<FlowGen> table, @ForAll long seed,
                                    @ForAll @IntRange(min = 1, max = 4) int copies) {
        // the same flows several times over (duplicates of every match) change nothing but identity
        List<Flow> flows = new ArrayList<>();
        int serial = 0;
        for (int c = 0; c < copies; c++) for (FlowGen g : table) flows.add(flow(g, serial++));
        check(flows, keys(flows, new Random(seed), 100));
    }

    @Property(tries = 500)
    void isSubsetOfAgreesWithMatching(@ForAll("flowGen") FlowGen a, @ForAll("flowGen") FlowGen b, @ForAll long seed) {
        // FlowSpec's non-strict selection relies on Match.isSubsetOf: if A is a subset of B, whatever matches A matches B
        Flow fa = flow(a, 0), fb = flow(b, 1);
        if (!fa.match.isSubsetOf(fb.match)) return;
        for (long[] k : keys(List.of(fa), new Random(seed), 50))
            if (fa.match.matches(k)) assertTrue(fb.match.matches(k), () -> fa + " is a subset of " + fb + " but " + Arrays.toString(k) + " says no");
    }
}
