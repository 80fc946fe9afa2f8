package io.xvio.openflow;

import io.xvio.datapath.action.*;

import io.xvio.datapath.Flow;
import io.xvio.datapath.Match;

import java.util.List;

/**
 * A decoded flow_mod of any version (OFPT_FLOW_MOD 1.0 and 1.1+, NXT_FLOW_MOD). table is -1 for "all tables"
 * (OFPTT_ALL, or OpenFlow 1.0 without the table-id extension); outPort -1 for none.
 */
public record FlowMod(int command, int table, int priority, long cookie, long cookieMask, Match match, List<Action> actions,
                      int idleTimeout, int hardTimeout, int outPort, int flags, long bufferId, int version) {
    public static final int ADD = 0, MODIFY = 1, MODIFY_STRICT = 2, DELETE = 3, DELETE_STRICT = 4;
    public static final int SEND_FLOW_REM = 1, CHECK_OVERLAP = 2, RESET_COUNTS = 4;
    public static final long NO_BUFFER = 0xffffffffL;

    public boolean strict() { return command == MODIFY_STRICT || command == DELETE_STRICT; }

    /** Reset counters on modify (OpenFlow 1.1+ flag; in 1.0 bit 2 is EMERG). */
    public boolean resetCounts() { return version != OfVersion.OF10 && (flags & RESET_COUNTS) != 0; }

    /** This flow_mod with match m instead. */
    public FlowMod withMatch(Match m) {
        return new FlowMod(command, table, priority, cookie, cookieMask, m, actions, idleTimeout, hardTimeout, outPort, flags, bufferId, version);
    }

    /** The flow an add installs (table -1 means table 0); its text is formatted when first asked for. */
    public Flow toFlow() {
        return new Flow(Math.max(0, table), priority, cookie, match, actions, idleTimeout, hardTimeout, null);
    }
}
