package io.xvio.datapath;

import io.xvio.datapath.action.Action;

import java.util.List;

/**
 * A translation stopped by {@code controller(...,pause)} (OVS's frozen state): what goes with its packet-in so a
 * controller can resume it with NXT_RESUME. rest: the actions after the controller action in the flow's list (which
 * must be the translation's outermost one, see {@link #NESTED}); table and cookie of that flow; the register stack,
 * bottom first; whether the packet went through conntrack. The packet's registers, metadata and in_port travel in
 * the packet-in's metadata. Made on the slow path, once per paused packet.
 */
public record Paused(List<Action> rest, int table, long cookie, long[] stack, boolean conntracked) {
    /**
     * A pause xvio cannot resume: the controller action ran inside a resubmit that is not its list's last action,
     * or a clone or group bucket, whose enclosing actions would have to be unrolled too. The packet is not sent.
     */
    public static final Paused NESTED = new Paused(List.of(), 0, 0, new long[0], false);
}
