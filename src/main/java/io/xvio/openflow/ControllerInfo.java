package io.xvio.openflow;

import java.util.Map;
import java.util.TreeMap;

/**
 * One configured controller's state as ovs-vswitchd writes it to its Controller row (connmgr_get_controller_info):
 * {@code is_connected} (the hello exchanged), {@code role} ("master", "slave" or "other", OVS's name for equal, also
 * while not connected) and {@code status}: {@code state} (rconn's BACKOFF, CONNECTING, ACTIVE, IDLE: an inactivity
 * probe unanswered), {@code sec_since_connect} and {@code sec_since_disconnect} (absent before the first), and
 * {@code last_error} (why the last connection or attempt ended, e.g. "Connection refused", "End of file"; kept after
 * a reconnect, as OVS's).
 */
public record ControllerInfo(String target, boolean connected, String role, String state, long connectedAtMillis,
                             long disconnectedAtMillis, String lastError) {
    /** Not yet connected or disconnected. */
    public static final long NEVER = Long.MIN_VALUE;

    /** The Controller {@code status} column at nowMillis (same clock as the times: System.currentTimeMillis). */
    public Map<String, String> status(long nowMillis) {
        Map<String, String> m = new TreeMap<>();
        m.put("state", state);
        if (connectedAtMillis != NEVER) m.put("sec_since_connect", Long.toString(Math.max(0, nowMillis - connectedAtMillis) / 1000));
        if (disconnectedAtMillis != NEVER) m.put("sec_since_disconnect", Long.toString(Math.max(0, nowMillis - disconnectedAtMillis) / 1000));
        if (lastError != null && !lastError.isEmpty()) m.put("last_error", lastError);
        return m;
    }
}
