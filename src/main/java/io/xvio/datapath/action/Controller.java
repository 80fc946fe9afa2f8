package io.xvio.datapath.action;

import java.util.Locale;

/**
 * controller / controller:MAX_LEN / controller(...): send to the OpenFlow controllers a packet-in with the packet
 * as it is here (at most max_len bytes), and go on with the flow's other actions. With no controller connected it is
 * a counted drop ("sent to controller, none connected"). userdata (hex bytes "01.02") goes with the packet-in (Nicira's
 * NXT_PACKET_IN2 carries it); reason, id and meter_id are parsed but not carried yet. text: the arguments as
 * written (null for the plain forms).
 *
 * <p>pause: the translation stops here and the packet-in carries the rest of the flow's actions (a continuation,
 * {@link io.xvio.datapath.Paused}, with the rest of each list it was resubmitted from) that a controller may resume
 * with NXT_RESUME. Inside clone(...) or a group bucket it is refused when the flow or group is added
 * ({@link #refuseNestedPause}).
 */
public record Controller(int maxLen, String text, String userdata, boolean pause) implements Action {
    public Controller(int maxLen, String text) { this(maxLen, text, null, false); }

    public Controller(int maxLen, String text, String userdata) { this(maxLen, text, userdata, false); }

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

    /** controller, controller:MAX_LEN, controller(max_len=N,reason=R,id=N,userdata=HH,pause,meter_id=N). */
    static Action parse(ActionArgs a) {
        String arg = a.arg();
        if (arg == null) return new Controller(0xffff, null);
        if (!a.parens()) return new Controller(a.intIn(arg, a.pos(), 0, 0xffff, "controller max_len"), null);
        int maxLen = 0xffff;
        String userdata = null;
        boolean pause = false;
        for (String kv : arg.split(",")) {
            String k = kv.contains("=") ? kv.substring(0, kv.indexOf('=')).strip() : kv.strip();
            switch (k.toLowerCase(Locale.ROOT)) {
                case "max_len" -> maxLen = a.intIn(kv.substring(kv.indexOf('=') + 1).strip(), a.pos(), 0, 0xffff, "controller max_len");
                case "userdata" -> {
                    String v = kv.substring(kv.indexOf('=') + 1).strip().toLowerCase(Locale.ROOT);
                    if (!v.matches("[0-9a-f]{2}(\\.[0-9a-f]{2})*")) throw a.error(a.pos(), "controller: userdata \"" + v + "\" (hex bytes such as 01.02.0a)");
                    userdata = v;
                }
                case "pause" -> pause = true;
                case "reason", "id", "meter_id" -> { }
                default -> throw a.error(a.pos(), "controller: unknown argument \"" + k + "\"");
            }
        }
        return new Controller(maxLen, arg, userdata, pause);
    }

    @Override public String format() { return text == null ? "CONTROLLER:" + maxLen : "controller(" + text + ")"; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        if (pause) return x.pause(i, this, table) ? STOP : DEAD;
        x.controller(i, this, table);
        return CONTINUE;
    }
}
