package io.xvio.datapath;

import java.util.List;

/**
 * One table lookup of a {@link Trace}: which pass (0, or the recirculation's number, with its recirc_id), how deep in
 * resubmits (a resubmit to an earlier or the same table goes one deeper), the table, the flow found there (priority,
 * cookie as {@code 0x..}, match in ovs-ofctl syntax; all null when no flow matched) and what ran for it: its actions
 * as run (a group's buckets' too) and the notes the trace made (a bucket chosen, ct's verdict, a meter passed). A
 * recirculation starts with a step whose table is null: what ran where the pass resumed (a dp_hash group's bucket)
 * before any lookup.
 */
public record TraceStep(int pass, String recircId, int depth, Integer table, Integer priority, String cookie, String match,
                        List<String> actions, List<String> notes) {
    public TraceStep {
        actions = List.copyOf(actions);
        notes = List.copyOf(notes);
    }
}
