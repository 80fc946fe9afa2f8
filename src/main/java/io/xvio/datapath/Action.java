package io.xvio.datapath;

/**
 * The actions of ovs-actions(7) that xvio executes. Ports are OpenFlow port numbers; the datapath maps them
 * to its port indices when a table is compiled.
 */
public sealed interface Action {
    /** output:PORT */
    record Output(int port) implements Action {}
    /** in_port: send back where it came from. */
    record InPort() implements Action {}
    /** NORMAL: the L2 learning switch with VLAN handling. */
    record Normal() implements Action {}
    /** FLOOD: every port but the input port (ALL is the same here: no port has flooding disabled). */
    record Flood(boolean all) implements Action {}
    /**
     * Sets field bits: value under mask (for IPv6 fields, valueLo/maskLo carry the low 64 bits). Covers
     * set_field, load, mod_dl_src/dst, mod_nw_src/dst, mod_tp_src/dst, mod_nw_tos, mod_vlan_vid, mod_vlan_pcp.
     * Setting VLAN_TCI bits with the present bit on a packet without a tag pushes one first (mod_vlan_vid).
     */
    record SetField(Field field, long value, long mask, long valueLo, long maskLo) implements Action {
        public SetField(Field field, long value, long mask) { this(field, value, mask, 0, 0); }
    }
    /** push_vlan:ETHERTYPE (0x8100 or 0x88a8): a new outer tag with VID 0, PCP 0. */
    record PushVlan(int ethertype) implements Action {}
    /** strip_vlan / pop_vlan */
    record StripVlan() implements Action {}
    /** dec_ttl: decrement IPv4 TTL / IPv6 hop limit; drop the packet when it reaches zero. */
    record DecTtl() implements Action {}
    /** move:SRC[srcOfs..]->DST[dstOfs..], nBits wide (fields of at most 64 bits). */
    record Move(Field src, int srcOfs, Field dst, int dstOfs, int nBits) implements Action {}
    /** resubmit(PORT,TABLE): look the packet up again with in_port=PORT (-1: unchanged) in TABLE (-1: this one). */
    record Resubmit(int port, int table) implements Action {}
    /** goto_table:T (OpenFlow 1.1+ instruction; T must be greater than the current table). */
    record GotoTable(int table) implements Action {}
    /** write_metadata:VALUE[/MASK] */
    record WriteMetadata(long value, long mask) implements Action {}
    /** group:N: run group N (its buckets as {@link io.xvio.datapath.Group} says). */
    record Group(long id) implements Action {}
    /**
     * conjunction(ID,K/N): this flow is clause K of N of conjunctive match ID (see {@link Classifier}); a flow with
     * conjunction actions has no other actions.
     */
    record Conjunction(long id, int clause, int nClauses) implements Action {}
    /** note:HH.HH...: does nothing (a comment a controller stores in a flow); bytes padded as OVS pads them. */
    record Note(String hex) implements Action {}
    /**
     * controller / controller:MAX_LEN / controller(...): send to the OpenFlow controller. Until xvio has an
     * OpenFlow channel, the packet is counted as a drop ("sent to controller, none connected") and goes no further
     * through this action. text: the arguments as written (null for the plain forms).
     */
    record Controller(int maxLen, String text) implements Action {}
    /** ct_clear: clears the connection-tracking state (none exists yet: a no-op). */
    record CtClear() implements Action {}
    /** output:FIELD[A..B]: output to the OpenFlow port the field's bits hold. */
    record OutputReg(Field field, int ofs, int nBits) implements Action {}
    /** clone(ACTIONS): runs ACTIONS on a copy of the packet; the flow's actions go on with the packet as it was. */
    record Clone(java.util.List<Action> actions) implements Action {}
    /** push:FIELD[A..B] / pop:FIELD[A..B]: the per-packet register stack (OVS's stack, 64 entries here). */
    record StackPush(Field field, int ofs, int nBits) implements Action {}
    record StackPop(Field field, int ofs, int nBits) implements Action {}
}
