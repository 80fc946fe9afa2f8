package io.xvio.control.ovsdb;

import io.xvio.control.Daemon;
import io.xvio.port.Port;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The states the Interface link_state and status columns are written from (a port's status, a relay's state), as
 * last looked at. ovs-vswitchd writes those columns on each connectivity change; the agent looks every
 * {@link #CHECK_MILLIS} (a field read per port) and writes them when one changed, instead of waiting for the
 * statistics every 5 s.
 */
final class LinkStates {
    static final long CHECK_MILLIS = 100;
    private Map<String, String> last = Map.of();

    /** Whether the state of any of the rows differs from the last call's (the first call: whether there are any). */
    boolean changed(List<Reconciler.IfaceResult> rows, Daemon daemon) {
        Map<String, String> now = new HashMap<>(rows.size() * 2);
        for (Reconciler.IfaceResult r : rows) {
            String s = state(r, daemon);
            if (s != null) now.put(r.uuid(), s);
        }
        boolean changed = !now.equals(last);
        last = now;
        return changed;
    }

    private static String state(Reconciler.IfaceResult r, Daemon daemon) {
        if (r.relay() != null) return daemon.relayStatus(r.relay());
        if (r.ofport() < 0) return null;
        Port p = daemon.port(r.bridge(), r.name());
        if (p == null) return null;
        Map<String, String> bfd = daemon.bfdStatus(r.bridge(), r.name());     // a BFD session's change is written at once too
        return bfd.isEmpty() ? p.status() : p.status() + " " + bfd;
    }
}
