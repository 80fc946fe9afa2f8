package io.xvio.openflow;

import io.xvio.datapath.action.*;

import io.xvio.datapath.Flow;
import io.xvio.datapath.Match;

import java.util.List;

/**
 * A decoded flow_mod of any version (OFPT_FLOW_MOD 1.0 and 1.1+, NXT_FLOW_MOD). table is -1 for "all tables"
 * (OFPTT_ALL, or OpenFlow 1.0 without the table-id extension); outPort -1 for none.
 *
 * <p>cookie/cookieMask select flows (delete, modify); newCookie is the cookie a flow the message adds gets and the one
 * a modify sets ({@link #NO_COOKIE}: none), as OVS's ofputil_flow_mod new_cookie: OpenFlow 1.0 and NXT_FLOW_MOD carry
 * it in the header's cookie field, OpenFlow 1.2+ only in an add. outGroup filters deletes ({@link #ANY_GROUP}: none).
 */
public record FlowMod(int command, int table, int priority, long cookie, long cookieMask, Match match, List<Action> actions,
                      int idleTimeout, int hardTimeout, int outPort, int flags, long bufferId, int version, long newCookie,
                      long outGroup) {
    public static final int ADD = 0, MODIFY = 1, MODIFY_STRICT = 2, DELETE = 3, DELETE_STRICT = 4;
    public static final int SEND_FLOW_REM = 1, CHECK_OVERLAP = 2, RESET_COUNTS = 4;
    public static final long NO_BUFFER = 0xffffffffL;
    /** UINT64_MAX: no new cookie (OVS's OVS_BE64_MAX), which no flow can be given. */
    public static final long NO_COOKIE = -1L;
    public static final long ANY_GROUP = 0xffffffffL;

    /** A flow_mod whose add sets cookie and whose modify sets none, without an out_group: OpenFlow 1.2+'s rules. */
    public FlowMod(int command, int table, int priority, long cookie, long cookieMask, Match match, List<Action> actions,
                   int idleTimeout, int hardTimeout, int outPort, int flags, long bufferId, int version) {
        this(command, table, priority, cookie, cookieMask, match, actions, idleTimeout, hardTimeout, outPort, flags, bufferId, version,
                command == ADD ? cookie : NO_COOKIE, ANY_GROUP);
    }

    public boolean strict() { return command == MODIFY_STRICT || command == DELETE_STRICT; }

    /**
     * Whether the flows this message adds or replaces start their counters from zero: OVS's
     * ofputil_decode_flow_mod_flags, where OpenFlow 1.0 (and NXT_FLOW_MOD, sent with a 1.0 header) has no
     * OFPFF_RESET_COUNTS flag and an add always resets (bit 2 is EMERG there), and 1.2+ resets where the flag is set.
     */
    public boolean resetCounts() {
        return version == OfVersion.OF10 ? command == ADD : (flags & RESET_COUNTS) != 0;
    }

    /**
     * Whether a modify that selects no flow adds one (OVS's modify_may_add_flow): only where it carries a new cookie and
     * does not match on the cookie, so OpenFlow 1.0 and NXT_FLOW_MOD without a cookie mask; never in OpenFlow 1.2+.
     */
    public boolean mayAdd() {
        return (command == MODIFY || command == MODIFY_STRICT) && newCookie != NO_COOKIE && cookieMask == 0;
    }

    /** This flow_mod with match m instead. */
    public FlowMod withMatch(Match m) {
        return new FlowMod(command, table, priority, cookie, cookieMask, m, actions, idleTimeout, hardTimeout, outPort, flags, bufferId,
                version, newCookie, outGroup);
    }

    /** The flow an add installs (table -1 means table 0), with the new cookie; its text is formatted when first asked for. */
    public Flow toFlow() { return toFlow(newCookie); }

    /**
     * As {@link #toFlow()} with this cookie: an add with the all-ones cookie over an identical flow keeps that flow's
     * cookie (OVS's replace_rule_start; {@link FlowMods}), and a fresh one keeps the all-ones cookie, as OVS stores it.
     */
    public Flow toFlow(long cookie) {
        return new Flow(Math.max(0, table), priority, cookie, match, actions, idleTimeout, hardTimeout, null);
    }
}
