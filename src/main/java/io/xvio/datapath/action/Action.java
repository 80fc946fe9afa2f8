package io.xvio.datapath.action;

/**
 * An OpenFlow action of ovs-actions(7), as a flow or a group bucket holds it. Each kind is one file that parses its
 * ovs-ofctl syntax (a static {@code parse}, listed in {@link ActionSyntax}), prints it back as dump-flows does
 * ({@link #format}) and translates it on a cache miss into datapath operations through {@link Xlate}, which executes
 * them and records them for the megaflow cache. Ports are OpenFlow port numbers.
 *
 * <p>Adding an action: a record here in {@code permits}, its file, one line in {@link ActionSyntax}; the OpenFlow
 * codec ({@code io.xvio.openflow.OfActions}) and the group action set ({@link #actionSetRole}) say what it is on the
 * wire and in a bucket.
 */
public sealed interface Action permits Output, InPort, Normal, Flood, SetField, PushVlan, StripVlan, DecTtl, Move,
        Resubmit, GotoTable, WriteMetadata, GroupAction, Conjunction, Note, Controller, CtClear, OutputReg, Clone,
        StackPush, StackPop, CheckPktLarger, Ct, Meter, Learn {

    /** What {@link #translate} returns: go on with the next action. */
    int CONTINUE = 0;
    /** The rest of this action list is skipped (dec_ttl at TTL 1, goto_table); the packet may live on elsewhere. */
    int STOP = 1;
    /** The packet was dropped for good: the callers' remaining actions are skipped too. */
    int DEAD = 2;

    /** The ovs-ofctl text, as dump-flows prints it. */
    String format();

    /** Whether this action may rewrite the packet it runs on (then earlier outputs must send copies). */
    default boolean modifies() { return false; }

    /** Where an OpenFlow action set (a group bucket) puts this action, or NONE if a bucket cannot hold it. */
    default ActionSetRole actionSetRole() { return ActionSetRole.NONE; }

    /**
     * Runs this action on packet i, found in table with inPort (port index); depth counts resubmits and groups.
     * copy: something after this action rewrites the packet, so an output must send a copy. tail: nothing at all
     * happens to the packet after this action (in this pass), so it may recirculate itself. Returns
     * {@link #CONTINUE}, {@link #STOP} or {@link #DEAD}.
     */
    int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail);
}
