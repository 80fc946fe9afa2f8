package io.xvio.datapath;

import io.xvio.datapath.action.Learn;
import io.xvio.datapath.action.LearnSpec;
import io.xvio.datapath.action.Subfield;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The flow a learn action asks for, given the values its field sources had in the packet (OVS's learn_execute): match
 * specs set the learned match's bits, loads become {@code load:} actions with the value, outputs {@code output:} to the
 * port the bits hold (only a port below 0xff00 or IN_PORT/FLOOD/ALL, as OVS; others are left out). Built as flow text
 * and read by {@link FlowParser}, so a learned flow passes the checks every other flow passes. Control thread only
 * (allocates).
 */
public final class LearnedFlow {
    private LearnedFlow() {}

    /** The learned flow's add-flow text (values: the field sources' values, in spec order). */
    public static String text(Learn l, long[] values) {
        Map<Field, long[]> match = new LinkedHashMap<>();      // field -> {value, mask}, field units
        List<String> acts = new ArrayList<>();
        int k = 0;
        for (LearnSpec s : l.specs()) {
            long v = s.immediate() ? s.imm() : values[k++];
            long m = Subfield.bits(s.nBits());
            v &= m;
            switch (s.kind()) {
                case MATCH -> {
                    long[] vm = match.computeIfAbsent(s.dst(), f -> new long[2]);
                    long at = m << s.dstOfs();
                    vm[0] = (vm[0] & ~at) | (v << s.dstOfs());
                    vm[1] |= at;
                }
                case LOAD -> acts.add("load:" + (v == 0 ? "0" : "0x" + Long.toHexString(v)) + "->" + LearnSpec.subfield(s.dst(), s.dstOfs(), s.nBits()));
                case OUTPUT -> {
                    if (v < 0xff00 && v > 0) acts.add("output:" + v);
                    else if (v == 0xfff8) acts.add("in_port");
                    else if (v == 0xfffb) acts.add("flood");
                    else if (v == 0xfffc) acts.add("all");
                }
            }
        }
        StringBuilder sb = new StringBuilder("table=").append(l.table()).append(",priority=").append(l.priority());
        if (l.cookie() != 0) sb.append(",cookie=0x").append(Long.toHexString(l.cookie()));
        if (l.idleTimeout() != 0) sb.append(",idle_timeout=").append(l.idleTimeout());
        if (l.hardTimeout() != 0) sb.append(",hard_timeout=").append(l.hardTimeout());
        for (Map.Entry<Field, long[]> e : match.entrySet()) {
            Field f = e.getKey();
            long v = e.getValue()[0] & f.fieldMask(), m = e.getValue()[1] & f.fieldMask();   // OXM_OF_IN_PORT: 32 bits of in_port
            sb.append(',').append(f.ofName).append('=').append(FlowFormat.value(f, v));
            if (m != f.fieldMask()) sb.append('/').append(FlowFormat.value(f, m));
        }
        sb.append(",actions=").append(acts.isEmpty() ? "drop" : String.join(",", acts));
        return sb.toString();
    }

    /** The learned flow itself; a flow xvio would refuse is a FlowSyntaxException. */
    public static Flow flow(Learn l, long[] values) { return FlowParser.parse(text(l, values)); }
}
