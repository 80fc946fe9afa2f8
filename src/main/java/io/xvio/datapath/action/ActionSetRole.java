package io.xvio.datapath.action;

/**
 * Where an OpenFlow action set puts an action (OVS's ofpacts_execute_action_set): VLAN pop, push, dec_ttl, then the
 * field rewrites in order, then one final action, the highest-ranked one written (ct < ct_clear < resubmit < output <
 * group).
 */
public enum ActionSetRole {
    NONE, STRIP_VLAN, PUSH_VLAN, DEC_TTL, SET, FINAL_CT, FINAL_CT_CLEAR, FINAL_RESUBMIT, FINAL_OUTPUT, FINAL_GROUP;

    public boolean isFinal() { return ordinal() >= FINAL_CT.ordinal(); }
}
