package io.xvio.control;

import io.xvio.datapath.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The ovs-ofctl-like flow commands against a running daemon: add-flow(s), del-flows, mod-flows, dump-flows.
 * A request with any bad flow is rejected whole and changes nothing.
 */
final class FlowCommands {
    private static final Logger LOG = Logger.getLogger("xvio.control");

    private final Map<String, Bridge> bridges;

    FlowCommands(Map<String, Bridge> bridges) { this.bridges = bridges; }

    Bridge bridge(List<String> args, int i) {
        if (args.size() <= i) throw new ControlException(args.getFirst() + " needs a bridge name");
        Bridge b = bridges.get(args.get(i));
        if (b == null) throw new ControlException("no bridge named \"" + args.get(i) + "\" (bridges: " + String.join(", ", bridges.keySet()) + ")");
        return b;
    }

    /** add-flow BR FLOW / add-flows BR FLOW... (the CLI reads add-flows' file and sends its lines). */
    String addFlows(List<String> args) {
        Bridge br = bridge(args, 1);
        if (args.size() < 3) throw new ControlException(args.getFirst() + " needs a flow");
        List<Flow> parsed = new ArrayList<>();
        for (int i = 2; i < args.size(); i++) parsed.add(parse(args.get(i), args.size() > 3 ? "flow " + (i - 1) + ": " : ""));
        br.addFlows(parsed);
        LOG.info("bridge " + br.name + ": added " + parsed.size() + " flow(s)");
        return "";
    }

    private static Flow parse(String text, String where) {
        try {
            return FlowParser.parse(text);
        } catch (FlowSyntaxException e) {
            throw new ControlException(where + e.getMessage());
        }
    }

    /** del-flows BR [--strict] [MATCH] */
    String delFlows(List<String> args) {
        Bridge br = bridge(args, 1);
        boolean strict = args.contains("--strict");
        String match = spec(args);
        int n;
        if (match == null) {
            n = br.delFlows(f -> true);
        } else {
            FlowSpec spec = parseSpec(match, strict);
            if (spec.hasActions()) throw new ControlException("del-flows takes a match, not actions: \"" + match + "\"");
            n = br.delFlows(spec::selects);
        }
        LOG.info("bridge " + br.name + ": deleted " + n + " flow(s)" + (match == null ? "" : " matching " + match));
        return "";
    }

    /** mod-flows BR [--strict] FLOW: the selected flows get FLOW's actions, keeping their counters unless reset_counts. */
    String modFlows(List<String> args) {
        Bridge br = bridge(args, 1);
        boolean strict = args.contains("--strict");
        String text = spec(args);
        if (text == null) throw new ControlException("mod-flows needs a flow with actions");
        FlowSpec spec = parseSpec(text, strict);
        if (!spec.hasActions()) throw new ControlException("mod-flows needs \"actions=\" in \"" + text + "\"");
        int n = br.modFlows(spec::selects, spec.actions(), text, spec.resetCounts());
        LOG.info("bridge " + br.name + ": modified " + n + " flow(s)");
        return "";
    }

    /** dump-flows BR [MATCH] */
    String dumpFlows(List<String> args) {
        long now = System.nanoTime();
        StringBuilder sb = new StringBuilder();
        for (Flow f : selectedFlows(args)) sb.append(' ').append(FlowFormat.format(f, now, true)).append('\n');
        return sb.toString();
    }

    /** dump-flows BR [MATCH] --format=json: the same flows and numbers as records. */
    Status.Flows dumpFlowsModel(List<String> args) {
        long now = System.nanoTime();
        List<Status.FlowEntry> out = new ArrayList<>();
        for (Flow f : selectedFlows(args)) {
            out.add(new Status.FlowEntry(f.table, f.priority, "0x" + Long.toHexString(f.cookie),
                    Math.round(Math.max(0, now - f.createdNanos()) / 1e6) / 1e3, f.packetCount(), f.byteCount(), f.idleTimeout, f.hardTimeout,
                    Math.max(0, now - f.lastHitNanos()) / 1_000_000_000L, FlowFormat.match(f.match), FlowFormat.actions(f.actions)));
        }
        return new Status.Flows(args.get(1), out);
    }

    /** The flows dump-flows BR [MATCH] shows, by table, then priority from the highest. */
    private List<Flow> selectedFlows(List<String> args) {
        Bridge br = bridge(args, 1);
        String match = spec(args);
        FlowSpec spec = match == null ? null : parseSpec(match, args.contains("--strict"));
        if (spec != null && spec.hasActions()) throw new ControlException("dump-flows takes a match, not actions: \"" + match + "\"");
        List<Flow> fs = new ArrayList<>(br.flows());
        fs.sort((x, y) -> x.table != y.table ? Integer.compare(x.table, y.table) : Integer.compare(y.priority, x.priority));
        if (spec != null) fs.removeIf(f -> !spec.selects(f));
        return fs;
    }

    private static FlowSpec parseSpec(String text, boolean strict) {
        try {
            return FlowParser.parseSpec(text, strict);
        } catch (FlowSyntaxException e) {
            throw new ControlException(e.getMessage());
        }
    }

    /** The match/flow argument after the bridge, skipping options. */
    private static String spec(List<String> args) {
        for (int i = 2; i < args.size(); i++) if (!args.get(i).startsWith("--")) return args.get(i);
        return null;
    }
}
