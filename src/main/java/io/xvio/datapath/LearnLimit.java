package io.xvio.datapath;

import io.xvio.datapath.action.Learn;

import java.util.List;

/**
 * learn's limit=N (OVS's ofproto_flow_mod_learn): a new flow is learned only while fewer than N flows with the learn's
 * cookie are in its table; a learning that finds its flow already there (the same match, priority, cookie, actions and
 * timeouts: OVS's ofproto_flow_mod_init_for_learn) refreshes it whatever the count. One that would replace a flow of
 * the same match with other actions or timeouts is a new flow to OVS, so the limit refuses it. Checked on the
 * translation (a miss, never a hit) against the published tables, so result_dst says at once whether it learned.
 */
final class LearnLimit {
    private LearnLimit() {}

    static boolean allows(List<Flow> flows, Learn l, long[] values) {
        int n = 0;
        for (Flow f : flows) if (f.table == l.table() && f.cookie == l.cookie()) n++;
        if (n < l.limit()) return true;
        Flow want;
        try {
            want = LearnedFlow.flow(l, values);
        } catch (IllegalArgumentException e) {
            return false;
        }
        for (Flow f : flows)
            if (f.table == want.table && f.priority == want.priority && f.cookie == l.cookie() && f.match.equals(want.match)
                    && f.actions.equals(want.actions) && f.idleTimeout == want.idleTimeout && f.hardTimeout == want.hardTimeout) return true;
        return false;
    }
}
