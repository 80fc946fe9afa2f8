package io.xvio.datapath;

import io.xvio.datapath.action.Action;

import java.util.ArrayList;
import java.util.List;

/**
 * What one packet's translation did, as {@code bin/xvio trace} shows it (in the spirit of OVS's ofproto/trace):
 * each table looked up and the flow found there (priority, cookie, match), the actions run, indented by resubmit
 * and group depth; then the recirculations, the outputs, the drops, the megaflow the cache would hold and its
 * datapath operations. Filled by {@link BridgeDatapath#trace} on the control thread; the trace counts nothing and
 * learns nothing.
 */
public final class Trace {
    private final StringBuilder lines = new StringBuilder();
    /** The lookups so far, each with what ran for it; running: the flows whose actions run now, innermost last. */
    private final List<Step> steps = new ArrayList<>();
    private final List<Step> running = new ArrayList<>();
    private int pass;
    private String recircId;
    /** The port names of the outputs, the final frames, the drops by reason; set when the trace ends. */
    final List<String> outputs = new ArrayList<>();
    final List<String> drops = new ArrayList<>();
    /** The outputs as OpenFlow port and frame count, in the order of {@link #outputs}. */
    final List<Output> outputPorts = new ArrayList<>();
    String megaflow = "", datapathActions = "", finalFlow = "";

    /** Frames the trace would send to OpenFlow port ofport. */
    public record Output(int ofport, int frames) {}

    private void line(int depth, String s) {
        lines.append("    ".repeat(Math.max(0, depth) + 1)).append(s).append('\n');
    }

    /** A step while the trace runs: its lists grow as actions run. */
    private record Step(int pass, String recircId, int depth, int table, Flow flow, List<String> actions, List<String> notes) {}

    void lookup(int depth, int table, Flow f) {
        Step s = new Step(pass, recircId, depth, table, f, new ArrayList<>(), new ArrayList<>());
        steps.add(s);
        if (f == null) {
            line(depth, table + ". No match: drop.");
            return;
        }
        running.add(s);   // until leave(): its actions run
        String m = FlowFormat.match(f.match);
        line(depth, table + ". " + (m.isEmpty() ? "" : m + ", ") + "priority " + f.priority
                + (f.cookie != 0 ? ", cookie 0x" + Long.toHexString(f.cookie) : ""));
    }

    /** The innermost running flow's actions have all run (its resubmits came back): the one outside it runs again. */
    void leave() {
        if (!running.isEmpty()) running.removeLast();
    }

    /** An action of the flow whose actions run now (a group's bucket's too). */
    void action(int depth, Action a) {
        String text = a.format();
        line(depth + 1, text);
        if (!running.isEmpty()) running.getLast().actions.add(text);
    }

    /** A note goes with the flow whose actions run now, else with the last lookup. */
    void note(int depth, String s) {
        line(depth + 1, s);
        if (!running.isEmpty()) running.getLast().notes.add(s);
        else if (!steps.isEmpty()) steps.getLast().notes.add(s);
    }

    void recirculation(int pass, int id) {
        this.pass = pass;
        recircId = "0x" + Integer.toHexString(id);
        running.clear();
        Step resumed = new Step(pass, recircId, 0, -1, null, new ArrayList<>(), new ArrayList<>());   // no table: the pass resumes
        steps.add(resumed);
        running.add(resumed);
        lines.append("\nrecirculation ").append(pass).append(" (recirc_id=").append(recircId).append(")\n");
    }

    /** Every lookup in order, with the flow found and what ran for it. */
    public List<TraceStep> steps() {
        List<TraceStep> out = new ArrayList<>(steps.size());
        for (Step s : steps) {
            Flow f = s.flow;
            out.add(new TraceStep(s.pass, s.recircId, s.depth, s.table < 0 ? null : s.table, f == null ? null : f.priority,
                    f == null ? null : "0x" + Long.toHexString(f.cookie), f == null ? null : FlowFormat.match(f.match), s.actions, s.notes));
        }
        return out;
    }

    /** The packet's fields after every action, in ovs-ofctl syntax. */
    public String finalFlow() { return finalFlow; }

    /** The whole report. */
    public String text() {
        StringBuilder sb = new StringBuilder(lines);
        sb.append("\nFinal flow: ").append(finalFlow).append('\n');
        sb.append("Megaflow: ").append(megaflow).append('\n');
        sb.append("Datapath actions: ").append(datapathActions.isEmpty() ? "drop" : datapathActions).append('\n');
        sb.append("Outputs: ").append(outputs.isEmpty() ? "none" : String.join(", ", outputs)).append('\n');
        if (!drops.isEmpty()) sb.append("Drops: ").append(String.join(", ", drops)).append('\n');
        return sb.toString();
    }

    public List<String> outputs() { return List.copyOf(outputs); }
    public List<String> drops() { return List.copyOf(drops); }
    public List<Output> outputPorts() { return List.copyOf(outputPorts); }
    public String megaflow() { return megaflow; }
    public String datapathActions() { return datapathActions; }
}
