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
    /** The port names of the outputs, the final frames, the drops by reason; set when the trace ends. */
    final List<String> outputs = new ArrayList<>();
    final List<String> drops = new ArrayList<>();
    String megaflow = "", datapathActions = "", finalFlow = "";

    private void line(int depth, String s) {
        lines.append("    ".repeat(Math.max(0, depth) + 1)).append(s).append('\n');
    }

    void lookup(int depth, int table, Flow f) {
        if (f == null) {
            line(depth, table + ". No match: drop.");
            return;
        }
        String m = FlowFormat.match(f.match);
        line(depth, table + ". " + (m.isEmpty() ? "" : m + ", ") + "priority " + f.priority
                + (f.cookie != 0 ? ", cookie 0x" + Long.toHexString(f.cookie) : ""));
    }

    void action(int depth, Action a) { line(depth + 1, a.format()); }

    void note(int depth, String s) { line(depth + 1, s); }

    void recirculation(int pass, int id) { lines.append("\nrecirculation ").append(pass).append(" (recirc_id=0x")
            .append(Integer.toHexString(id)).append(")\n"); }

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
    public String megaflow() { return megaflow; }
    public String datapathActions() { return datapathActions; }
}
