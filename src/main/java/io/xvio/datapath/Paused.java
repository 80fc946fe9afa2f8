package io.xvio.datapath;

import io.xvio.datapath.action.Action;

import java.util.List;

/**
 * A translation stopped by {@code controller(...,pause)} (OVS's frozen state): what goes with its packet-in so a
 * controller can resume it with NXT_RESUME. frames: the actions after the controller action in its list, then, for
 * each resubmit it ran under, the actions after that resubmit in the enclosing list (OVS's freeze_unroll_actions),
 * each with the table and cookie of its flow; the register stack, bottom first; whether the packet went through
 * conntrack. The packet's registers, metadata and in_port travel in the packet-in's metadata. Made on the slow path,
 * once per paused packet.
 */
public record Paused(List<Frame> frames, long[] stack, boolean conntracked) {
    /** The rest of one action list: its flow's table and cookie. */
    public record Frame(int table, long cookie, List<Action> rest) {}
}
