package io.xvio.datapath;

import io.xvio.datapath.action.Output;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The published flow list: appending shares the array, and no version ever sees another's flows. */
class FlowListTest {
    private static Flow flow(int i) {
        return new Flow(0, i, 0, new Match(), List.of(new Output(1)), 0, 0, "f" + i);
    }

    @Test
    void everyVersionKeepsItsFlowsWhateverIsAppendedLater() {
        FlowList v = FlowList.of(List.of(flow(0)));
        List<FlowList> versions = new ArrayList<>();
        List<List<Flow>> expected = new ArrayList<>();
        List<Flow> model = new ArrayList<>(v);
        for (int i = 1; i < 200; i++) {
            versions.add(v);
            expected.add(List.copyOf(model));
            Flow f = flow(i);
            v = v.appended(List.of(f));
            model.add(f);
        }
        assertEquals(model, v);
        for (int i = 0; i < versions.size(); i++) assertEquals(expected.get(i), versions.get(i), "version " + i);
    }

    @Test
    void appendingToAnOlderVersionDoesNotOverwriteANewerOne() {
        FlowList base = FlowList.of(List.of(flow(0), flow(1)));
        FlowList a = base.appended(List.of(flow(2)));
        Flow other = flow(3);
        FlowList b = base.appended(List.of(other));             // branches off base: must copy, a keeps flow 2
        assertEquals(List.of(base.get(0), base.get(1), a.get(2)), a);
        assertSame(other, b.get(2));
        assertNotSame(a.get(2), b.get(2));
        assertEquals(2, base.size());
        assertThrows(IndexOutOfBoundsException.class, () -> base.get(2));
        assertThrows(NullPointerException.class, () -> base.appended(java.util.Arrays.asList((Flow) null)));
    }
}
