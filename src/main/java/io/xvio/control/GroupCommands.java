package io.xvio.control;

import io.xvio.datapath.FlowSyntaxException;
import io.xvio.datapath.Group;
import io.xvio.datapath.GroupFormat;
import io.xvio.datapath.GroupParser;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The ovs-ofctl-like group commands against a running daemon: add-group(s), mod-group, del-groups, dump-groups,
 * dump-group-stats. A request with any bad group is rejected whole and changes nothing.
 */
final class GroupCommands {
    private static final Logger LOG = Logger.getLogger("xvio.control");

    private final FlowCommands flows;

    GroupCommands(FlowCommands flows) { this.flows = flows; }

    /** add-group BR GROUP... / mod-group BR GROUP. */
    String putGroups(List<String> args, boolean modify) {
        Bridge br = flows.bridge(args, 1);
        if (args.size() < 3) throw new ControlException(args.getFirst() + " needs a group, e.g. group_id=1,type=all,bucket=output:1");
        for (int i = 2; i < args.size(); i++) {
            Group g;
            try {
                g = GroupParser.parse(args.get(i));
            } catch (FlowSyntaxException e) {
                throw new ControlException((args.size() > 3 ? "group " + (i - 1) + ": " : "") + e.getMessage());
            }
            br.putGroup(g, modify);
            LOG.info("bridge " + br.name + ": " + (modify ? "modified" : "added") + " group " + g.id + " (" + g.type.text + ", "
                    + g.buckets.size() + " bucket(s))");
        }
        return "";
    }

    /** del-groups BR [group_id=N...]: all groups without an id; flows that name a deleted group go too. */
    String delGroups(List<String> args) {
        Bridge br = flows.bridge(args, 1);
        Set<Long> ids = args.size() > 2 ? new LinkedHashSet<>() : null;
        for (int i = 2; i < args.size(); i++) ids.add(id(args.get(i)));
        int[] n = br.delGroups(ids);
        LOG.info("bridge " + br.name + ": deleted " + n[0] + " group(s) and " + n[1] + " flow(s) naming them");
        return "";
    }

    /** dump-groups BR [N] */
    String dumpGroups(List<String> args) {
        StringBuilder sb = new StringBuilder();
        for (Group g : selected(args)) sb.append(' ').append(GroupFormat.format(g)).append('\n');
        return sb.toString();
    }

    /** dump-group-stats BR [N] */
    String dumpGroupStats(List<String> args) {
        long now = System.nanoTime();
        StringBuilder sb = new StringBuilder();
        for (Group g : selected(args)) sb.append(' ').append(GroupFormat.stats(g, now)).append('\n');
        return sb.toString();
    }

    private List<Group> selected(List<String> args) {
        Bridge br = flows.bridge(args, 1);
        if (args.size() > 3) throw new ControlException(args.getFirst() + " takes a bridge and at most one group id");
        if (args.size() == 2) return br.groups();
        long id = id(args.get(2));
        List<Group> g = br.groups().stream().filter(x -> x.id == id).toList();
        if (g.isEmpty()) throw new ControlException("bridge " + br.name + " has no group " + id);
        return g;
    }

    private static long id(String s) {
        try {
            return GroupParser.id(s);
        } catch (FlowSyntaxException e) {
            throw new ControlException(e.getMessage());
        }
    }
}
