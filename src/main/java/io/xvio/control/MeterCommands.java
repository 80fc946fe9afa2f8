package io.xvio.control;

import io.xvio.datapath.action.Action;
import io.xvio.datapath.meter.LiveMeter;
import io.xvio.datapath.meter.MeterConfig;
import io.xvio.datapath.meter.MeterFormat;
import io.xvio.datapath.meter.MeterParser;
import io.xvio.datapath.meter.MeterSyntaxException;
import io.xvio.datapath.meter.MeterTable;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The ovs-ofctl meter commands against a running daemon: add-meter, mod-meter, del-meters, dump-meters, meter-stats
 * (ovs-ofctl's syntax, messages and output), and the bridge key {@code meters:} (a list of meters in add-meter's
 * syntax). As OVS: a flow may name only a meter that exists, and deleting a meter deletes the flows that name it.
 */
final class MeterCommands {
    private static final Logger LOG = Logger.getLogger("xvio.control");

    private final FlowCommands flows;

    MeterCommands(FlowCommands flows) { this.flows = flows; }

    /** add-meter BR METER / mod-meter BR METER. */
    String put(List<String> args, boolean modify) {
        Bridge br = flows.bridge(args, 1);
        if (args.size() != 3) throw new ControlException(args.getFirst() + " needs a bridge and one meter, e.g. meter=1,kbps,bands=type=drop,rate=10000");
        MeterConfig c = parse(args.get(2));
        synchronized (br) {
            try {
                br.datapath.meters().put(c, modify, System.nanoTime());
            } catch (IllegalArgumentException e) {
                LOG.warning("bridge " + br.name + ": " + args.getFirst() + " " + args.get(2) + ": " + e.getMessage());
                throw new ControlException(e.getMessage());
            }
        }
        LOG.info("bridge " + br.name + ": " + (modify ? "modified" : "added") + " meter " + MeterFormat.line(c));
        return "";
    }

    /** del-meters BR [meter=N|N|meter=all]: flows that name a deleted meter go too (OVS's OFPRR_METER_DELETE). */
    String delete(List<String> args) {
        Bridge br = flows.bridge(args, 1);
        if (args.size() > 3) throw new ControlException("del-meters takes a bridge and at most one meter (meter=N)");
        long id = selector(args);
        int removedFlows, removed;
        synchronized (br) {
            MeterTable t = br.datapath.meters();
            // the flows go first (one publication), so no packet meets a flow whose meter is gone
            removedFlows = br.delFlows(f -> io.xvio.datapath.ActionOutputs.namesMeter(f.actions, id));
            removed = t.delete(id);
        }
        LOG.info("bridge " + br.name + ": deleted " + removed + " meter(s) and " + removedFlows + " flow(s) naming them");
        return "";
    }

    /** dump-meters BR [METER]: each meter's configuration as ovs-ofctl prints it. */
    String dump(List<String> args) {
        StringBuilder sb = new StringBuilder();
        for (LiveMeter m : selected(args)) sb.append(MeterFormat.config(m.config()));
        return sb.toString();
    }

    /** meter-stats BR [METER]: counters per meter and band as ovs-ofctl prints them. */
    String stats(List<String> args) {
        Bridge br = flows.bridge(args, 1);
        List<LiveMeter> ms = selected(args);
        Map<Long, Integer> named = io.xvio.datapath.ActionOutputs.meterFlowCounts(br.flows());
        long now = System.nanoTime();
        StringBuilder sb = new StringBuilder();
        for (LiveMeter m : ms) sb.append(MeterFormat.stats(m, named.getOrDefault(m.id(), 0), now));
        return sb.toString();
    }

    private List<LiveMeter> selected(List<String> args) {
        Bridge br = flows.bridge(args, 1);
        if (args.size() > 3) throw new ControlException(args.getFirst() + " takes a bridge and at most one meter (meter=N)");
        long id = selector(args);
        if (id == MeterParser.ALL) return br.datapath.meters().list();
        LiveMeter m = br.datapath.meters().get(id);
        if (m == null) throw new ControlException("meter " + id + " does not exist on bridge " + br.name);   // as OVS: OFPMMFC_UNKNOWN_METER
        return List.of(m);
    }

    private static long selector(List<String> args) {
        try {
            return args.size() > 2 ? MeterParser.selector(args.get(2)) : MeterParser.ALL;
        } catch (MeterSyntaxException e) {
            throw new ControlException(e.getMessage());
        }
    }

    private static MeterConfig parse(String text) {
        try {
            return MeterParser.parse(text);
        } catch (MeterSyntaxException e) {
            throw new ControlException(e.getMessage());
        }
    }

    /** A flow may name only meters the bridge has (as OVS's ofproto_check_ofpacts: OFPMMFC_INVALID_METER). */
    static void checkFlow(List<Action> acts, MeterTable t, java.util.function.Supplier<String> text) {
        for (long m : io.xvio.datapath.ActionOutputs.meters(acts))
            if (t.get(m) == null)
                throw new ControlException("OFPMMFC_INVALID_METER: \"" + text.get() + "\" names meter " + m + ", which does not exist (add-meter first)");
    }

    /** The bridge key meters: a list of meters in add-meter's syntax (ids unique). */
    static List<MeterConfig> fromConfig(Object raw, String source, String where) {
        if (raw == null) return List.of();
        if (!(raw instanceof List<?> l)) throw new ConfigException(source + ": " + where + ".meters must be a list of meter strings, e.g. [\"meter=1,kbps,bands=type=drop,rate=10000\"]");
        List<MeterConfig> out = new ArrayList<>();
        java.util.Set<Long> ids = new java.util.HashSet<>();
        for (int i = 0; i < l.size(); i++) {
            String text = Config.string(l.get(i), source, where + ".meters[" + i + "]");
            MeterConfig c;
            try {
                c = MeterParser.parse(text);
                MeterTable.check(c);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(source + ": " + where + ".meters[" + i + "]: " + e.getMessage());
            }
            if (!ids.add(c.id())) throw new ConfigException(source + ": " + where + ".meters[" + i + "]: meter " + c.id() + " is given twice");
            out.add(c);
        }
        return List.copyOf(out);
    }
}
