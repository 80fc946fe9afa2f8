package io.xvio.openflow;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * OFPT_PORT_STATUS, as OVS's connmgr_send_port_status sends it: the bridge's ports and their link states are
 * compared with what they were at the last poll (every 100 ms, by the {@link OfChannels} thread, while some
 * connection is open), and each port added (OFPPR_ADD), deleted (OFPPR_DELETE) or renamed or whose link went up
 * or down (OFPPR_MODIFY) goes, with its description, to every connection whose async config takes that reason.
 */
final class PortStatus {
    private final OfSwitch sw;
    /** ofport to (name, link up) at the last poll; null while no connection was open. */
    private Map<Integer, State> last;

    private record State(OfSwitch.PortInfo info, boolean up) {}

    PortStatus(OfSwitch sw) { this.sw = sw; }

    /** Polls the ports and sends the changes since the last poll to conns (only the channels thread calls it). */
    void poll(Collection<OfConnection> conns) {
        if (conns.isEmpty()) {
            last = null;
            return;
        }
        Map<Integer, State> now = sw.read(() -> {
            Map<Integer, State> m = new LinkedHashMap<>();
            for (OfSwitch.PortInfo p : sw.ports()) m.put(p.ofport(), new State(p, sw.linkUp(p.ofport())));
            return m;
        });
        Map<Integer, State> before = last;
        last = now;
        if (before == null) return;
        for (Map.Entry<Integer, State> e : before.entrySet())
            if (!now.containsKey(e.getKey())) send(conns, AsyncConfig.PORT_DELETE, e.getValue());
        for (Map.Entry<Integer, State> e : now.entrySet()) {
            State old = before.get(e.getKey());
            if (old == null) send(conns, AsyncConfig.PORT_ADD, e.getValue());
            else if (old.up != e.getValue().up || !Objects.equals(old.info.name(), e.getValue().info.name())) send(conns, AsyncConfig.PORT_MODIFY, e.getValue());
        }
    }

    private static void send(Collection<OfConnection> conns, int reason, State s) {
        for (OfConnection c : List.copyOf(conns))
            if (c.wantsAsync(AsyncConfig.PORT_STATUS, reason)) c.sendAsync(encode(c.version(), reason, s.info, !s.up));
    }

    static byte[] encode(int version, int reason, OfSwitch.PortInfo p, boolean linkDown) {
        Wire.Writer w = new Wire.Writer(version, OfType.PORT_STATUS, 0);
        w.u8(reason).zeros(7).bytes(OfStats.portDesc(p, version, linkDown));
        return w.finish();
    }
}
