package io.xvio.control;

import java.util.List;
import java.util.Map;

/**
 * The daemon's side of {@code xvio tnl neigh [set BRIDGE IP MAC | flush [BRIDGE]]} (OVS's tnl/neigh/show, set and
 * flush): checks the arguments, names what is wrong, and hands the change to {@link Tunnels}. Runs under the
 * daemon's lock.
 */
final class TnlNeigh {
    private TnlNeigh() {}

    static final String USAGE = "tnl neigh [set BRIDGE IP MAC | flush [BRIDGE]]";

    /** args: "tnl", "neigh", then nothing (show; json: {"neighbors": [...]}), "set" BRIDGE IP MAC, or "flush" [BRIDGE]. */
    static String run(List<String> args, boolean json, Tunnels tunnels, Map<String, Bridge> bridges) {
        if (args.size() == 2) return json ? JsonRender.render(tunnels.neighbors()) : tunnels.neighText();
        String sub = args.get(2);
        if (json) throw new ControlException("--format json is for 'tnl neigh' (show) only, not 'tnl neigh " + Logging.excerpt(sub, 64) + "'");
        switch (sub) {
            case "set" -> {
                if (args.size() != 6)
                    throw new ControlException("tnl neigh set needs a bridge, an IP address and a MAC address (got "
                            + (args.size() - 3) + " argument" + (args.size() == 4 ? "" : "s") + "): " + USAGE);
                tunnels.setNeighbor(bridge(args.get(3), bridges), args.get(4), args.get(5), bridges.values());
                return "";
            }
            case "flush" -> {
                if (args.size() > 4) throw new ControlException("tnl neigh flush takes at most one bridge: " + USAGE);
                tunnels.flushNeighbors(args.size() == 4 ? bridge(args.get(3), bridges) : null, bridges.values());
                return "";
            }
            default -> throw new ControlException("tnl neigh: unknown subcommand \"" + Logging.excerpt(sub, 64) + "\": " + USAGE);
        }
    }

    private static Bridge bridge(String name, Map<String, Bridge> bridges) {
        Bridge b = bridges.get(name);
        if (b == null) throw new ControlException("no bridge named \"" + Logging.excerpt(name, 64) + "\" (bridges: " + String.join(", ", bridges.keySet()) + ")");
        return b;
    }
}
