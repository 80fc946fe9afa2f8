package io.xvio.datapath;

import io.xvio.datapath.action.*;

import java.util.List;

/**
 * Where a flow's actions send packets, for the out_port and out_group filters of del-flows, dump-flows and their
 * OpenFlow messages, and which groups and meters they name, for the checks that those exist: OVS's
 * ofpacts_output_to_port and ofpacts_output_to_group (lib/ofp-actions.c), which look at the actions flattened,
 * i.e. also inside clone and ct's exec. Ports are OpenFlow 1.0 numbers.
 */
public final class ActionOutputs {
    /** The special ports an action outputs to (OFPP_*). */
    public static final int IN_PORT = 0xfff8, NORMAL = 0xfffa, FLOOD = 0xfffb, ALL = 0xfffc, CONTROLLER = 0xfffd;

    private ActionOutputs() {}

    /** Whether some action outputs to port: output, or the controller action to CONTROLLER (ofpact_outputs_to_port). */
    public static boolean toPort(List<Action> actions, int port) {
        for (Action a : actions) {
            boolean hit = switch (a) {
                case Output o -> o.port() == port;
                case Controller c -> port == CONTROLLER;
                case Normal n -> port == NORMAL;
                case Flood f -> port == (f.all() ? ALL : FLOOD);
                case InPort i -> port == IN_PORT;
                case Clone c -> toPort(c.actions(), port);
                case Ct c -> toPort(c.exec(), port);
                default -> false;
            };
            if (hit) return true;
        }
        return false;
    }

    /** The ids of every group:N among the actions, flattened (inside clone and ct's exec too), in order. */
    public static List<Long> groups(List<Action> actions) {
        List<Long> out = new java.util.ArrayList<>();
        addIds(actions, out, false);
        return out;
    }

    /** The ids of every meter:N among the actions, flattened as {@link #groups}. */
    public static List<Long> meters(List<Action> actions) {
        List<Long> out = new java.util.ArrayList<>();
        addIds(actions, out, true);
        return out;
    }

    /** Whether actions (clone's and ct's exec included) name meter id ({@link io.xvio.datapath.meter.MeterParser#ALL}: any meter). */
    public static boolean namesMeter(List<Action> actions, long id) {
        List<Long> ms = meters(actions);
        return id == io.xvio.datapath.meter.MeterParser.ALL ? !ms.isEmpty() : ms.contains(id);
    }

    /**
     * By meter id, how many of flows name it (OVS's flow_count in meter stats): clones' and ct's exec actions
     * included, a flow naming a meter twice counted once.
     */
    public static java.util.Map<Long, Integer> meterFlowCounts(List<Flow> flows) {
        java.util.Map<Long, Integer> named = new java.util.HashMap<>();
        for (Flow f : flows)
            for (long id : new java.util.HashSet<>(meters(f.actions))) named.merge(id, 1, Integer::sum);
        return named;
    }

    private static void addIds(List<Action> actions, List<Long> out, boolean meters) {
        for (Action a : actions) {
            switch (a) {
                case GroupAction g -> { if (!meters) out.add(g.id()); }
                case Meter m -> { if (meters) out.add(m.id()); }
                case Clone c -> addIds(c.actions(), out, meters);
                case Ct c -> addIds(c.exec(), out, meters);
                default -> { }
            }
        }
    }

    /** Whether some action is group:id. */
    public static boolean toGroup(List<Action> actions, long id) {
        for (Action a : actions) {
            boolean hit = switch (a) {
                case GroupAction g -> g.id() == id;
                case Clone c -> toGroup(c.actions(), id);
                case Ct c -> toGroup(c.exec(), id);
                default -> false;
            };
            if (hit) return true;
        }
        return false;
    }
}
