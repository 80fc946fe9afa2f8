package io.xvio.control;

import io.xvio.openflow.OfChannels;
import io.xvio.openflow.OfController;
import io.xvio.openflow.PacketInLimits;
import io.xvio.openflow.PacketInScheduler;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A bridge's OpenFlow controllers, as OVS's Bridge columns {@code controller} and {@code fail_mode} and the
 * Controller column {@code inactivity_probe} (ms): YAML keys {@code controller: [tcp:IP[:PORT], unix:PATH]},
 * {@code fail_mode: standalone|secure} (default standalone) and {@code inactivity_probe: MS} (default 5000, at least
 * 1000), and OVS's Controller columns {@code controller_rate_limit: PACKETS_PER_S} (at least 100) and
 * {@code controller_burst_limit: PACKETS} (at least 25; default rate / 4): the packet-in rate limit of the
 * controller connections (absent: none, as OVS). A bridge with controllers and no flows of its own starts with none (OVS adds its NORMAL flow only to a
 * standalone bridge without controllers).
 */
public record ControllerSettings(List<String> targets, OfChannels.FailMode failMode, long probeMillis, PacketInLimits packetInLimits) {
    public static final ControllerSettings NONE = new ControllerSettings(List.of(), OfChannels.FailMode.STANDALONE, OfChannels.DEFAULT_PROBE_MS);
    static final String[] KEYS = {"controller", "fail_mode", "inactivity_probe", "controller_rate_limit", "controller_burst_limit"};

    /** Without a packet-in rate limit. */
    public ControllerSettings(List<String> targets, OfChannels.FailMode failMode, long probeMillis) {
        this(targets, failMode, probeMillis, null);
    }

    /** The settings in bridge map br (where: "bridges.NAME" for messages). */
    static ControllerSettings parse(Map<String, Object> br, String source, String where) {
        Object c = br.get("controller");
        List<String> targets = new ArrayList<>();
        if (c instanceof String s) {
            targets.add(s);
        } else if (c instanceof List<?> l) {
            for (Object o : l) {
                if (!(o instanceof String s)) throw new ConfigException(source + ": " + where + ".controller: each target is a string like tcp:127.0.0.1:6653");
                targets.add(s);
            }
        } else if (c != null) {
            throw new ConfigException(source + ": " + where + ".controller must be a list of targets (tcp:IP[:PORT] or unix:PATH)");
        }
        try {
            targets = checkTargets(targets);
        } catch (ControlException e) {
            throw new ConfigException(source + ": " + where + ".controller: " + e.getMessage());
        }
        OfChannels.FailMode mode;
        try {
            mode = OfChannels.FailMode.parse(Config.string(br.getOrDefault("fail_mode", "standalone"), source, where + ".fail_mode"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source + ": " + where + ".fail_mode: " + e.getMessage());
        }
        Object p = br.getOrDefault("inactivity_probe", OfChannels.DEFAULT_PROBE_MS);
        if (!(p instanceof Number n) || n.longValue() < 1000 || n.longValue() > 3_600_000)
            throw new ConfigException(source + ": " + where + ".inactivity_probe must be a number of milliseconds from 1000 to 3600000");
        long rate = limit(br, "controller_rate_limit", PacketInScheduler.MIN_RATE, source, where);
        long burst = limit(br, "controller_burst_limit", PacketInScheduler.MIN_BURST, source, where);
        return new ControllerSettings(targets, mode, n.longValue(), PacketInLimits.of(rate, burst));
    }

    /** A rate limit key's value (0: absent), at least min. */
    private static long limit(Map<String, Object> br, String key, int min, String source, String where) {
        Object v = br.get(key);
        if (v == null) return 0;
        if (!(v instanceof Number n) || n.doubleValue() != n.longValue() || n.longValue() < min || n.longValue() > Integer.MAX_VALUE)
            throw new ConfigException(source + ": " + where + "." + key + " must be a whole number of packets" + (key.endsWith("rate_limit") ? " a second" : "")
                    + " from " + min + " to " + Integer.MAX_VALUE);
        return n.longValue();
    }

    /** Targets checked (each tcp:IP[:PORT] or unix:PATH, no duplicates, at most 16); ControlException says why not. */
    public static List<String> checkTargets(List<String> targets) {
        if (targets.size() > 16) throw new ControlException("at most 16 controllers");
        for (String t : targets) {
            try {
                OfController.check(t);
            } catch (IllegalArgumentException e) {
                throw new ControlException(e.getMessage());
            }
        }
        if (targets.stream().distinct().count() != targets.size()) throw new ControlException("a controller is listed twice");
        return List.copyOf(targets);
    }
}
