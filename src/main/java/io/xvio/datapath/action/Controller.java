package io.xvio.datapath.action;

import java.util.Locale;

/**
 * controller / controller:MAX_LEN / controller(...): send to the OpenFlow controllers a packet-in with the packet
 * as it is here (at most max_len bytes), and go on with the flow's other actions. With no controller connected it is
 * a counted drop ("sent to controller, none connected").
 *
 * <p>As OVS's (ovs-actions(7), lib/ofp-actions.c's parse/format_CONTROLLER): reason is the packet-in's reason
 * ({@link #REASONS}, default action; a plain action's packet-in says group or packet_out where it runs in a group
 * bucket or a packet-out, as OVS's); id the controller connection id the packet-in is for (NXT_SET_CONTROLLER_ID, 0
 * by default); userdata (hex bytes "01.02") goes with the packet-in (Nicira's NXT_PACKET_IN2 carries it); meterId
 * the OpenFlow meter that rate-limits these packet-ins ({@link #NO_METER}: none; a meter that does not exist lets
 * them pass, as OVS's datapath does).
 *
 * <p>pause: the translation stops here and the packet-in carries the rest of the flow's actions (a continuation,
 * {@link io.xvio.datapath.Paused}, with the rest of each list it was resubmitted from) that a controller may resume
 * with NXT_RESUME. Inside clone(...) or a group bucket it is refused when the flow or group is added
 * ({@link #refuseNestedPause}).
 */
public record Controller(int maxLen, int reason, int id, String userdata, boolean pause, long meterId) implements Action {
    /** OpenFlow's packet-in reasons (OFPR_*), by number, as OVS names them. */
    public static final java.util.List<String> REASONS = java.util.List.of("no_match", "action", "invalid_ttl", "action_set", "group", "packet_out");
    public static final int NO_MATCH = 0, ACTION = 1, INVALID_TTL = 2, ACTION_SET = 3, GROUP = 4, PACKET_OUT = 5;
    /** meter_id when there is none (OVS's NX_CTLR_NO_METER). */
    public static final long NO_METER = 0xffffffffL;

    public Controller {
        if (maxLen < 0 || maxLen > 0xffff) throw new IllegalArgumentException("controller max_len " + maxLen + " outside 0..65535");
        if (reason < 0 || reason >= REASONS.size()) throw new IllegalArgumentException("controller reason " + reason + " (0.." + (REASONS.size() - 1) + ")");
        if (id < 0 || id > 0xffff) throw new IllegalArgumentException("controller id " + id + " outside 0..65535");
        if (meterId < 0 || meterId > NO_METER) throw new IllegalArgumentException("controller meter_id " + meterId + " outside 0..4294967295");
    }

    /** The plain action (OFPAT_OUTPUT to CONTROLLER): max_len only. */
    public Controller(int maxLen) { this(maxLen, ACTION, 0, null, false, NO_METER); }

    /** The plain action as the former (maxLen, text) constructor made it: text must be null. */
    public Controller(int maxLen, String text) {
        this(maxLen);
        if (text != null) throw new IllegalArgumentException("controller(" + text + "): parse it (FlowParser) for its options");
    }

    /** With userdata and pause, the other options at their defaults. */
    public Controller(int maxLen, String userdata, boolean pause) { this(maxLen, ACTION, 0, userdata, pause, NO_METER); }

    /** Whether this is the plain action (output:CONTROLLER with a max_len): what OVS prints as CONTROLLER:N. */
    public boolean plain() { return reason == ACTION && id == 0 && userdata == null && !pause && meterId == NO_METER; }

    /**
     * Throws if acts (a clone's, or a group bucket's: where) hold controller(...,pause): xvio cannot unroll the
     * enclosing actions into a continuation.
     */
    public static void refuseNestedPause(java.util.List<Action> acts, String where) {
        for (Action x : acts)
            if (x instanceof Controller c && c.pause())
                throw new IllegalArgumentException("controller(pause) inside " + where + " is not supported by xvio (only in a flow's own actions)");
    }

    /** userdata's bytes ("01.02" is {1, 2}). */
    public static byte[] bytes(String hex) {
        String[] p = hex.split("\\.");
        byte[] b = new byte[p.length];
        for (int i = 0; i < p.length; i++) b[i] = (byte) Integer.parseInt(p[i], 16);
        return b;
    }

    /** b as userdata text ("01.02"); null when b is empty. */
    public static String hex(byte[] b) {
        if (b.length == 0) return null;
        StringBuilder s = new StringBuilder(3 * b.length);
        for (byte x : b) s.append(s.isEmpty() ? "" : ".").append(String.format("%02x", x & 0xff));
        return s.toString();
    }

    /** A reason's number from its name (any case), or -1. */
    public static int reason(String name) {
        for (int r = 0; r < REASONS.size(); r++) if (REASONS.get(r).equalsIgnoreCase(name)) return r;
        return -1;
    }

    /**
     * controller, controller:MAX_LEN, controller(MAX_LEN), controller(reason=R,max_len=N,id=N,userdata=HH.HH,pause,
     * meter_id=N) in any order (OVS's parse_CONTROLLER).
     */
    static Action parse(ActionArgs a) {
        String arg = a.arg();
        if (arg == null || arg.isBlank()) return new Controller(0xffff);
        if (!a.parens() || arg.strip().chars().allMatch(Character::isDigit))
            return new Controller(a.intIn(arg.strip(), a.pos(), 0, 0xffff, "controller max_len"));
        int maxLen = 0xffff, reason = ACTION, id = 0;
        long meter = NO_METER;
        String userdata = null;
        boolean pause = false;
        for (String[] kv : KeyValues.split(a, arg, a.pos())) {
            String v = kv[1] == null ? "" : kv[1].strip();
            int pos = Integer.parseInt(kv[2]);
            switch (kv[0]) {
                case "reason" -> {
                    reason = reason(v);
                    if (reason < 0) throw a.error(pos, "controller: unknown reason \"" + v + "\" (one of " + String.join(", ", REASONS) + ")");
                }
                case "max_len" -> maxLen = a.intIn(v, pos, 0, 0xffff, "controller max_len");
                case "id" -> id = a.intIn(v, pos, 0, 0xffff, "controller id");
                case "userdata" -> {
                    String digits = v.replaceAll("[ .\\t]", "").toLowerCase(Locale.ROOT);    // OVS's ofpbuf_put_hex
                    if (!digits.matches("([0-9a-f]{2})*"))
                        throw a.error(pos, "controller: bad hex digit in userdata \"" + v + "\" (hex bytes such as 01.02.0a)");
                    byte[] b = new byte[digits.length() / 2];
                    for (int k = 0; k < b.length; k++) b[k] = (byte) Integer.parseInt(digits, 2 * k, 2 * k + 2, 16);
                    userdata = hex(b);
                }
                case "pause" -> pause = true;
                case "meter_id" -> meter = a.unsigned(v, pos, 32, "controller meter_id");
                default -> throw a.error(pos, "controller: unknown key \"" + kv[0] + "\" (reason, max_len, id, userdata, pause, meter_id)");
            }
        }
        return new Controller(maxLen, reason, id, userdata, pause, meter);
    }

    /** The plain action is an output (to CONTROLLER), which an action set (a group bucket) may hold; the others not (OVS's). */
    @Override public ActionSetRole actionSetRole() { return plain() ? ActionSetRole.FINAL_OUTPUT : ActionSetRole.NONE; }

    /** OVS's format_CONTROLLER: CONTROLLER:N for the plain action, else controller(...) with what is not a default. */
    @Override public String format() {
        if (plain()) return "CONTROLLER:" + maxLen;
        StringBuilder s = new StringBuilder("controller(");
        if (reason != ACTION) s.append("reason=").append(REASONS.get(reason)).append(',');
        if (maxLen != 0xffff) s.append("max_len=").append(maxLen).append(',');
        if (id != 0) s.append("id=").append(id).append(',');
        if (userdata != null) s.append("userdata=").append(userdata).append(',');
        if (pause) s.append("pause,");
        if (meterId != NO_METER) s.append("meter_id=").append(meterId).append(',');
        s.setLength(s.length() - 1);
        return s.append(')').toString();
    }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        if (pause) return x.pause(i, this, table) ? STOP : DEAD;
        x.controller(i, this, table);
        return CONTINUE;
    }
}
