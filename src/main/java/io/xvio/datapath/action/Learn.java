package io.xvio.datapath.action;

import io.xvio.datapath.Field;
import io.xvio.datapath.FlowSyntaxException;

import java.util.List;

/**
 * learn(...) (ovs-actions(7)): a packet that runs it adds a flow to table (or refreshes the one with the same match and
 * priority) whose match and actions its specs build from the packet's fields and immediates. The flow_mod is made and
 * applied off the PMD thread ({@code datapath.LearnQueue}); the translation reads the specs' source bits, so the megaflow
 * covers them (OVS's learn_mask), and a cached entry refreshes the learned flow at each hit (OVS's XC_LEARN).
 * limit: at most that many flows with this cookie in table (0: no limit). resultField/resultOfs: the bit set to 1 when
 * the flow was learned or found, 0 when the limit refused it (null: none). Timeouts are seconds (0: none).
 */
public record Learn(int table, int idleTimeout, int hardTimeout, int finIdleTimeout, int finHardTimeout, int priority,
                    long cookie, boolean sendFlowRem, boolean deleteLearned, long limit, Field resultField, int resultOfs,
                    List<LearnSpec> specs) implements Action {
    /** Field-sourced specs one learn may have (the values a queued request carries). */
    public static final int MAX_SOURCES = 32;

    public Learn {
        specs = List.copyOf(specs);
        if (table < 0 || table > 254) throw new IllegalArgumentException("learn: table " + table + " (0..254)");
        if (finIdleTimeout != 0 || finHardTimeout != 0)
            throw new IllegalArgumentException("learn: fin_idle_timeout/fin_hard_timeout need fin_timeout, which xvio does not have");
        if (sources(specs) > MAX_SOURCES) throw new IllegalArgumentException("learn: more than " + MAX_SOURCES + " field sources");
    }

    private static int sources(List<LearnSpec> specs) {
        int n = 0;
        for (LearnSpec s : specs) if (!s.immediate()) n++;
        return n;
    }

    /** How many field-sourced specs (values read from the packet). */
    public int sources() { return sources(specs); }

    static Action parse(ActionArgs a) {
        LearnParser p = new LearnParser(a);
        try {
            return p.run();
        } catch (IllegalArgumentException e) {
            if (e instanceof FlowSyntaxException) throw e;
            throw a.error(a.pos(), e.getMessage());
        }
    }

    @Override public String format() {
        StringBuilder s = new StringBuilder("learn(table=").append(table);
        if (idleTimeout != 0) s.append(",idle_timeout=").append(idleTimeout);
        if (hardTimeout != 0) s.append(",hard_timeout=").append(hardTimeout);
        if (finIdleTimeout != 0) s.append(",fin_idle_timeout=").append(finIdleTimeout);
        if (finHardTimeout != 0) s.append(",fin_hard_timeout=").append(finHardTimeout);
        if (priority != io.xvio.datapath.Flow.DEFAULT_PRIORITY) s.append(",priority=").append(priority);
        if (sendFlowRem) s.append(",send_flow_rem");
        if (deleteLearned) s.append(",delete_learned");
        if (cookie != 0) s.append(",cookie=0x").append(Long.toHexString(cookie));
        if (limit != 0) s.append(",limit=").append(limit);
        if (resultField != null) s.append(",result_dst=").append(LearnSpec.subfield(resultField, resultOfs, 1));
        for (LearnSpec sp : specs) s.append(',').append(sp.format());
        return s.append(')').toString();
    }

    @Override public boolean modifies() { return resultField != null; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        x.learn(i, this);
        return CONTINUE;
    }

    /** The specs' source values of packet i, in spec order (the translation reads them: the megaflow covers them). */
    public int readSources(Xlate x, int i, long[] into) {
        int n = 0;
        for (LearnSpec s : specs) if (!s.immediate()) into[n++] = x.read(i, s.src(), s.srcOfs(), s.nBits());
        return n;
    }
}
