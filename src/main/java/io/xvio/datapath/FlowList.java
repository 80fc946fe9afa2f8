package io.xvio.datapath;

import java.util.AbstractList;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * A bridge's published flows in order: an immutable list whose {@link #appended} version shares the array when it
 * has room, writing only past the end every earlier version sees, so a controller adding one flow at a time does not
 * copy 100,000 references per flow_mod. Appended to only by the control thread (under the datapath's lock); poll-mode
 * threads read a version through the volatile table publication, which orders the writes before it.
 */
final class FlowList extends AbstractList<Flow> implements RandomAccess {
    /** How far the shared array is taken: a version may append in place only if it is the longest. */
    private static final class Claim { int length; }

    static final FlowList EMPTY = new FlowList(new Flow[0], 0, new Claim());

    private final Flow[] flows;
    private final int size;
    private final Claim claim;

    private FlowList(Flow[] flows, int size, Claim claim) {
        this.flows = flows;
        this.size = size;
        this.claim = claim;
    }

    /** A copy of flows (none may be null). */
    static FlowList of(List<Flow> flows) {
        if (flows instanceof FlowList l) return l;
        Flow[] a = flows.toArray(new Flow[0]);
        for (Flow f : a) Objects.requireNonNull(f);
        Claim c = new Claim();
        c.length = a.length;
        return new FlowList(a, a.length, c);
    }

    /** This list followed by more: amortised the cost of more. */
    FlowList appended(List<Flow> more) {
        int n = size + more.size();
        Flow[] a = flows;
        Claim c = claim;
        if (c.length != size || n > a.length) {
            a = java.util.Arrays.copyOf(flows, Math.max(16, n + n / 2));
            java.util.Arrays.fill(a, size, a.length, null);
            c = new Claim();
        }
        for (int i = 0; i < more.size(); i++) a[size + i] = Objects.requireNonNull(more.get(i));
        c.length = n;
        return new FlowList(a, n, c);
    }

    @Override public Flow get(int i) { return flows[Objects.checkIndex(i, size)]; }

    @Override public int size() { return size; }
}
